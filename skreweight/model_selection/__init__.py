"""Model selection under shift: weighted scorers, R-loss, group-aware splitters."""

from ._r_loss import r_loss, r_loss_scorer
from ._scorers import (
    IWCVScorer,
    WorstGroupScorer,
    importance_weighted_scorer,
    worst_group_accuracy,
)
from ._split import GroupStratifiedKFold

__all__ = [
    "GroupStratifiedKFold",
    "IWCVScorer",
    "WorstGroupScorer",
    "importance_weighted_scorer",
    "r_loss",
    "r_loss_scorer",
    "worst_group_accuracy",
]
