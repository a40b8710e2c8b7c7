"""Instances used by the common tests: fast parameters and expected failures.

Each family keeps its own section below (one dict entry per estimator), so that
work on different families does not touch the same lines.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.linear_model import LogisticRegression, Ridge

from skreweight.utils._sklearn_compat import _num_samples

# Estimators that need constructor arguments, or faster settings, in the common
# checks: name -> callable returning a list of instances.
INIT_PARAMS = {}

# name -> {check name: reason}
EXPECTED_FAILED_CHECKS = {}

# The context each public estimator's ``fit`` takes, for the table-driven
# bad-input suite (tests/test_bad_input_table.py): name -> tuple of keywords
# among "X_target", "treatment", "sample_group", "action" (() for none). For a
# meta-estimator, the context of the instances in INIT_PARAMS. A public
# estimator without an entry fails that suite. Later sections add their own
# entries with ``CONTEXT = globals().setdefault("CONTEXT", {})``.
CONTEXT = globals().setdefault("CONTEXT", {})
CONTEXT.update(
    {
        # covariate shift
        "ClassifierDensityRatio": ("X_target",),
        "DoubleWeighting": ("X_target",),
        "DoubleWeightingClassifier": ("X_target",),
        "FitOnSourceAndTarget": ("X_target",),
        "KLIEP": ("X_target",),
        "KernelMeanMatching": ("X_target",),
        "NearestNeighborsDensityRatio": ("X_target",),
        "NeuralDensityRatio": ("X_target",),
        "RuLSIF": ("X_target",),
        "ULSIF": ("X_target",),
        "WeightedConformalClassifier": ("X_target",),
        "WeightedConformalRegressor": ("X_target",),
        "LabelShiftAdapter": ("X_target",),
        "LabelShiftWeighting": ("X_target",),
        # GSR also takes y_target and target_group with X_target
        "GSRClassifier": ("X_target",),
        # causal effects
        "CBPS": ("treatment",),
        "EntropyBalancing": ("treatment",),
        "IPMBalancing": ("treatment",),
        "NeuralIPMBalancing": ("treatment",),
        "PropensityWeighting": ("treatment",),
        "WeightingEstimator": ("treatment",),
        "DRLearner": ("treatment",),
        "RLearner": ("treatment",),
        "PseudoOutcomeRegressor": ("treatment",),
        # groups and fairness
        "FairnessReweighing": ("sample_group",),
        "GroupBalance": ("sample_group",),
        "GroupDROClassifier": ("sample_group",),
        "NeuralGroupDROClassifier": ("sample_group",),
        # no context
        "ClassBalance": (),
        "JTTClassifier": (),
        "LDAMClassifier": (),
        "LogitAdjustedClassifier": (),
        "PRESTOClassifier": (),
        "SpectralRiskClassifier": (),
        "SpectralRiskRegressor": (),
        "WeightedNeuralNetClassifier": (),
        "WeightedNeuralNetRegressor": (),
        # meta-estimators: the context of their INIT_PARAMS instances
        "ReweightedClassifier": ("X_target",),
        "ReweightedRegressor": ("X_target",),
        "WeightProduct": ("X_target", "sample_group"),
    }
)

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
    from skreweight.compose import ReweightedClassifier, ReweightedRegressor
    from skreweight.weighting import ClassifierDensityRatio

    cls = {"ReweightedClassifier": ReweightedClassifier}.get(name, ReweightedRegressor)
    return cls(ClassifierDensityRatio(), estimator)


def _product():
    from skreweight.compose import WeightProduct
    from skreweight.weighting import ClassifierDensityRatio, GroupBalance

    return WeightProduct([("shift", ClassifierDensityRatio()), ("grp", GroupBalance())])


def _fit_on_source_and_target():
    from sklearn.preprocessing import StandardScaler

    from skreweight.compose import FitOnSourceAndTarget

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
    from skreweight import weighting

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
    from skreweight.robust import JTTClassifier

    return JTTClassifier(LogisticRegression(C=0.01), upweight=5.0)


def _group_dro(form):
    from skreweight.robust import GroupDROClassifier

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
    from skreweight.imbalance import LogitAdjustedClassifier

    return LogitAdjustedClassifier(**params)


def _presto(**params):
    from skreweight.imbalance import PRESTOClassifier

    return PRESTOClassifier(**params)


# ------------------------------------------------------------------- neural
# Tiny float64 nets, full batch, few epochs: fast and deterministic.
def _neural(name, **params):
    import torch

    from skreweight import neural

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


# -- shift beyond covariates: ReTaSA, LR-QR and label-shift conformal ----------
CONTEXT = globals().setdefault("CONTEXT", {})
INIT_PARAMS["ContinuousTargetShift"] = lambda: [
    __import__("skreweight.weighting", fromlist=["x"]).ContinuousTargetShift(
        alpha=0.1, min_target_samples=2
    )
]
CONTEXT["ContinuousTargetShift"] = ("X_target",)
# the conformal estimators share one split of the distinct rows, so integer
# sample_weight and repeated rows give the same fit: no expected failures
for _name in (
    "LRQRConformalRegressor",
    "LRQRConformalClassifier",
    "LabelShiftConformalClassifier",
):
    CONTEXT[_name] = ("X_target",)


# ------------------------------------------------------------ off-policy (policy)
# sklearn's checks call fit(X, y) without metadata, but the policy estimators
# require `action` (and the value estimator `target_proba`). Test-only
# subclasses supply a deterministic context when none is given: a two-action
# log from a hash of X (repeated rows share their action), uniform target and
# logging probabilities; the public classes keep raising.
CONTEXT = globals().setdefault("CONTEXT", {})


def _policy_dummy_action(X):
    t = _hashed_treatment(X)
    if t is None:
        raise ValueError(
            "Found array with 1 sample(s) while a minimum of 2 is required: 1 "
            "sample cannot hold two actions."
        )
    return t.astype(int)


def _policy_shim(name, **params):
    from skreweight import policy

    key = f"_PolicyShim{name}"
    if key not in globals():
        cls = getattr(policy, name)
        if name == "PolicyValueEstimator":

            def fit(
                self,
                X,
                y,
                *,
                action=None,
                target_proba=None,
                logging_proba=None,
                sample_weight=None,
            ):
                if action is None:
                    action = _policy_dummy_action(X)
                    n = _num_samples(action)
                    target_proba = np.full((n, 2), 0.5)
                    logging_proba = np.full(n, 0.5)
                return cls.fit(
                    self,
                    X,
                    y,
                    action=action,
                    target_proba=target_proba,
                    logging_proba=logging_proba,
                    sample_weight=sample_weight,
                )

            attrs = {"fit": fit}
        elif name == "BalancingPropensity":

            def fit(self, X, y=None, *, action=None, sample_weight=None):
                if action is None:
                    action = _policy_dummy_action(X)
                return cls.fit(self, X, y, action=action, sample_weight=sample_weight)

            attrs = {"fit": fit}
        elif name == "OffPolicyClassifier":

            def _context(y):
                a = np.asarray(y)
                k = max(1, len(np.unique(a)))
                return a, np.ones(a.shape[0]), np.full(a.shape[0], 1.0 / k)

            def fit(self, X, y, *, action=None, logging_proba=None, sample_weight=None):
                if action is None and y is not None:
                    action, y, logging_proba = _context(y)
                return cls.fit(
                    self,
                    X,
                    y,
                    action=action,
                    logging_proba=logging_proba,
                    sample_weight=sample_weight,
                )

            def score(
                self, X, y, *, action=None, logging_proba=None, sample_weight=None
            ):
                if action is None:
                    action, y, logging_proba = _context(y)
                return cls.score(
                    self,
                    X,
                    y,
                    action=action,
                    logging_proba=logging_proba,
                    sample_weight=sample_weight,
                )

            attrs = {"fit": fit, "score": score}
        else:  # DebiasedRatingRegressor: the target pairs are the rows themselves

            def fit(self, X, y, *, X_target=None, sample_weight=None):
                if X_target is None:
                    X_target = (X,)  # the tuple form: X may be a list of rows
                return cls.fit(
                    self, X, y, X_target=X_target, sample_weight=sample_weight
                )

            attrs = {"fit": fit}
        for method, func in attrs.items():
            func.__doc__ = getattr(cls, method).__doc__
        attrs["__module__"] = __name__
        shim = type(key, (cls,), attrs)
        shim.__qualname__ = key
        globals()[key] = shim
    return globals()[key](**params)


INIT_PARAMS["PolicyValueEstimator"] = lambda: [
    _policy_shim("PolicyValueEstimator", method="dr", cv=None),
    _policy_shim("PolicyValueEstimator", method="snipw", cv=None),
]
INIT_PARAMS["BalancingPropensity"] = lambda: [
    _policy_shim("BalancingPropensity", alpha=1e-3, tol=1e-10)
]
INIT_PARAMS["OffPolicyClassifier"] = lambda: [
    _policy_shim("OffPolicyClassifier", method="ips", cv=None),
    # with the shim's constant reward every policy is optimal, so the DR
    # instance gets a reward model that knows nothing (q = 0, pure IPS terms)
    _policy_shim(
        "OffPolicyClassifier",
        method="dr",
        cv=None,
        reward_model=__import__("sklearn.dummy", fromlist=["x"]).DummyRegressor(
            strategy="constant", constant=0.0
        ),
    ),
]
INIT_PARAMS["DebiasedRatingRegressor"] = lambda: [
    _policy_shim("DebiasedRatingRegressor", method="ips"),
    _policy_shim("DebiasedRatingRegressor", method="dr"),
]
EXPECTED_FAILED_CHECKS["_PolicyShimBalancingPropensity"] = {
    "check_weights_uniform_without_shift": (
        "per-action kernel balance of a finite sample is never exactly uniform "
        "(as for the treatment arms of the causal weighters)"
    ),
}
EXPECTED_FAILED_CHECKS["_PolicyShimDebiasedRatingRegressor"] = {
    "check_sample_weight_equivalence_on_dense_data": (
        "the test shim takes the rows themselves as X_target, so repeating a "
        "row also repeats it in the target population, which sample_weight "
        "does not"
    ),
}
CONTEXT["PolicyValueEstimator"] = ("action",)
CONTEXT["BalancingPropensity"] = ("action",)
CONTEXT["OffPolicyClassifier"] = ("action",)
CONTEXT["DebiasedRatingRegressor"] = ("X_target",)


# ------------------------------------------------------ sensitivity bounds
# ATEBounds and CATEBounds cannot fit without ``treatment``; the test-only
# subclasses above supply a deterministic one.
def _sensitivity_cate_shim(**params):
    """CATEBounds with a treatment derived from a hash of each row when none
    is given (repeated rows share it, so sample-weight equivalence holds)."""
    from skreweight.causal import CATEBounds

    key = "_CATEBoundsWithTreatment"
    if key not in globals():

        def _t(X, treatment):
            if treatment is None:
                treatment = _hashed_treatment(X)
            if treatment is None:
                raise ValueError(
                    "Found array with 1 sample(s) while a minimum of 2 is "
                    "required: 1 sample cannot hold both arms."
                )
            return treatment

        def fit(self, X, y, *, treatment=None, sample_weight=None):
            return CATEBounds.fit(
                self, X, y, treatment=_t(X, treatment), sample_weight=sample_weight
            )

        def score(self, X, y, *, treatment=None, sample_weight=None):
            return CATEBounds.score(
                self, X, y, treatment=_t(X, treatment), sample_weight=sample_weight
            )

        fit.__doc__, score.__doc__ = CATEBounds.fit.__doc__, CATEBounds.score.__doc__
        shim = type(
            key, (CATEBounds,), {"fit": fit, "score": score, "__module__": __name__}
        )
        shim.__qualname__ = key
        globals()[key] = shim
    return globals()[key](**params)


INIT_PARAMS["ATEBounds"] = lambda: [
    _causal_shim("ATEBounds", gamma=2.0, cv=2, random_state=0),
    _causal_shim("ATEBounds", gamma=1.5, estimand="ATT", cv=None),
]
INIT_PARAMS["CATEBounds"] = lambda: [_sensitivity_cate_shim(gamma=2.0)]
CONTEXT = globals().setdefault("CONTEXT", {})
CONTEXT["ATEBounds"] = ("treatment",)
CONTEXT["CATEBounds"] = ("treatment",)


# ------------------------------------------------------------------- ensemble
CONTEXT = globals().setdefault("CONTEXT", {})


def _optimally_weighted(**params):
    from sklearn.tree import DecisionTreeRegressor

    from skreweight.ensemble import OptimallyWeightedRegressor

    tree = DecisionTreeRegressor(max_depth=3, random_state=0)
    members = [("ridge", Ridge()), ("tree", tree)]
    return OptimallyWeightedRegressor(members, cv=3, **params)


INIT_PARAMS["OptimallyWeightedRegressor"] = lambda: [
    _optimally_weighted(),
    _optimally_weighted(loss="quantile", quantile=0.3),
]
# no expected failure: integer sample_weight equals repeated rows when the
# repeated rows share a fold, which is how sklearn's check splits them
CONTEXT["OptimallyWeightedRegressor"] = ()


# ---------------------------------------------------- balanced bagging (imbalance)
CONTEXT = globals().setdefault("CONTEXT", {})


def _balanced_bagging(**params):
    from skreweight.imbalance import ClassBalancedBaggingClassifier

    return ClassBalancedBaggingClassifier(n_estimators=5, random_state=0, **params)


INIT_PARAMS["ClassBalancedBaggingClassifier"] = lambda: [
    _balanced_bagging(),
    _balanced_bagging(
        bootstrap="poisson", estimator=LogisticRegression(), undersample=False
    ),
]
_BAGGING_SW_REASON = (
    "integer sample_weight equals repeated rows at most in distribution (the "
    "sampling rates scale with the weight; the undersampling pool is drawn "
    "among rows), not draw by draw: the random counts of m copies of a row "
    "differ from those of one row of weight m"
)
EXPECTED_FAILED_CHECKS["ClassBalancedBaggingClassifier"] = {
    "check_sample_weight_equivalence_on_dense_data": _BAGGING_SW_REASON,
    "check_sample_weight_equivalence_on_sparse_data": _BAGGING_SW_REASON,
}
# its context is its optional weighter's; the tested instances have none, and
# context without a weighter is refused with a TypeError (tested in
# tests/imbalance)
CONTEXT["ClassBalancedBaggingClassifier"] = ()


# -------------------------------------------------------------- noisy labels
# The common checks fit on random data with no signal about y. Out of such
# probabilities the confident joint (the default estimate of T) can be exactly
# singular, and fit then raises by design; the anchor-quantile estimate reads T
# off distinct probability vectors and stays invertible. The default path is
# tested in tests/noisy.


def _noisy(name, **params):
    from skreweight import noisy

    quantile = noisy.NoiseTransitionEstimator(method="quantile", cv=3)
    if name == "NoiseTransitionEstimator":
        return quantile
    return getattr(noisy, name)(transition_matrix=quantile, **params)


INIT_PARAMS["TransitionReweighting"] = lambda: [_noisy("TransitionReweighting", cv=3)]
INIT_PARAMS["DirichletReweighting"] = lambda: [
    _noisy("DirichletReweighting", cv=3, random_state=0)
]
INIT_PARAMS["NoiseTransitionEstimator"] = lambda: [_noisy("NoiseTransitionEstimator")]
INIT_PARAMS["ForwardCorrectedClassifier"] = lambda: [
    _noisy("ForwardCorrectedClassifier")
]
CONTEXT = globals().setdefault("CONTEXT", {})
for _name in (
    "TransitionReweighting",
    "DirichletReweighting",
    "NoiseTransitionEstimator",
    "ForwardCorrectedClassifier",
):
    CONTEXT[_name] = ()
_CROSS_FITTED = {
    "check_weights_invariant_to_row_order": (
        "the noisy posteriors are cross-fitted: permuting the rows changes the "
        "folds, hence the out-of-fold probabilities and the estimated T"
    ),
    "check_weights_sample_weight_equivalence": (
        "a repeated row can fall in a training and a held-out fold at once, a "
        "weighted row cannot: out-of-fold probabilities differ"
    ),
    "check_weights_uniform_without_shift": (
        "label-noise weights are uniform only when T is the identity; the "
        "check's features carry no information about y, so the estimated T is "
        "far from it"
    ),
}
EXPECTED_FAILED_CHECKS["TransitionReweighting"] = dict(_CROSS_FITTED)
EXPECTED_FAILED_CHECKS["DirichletReweighting"] = dict(_CROSS_FITTED)
EXPECTED_FAILED_CHECKS["ForwardCorrectedClassifier"] = {
    "check_sample_weight_equivalence_on_dense_data": (
        "the default T is estimated from cross-fitted probabilities, whose "
        "folds differ between weighted and repeated rows; with a known T the "
        "equivalence holds (tests/noisy)"
    ),
}

# ------------------------------------------- pre-binning (compose, issue 21)
CONTEXT["PrebinnedRegressor"] = ()
CONTEXT["PrebinnedClassifier"] = ()


def _prebinned(name):
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
    )

    from skreweight.compose import PrebinnedClassifier, PrebinnedRegressor

    if name == "PrebinnedClassifier":
        return PrebinnedClassifier(HistGradientBoostingClassifier(max_iter=10))
    return PrebinnedRegressor(HistGradientBoostingRegressor(max_iter=10))


INIT_PARAMS["PrebinnedRegressor"] = lambda: [_prebinned("PrebinnedRegressor")]
INIT_PARAMS["PrebinnedClassifier"] = lambda: [_prebinned("PrebinnedClassifier")]

# -- Array API (issue 16) ----------------------------------------------------------
# With SCIPY_ARRAY_API=1 (tests/conftest.py, .ci/run) scikit-learn's NumPy
# Array API check runs for every estimator.
EXPECTED_FAILED_CHECKS.setdefault("_PolicyShimOffPolicyClassifier", {})[
    "check_array_api_input"
] = (
    "scikit-learn 1.9.1's DummyRegressor(strategy='constant', constant=0.0), the "
    "shim's reward model, calls check_array on the Python scalar constant, which "
    "get_namespace rejects under array_api_dispatch"
)
