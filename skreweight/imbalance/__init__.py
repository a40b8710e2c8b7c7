"""Class imbalance and label shift: logit adjustment, prior correction, PRESTO."""

from ._logit_adjustment import LogitAdjustedClassifier

__all__ = ["LogitAdjustedClassifier"]
