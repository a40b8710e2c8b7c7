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


# --------------------------------------------------- invented treatments
# sklearn's common checks call fit(X, y) without metadata, but the causal
# estimators require `treatment` (api-routing.md section 7). The checks run on
# test-only subclasses, ``_<Name>WithTreatment``, that derive a deterministic
# treatment from X when none is given; the public classes keep raising. One
# generator builds them all.

#: multiplier of the row hash (the classic GLSL ``fract(sin(x) * c)`` hash)
_HASH = 43758.5453


def _hashed_treatment(X):
    """0/1 from a hash of each row: repeated rows share it, arms overlap.

    None for a single row (which cannot hold both arms); zeros for input
    that is not a 2-D numeric array, so that the estimator's own validation
    reports it.
    """
    X = np.asarray(X)
    if X.ndim == 2 and X.shape[0] == 1:
        return None
    try:
        X = X.astype(float)
    except (TypeError, ValueError):
        X = None
    if X is None or X.ndim != 2 or X.shape[0] == 0:
        return np.zeros(len(X) if X is not None and X.ndim else 0)  # invalid X
    with np.errstate(all="ignore"):
        h = np.sin(
            np.nan_to_num(X, posinf=0.0, neginf=0.0)
            @ (1.0 + np.arange(X.shape[1]))
            * 12.9898
        )
    t = ((np.nan_to_num(h) * _HASH) % 1.0 > 0.5).astype(float)
    if t.min() == t.max():
        t = (np.arange(X.shape[0]) % 2).astype(float)
    return t


def _alternating_treatment(X):
    """0/1 alternating by row: both arms in every stratified fold."""
    return (np.arange(_num_samples(X)) % 2).astype(np.float64)


_TREATMENT_RULES = {"hash": _hashed_treatment, "alternate": _alternating_treatment}


def _with_treatment(cls, rule="hash", methods=("fit",)):
    """Test-only subclass of ``cls`` whose ``methods`` invent ``treatment`` by
    ``rule`` when it is missing."""
    name = f"_{cls.__name__}WithTreatment"
    if name in globals():
        return globals()[name]
    invent = _TREATMENT_RULES[rule]

    def treatment_for(X, treatment):
        if treatment is not None:
            return treatment
        treatment = invent(X)
        if treatment is None:
            raise ValueError(
                f"Found array with 1 sample(s) (shape={getattr(X, 'shape', None)}) "
                "while a minimum of 2 is required: 1 sample cannot hold both arms."
            )
        return treatment

    def fit(self, X, y=None, *, sample_weight=None, treatment=None, **kw):
        t = treatment_for(X, treatment)
        return cls.fit(self, X, y, sample_weight=sample_weight, treatment=t, **kw)

    def score(self, X, y, *, sample_weight=None, treatment=None):
        t = treatment_for(X, treatment)
        return cls.score(self, X, y, sample_weight=sample_weight, treatment=t)

    namespace = {"__module__": __name__, "__qualname__": name}
    for method in methods:
        namespace[method] = {"fit": fit, "score": score}[method]
        namespace[method].__doc__ = getattr(cls, method).__doc__
    shim = type(name, (cls,), namespace)
    globals()[name] = shim
    return shim


# name -> (rule, methods) of its shim; the others: ("hash", ("fit",))
_SHIMS = {}


def _causal_shim(name, **params):
    import importlib

    rule, methods = _SHIMS.get(name, ("hash", ("fit",)))
    for module in ("causal", "weighting", "neural"):
        module = importlib.import_module(f"skreweight.{module}")
        if hasattr(module, name):
            return _with_treatment(getattr(module, name), rule, methods)(**params)
    raise AttributeError(name)


def __getattr__(name):
    # The shims are built on first use, so importing this module stays cheap
    # and does not import the families; module-level lookup (as pickle does)
    # finds them here.
    if name.startswith("_") and name.endswith("WithTreatment"):
        _causal_shim(name[1 : -len("WithTreatment")])
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ------------------------------------------------------------ causal balancing
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
    # energy balancing: the same ridge, for the same reason (repeated rows)
    _causal_shim("IPMBalancing", discriminator="energy", alpha=1e-4, tol=1e-8),
]
INIT_PARAMS["WeightingEstimator"] = lambda: [
    _causal_shim("WeightingEstimator"),
    _causal_shim("WeightingEstimator", method="dr", estimand="ATE"),
]


# ---------------------------------------------------- heterogeneous effects
# The CATE estimators cannot fit without ``treatment``; their shims alternate
# the arms by row, so that both arms are in every fold of the checks' tiny
# data, and they keep the public classes' parameters.
_CATE_FAST = dict(cv=2, random_state=0)
_CATE_XFAIL = {
    "check_sample_weight_equivalence_on_dense_data": (
        "cross-fitting: repeating a row moves copies into different folds, so "
        "the out-of-fold nuisances (and the pseudo-outcomes) change"
    ),
}
INIT_PARAMS["PseudoOutcomeRegressor"] = lambda: [
    _causal_shim("PseudoOutcomeRegressor", pseudo_outcome="DR", **_CATE_FAST)
]
INIT_PARAMS["RLearner"] = lambda: [_causal_shim("RLearner", **_CATE_FAST)]
INIT_PARAMS["DRLearner"] = lambda: [_causal_shim("DRLearner", **_CATE_FAST)]
for _name in ("PseudoOutcomeRegressor", "RLearner", "DRLearner"):
    EXPECTED_FAILED_CHECKS[f"_{_name}WithTreatment"] = _CATE_XFAIL
    _SHIMS[_name] = ("alternate", ("fit", "score"))


# --------------------------------------------------------- group robustness
INIT_PARAMS["GroupDROClassifier"] = lambda: [
    _group_dro(None),
    _group_dro("hedge"),
    _group_dro(None).set_params(robustness=0.5),
]


INIT_PARAMS["JTTClassifier"] = lambda: [_jtt()]


def _jtt():
    from ..robust import JTTClassifier

    return JTTClassifier(LogisticRegression(C=0.01), upweight=5.0)


def _group_dro(form):
    from ..robust import GroupDROClassifier

    if form is None:
        return GroupDROClassifier(max_iter=200)
    return GroupDROClassifier(LogisticRegression(), max_iter=3)


# ---------------------------------------------------------- class imbalance
EXPECTED_FAILED_CHECKS["LabelShiftAdapter"] = {
    "check_non_transformer_estimators_n_iter": (
        "n_iter_ counts EM iterations, and there are none without X_target "
        "(no shift): n_iter_ is 0."
    ),
}
INIT_PARAMS["PRESTOClassifier"] = lambda: [_presto(alpha=0.01), _presto(alphas=3, cv=3)]
INIT_PARAMS["LogitAdjustedClassifier"] = lambda: [
    _logit_adjusted(),
    _logit_adjusted(calibration="sigmoid", cv=3),
]


def _logit_adjusted(**params):
    from ..imbalance import LogitAdjustedClassifier

    return LogitAdjustedClassifier(**params)


def _presto(**params):
    from ..imbalance import PRESTOClassifier

    return PRESTOClassifier(**params)


# ------------------------------------------------------------------- neural
# Tiny float64 nets, full batch, few epochs: fast and deterministic.
def _neural(name, **params):
    import torch

    from .. import neural

    base = dict(
        module__hidden_units=(8,),
        module__dtype=torch.float64,
        max_epochs=5,
        batch_size=-1,
        lr=0.05,
        random_state=0,
    )
    base.update(params)
    return getattr(neural, name)(**base)


_SKORCH_INIT = {
    "check_no_attributes_set_in_init": (
        "skorch's NeuralNet.__init__ sets history_, initialized_ and "
        "virtual_params_, and stores prefixed arguments (module__*) as attributes"
    ),
}
for _name in (
    "LDAMClassifier",
    "NeuralGroupDROClassifier",
    "WeightedNeuralNetClassifier",
    "WeightedNeuralNetRegressor",
):
    INIT_PARAMS[_name] = lambda _name=_name: [_neural(_name)]
    EXPECTED_FAILED_CHECKS[_name] = dict(_SKORCH_INIT)
INIT_PARAMS["NeuralIPMBalancing"] = lambda: [
    _causal_shim(
        "NeuralIPMBalancing",
        hidden_units=(16,),
        max_iter=20,
        critic_steps=2,
        random_state=0,
    )
]
EXPECTED_FAILED_CHECKS["_NeuralIPMBalancingWithTreatment"] = {
    check: (
        "the gradient penalty draws random interpolates between the arms: "
        "weighted and repeated (or permuted) rows give weights that are equal in "
        "distribution, not draw by draw"
    )
    for check in (
        "check_weights_sample_weight_equivalence",
        "check_weights_invariant_to_row_order",
    )
}


INIT_PARAMS["NeuralDensityRatio"] = lambda: [
    __import__("skreweight.neural", fromlist=["x"]).NeuralDensityRatio(
        hidden_units=(8,), max_epochs=30, random_state=0
    )
]


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
