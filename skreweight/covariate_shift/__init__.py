"""Shift-robust estimators: double-weighting minimax classification, weighted
and LR-QR conformal prediction under covariate shift, and conformal prediction
sets under label shift."""

from ._conformal import WeightedConformalClassifier, WeightedConformalRegressor
from ._dwgcs import DoubleWeightingClassifier
from ._label_shift_conformal import LabelShiftConformalClassifier
from ._lrqr import LRQRConformalClassifier, LRQRConformalRegressor

__all__ = [
    "DoubleWeightingClassifier",
    "LabelShiftConformalClassifier",
    "LRQRConformalClassifier",
    "LRQRConformalRegressor",
    "WeightedConformalClassifier",
    "WeightedConformalRegressor",
]
