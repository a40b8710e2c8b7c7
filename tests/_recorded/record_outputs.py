"""Record the outputs of every public estimator on fixed data.

Run ``python tests/_recorded/record_outputs.py`` to (re)write ``outputs.npz``
beside this file; ``tests/test_recorded_outputs.py`` recomputes the same
outputs and asserts they match. Record before a refactor, assert after: a
refactor that is meant to keep behaviour must not change a number.

Each estimator is built as the common tests build it (``INIT_PARAMS``), with
the public class in place of a test-only shim and ``random_state=0``, fitted
on small fixed data with the context its ``fit`` takes, and every numeric
fitted attribute (name ending in ``_``) and the output of ``predict``,
``predict_proba``, ``decision_function``, ``compute_weights``, ``transform``,
``score`` and the effect methods are recorded. A method that raises records
the exception's type.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import inspect
import sys
import warnings
from numbers import Number
from pathlib import Path

import numpy as np

PATH = Path(__file__).with_name("outputs.npz")
# the common tests' instances (tests/_test_common.py), when run as a script
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

_METHODS = (
    "predict",
    "predict_proba",
    "decision_function",
    "transform",
    "compute_weights",
    "score",
    "effect",
    "predict_interval",
    "conf_int",
)


def make_data():
    """Small fixed data: covariates, labels, outcomes and every context."""
    rng = np.random.RandomState(0)
    n, d = 60, 3
    X = rng.normal(size=(n, d))
    X_new = rng.normal(size=(20, d))
    X_target = rng.normal(loc=0.5, size=(40, d))
    logit = X @ np.array([1.0, -0.5, 0.25])
    y_clf = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    y_reg = X @ np.array([0.5, 1.0, -1.0]) + rng.normal(scale=0.5, size=n)
    treatment = (rng.uniform(size=n) < 1 / (1 + np.exp(-0.5 * X[:, 0]))).astype(int)
    sample_group = (X[:, 1] > 0).astype(int)
    y_target = (X_target[:, 0] > 0.5).astype(int)
    # a three-action log (softmax logging policy) and a target policy
    scores = X @ rng.normal(size=(d, 3))
    logging = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    action = np.array([rng.choice(3, p=row) for row in logging])
    target_proba = np.exp(-scores) / np.exp(-scores).sum(axis=1, keepdims=True)
    target_group = (X_target[:, 1] > 0.5).astype(int)
    return dict(
        y_target=y_target,
        target_group=target_group,
        X=X,
        X_new=X_new,
        X_target=X_target,
        y_clf=y_clf,
        y_reg=y_reg + treatment * (1.0 + X[:, 0]),
        treatment=treatment,
        sample_group=sample_group,
        action=action,
        target_proba=target_proba,
        logging_proba=logging[np.arange(n), action],
    )


# estimators that gained random_state after the recording: their default
# (None) reproduces what was recorded, so it is not seeded here
_SEEDED_LATER = {"JTTClassifier", "LogitAdjustedClassifier", "PRESTOClassifier"}


def _public_class(cls):
    for klass in cls.__mro__:
        if not klass.__name__.startswith("_"):
            return klass
    return cls


def _instances():
    from sklearn.base import clone

    from skreweight.utils.discovery import all_estimators

    from _test_common import INIT_PARAMS

    for name, cls in all_estimators():
        made = INIT_PARAMS[name]() if name in INIT_PARAMS else [cls()]
        for i, est in enumerate(made):
            public = _public_class(type(est))
            params = est.get_params(deep=False)
            est = public(**{k: clone(v, safe=False) for k, v in params.items()})
            seed = name not in _SEEDED_LATER and "random_state" in est.get_params()
            if seed and est.random_state is None:
                est.set_params(random_state=0)
            yield f"{name}-{i}", est


def _as_array(value):
    if isinstance(value, (bool, np.bool_, Number, np.number)):
        return np.asarray(value, dtype=float)
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return value.astype(float)
    if isinstance(value, (tuple, list)) and value:
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            return None
        return arr
    return None


_CONTEXT_KEYS = (
    "X_target",
    "y_target",
    "target_group",
    "treatment",
    "sample_group",
    "action",
    "target_proba",
    "logging_proba",
)


def _context(est, data):
    params = set(inspect.signature(est.fit).parameters)
    params |= set(getattr(est, "_context", ()))
    return {k: data[k] for k in _CONTEXT_KEYS if k in params}


def _y_for(est, data):
    from sklearn.base import is_regressor

    if is_regressor(est) or "treatment" in inspect.signature(est.fit).parameters:
        return data["y_reg"]
    return data["y_clf"]


def _record_one(key, est, data, out):
    y = _y_for(est, data)
    ctx = _context(est, data)
    try:
        est.fit(data["X"], y, **ctx)
    except Exception as exc:  # noqa: BLE001 - recorded
        out[f"{key}/fit"] = np.asarray(f"error:{type(exc).__name__}")
        return
    for attr, value in sorted(vars(est).items()):
        if attr.endswith("_") and not attr.startswith("_"):
            arr = _as_array(value)
            if arr is not None:
                out[f"{key}/{attr}"] = arr
    for method in _METHODS:
        if not hasattr(est, method):
            continue
        fn = getattr(est, method)
        sig = inspect.signature(fn).parameters
        call_ctx = {k: v for k, v in ctx.items() if k in sig and k != "X_target"}
        if "X_target" in sig and method != "compute_weights":
            call_ctx["X_target"] = data["X_target"]
        args = []
        if method not in ("effect", "conf_int") or "X" in sig:
            args.append(
                data["X"] if method in ("score", "compute_weights") else data["X_new"]
            )
        if method == "score" or (method == "compute_weights" and "y" in sig):
            args.append(y)
        if method == "compute_weights":
            call_ctx = {k: v for k, v in ctx.items() if k != "X_target"}
        try:
            value = fn(*args, **call_ctx)
        except Exception as exc:  # noqa: BLE001 - recorded
            out[f"{key}/{method}"] = np.asarray(f"error:{type(exc).__name__}")
            continue
        arr = _as_array(value)
        if arr is None and isinstance(value, tuple):
            for j, part in enumerate(value):
                part = _as_array(part)
                if part is not None:
                    out[f"{key}/{method}/{j}"] = part
        elif arr is not None:
            out[f"{key}/{method}"] = arr


def _record_functions(data, out):
    from sklearn.linear_model import LinearRegression, LogisticRegression

    from skreweight.causal import cross_fit_nuisances

    res = cross_fit_nuisances(
        data["X"],
        data["y_reg"],
        data["treatment"],
        model_y=LinearRegression(),
        model_t=LogisticRegression(),
        cv=3,
        random_state=0,
    )
    for j, part in enumerate(res if isinstance(res, tuple) else (res,)):
        arr = _as_array(part)
        if arr is not None:
            out[f"cross_fit_nuisances/{j}"] = arr


def collect():
    """Return ``{key: array}`` of every recorded output."""
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    data = make_data()
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key, est in _instances():
            _record_one(key, est, data, out)
        _record_functions(data, out)
    return out


if __name__ == "__main__":
    outputs = collect()
    np.savez_compressed(PATH, **outputs)
    print(f"{len(outputs)} outputs written to {PATH}")
