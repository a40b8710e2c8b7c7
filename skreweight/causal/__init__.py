"""causal."""

from ._cross_fit import cross_fit_nuisances
from ._pseudo_outcome import DRLearner, PseudoOutcomeRegressor, RLearner

__all__ = [
    "DRLearner",
    "PseudoOutcomeRegressor",
    "RLearner",
    "cross_fit_nuisances",
]
