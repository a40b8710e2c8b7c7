"""Instances used by the common tests: fast parameters and expected failures.

Each family keeps its own section below (one dict entry per estimator), so that
work on different families does not touch the same lines.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.linear_model import LogisticRegression, Ridge

from ._sklearn_compat import _num_samples

# Estimators that need constructor arguments, or faster settings, in the common
# checks: name -> callable returning a list of instances.
INIT_PARAMS = {}

# name -> {check name: reason}
EXPECTED_FAILED_CHECKS = {}

# ----------------------------------------------------------------- foundation
INIT_PARAMS["ReweightedClassifier"] = lambda: [
    _reweighted("ReweightedClassifier", LogisticRegression())
]
INIT_PARAMS["ReweightedRegressor"] = lambda: [
    _reweighted("ReweightedRegressor", Ridge())
]
INIT_PARAMS["WeightProduct"] = lambda: [_product()]
INIT_PARAMS["FitOnSourceAndTarget"] = lambda: [_fit_on_source_and_target()]


def _reweighted(name, estimator):
    from ..compose import ReweightedClassifier, ReweightedRegressor
    from ..weighting import ClassifierDensityRatio

    cls = {"ReweightedClassifier": ReweightedClassifier}.get(name, ReweightedRegressor)
    return cls(ClassifierDensityRatio(), estimator)


def _product():
    from ..compose import WeightProduct
    from ..weighting import ClassifierDensityRatio, GroupBalance

    return WeightProduct([("shift", ClassifierDensityRatio()), ("grp", GroupBalance())])


def _fit_on_source_and_target():
    from sklearn.preprocessing import StandardScaler

    from ..compose import FitOnSourceAndTarget

    return FitOnSourceAndTarget(StandardScaler())


# ----------------------------------------------------------- covariate shift


# ------------------------------------------------------------ causal balancing


# ---------------------------------------------------- heterogeneous effects
# The CATE estimators cannot fit without ``treatment`` (they raise, by design),
# and nearly every sklearn check calls ``fit(X, y)``. Test-only subclasses
# supply a deterministic treatment (alternating 0/1 by row) when none is given;
# they keep the public classes' parameters, so the checks exercise the real code.
_CATE_FAST = dict(cv=2, random_state=0)
_CATE_XFAIL = {
    "check_sample_weight_equivalence_on_dense_data": (
        "cross-fitting: repeating a row moves copies into different folds, so "
        "the out-of-fold nuisances (and the pseudo-outcomes) change"
    ),
}
INIT_PARAMS["PseudoOutcomeRegressor"] = lambda: [
    _cate_shim("PseudoOutcomeRegressor", pseudo_outcome="DR", **_CATE_FAST)
]
INIT_PARAMS["RLearner"] = lambda: [_cate_shim("RLearner", **_CATE_FAST)]
INIT_PARAMS["DRLearner"] = lambda: [_cate_shim("DRLearner", **_CATE_FAST)]
for _name in ("PseudoOutcomeRegressor", "RLearner", "DRLearner"):
    EXPECTED_FAILED_CHECKS[f"_{_name}WithTreatment"] = _CATE_XFAIL


def _dummy_treatment(X):
    return (np.arange(_num_samples(X)) % 2).astype(np.float64)


def _with_dummy_treatment(cls):
    """Test-only subclass of ``cls`` that invents ``treatment`` when missing."""

    def fit(self, X, y, *, treatment=None, sample_weight=None):
        if treatment is None:
            treatment = _dummy_treatment(X)
        return cls.fit(self, X, y, treatment=treatment, sample_weight=sample_weight)

    def score(self, X, y, *, treatment=None, sample_weight=None):
        if treatment is None:
            treatment = _dummy_treatment(X)
        return cls.score(self, X, y, treatment=treatment, sample_weight=sample_weight)

    fit.__doc__, score.__doc__ = cls.fit.__doc__, cls.score.__doc__
    shim = type(
        f"_{cls.__name__}WithTreatment",
        (cls,),
        {"fit": fit, "score": score, "__module__": __name__},
    )
    shim.__qualname__ = shim.__name__
    return shim


def _cate_shim(name, **params):
    key = f"_{name}WithTreatment"
    shim = globals()[key] if key in globals() else __getattr__(key)
    return shim(**params)


def __getattr__(name):
    # The shims are built on first use, so importing this module stays cheap
    # and does not import skreweight.causal; module-level lookup (as pickle
    # does) finds them here.
    for base in ("PseudoOutcomeRegressor", "RLearner", "DRLearner"):
        if name == f"_{base}WithTreatment":
            from .. import causal

            shim = _with_dummy_treatment(getattr(causal, base))
            globals()[name] = shim
            return shim
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --------------------------------------------------------- group robustness


# ---------------------------------------------------------- class imbalance


# ------------------------------------------------------------------- neural


def _construct_instances(cls):
    """Yield the instances of ``cls`` the common checks run on."""
    name = cls.__name__
    if name in INIT_PARAMS:
        yield from INIT_PARAMS[name]()
    else:
        yield cls()


def _get_expected_failed_checks(estimator):
    """Map check name to reason for the checks ``estimator`` is known to fail."""
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})
