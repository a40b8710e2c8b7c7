"""Model selection under shift: weighted scorers, R-loss, group-aware splitters."""

from ._diagnostics_scorer import WeightDiagnosticsScorer
from ._names import get_scorer, get_scorer_names
from ._policy_scorer import PolicyValueScorer
from ._r_loss import r_loss, r_loss_scorer
from ._scorers import (
    IWCVScorer,
    WorstGroupScorer,
    importance_weighted_scorer,
    worst_group_accuracy,
)
from ._sensitivity_scorer import sensitivity_loss, sensitivity_loss_scorer
from ._split import GroupStratifiedKFold
from ._warnings import summarize_warnings

__all__ = [
    "GroupStratifiedKFold",
    "IWCVScorer",
    "PolicyValueScorer",
    "WeightDiagnosticsScorer",
    "WorstGroupScorer",
    "get_scorer",
    "get_scorer_names",
    "importance_weighted_scorer",
    "r_loss",
    "r_loss_scorer",
    "sensitivity_loss",
    "sensitivity_loss_scorer",
    "summarize_warnings",
    "worst_group_accuracy",
]
