"""Class imbalance and label shift: logit adjustment, prior correction, PRESTO."""

from ._label_shift import LabelShiftAdapter
from ._logit_adjustment import LogitAdjustedClassifier
from ._presto import PRESTOClassifier

__all__ = ["LabelShiftAdapter", "LogitAdjustedClassifier", "PRESTOClassifier"]
