"""Ensembles whose member weights are optimal: exact convex combinations."""

from ._optimal_weights import OptimallyWeightedRegressor

__all__ = ["OptimallyWeightedRegressor"]
