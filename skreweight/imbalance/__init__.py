"""Class imbalance and label shift: logit adjustment, prior correction, PRESTO,
class-balanced bagging."""

from ._balanced_bagging import ClassBalancedBaggingClassifier
from ._label_shift import LabelShiftAdapter
from ._logit_adjustment import LogitAdjustedClassifier
from ._presto import PRESTOClassifier

__all__ = [
    "ClassBalancedBaggingClassifier",
    "LabelShiftAdapter",
    "LogitAdjustedClassifier",
    "PRESTOClassifier",
]
