"""Weight diagnostics and balance metrics."""

from ._balance_report import BalanceReport, balance_report
from ._diagnostics import (
    balance_table,
    effective_sample_size,
    standardized_mean_difference,
    weight_summary,
)
from ._plot import LovePlotDisplay, WeightDistributionDisplay

__all__ = [
    "BalanceReport",
    "LovePlotDisplay",
    "WeightDistributionDisplay",
    "balance_report",
    "balance_table",
    "effective_sample_size",
    "standardized_mean_difference",
    "weight_summary",
]
