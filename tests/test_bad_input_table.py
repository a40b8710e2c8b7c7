"""One table of bad inputs, run over every public estimator.

Each estimator declares the context its ``fit`` takes in
``tests/_test_common.py``'s ``CONTEXT``; the table breaks each piece of it.
Every case must end in one of three outcomes:

- a ``ValueError`` or ``TypeError`` whose message names the argument or the
  problem (``clear``);
- a warning, with finite output (``warned``);
- a normal fit with finite output (``fit``), where the input is valid.

Anything else fails: another exception type or a message that names nothing
(``unclear``), or a fit that accepted invalid input, ignored missing context
without a word, or returned non-finite output without a warning (``silent``).
The cases run on the fast test settings of INIT_PARAMS and, for a few cases,
at the estimators' defaults.
"""

import inspect
import pickle
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import check_classifiers_one_label_sample_weights
from sklearn.utils.validation import has_fit_parameter

from skreweight.base import is_weighter
from skreweight.exceptions import MissingContextWarning
from skreweight.utils.discovery import all_estimators

from _test_common import CONTEXT, _construct_instances

N, N_TARGET, N_ACTIONS = 40, 30, 3
OUTPUT_ATTRIBUTES = (
    "weights_",
    "effect_",
    "stderr_",
    "group_weights_",
    "value_",
    "transition_matrix_",
)
OUTPUT_METHODS = ("predict", "predict_proba", "decision_function", "transform")


# --------------------------------------------------------------------- data
def _data(seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(N, 3))
    y_class = (X[:, 0] + rng.normal(scale=0.5, size=N) > 0).astype(int)
    y_class[:4] = [0, 1, 0, 1]
    y_reg = X @ [1.0, -0.5, 0.2] + rng.normal(scale=0.3, size=N)
    t = (rng.uniform(size=N) < 1 / (1 + np.exp(-0.5 * X[:, 1]))).astype(float)
    t[:4] = [0, 1, 0, 1]
    g = np.tile([0, 1], N // 2)
    X_target = rng.normal(0.3, 1.0, size=(N_TARGET, 3))
    y_target = (X_target[:, 0] > 0).astype(int)
    y_target[:4] = [0, 1, 0, 1]
    # a logged bandit feedback: integer actions 0..N_ACTIONS-1 drawn from a
    # softmax logging policy (every action on several rows), the logging
    # propensity of each logged action, and a softmax evaluation policy
    logging = _softmax(X @ rng.normal(scale=0.5, size=(3, N_ACTIONS)))
    action = np.array([rng.choice(N_ACTIONS, p=p) for p in logging])
    action[: 2 * N_ACTIONS] = np.tile(np.arange(N_ACTIONS), 2)
    return dict(
        X=X,
        y_class=y_class,
        y_reg=y_reg,
        treatment=t,
        sample_group=g,
        X_target=X_target,
        y_target=y_target,
        target_group=np.tile([0, 1], N_TARGET // 2),
        action=action,
        logging_proba=logging[np.arange(N), action],
        target_proba=_softmax(X @ rng.normal(size=(3, N_ACTIONS))),
    )


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class _Info:
    """What the table needs to know about one estimator instance."""

    def __init__(self, name, estimator):
        self.name, self.estimator = name, estimator
        self.context = CONTEXT[name]
        tags = get_tags(estimator)
        self.allow_nan = tags.input_tags.allow_nan
        # the y of a causal or off-policy estimator is an outcome or a reward,
        # not class labels (an off-policy classifier's classes are the actions)
        self.regression = is_regressor(estimator) or (
            ("treatment" in self.context or "action" in self.context)
            and not is_weighter(estimator)
        )
        weighter_tags = getattr(tags, "weighter_tags", None)
        self.uses_y = (
            is_classifier(estimator)
            or self.regression
            or bool(weighter_tags and weighter_tags.requires_y)
        ) and name != "FitOnSourceAndTarget"
        self.classifier = self.uses_y and not self.regression
        self.sample_weight = has_fit_parameter(estimator, "sample_weight")
        # the logged-bandit context beyond ``action`` that ``fit`` takes
        fit_params = inspect.signature(estimator.fit).parameters
        self.policy = tuple(
            key
            for key in ("target_proba", "logging_proba")
            if "action" in self.context and key in fit_params
        )


def _public(cls, instance):
    """The public class with the test instance's parameters (shims removed)."""
    if type(instance) is cls:
        return instance
    return cls(**instance.get_params(deep=False))


# defaults too slow for the table (minutes of training at their defaults)
COSTLY_DEFAULTS = {"NeuralIPMBalancing": "1000 critic iterations: about 50 s a fit"}


def _instances():
    out = []
    for name, cls in all_estimators():
        fast = [_public(cls, inst) for inst in _construct_instances(cls)]
        out.append((f"{name}-fast", _Info(name, fast[0])))
        try:
            default = cls()
        except TypeError:
            continue  # needs constructor arguments: the fast instance is it
        if name in COSTLY_DEFAULTS:
            continue
        if default.get_params(deep=False) != fast[0].get_params(deep=False):
            out.append((f"{name}-default", _Info(name, default)))
    return out


INSTANCES = _instances()


def _inputs(info, d):
    """X, y, fit keywords for ``info`` on the clean data ``d``."""
    y = d["y_reg"] if info.regression else d["y_class"]
    kw = {key: d[key] for key in info.context + info.policy}
    if info.name == "GSRClassifier":
        kw.update(y_target=d["y_target"], target_group=d["target_group"])
    return (
        d["X"],
        (y if info.uses_y or info.name != "FitOnSourceAndTarget" else None),
        kw,
    )


# -------------------------------------------------------------------- cases
# Each case: (name, applies(info), make(info, X, y, kw, d) -> (X, y, kw),
#             kind, pattern). kind "error": a clear error is required; "warn":
# a warning or a clear error; "missing": a MissingContextWarning; "any": any
# acceptable outcome. ``pattern`` is what a clear message must match.


def _set(a, idx, value):
    a = np.array(a, dtype=float, copy=True)
    a[idx] = value
    return a


# the context with one entry per row of X (X_target has its own rows)
ROW_ALIGNED = ("treatment", "sample_group", "action", "target_proba", "logging_proba")


def _rows(kw, sl):
    """Slice the row-aligned context (not X_target)."""
    return {k: (v[sl] if k in ROW_ALIGNED else v) for k, v in kw.items()}


def _with(kw, **new):
    return {**kw, **new}


ALWAYS = lambda info: True  # noqa: E731


def _has(key):
    return lambda info: key in info.context or key in info.policy


def _normalise_rows(p):
    return p / p.sum(axis=1, keepdims=True)


CASES = [
    (
        "nan_in_X",
        ALWAYS,
        lambda i, X, y, kw, d: (_set(X, (3, 1), np.nan), y, kw),
        "error_unless_nan",
        r"NaN|\bX\b",
    ),
    (
        "inf_in_X",
        ALWAYS,
        lambda i, X, y, kw, d: (_set(X, (3, 1), np.inf), y, kw),
        "error_unless_nan",
        r"infinity|NaN|\bX\b",
    ),
    (
        "empty_X",
        ALWAYS,
        lambda i, X, y, kw, d: (
            X[:0],
            None if y is None else y[:0],
            _rows(kw, slice(0, 0)),
        ),
        "error",
        r"0 sample|0 rows|\bempty\b|minimum|\bX\b",
    ),
    (
        "single_row",
        ALWAYS,
        lambda i, X, y, kw, d: (
            X[:1],
            None if y is None else y[:1],
            _rows(kw, slice(0, 1)),
        ),
        "any",
        r"sample|row|class|group|arm|treat|minimum|least",
    ),
    (
        "single_class",
        lambda info: info.classifier,
        lambda i, X, y, kw, d: (X, np.zeros_like(y), kw),
        "any",
        r"\bclass(es)?\b",
    ),
    (
        "y_wrong_length",
        lambda info: info.uses_y,
        lambda i, X, y, kw, d: (X, y[:-1], kw),
        "error",
        r"\by\b|inconsistent numbers of samples",
    ),
    (
        "string_labels",
        lambda info: info.classifier,
        lambda i, X, y, kw, d: (X, np.array(["no", "yes"])[y], kw),
        "any",
        r"\by\b|label|string|numeric",
    ),
    (
        "constant_column",
        ALWAYS,
        lambda i, X, y, kw, d: (_set(X, (slice(None), 1), 1.0), y, kw),
        "any",
        r"constant|\bX\b|singular",
    ),
    (
        "features_scaled_1e12",
        ALWAYS,
        lambda i, X, y, kw, d: (
            X * 1e12,
            y,
            _with(kw, X_target=kw["X_target"] * 1e12) if "X_target" in kw else kw,
        ),
        "any",
        r"scale|[Ss]tandardi[sz]e|overlap|\bX\b",
    ),
    # ---------------------------------------------------------- sample_weight
    (
        "sample_weight_wrong_length",
        lambda info: info.sample_weight,
        lambda i, X, y, kw, d: (X, y, _with(kw, sample_weight=np.ones(N - 1))),
        "error",
        r"sample_weight",
    ),
    (
        "negative_sample_weight",
        lambda info: info.sample_weight,
        lambda i, X, y, kw, d: (X, y, _with(kw, sample_weight=_set(np.ones(N), 5, -1))),
        "error",
        r"sample_weight|[Nn]egative",
    ),
    (
        "all_zero_sample_weight",
        lambda info: info.sample_weight,
        lambda i, X, y, kw, d: (X, y, _with(kw, sample_weight=np.zeros(N))),
        "error",
        r"sample_weight|zero",
    ),
    # --------------------------------------------------------------- X_target
    (
        "X_target_missing",
        _has("X_target"),
        lambda i, X, y, kw, d: (X, y, _with(kw, X_target=None)),
        "missing",
        r"X_target",
    ),
    (
        "nan_in_X_target",
        _has("X_target"),
        lambda i, X, y, kw, d: (
            X,
            y,
            _with(kw, X_target=_set(kw["X_target"], (2, 0), np.nan)),
        ),
        "error_unless_nan",
        r"X_target",
    ),
    (
        "inf_in_X_target",
        _has("X_target"),
        lambda i, X, y, kw, d: (
            X,
            y,
            _with(kw, X_target=_set(kw["X_target"], (2, 0), np.inf)),
        ),
        "error_unless_nan",
        r"X_target",
    ),
    (
        "X_target_other_columns",
        _has("X_target"),
        lambda i, X, y, kw, d: (X, y, _with(kw, X_target=kw["X_target"][:, :2])),
        "error",
        r"X_target",
    ),
    (
        "X_target_other_column_names",
        _has("X_target"),
        lambda i, X, y, kw, d: (
            pd.DataFrame(X, columns=["a", "b", "c"]),
            y,
            _with(kw, X_target=pd.DataFrame(kw["X_target"], columns=["a", "b", "d"])),
        ),
        "error",
        r"X_target|feature names",
    ),
    (
        "X_target_no_rows",
        _has("X_target"),
        lambda i, X, y, kw, d: (X, y, _with(kw, X_target=kw["X_target"][:0])),
        "error",
        r"X_target",
    ),
    (
        "X_target_nested_list",
        _has("X_target"),
        lambda i, X, y, kw, d: (X, y, _with(kw, X_target=kw["X_target"].tolist())),
        "valid",
        r"X_target",
    ),
    (
        "X_target_far_from_X",
        _has("X_target"),
        lambda i, X, y, kw, d: (X, y, _with(kw, X_target=kw["X_target"] + 50.0)),
        "warn",
        r"X_target|overlap|support|zero weight",
    ),
    # -------------------------------------------------------------- treatment
    (
        "treatment_missing",
        _has("treatment"),
        lambda i, X, y, kw, d: (X, y, _with(kw, treatment=None)),
        "error",
        r"treatment",
    ),
    (
        "treatment_wrong_length",
        _has("treatment"),
        lambda i, X, y, kw, d: (X, y, _with(kw, treatment=kw["treatment"][:-1])),
        "error",
        r"treatment",
    ),
    (
        "nan_in_treatment",
        _has("treatment"),
        lambda i, X, y, kw, d: (
            X,
            y,
            _with(kw, treatment=_set(kw["treatment"], 5, np.nan)),
        ),
        "error",
        r"treatment",
    ),
    (
        "single_treatment_arm",
        _has("treatment"),
        lambda i, X, y, kw, d: (X, y, _with(kw, treatment=np.ones(N))),
        "error",
        r"treat|arm|control",
    ),
    (
        "non_binary_treatment",
        _has("treatment"),
        lambda i, X, y, kw, d: (X, y, _with(kw, treatment=np.arange(N) % 3)),
        "error",
        r"treatment|binary",
    ),
    (
        "treatment_separates_X",
        _has("treatment"),
        lambda i, X, y, kw, d: (
            X + 50.0 * kw["treatment"][:, None],
            y,
            kw,
        ),
        "warn",
        r"treat|overlap|positivity|propensity|separat|support",
    ),
    # ----------------------------------------------------------- sample_group
    (
        "sample_group_missing",
        _has("sample_group"),
        lambda i, X, y, kw, d: (X, y, _with(kw, sample_group=None)),
        "missing",
        r"sample_group",
    ),
    (
        "sample_group_wrong_length",
        _has("sample_group"),
        lambda i, X, y, kw, d: (X, y, _with(kw, sample_group=kw["sample_group"][:-1])),
        "error",
        r"sample_group|group",
    ),
    (
        "nan_in_sample_group",
        _has("sample_group"),
        lambda i, X, y, kw, d: (
            X,
            y,
            _with(kw, sample_group=_set(kw["sample_group"], 5, np.nan)),
        ),
        "error",
        r"sample_group|group",
    ),
    (
        "single_group",
        _has("sample_group"),
        lambda i, X, y, kw, d: (X, y, _with(kw, sample_group=np.zeros(N, dtype=int))),
        "any",
        r"group",
    ),
    # ------------------------------------------------- action (logged bandit)
    (
        "action_missing",
        _has("action"),
        lambda i, X, y, kw, d: (X, y, _with(kw, action=None)),
        "error",
        r"action",
    ),
    (
        "action_wrong_length",
        _has("action"),
        lambda i, X, y, kw, d: (X, y, _with(kw, action=kw["action"][:-1])),
        "error",
        r"action",
    ),
    (
        "nan_in_action",
        _has("action"),
        lambda i, X, y, kw, d: (X, y, _with(kw, action=_set(kw["action"], 5, np.nan))),
        "error",
        r"action",
    ),
    (
        "single_action",
        _has("action"),
        lambda i, X, y, kw, d: (X, y, _with(kw, action=np.zeros(N, dtype=int))),
        "any",
        r"action|class",
    ),
    (
        "string_actions",
        _has("action"),
        # three labels, sorted in the order of the integer codes (the columns
        # of target_proba)
        lambda i, X, y, kw, d: (
            X,
            y,
            _with(kw, action=np.array(["bag", "hat", "shoes"])[kw["action"]]),
        ),
        "valid",
        r"action",
    ),
    (
        "action_outside_target_proba",
        _has("target_proba"),
        lambda i, X, y, kw, d: (
            X,
            y,
            _with(kw, action=_set(kw["action"], 5, N_ACTIONS).astype(int)),
        ),
        "error",
        r"action.*target_proba|target_proba.*action",
    ),
    (
        "target_proba_rows_not_summing_to_1",
        _has("target_proba"),
        lambda i, X, y, kw, d: (
            X,
            y,
            _with(kw, target_proba=_set(kw["target_proba"], 7, [0.5, 0.2, 0.1])),
        ),
        "error",
        r"target_proba.*sum",
    ),
    (
        "target_proba_other_rows",
        _has("target_proba"),
        lambda i, X, y, kw, d: (X, y, _with(kw, target_proba=kw["target_proba"][:-1])),
        "error",
        r"target_proba",
    ),
    (
        "negative_target_proba",
        _has("target_proba"),
        lambda i, X, y, kw, d: (
            X,
            y,
            _with(
                kw,
                target_proba=_set(kw["target_proba"], (7, slice(None)), [1.5, -0.5, 0]),
            ),
        ),
        "error",
        r"target_proba.*negative",
    ),
    (
        "zero_logging_propensity",
        _has("logging_proba"),
        lambda i, X, y, kw, d: (
            X,
            y,
            _with(kw, logging_proba=_set(kw["logging_proba"], 5, 0.0)),
        ),
        "error",
        r"logging_proba.*(propensity|positive)",
    ),
    (
        "logging_proba_wrong_length",
        _has("logging_proba"),
        lambda i, X, y, kw, d: (
            X,
            y,
            _with(kw, logging_proba=kw["logging_proba"][:-1]),
        ),
        "error",
        r"logging_proba",
    ),
    (
        "tiny_logging_propensity",
        _has("logging_proba"),
        lambda i, X, y, kw, d: (
            X,
            y,
            _with(kw, logging_proba=_set(kw["logging_proba"], 5, 1e-6)),
        ),
        "warn",
        r"logging_proba|propensity",
    ),
]

# the cases also run at the estimators' default settings (where they differ)
DEFAULT_CASES = {
    "nan_in_X",
    "X_target_missing",
    "X_target_far_from_X",
    "treatment_separates_X",
    "sample_group_missing",
    "features_scaled_1e12",
}


def _outputs(est, X):
    """Every numeric output of a fitted estimator, by name."""
    out = {}
    for attr in OUTPUT_ATTRIBUTES:
        value = getattr(est, attr, None)
        if value is not None and np.asarray(value).dtype.kind in "fi":
            out[attr] = np.asarray(value, dtype=float)
    for method in OUTPUT_METHODS:
        if hasattr(est, method):
            try:
                value = getattr(est, method)(X)
            except NotImplementedError:
                continue
            if hasattr(value, "toarray"):
                value = value.toarray()
            value = np.asarray(value)
            if value.dtype.kind in "fi":
                out[method] = value.astype(float)
    return out


def _run(est, X, y, kw):
    """Fit and read the outputs; return (outcome, detail, warnings)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            est.fit(X, y, **kw)
            outputs = _outputs(est, X)
        except (ValueError, TypeError) as exc:
            return "raised", exc, caught
        except Exception as exc:  # noqa: BLE001 - any other type is unclear
            return "other", exc, caught
    return "fit", outputs, caught


# (estimator, case) pairs where the case has no meaning, with the reason
NOT_APPLICABLE = {
    ("FitOnSourceAndTarget", "X_target_far_from_X"): (
        "it fits a transformer on the union of X and X_target and makes no "
        "weights: distant sets are valid input"
    ),
}


def _params():
    for label, info in INSTANCES:
        default = label.endswith("-default")
        for case in CASES:
            if (info.name, case[0]) in NOT_APPLICABLE:
                continue
            if case[1](info) and (not default or case[0] in DEFAULT_CASES):
                yield pytest.param(info, case, id=f"{label}-{case[0]}")


# sklearn's common checks need meta-estimators to fall back quietly; the table
# judges the estimators as users meet them
@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("info, case", list(_params()))
def test_bad_input(info, case):
    name, _, make, kind, pattern = case
    d = _data()
    X, y, kw = _inputs(info, d)
    X, y, kw = make(info, X, y, dict(kw), d)
    est = clone(info.estimator)
    outcome, detail, caught = _run(est, X, y, kw)
    categories = [w.category for w in caught]
    where = f"{info.name} on {name}"
    if outcome == "other":
        pytest.fail(f"unclear: {where} raised {type(detail).__name__}: {detail}")
    if outcome == "raised":
        message = str(detail)
        assert re.search(pattern, message), (
            f"unclear: {where} raised {type(detail).__name__} whose message does "
            f"not name the argument or problem ({pattern!r}): {message}"
        )
        assert kind != "valid", f"{where} rejected valid input: {message}"
        if kind == "missing":
            pytest.fail(f"{where}: raised instead of falling back: {message}")
        return
    nonfinite = [k for k, v in detail.items() if not np.all(np.isfinite(v))]
    nan_in = info.allow_nan and not np.all(np.isfinite(np.asarray(X, dtype=float)))
    if nonfinite and not caught and not nan_in:  # NaN in, NaN out is allowed
        pytest.fail(f"silent: {where} returned non-finite {nonfinite}, no warning")
    if kind == "error" or (kind == "error_unless_nan" and not info.allow_nan):
        pytest.fail(f"silent: {where} accepted invalid input without an error")
    _check_compute_weights_contract(info, est, X, y, kw, where)
    if kind == "missing":
        assert MissingContextWarning in categories, (
            f"silent: {where} fell back without a MissingContextWarning"
        )
        assert categories.count(MissingContextWarning) == 1, (
            f"{where}: {categories.count(MissingContextWarning)} "
            "MissingContextWarnings in one fit; one is enough"
        )
    if kind == "warn":
        assert any(issubclass(c, UserWarning) for c in categories), (
            f"silent: {where} fitted without a warning"
        )


def _check_compute_weights_contract(info, est, X, y, kw, where):
    """``compute_weights`` on the training rows gives ``weights_``, whatever
    the data (the rule that a silent all-zero ratio used to break)."""
    if not is_weighter(est) or not get_tags(est).weighter_tags.out_of_sample:
        return
    new = {k: v for k, v in kw.items() if k in ("treatment", "sample_group", "action")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = est.compute_weights(X, y, **new)
    assert_allclose(again, est.weights_, rtol=1e-6, err_msg=where)


# ------------------------------------------------------- per-estimator rules
def _fast_instances():
    return [
        pytest.param(info, id=label) for label, info in INSTANCES if "-fast" in label
    ]


def _copy(value):
    return value.copy() if hasattr(value, "copy") else value


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("info", _fast_instances())
def test_inputs_not_mutated_pickle_and_seed(info):
    d = _data(1)
    X, y, kw = _inputs(info, d)
    if info.sample_weight:
        kw["sample_weight"] = np.linspace(0.5, 1.5, N)
    copies = (X.copy(), _copy(y), {k: _copy(v) for k, v in kw.items()})
    est = clone(info.estimator)
    if "random_state" in est.get_params():
        est.set_params(random_state=0)
    est.fit(X, y, **kw)
    a = _outputs(est, X)
    # inputs are not mutated
    assert_array_equal(X, copies[0])
    if y is not None:
        assert_array_equal(y, copies[1])
    for k, v in kw.items():
        assert_array_equal(v, copies[2][k], err_msg=f"{info.name} mutated {k}")
    assert a, f"{info.name} exposes no output to check"
    for k, v in a.items():
        assert np.all(np.isfinite(v)), f"{info.name}.{k} is not finite on clean data"
    # a pickle round trip gives identical outputs
    back = _outputs(pickle.loads(pickle.dumps(est)), X)
    for k in a:
        assert_array_equal(back[k], a[k], err_msg=f"{info.name}.{k} after pickle")
    # two fits with the same random_state agree
    again = clone(est).fit(X, y, **kw)
    b = _outputs(again, X)
    for k in a:
        assert_allclose(b[k], a[k], rtol=1e-7, atol=1e-10, err_msg=f"{info.name}.{k}")


def test_every_public_estimator_declares_its_context():
    names = {name for name, _ in all_estimators()}
    missing = sorted(names - set(CONTEXT))
    assert not missing, (
        f"{missing} have no CONTEXT entry in tests/_test_common.py: "
        'add CONTEXT["Name"] = ("X_target",) (or ("treatment",), ("sample_group",), '
        '("action",), ()) in your family\'s section.'
    )
    allowed = {"X_target", "treatment", "sample_group", "action"}
    for name in names:
        assert set(CONTEXT[name]) <= allowed, name


def test_one_label_after_sample_weight_trimming_names_the_class():
    from sklearn.linear_model import LogisticRegression

    from skreweight.compose import ReweightedClassifier
    from skreweight.weighting import ClassBalance

    check_classifiers_one_label_sample_weights(
        "ReweightedClassifier",
        ReweightedClassifier(ClassBalance(), LogisticRegression()),
    )


def test_missing_context_warning_once_per_fit_and_names_the_routes():
    from sklearn.linear_model import LogisticRegression

    from skreweight.compose import ReweightedClassifier
    from skreweight.weighting import ClassifierDensityRatio

    d = _data()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ReweightedClassifier(ClassifierDensityRatio(), LogisticRegression()).fit(
            d["X"], d["y_class"]
        )
    missing = [w for w in caught if w.category is MissingContextWarning]
    assert len(missing) == 1
    message = str(missing[0].message)
    for part in (
        "X_target",
        "no shift",
        "fit(X, y, X_target=",
        "Pipeline",
        "GridSearchCV",
        "enable_metadata_routing",
        "(X_t,)",
    ):
        assert part in message, part


def test_X_target_as_long_as_X_warns_unless_a_tuple():
    from skreweight.weighting import ClassifierDensityRatio

    d = _data()
    X_t = d["X"] + 0.2
    with pytest.warns(UserWarning, match=r"as many rows as X.*\(X_t,\)"):
        ClassifierDensityRatio().fit(d["X"], X_target=X_t)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ClassifierDensityRatio().fit(d["X"], X_target=(X_t,))


def test_estimand_replacement_warns():
    from skreweight.causal import WeightingEstimator
    from skreweight.weighting import EntropyBalancing

    d = _data()
    est = WeightingEstimator(EntropyBalancing(estimand="ATC"), estimand="ATT")
    with pytest.warns(UserWarning, match="replaces the weighter's own estimand='ATC'"):
        est.fit(d["X"], d["y_reg"], treatment=d["treatment"])
    assert est.estimand_ == "ATT"


def test_causal_weighters_share_one_default_estimand():
    import inspect

    from skreweight.neural import NeuralIPMBalancing
    from skreweight.weighting import (
        CBPS,
        EntropyBalancing,
        IPMBalancing,
        PropensityWeighting,
    )

    defaults = {
        cls.__name__: inspect.signature(cls).parameters["estimand"].default
        for cls in (
            CBPS,
            EntropyBalancing,
            IPMBalancing,
            PropensityWeighting,
            NeuralIPMBalancing,
        )
    }
    assert set(defaults.values()) == {"ATE"}, defaults
