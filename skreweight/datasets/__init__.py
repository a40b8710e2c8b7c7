"""Simulators with known weights and loaders for the real data shipped here."""

from ._base import REAL_DATASETS, load_dataset
from ._cate import CATE_SETUPS, make_heterogeneous_effects
from ._causal import LALONDE_EXPERIMENTAL_ATT, load_lalonde, make_kang_schafer
from ._groups import make_spurious_groups
from ._imbalance import IMBALANCED_DATASETS, load_imbalanced
from ._noise import add_label_noise, noise_transition_matrix
from ._policy import load_open_bandit, make_bandit_feedback, make_mnar_ratings
from ._samples_generator import biased_split, make_covariate_shift

__all__ = [
    "CATE_SETUPS",
    "IMBALANCED_DATASETS",
    "LALONDE_EXPERIMENTAL_ATT",
    "REAL_DATASETS",
    "add_label_noise",
    "biased_split",
    "load_dataset",
    "load_imbalanced",
    "load_lalonde",
    "load_open_bandit",
    "make_bandit_feedback",
    "make_covariate_shift",
    "make_heterogeneous_effects",
    "make_kang_schafer",
    "make_mnar_ratings",
    "make_spurious_groups",
    "noise_transition_matrix",
]
