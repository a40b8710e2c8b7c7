"""Simulators with known weights and loaders for the real data shipped here."""

from ._base import REAL_DATASETS, load_dataset
from ._samples_generator import biased_split, make_covariate_shift

__all__ = ["REAL_DATASETS", "biased_split", "load_dataset", "make_covariate_shift"]

# class imbalance
from ._imbalance import IMBALANCED_DATASETS, load_imbalanced  # noqa: E402

__all__ += ["IMBALANCED_DATASETS", "load_imbalanced"]
