"""Validation and nuisance fitting shared by the off-policy estimators."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings
from numbers import Integral

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.model_selection import KFold, StratifiedKFold, check_cv
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ..base import is_weighter
from ..exceptions import WeightDegeneracyWarning

#: a logging propensity below this value is "near zero": the estimators warn
#: (:class:`~skreweight.exceptions.WeightDegeneracyWarning`)
MIN_PROPENSITY = 1e-3


def missing_action(owner):
    return ValueError(
        f"{owner} requires `action`: pass fit(X, y, action=a) with the logged "
        "action of each row. With metadata routing enabled, make sure it is "
        "requested and routed."
    )


def check_action(action, n_samples, owner):
    """1-D array of logged actions, one per row (labels of any kind)."""
    if action is None:
        raise missing_action(owner)
    a = np.asarray(action)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a.ravel()
    if a.ndim != 1 or a.shape[0] != n_samples:
        raise ValueError(
            f"{owner}: action has shape {np.shape(action)} but X has {n_samples} "
            "rows; pass one logged action per row."
        )
    if a.dtype.kind in "fc" and not np.all(np.isfinite(a)):
        raise ValueError(f"{owner}: action contains NaN or infinity.")
    return a


def is_policy(obj):
    """Whether ``obj`` is an estimator (a fitted policy) rather than an array."""
    return hasattr(obj, "predict") and hasattr(obj, "fit")


def code_actions(a, n_columns, owner, labels=None):
    """Column index of each logged action, and the action label of each column.

    Integer actions in ``[0, n_columns)`` index the columns directly (the
    convention of Open Bandit Pipeline); otherwise the sorted distinct logged
    actions label the columns and must be exactly ``n_columns`` of them.
    """
    if labels is not None:
        codes = np.searchsorted(labels, a)
        codes = np.clip(codes, 0, len(labels) - 1)
        bad = labels[codes] != a
        if np.any(bad):
            raise ValueError(
                f"{owner}: action values {np.unique(a[bad])[:5].tolist()} are not "
                f"among the policy's actions {labels[:10].tolist()}."
            )
        return codes, labels
    if a.dtype.kind in "iub" or (a.dtype.kind == "f" and np.all(a == np.round(a))):
        ai = a.astype(np.int64, copy=False)
        if ai.min() >= 0 and ai.max() < n_columns:
            return ai, np.arange(n_columns)
        raise ValueError(
            f"{owner}: action takes values in [{ai.min()}, {ai.max()}] but "
            f"target_proba has {n_columns} columns (actions 0..{n_columns - 1}); "
            "every logged action must be a column of target_proba."
        )
    labels = np.unique(a)
    if labels.shape[0] != n_columns:
        raise ValueError(
            f"{owner}: the {labels.shape[0]} distinct logged actions do not match "
            f"the {n_columns} columns of target_proba; code actions as integers "
            "0..n_actions-1 (the column of target_proba)."
        )
    return np.searchsorted(labels, a), labels


def policy_proba(policy, X, a, owner):
    """Action probabilities of a fitted classifier used as a policy.

    The classifier's ``predict`` is the action the policy takes (a
    deterministic policy). Returns ``(proba, codes, labels)``.
    """
    check_is_fitted(policy)
    pred = np.asarray(policy.predict(X))
    classes = getattr(policy, "classes_", np.unique(pred))
    labels = np.union1d(np.asarray(classes), np.unique(a))
    codes, labels = code_actions(a, len(labels), owner, labels=labels)
    pi = np.zeros((X.shape[0], labels.shape[0]))
    pi[np.arange(X.shape[0]), np.searchsorted(labels, pred)] = 1.0
    return pi, codes, labels


def _all_finite(A):
    """``np.isfinite(A).all()`` at the cost of a min and a max (NaN wins both)."""
    return bool(np.isfinite(A.min()) and np.isfinite(A.max()))


def validate_log(estimator, X, y):
    """``validate_data(X, y, y_numeric=True, dtype=float64)``, fast for arrays.

    A float64 2-D ``X`` and a numeric 1-D ``y`` already satisfy every check
    of :func:`~sklearn.utils.validation.validate_data` except finiteness,
    which is tested by two reductions; the feature count is then recorded
    as ``validate_data(reset=True)`` records it for an array (which has no
    feature names). Anything else (lists, frames,
    other dtypes, empty arrays, bad values) takes the full validation, whose
    errors and warnings are unchanged.
    """
    fast = (
        type(X) is np.ndarray
        and X.dtype == np.float64
        and X.ndim == 2
        and X.shape[0] >= 1
        and X.shape[1] >= 1
        and type(y) is np.ndarray
        and y.dtype.kind in "biuf"
        and y.shape == (X.shape[0],)
        and _all_finite(X)
        and (y.dtype.kind != "f" or _all_finite(y))
    )
    if fast:
        estimator.n_features_in_ = X.shape[1]
        if hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
    else:
        X, y = validate_data(estimator, X, y, y_numeric=True, dtype=np.float64)
    return X, np.asarray(y, dtype=np.float64)


def check_target_proba(target_proba, n_samples, owner):
    """The evaluation policy's ``(n, n_actions)`` probabilities, and row sums."""
    if target_proba is None:
        raise ValueError(
            f"{owner} requires `target_proba`: the evaluation policy's action "
            "probabilities on the logged rows, shape (n_samples, n_actions), or a "
            "fitted classifier whose predict is the policy's action."
        )
    pi = np.asarray(target_proba, dtype=np.float64)
    if pi.ndim != 2:
        raise ValueError(
            f"{owner}: target_proba must be 2-D (n_samples, n_actions); got shape "
            f"{pi.shape}."
        )
    if pi.shape[0] != n_samples:
        raise ValueError(
            f"{owner}: target_proba has {pi.shape[0]} rows but X has {n_samples}; "
            "give the policy's action probabilities on each logged row."
        )
    # one product and two reductions; NaN fails both comparisons
    sums = pi @ np.ones(pi.shape[1])
    if pi.min() >= 0 and np.max(np.abs(sums - 1.0)) <= 1e-6:
        return pi, sums
    if not np.all(np.isfinite(pi)):
        raise ValueError(f"{owner}: target_proba contains NaN or infinity.")
    if np.any(pi < 0):
        raise ValueError(f"{owner}: target_proba has negative probabilities.")
    i = int(np.argmax(np.abs(sums - 1)))
    raise ValueError(
        f"{owner}: the rows of target_proba must sum to 1 (row {i} sums to "
        f"{sums[i]:.6g}); pass a probability distribution over actions."
    )


def check_estimated_rewards(estimated_rewards, n_samples, n_actions, owner):
    """Precomputed ``q_hat(x_i, a)``, shape ``(n_samples, n_actions)``."""
    q = np.asarray(estimated_rewards, dtype=np.float64)
    if q.shape != (n_samples, n_actions):
        raise ValueError(
            f"{owner}: estimated_rewards has shape {q.shape}; expected "
            f"({n_samples}, {n_actions}), the estimated reward of every action "
            "(a column of target_proba) on every logged row."
        )
    if not _all_finite(q):
        raise ValueError(f"{owner}: estimated_rewards contains NaN or infinity.")
    return q


def check_logging_proba(logging_proba, codes, owner):
    """Logging propensity of each logged action, in (0, 1]."""
    n = codes.shape[0]
    p = np.asarray(logging_proba, dtype=np.float64)
    if p.ndim == 2:
        if p.shape[0] != n or p.shape[1] <= codes.max():
            raise ValueError(
                f"{owner}: logging_proba of shape {p.shape} does not cover the "
                f"{n} rows and their actions."
            )
        p = p[np.arange(n), codes]
    if p.ndim != 1 or p.shape[0] != n:
        raise ValueError(
            f"{owner}: logging_proba has shape {np.shape(logging_proba)} but X has "
            f"{n} rows; pass the logging propensity of each logged action."
        )
    if p.min() > 0 and p.max() <= 1 + 1e-12:  # NaN fails both
        return p
    if not np.all(np.isfinite(p)):
        raise ValueError(f"{owner}: logging_proba contains NaN or infinity.")
    if np.any(p <= 0):
        i = int(np.flatnonzero(p <= 0)[0])
        raise ValueError(
            f"{owner}: logging_proba is {p[i]:.3g} for the logged action of row "
            f"{i}; a logged action must have positive logging propensity (the "
            "log or the propensities are corrupt)."
        )
    raise ValueError(f"{owner}: logging_proba has values above 1.")


def warn_small_propensity(p, owner, threshold=MIN_PROPENSITY):
    if p.min() < threshold:
        small = p < threshold
        warnings.warn(
            f"{owner}: {int(small.sum())} logged action(s) have propensity below "
            f"{threshold:g} (smallest {p.min():.3g}); their importance weights "
            "dominate the estimate. Clip the weights (threshold), use a "
            "self-normalised or doubly robust method, or check the log.",
            WeightDegeneracyWarning,
            stacklevel=3,
        )


def folds(cv, n, y_strata, random_state, stratify):
    """Train/test index pairs of a cross-fitting, or one in-sample pair."""
    if cv is None:
        idx = np.arange(n)
        return [(idx, idx)]
    if isinstance(cv, Integral):
        rng = check_random_state(random_state)
        seed = rng.randint(np.iinfo(np.int32).max)
        if stratify:
            _, counts = np.unique(y_strata, return_counts=True)
            if counts.min() >= cv:
                cv = StratifiedKFold(cv, shuffle=True, random_state=seed)
            else:
                cv = KFold(cv, shuffle=True, random_state=seed)
        else:
            cv = KFold(cv, shuffle=True, random_state=seed)
    cv = check_cv(cv)
    out = [
        (np.asarray(tr), np.asarray(te))
        for tr, te in cv.split(np.zeros((n, 1)), y_strata)
    ]
    covered = np.zeros(n, dtype=int)
    for _, te in out:
        covered[te] += 1
    if not np.all(covered == 1):
        raise ValueError(
            "cv must partition the rows: every row in exactly one test fold."
        )
    return out


def _fit(model, X, y, s):
    if s is None:
        return model.fit(X, y)
    return model.fit(X, y, sample_weight=s)


def _predict_reward(model, Z):
    if is_classifier(model):
        proba = model.predict_proba(Z)
        classes = list(model.classes_)
        if 1 in classes:
            return proba[:, classes.index(1)]
        if True in classes:
            return proba[:, classes.index(True)]
        return np.zeros(Z.shape[0])
    return np.asarray(model.predict(Z), dtype=np.float64)


def fit_reward_model(model, X, y, codes, n_actions, s, fold_pairs):
    """Cross-fitted ``q(x_i, a)`` for every row and action, and the models."""
    n, d = X.shape
    q = np.empty((n, n_actions))
    Z = np.zeros((n, d + n_actions))
    Z[:, :d] = X
    Z[np.arange(n), d + codes] = 1.0
    models = []
    for train, test in fold_pairs:
        everything = np.arange(n)
        in_sample = np.array_equal(train, everything) and np.array_equal(
            test, everything
        )
        Zt = Z if in_sample else Z[train]
        yt, st = (y, s) if in_sample else (y[train], None if s is None else s[train])
        m = _fit(clone(model), Zt, yt, st)
        models.append(m)
        Zk = np.zeros((test.shape[0], d + n_actions))
        Zk[:, :d] = X if in_sample else X[test]
        for k in range(n_actions):
            Zk[:, d:] = 0.0
            Zk[:, d + k] = 1.0
            if in_sample:
                q[:, k] = _predict_reward(m, Zk)
            else:
                q[test, k] = _predict_reward(m, Zk)
    return q, models


def fit_propensity(model, X, codes, n_actions, s, fold_pairs, owner):
    """Estimated logging propensity of each logged action, and the models.

    ``model`` is a probabilistic classifier (cross-fitted) or a weighter
    taking ``action`` (a balancing propensity, fit once on all rows).
    """
    n = X.shape[0]
    if is_weighter(model):
        w = clone(model).fit(X, action=codes, sample_weight=s)
        return w.propensities_, [w]
    if not hasattr(model, "predict_proba"):
        raise TypeError(
            f"{owner}: propensity_model must be a probabilistic classifier (with "
            f"predict_proba) or a balancing weighter; got {type(model).__name__}."
        )
    p = np.empty(n)
    models = []
    for train, test in fold_pairs:
        m = _fit(clone(model), X[train], codes[train], None if s is None else s[train])
        models.append(m)
        proba = m.predict_proba(X[test])
        classes = np.asarray(m.classes_)
        col = np.searchsorted(classes, codes[test])
        col = np.clip(col, 0, len(classes) - 1)
        seen = classes[col] == codes[test]
        p[test] = np.where(seen, proba[np.arange(test.shape[0]), col], 0.0)
    if np.any(p <= 0):
        raise ValueError(
            f"{owner}: the propensity model gives probability 0 to the logged "
            f"action of {int(np.sum(p <= 0))} row(s) (an action absent from a "
            "cross-fitting fold, or a degenerate model); use fewer folds (cv) or "
            "pass logging_proba."
        )
    return p, models
