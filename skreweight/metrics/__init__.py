"""Weight diagnostics and balance metrics."""

from ._diagnostics import (
    balance_table,
    effective_sample_size,
    standardized_mean_difference,
    weight_summary,
)

__all__ = [
    "balance_table",
    "effective_sample_size",
    "standardized_mean_difference",
    "weight_summary",
]
