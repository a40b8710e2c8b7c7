"""Weighters: estimators that learn which rows should count how much."""

from ._class_balance import ClassBalance
from ._classifier_ratio import ClassifierDensityRatio
from ._fairness import FairnessReweighing
from ._group import GroupBalance

__all__ = [
    "ClassBalance",
    "ClassifierDensityRatio",
    "FairnessReweighing",
    "GroupBalance",
]
