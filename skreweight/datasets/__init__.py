"""Simulators with known weights and loaders for the real data shipped here."""

from ._base import REAL_DATASETS, load_dataset
from ._samples_generator import biased_split, make_covariate_shift

__all__ = ["REAL_DATASETS", "biased_split", "load_dataset", "make_covariate_shift"]

from ._causal import load_lalonde, make_kang_schafer  # noqa: E402

__all__ += ["load_lalonde", "make_kang_schafer"]
