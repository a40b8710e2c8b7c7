"""Causal effect estimators: weighting estimators of the ATE/ATT/ATC, and CATE
learners as weighted pseudo-outcome regression."""

from ._cross_fit import cross_fit_nuisances
from ._plot import love_plot, overlap_plot
from ._pseudo_outcome import DRLearner, PseudoOutcomeRegressor, RLearner
from ._scoring import BalanceScorer
from ._sensitivity import ATEBounds, CATEBounds, robustness_value
from ._sensitivity_plot import sensitivity_plot
from ._summary import EffectSummary
from ._weighting_estimator import WeightingEstimator

__all__ = [
    "ATEBounds",
    "BalanceScorer",
    "CATEBounds",
    "DRLearner",
    "EffectSummary",
    "PseudoOutcomeRegressor",
    "RLearner",
    "WeightingEstimator",
    "cross_fit_nuisances",
    "love_plot",
    "overlap_plot",
    "robustness_value",
    "sensitivity_plot",
]
