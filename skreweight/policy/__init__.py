"""Off-policy evaluation and learning from logged bandit feedback, and debiased
rating prediction for missing-not-at-random feedback."""

from ._balancing import BalancingPropensity
from ._learning import OffPolicyClassifier
from ._rating import DebiasedRatingRegressor
from ._summary import PolicyValueSummary
from ._value import PolicyValueEstimator

__all__ = [
    "BalancingPropensity",
    "DebiasedRatingRegressor",
    "OffPolicyClassifier",
    "PolicyValueEstimator",
    "PolicyValueSummary",
]
