"""causal."""

from ._weighting_estimator import WeightingEstimator  # noqa: E402

__all__ = globals().get("__all__", []) + ["WeightingEstimator"]
