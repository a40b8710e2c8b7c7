"""skreweight: scikit-learn-compatible reweighting estimators.

Weighters (:mod:`skreweight.weighting`) learn which rows should count how much;
estimators (:mod:`skreweight.compose`, :mod:`skreweight.covariate_shift`,
:mod:`skreweight.causal`, :mod:`skreweight.robust`, :mod:`skreweight.imbalance`,
:mod:`skreweight.ensemble`, :mod:`skreweight.noisy`, :mod:`skreweight.policy`)
consume the weights. Subpackages load on first access; importing skreweight
imports neither torch nor any estimator, and never changes scikit-learn's
global configuration.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import importlib

__version__ = "0.1.0.dev0"

_submodules = [
    "base",
    "causal",
    "compose",
    "covariate_shift",
    "datasets",
    "ensemble",
    "exceptions",
    "imbalance",
    "metrics",
    "model_selection",
    "neural",
    "noisy",
    "policy",
    "robust",
    "utils",
    "weighting",
]

__all__ = _submodules + ["__version__"]


def __dir__():
    return __all__


def __getattr__(name):
    if name in _submodules:
        return importlib.import_module(f"skreweight.{name}")
    raise AttributeError(f"module 'skreweight' has no attribute {name!r}")
