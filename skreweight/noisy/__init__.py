"""Learning with noisy labels through the noise transition matrix."""

from ._forward import ForwardCorrectedClassifier
from ._reweighting import DirichletReweighting, TransitionReweighting
from ._transition import NoiseTransitionEstimator, check_transition_matrix

__all__ = [
    "DirichletReweighting",
    "ForwardCorrectedClassifier",
    "NoiseTransitionEstimator",
    "TransitionReweighting",
    "check_transition_matrix",
]
