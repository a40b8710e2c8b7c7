"""Covariate-shift estimators: double-weighting minimax classification."""

from ._dwgcs import DoubleWeightingClassifier

__all__ = [
    "DoubleWeightingClassifier",
]
