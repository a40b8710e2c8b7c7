"""Cross-fitted nuisance models for effect estimation.

The loop over folds is written by hand (``check_cv`` splits, ``clone(m).fit``)
rather than delegated to ``cross_val_predict``: the latter is a metadata
router and breaks inside ``fit`` once the user enables metadata routing. Each
fold is one joblib task, so ``n_jobs`` and ``joblib.parallel_backend("dask")``
scale the work out.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from joblib import delayed
from sklearn.base import clone, is_classifier
from sklearn.utils import Bunch, check_array
from sklearn.utils.validation import has_fit_parameter

from .._core.crossfit import (
    fit_per_arm,
    fit_weighted,
    get_splits,
    test_fold_counts,
)
from ..utils._progress import progress_parallel, track
from ..utils.validation import check_sample_weight, check_treatment

__all__ = ["cross_fit_nuisances"]


def _propensity(model, X):
    """P(T = 1 | X) from a classifier, E[T | X] from a regressor."""
    if is_classifier(model):
        classes = list(model.classes_)
        return model.predict_proba(X)[:, classes.index(1.0)]
    return model.predict(X)


def _check_fold_arms(treatment, train, fold):
    arms = np.unique(treatment[train])
    if arms.shape[0] < 2:
        raise ValueError(
            f"The training part of cross-fitting fold {fold} contains only "
            f"treatment={arms.tolist()}: no model of the other arm can be fitted. "
            "Use fewer folds (cv), a stratified splitter, or more data."
        )


def _fit_fold(fold, train, test, X, y, t, sw, models, *, discrete, arms, marginal):
    """Fit the nuisance models on ``train`` and predict them on ``test``."""
    model_y, model_t = models
    sw_tr = None if sw is None else sw[train]
    out = Bunch(test=test, model_y=None, model_t=None, model_arms=None)
    if discrete:
        _check_fold_arms(t, train, fold)
    out.model_t = fit_weighted(clone(model_t), X[train], t[train], sw_tr)
    out.e = _propensity(out.model_t, X[test])
    if marginal:
        out.model_y = fit_weighted(clone(model_y), X[train], y[train], sw_tr)
        out.m = out.model_y.predict(X[test])
    if arms:
        out.model_arms, out.mu = fit_per_arm(
            model_y, X, y, t, train, test, sample_weight=sw
        )
    return out


def _cross_fit(
    X,
    y,
    t,
    model_y,
    model_t,
    splits,
    *,
    sample_weight=None,
    marginal=True,
    arms=False,
    n_jobs=None,
    verbose=0,
):
    """Out-of-fold nuisance predictions and the per-fold fitted models.

    Returns a Bunch with ``m`` (E[Y|X]), ``e`` (propensity, unclipped),
    ``mu0``/``mu1`` (per-arm outcomes, when ``arms``) and the lists of fitted
    models ``models_y``, ``models_t`` and ``models_arms``.
    """
    discrete = is_classifier(model_t)
    if sample_weight is not None:
        for name, model in (("model_y", model_y), ("model_t", model_t)):
            if not has_fit_parameter(model, "sample_weight"):
                raise TypeError(
                    f"{name}={type(model).__name__} does not accept sample_weight "
                    "in fit, so the nuisances cannot use the weights. Pick a model "
                    "that does, or drop sample_weight."
                )
    results = progress_parallel(n_jobs)(
        delayed(_fit_fold)(
            fold,
            train,
            test,
            X,
            y,
            t,
            sample_weight,
            (model_y, model_t),
            discrete=discrete,
            arms=arms,
            marginal=marginal,
        )
        for fold, (train, test) in enumerate(splits)
    )
    results = track(results, "cross-fitting", verbose, total=len(splits), unit="fold")
    n = X.shape[0]
    counts = test_fold_counts(splits, n)
    sums = {key: np.zeros(n) for key in ("m", "e", "mu0", "mu1")}
    for res in results:
        sums["e"][res.test] += res.e
        if marginal:
            sums["m"][res.test] += res.m
        if arms:
            sums["mu0"][res.test] += res.mu[0]
            sums["mu1"][res.test] += res.mu[1]
    if np.any(counts == 0):
        raise ValueError(
            f"The cross-fitting splits leave {int(np.sum(counts == 0))} row(s) out of "
            "every test fold, so they get no out-of-fold nuisance prediction. Use a "
            "splitter whose test folds cover every row (e.g. KFold)."
        )
    out = Bunch(
        **{key: value / counts for key, value in sums.items()},
        models_y=[r.model_y for r in results] if marginal else None,
        models_t=[r.model_t for r in results],
        models_arms=[r.model_arms for r in results] if arms else None,
    )
    if not marginal:
        out.m = None
    if not arms:
        out.mu0 = out.mu1 = None
    return out


def cross_fit_nuisances(
    X,
    y,
    treatment,
    model_y,
    model_t,
    *,
    cv=5,
    sample_weight=None,
    n_jobs=None,
    random_state=None,
    verbose=0,
):
    """Cross-fitted outcome and treatment models, ``m(x)`` and ``e(x)``.

    Each row's ``m_hat = E[Y | X]`` and ``e_hat = P(T = 1 | X)`` (or
    ``E[T | X]`` when ``model_t`` is a regressor) come from models fitted on
    the other folds. The results are meant to be computed once and passed as
    fixed metadata to :data:`~skreweight.model_selection.r_loss_scorer`, so
    that every candidate of a search is scored against the same nuisances.

    Read more in the :ref:`User Guide <cate>`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Covariates.
    y : array-like of shape (n_samples,)
        Outcomes.
    treatment : array-like of shape (n_samples,)
        Binary treatment (when ``model_t`` is a classifier) or a continuous
        dose (when it is a regressor).
    model_y : regressor
        Model of ``E[Y | X]``; cloned once per fold.
    model_t : classifier or regressor
        Model of the treatment: a classifier with ``predict_proba`` for a
        binary treatment, a regressor for a continuous one.
    cv : int, cross-validation generator or iterable, default=5
        Folds. An int means ``StratifiedKFold`` (binary treatment) or
        ``KFold`` (continuous), shuffled with ``random_state``. Every row must
        be in at least one test fold; rows in several are averaged.
    sample_weight : array-like of shape (n_samples,), default=None
        Passed to both models' ``fit``.
    n_jobs : int, default=None
        Number of folds fitted in parallel through joblib (``None`` means 1
        unless in a ``joblib.parallel_backend`` context).
    random_state : int, RandomState instance or None, default=None
        Seed of the fold shuffle when ``cv`` is an int.
    verbose : int, default=0
        Above 0, joblib reports the progress of the folds.

    Returns
    -------
    m_hat : ndarray of shape (n_samples,)
        Out-of-fold predictions of ``E[Y | X]``.
    e_hat : ndarray of shape (n_samples,)
        Out-of-fold propensities (not clipped).

    See Also
    --------
    skreweight.model_selection.r_loss : The loss these nuisances feed.
    RLearner : Cross-fits the same nuisances inside ``fit``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression, Ridge
    >>> from skreweight.causal import cross_fit_nuisances
    >>> from skreweight.datasets import make_heterogeneous_effects
    >>> d = make_heterogeneous_effects("A", n_samples=200, random_state=0)
    >>> m_hat, e_hat = cross_fit_nuisances(
    ...     d.X, d.y, d.treatment, Ridge(), LogisticRegression(), random_state=0)
    >>> m_hat.shape, bool(((e_hat > 0) & (e_hat < 1)).all())
    ((200,), True)
    """
    X = check_array(X, dtype=np.float64)
    y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have shape ({X.shape[0]},), got {y.shape}.")
    discrete = is_classifier(model_t)
    t = check_treatment(treatment, X.shape[0], binary=discrete)
    sw = None if sample_weight is None else check_sample_weight(sample_weight, X)
    splits = get_splits(cv, X, t, stratify=discrete, random_state=random_state)
    res = _cross_fit(
        X,
        y,
        t,
        model_y,
        model_t,
        splits,
        sample_weight=sw,
        n_jobs=n_jobs,
        verbose=verbose,
    )
    return res.m, res.e
