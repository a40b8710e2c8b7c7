"""Model selection under shift: weighted scorers and group-aware splitters."""

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
    "worst_group_accuracy",
]
