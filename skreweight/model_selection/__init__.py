"""Model selection under shift: weighted scorers, R-loss, group-aware splitters."""

from ..causal._cross_fit import cross_fit_nuisances
from ._r_loss import r_loss, r_loss_scorer
from ._scorers import (
    IWCVScorer,
    WorstGroupScorer,
    importance_weighted_scorer,
    worst_group_accuracy,
)
from ._sensitivity_scorer import sensitivity_loss, sensitivity_loss_scorer
from ._split import GroupStratifiedKFold

__all__ = [
    "GroupStratifiedKFold",
    "IWCVScorer",
    "WorstGroupScorer",
    "cross_fit_nuisances",
    "importance_weighted_scorer",
    "r_loss",
    "r_loss_scorer",
    "sensitivity_loss",
    "sensitivity_loss_scorer",
    "worst_group_accuracy",
]
