"""Weight diagnostics and balance metrics."""

from ._diagnostics import (
    balance_table,
    effective_sample_size,
    standardized_mean_difference,
    weight_summary,
)
from ._plot import LovePlotDisplay, WeightDistributionDisplay

__all__ = [
    "LovePlotDisplay",
    "WeightDistributionDisplay",
    "balance_table",
    "effective_sample_size",
    "standardized_mean_difference",
    "weight_summary",
]
