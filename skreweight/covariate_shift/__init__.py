"""Covariate-shift estimators: double-weighting minimax classification and
weighted conformal prediction."""

from ._conformal import WeightedConformalClassifier, WeightedConformalRegressor
from ._dwgcs import DoubleWeightingClassifier

__all__ = [
    "DoubleWeightingClassifier",
    "WeightedConformalClassifier",
    "WeightedConformalRegressor",
]
