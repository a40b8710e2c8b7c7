"""causal."""

from ._plot import love_plot, overlap_plot  # noqa: E402
from ._scoring import BalanceScorer  # noqa: E402
from ._weighting_estimator import WeightingEstimator  # noqa: E402

__all__ = globals().get("__all__", []) + [
    "BalanceScorer",
    "WeightingEstimator",
    "love_plot",
    "overlap_plot",
]
