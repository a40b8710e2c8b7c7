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


# ------------------------------------------------------------ causal balancing
# sklearn's common checks call fit(X, y) without metadata, but the causal
# weighters require `treatment` (api-routing.md section 7). The checks run on
# test-only subclasses that derive a deterministic treatment from X when none
# is given; the public classes keep raising.


def _dummy_treatment(X):
    import numpy as np

    X = np.asarray(X)
    if X.ndim == 2 and X.shape[0] == 1:
        return None
    try:
        X = X.astype(float)
    except (TypeError, ValueError):
        X = None
    if X is None or X.ndim != 2 or X.shape[0] == 0:
        return np.zeros(len(X) if X is not None and X.ndim else 0)  # invalid X
    # a hash of each row's values: deterministic (repeated rows share it) but
    # unrelated to X, so the dummy arms overlap
    with np.errstate(all="ignore"):
        h = np.sin(
            np.nan_to_num(X, posinf=0.0, neginf=0.0)
            @ (1.0 + np.arange(X.shape[1]))
            * 12.9898
        )
    t = ((h * 43758.5453) % 1.0 > 0.5).astype(float)
    if t.min() == t.max():
        t = (np.arange(X.shape[0]) % 2).astype(float)
    return t


def _with_dummy_treatment(cls):
    name = f"_Shim{cls.__name__}"
    if name in globals():
        return globals()[name]

    def fit(self, X, y=None, *, sample_weight=None, treatment=None, **kw):
        if treatment is None:
            treatment = _dummy_treatment(X)
        if treatment is None:
            raise ValueError(
                f"Found array with 1 sample(s) (shape={getattr(X, 'shape', None)}) "
                "while a minimum of 2 is required: 1 sample cannot hold both arms."
            )
        return cls.fit(
            self, X, y, sample_weight=sample_weight, treatment=treatment, **kw
        )

    fit.__doc__ = cls.fit.__doc__
    shim = type(name, (cls,), {"fit": fit, "__module__": __name__})
    globals()[shim.__name__] = shim
    return shim


def _causal_shim(name, **params):
    from .. import causal, weighting

    module = causal if hasattr(causal, name) else weighting
    return _with_dummy_treatment(getattr(module, name))(**params)


INIT_PARAMS["PropensityWeighting"] = lambda: [_causal_shim("PropensityWeighting")]
INIT_PARAMS["EntropyBalancing"] = lambda: [_causal_shim("EntropyBalancing")]
INIT_PARAMS["CBPS"] = lambda: [_causal_shim("CBPS")]
INIT_PARAMS["IPMBalancing"] = lambda: [
    # a small ridge makes the optimum unique and a tight gap reaches it, so
    # that repeated rows match integer sample_weight to 1e-3 (with alpha=0 a
    # wide kernel leaves the split of mass between near-duplicates free)
    _causal_shim("IPMBalancing", alpha=1e-4, tol=1e-10),
    _causal_shim("IPMBalancing", parametrization="linear", estimand="ATE"),
    _causal_shim(
        "IPMBalancing", discriminator="sigmoid", n_units=8, max_iter=20, random_state=0
    ),
]
INIT_PARAMS["WeightingEstimator"] = lambda: [
    _causal_shim("WeightingEstimator"),
    _causal_shim("WeightingEstimator", method="dr", estimand="ATE"),
]


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
