"""Cross-fitting: the folds, their checks, and the per-arm fold loop.

The loop over folds is written by hand (``check_cv`` splits, ``clone(m).fit``)
rather than delegated to ``cross_val_predict``: the latter is a metadata
router and breaks inside ``fit`` once the user enables metadata routing.
Shared by the CATE learners (``causal/_cross_fit.py``) and
:class:`~skreweight.causal.WeightingEstimator`.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numbers

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import KFold, StratifiedKFold, check_cv
from sklearn.utils import check_consistent_length

from ..utils.validation import check_sample_weight

_ARM_NAMES = {0.0: "control", 1.0: "treated"}


def get_splits(cv, X, treatment, *, stratify, random_state):
    """Materialise the folds; an int means shuffled (stratified) K-fold.

    ``random_state`` seeds the shuffle of an int ``cv``; a splitter or an
    iterable of ``(train, test)`` pairs is used as given.
    """
    if isinstance(cv, numbers.Integral):
        if cv < 2:
            raise ValueError(f"cv must be at least 2 for cross-fitting, got {cv}.")
        splitter = StratifiedKFold if stratify else KFold
        cv = splitter(n_splits=cv, shuffle=True, random_state=random_state)
    cv = check_cv(cv, treatment, classifier=stratify)
    return [(np.asarray(a), np.asarray(b)) for a, b in cv.split(X, treatment)]


def seeded_cv(cv, y, *, classifier, random_state):
    """``check_cv``, with an int ``cv`` shuffled by ``random_state`` when given.

    With ``random_state=None`` this is scikit-learn's ``check_cv`` (unshuffled
    folds, deterministic); with a seed an int ``cv`` becomes a shuffled
    (stratified, for a classifier) K-fold seeded by it.
    """
    if isinstance(cv, numbers.Integral) and random_state is not None:
        splitter = StratifiedKFold if classifier else KFold
        return splitter(n_splits=cv, shuffle=True, random_state=random_state)
    return check_cv(cv, y, classifier=classifier)


def test_fold_counts(splits, n):
    """How many test folds hold each of the ``n`` rows."""
    counts = np.zeros(n, dtype=int)
    for _, test in splits:
        counts[test] += 1
    return counts


def check_partition(splits, n):
    """Raise unless every row is in exactly one test fold."""
    if not np.all(test_fold_counts(splits, n) == 1):
        raise ValueError(
            "cv must partition the rows: every row in exactly one test fold "
            "(got a splitter whose test folds overlap or miss rows)."
        )


def fit_weighted(model, X, y, sample_weight):
    """``model.fit(X, y)``, with ``sample_weight`` when there is one."""
    if sample_weight is None:
        return model.fit(X, y)
    return model.fit(X, y, sample_weight=sample_weight)


def fit_per_arm(model, X, y, t, train, test, *, sample_weight=None, arms=(0.0, 1.0)):
    """Fit a clone of ``model`` on each arm's ``train`` rows; predict on ``test``.

    Returns the list of fitted models and the list of their predictions on
    ``X[test]``, in the order of ``arms``. Raises when an arm has no row in
    ``train``.
    """
    models, predictions = [], []
    for arm in arms:
        rows = train[t[train] == arm]
        if rows.shape[0] == 0:
            raise ValueError(
                f"A cross-fitting fold has no {_ARM_NAMES.get(float(arm), arm)} "
                "rows to fit the outcome model on: use fewer folds (cv) or a "
                "splitter stratified by treatment."
            )
        sw = None if sample_weight is None else sample_weight[rows]
        fitted = fit_weighted(clone(model), X[rows], y[rows], sw)
        models.append(fitted)
        predictions.append(fitted.predict(X[test]))
    return models, predictions


def _as_1d(a, name):
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr.ravel()
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1D, got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinity.")
    return arr


def r_loss_value(y_true, tau_pred, *, treatment, m_hat, e_hat, sample_weight=None):
    """The R-loss of Nie and Wager, validated: the body of ``r_loss``.

    ``sum_i w_i ((y_i - m_i) - (t_i - e_i) tau_i)^2 / sum_i w_i``; used by
    :func:`skreweight.model_selection.r_loss` and ``RLearner.score``.
    """
    arrays = [
        _as_1d(a, name)
        for a, name in (
            (y_true, "y_true"),
            (tau_pred, "tau_pred"),
            (treatment, "treatment"),
            (m_hat, "m_hat"),
            (e_hat, "e_hat"),
        )
    ]
    check_consistent_length(*arrays)
    y, tau, t, m, e = arrays
    sw = check_sample_weight(sample_weight, y)
    resid = (y - m) - (t - e) * tau
    return float(np.average(resid**2, weights=sw))
