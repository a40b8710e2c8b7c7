"""Instances used by the common tests: fast parameters and expected failures.

Each family keeps its own section below (one dict entry per estimator), so that
work on different families does not touch the same lines.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from sklearn.linear_model import LogisticRegression, Ridge

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
# Fixed bandwidth / regularisation: their cross-validated selection depends on
# which rows are repeated, so integer sample_weight equals repeated rows only
# for fixed values (documented in the estimators).
INIT_PARAMS["ULSIF"] = lambda: [_shift("ULSIF", bandwidth=1.0, reg=0.1)]
INIT_PARAMS["RuLSIF"] = lambda: [_shift("RuLSIF", bandwidth=1.0, reg=0.1)]
INIT_PARAMS["KLIEP"] = lambda: [_shift("KLIEP", bandwidth=1.0)]
INIT_PARAMS["KernelMeanMatching"] = lambda: [
    _shift("KernelMeanMatching", bandwidth=1.0)
]
INIT_PARAMS["DoubleWeighting"] = lambda: [
    _shift("DoubleWeighting", bandwidth=1.0, tol=1e-8, max_iter=5000)
]


def _shift(name, **params):
    from .. import weighting

    return getattr(weighting, name)(**params)


# ------------------------------------------------------------ causal balancing


# ---------------------------------------------------- heterogeneous effects


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
