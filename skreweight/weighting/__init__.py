"""Weighters: estimators that learn which rows should count how much."""

from ._class_balance import ClassBalance
from ._classifier_ratio import ClassifierDensityRatio
from ._group import GroupBalance
from ._label_shift import LabelShiftWeighting

__all__ = [
    "ClassBalance",
    "ClassifierDensityRatio",
    "GroupBalance",
    "LabelShiftWeighting",
]
