"""Bounds on treatment effects under bounded hidden confounding.

The sensitivity analysis of Yadlowsky, Namkoong, Basu, Duchi and Tian (2022):
a hidden confounder may move the odds of treatment of two units with the same
covariates by at most a factor ``gamma``. The counterfactual means are then
bounded by conditional expectiles of the observed outcomes, estimated by
minimising an asymmetric squared loss with any regressor; the average effect
is bounded by a Neyman-orthogonal extension of the AIPW estimator.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from scipy import optimize, stats
from sklearn.base import BaseEstimator, RegressorMixin, clone, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import StratifiedKFold, check_cv
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, has_fit_parameter, validate_data

from .._core.encoding import propensity_weights, warn_positivity
from .._core.sensitivity import asymmetric_weight, check_gamma, sensitivity_loss
from ..base import is_weighter
from ..utils._progress import Progress
from ..utils._sklearn_compat import HasMethods, Interval, StrOptions
from ..utils.validation import check_sample_weight, check_treatment

__all__ = ["ATEBounds", "CATEBounds", "robustness_value"]


# ----------------------------------------------------------------- numerics
def _scalar_expectile(r, b, gamma, upper):
    """Weighted expectile of ``r``: root of ``sum b L(r - c) (r - c) = 0``."""
    lo, hi = float(np.min(r)), float(np.max(r))
    if hi - lo <= 1e-12 * max(1.0, abs(hi)):
        return lo

    def f(c):
        d = r - c
        return float(np.dot(b, asymmetric_weight(d, gamma, upper) * d))

    return optimize.brentq(f, lo, hi, xtol=1e-12 * max(1.0, hi - lo))


class _WeightedLeastSquares:
    """Weighted least squares by one ``lstsq`` call: the fast path of the
    reweighted fits when the outcome model is a plain ``LinearRegression``
    (the same solution, without the per-fit overhead of the estimator)."""

    def __init__(self, fit_intercept):
        self.fit_intercept = fit_intercept

    def fit(self, X, y, sample_weight=None):
        Z = np.column_stack([np.ones(X.shape[0]), X]) if self.fit_intercept else X
        if sample_weight is not None:
            sw = np.sqrt(sample_weight)
            Z, y = Z * sw[:, None], y * sw
        self.coef_, *_ = np.linalg.lstsq(Z, y, rcond=None)
        return self

    def predict(self, X):
        if self.fit_intercept:
            return self.coef_[0] + X @ self.coef_[1:]
        return X @ self.coef_


def _fit(model, X, y, b, *, fast=False):
    """Fit a clone of ``model`` with row weights ``b`` (None: unweighted)."""
    if fast and type(model) is LinearRegression and not model.positive:
        return _WeightedLeastSquares(model.fit_intercept).fit(X, y, b)
    if b is None:
        return clone(model).fit(X, y)
    return clone(model).fit(X, y, sample_weight=b)


def _expectile_fit(model, X, y, b, gamma, upper, start, *, max_iter, tol, fast=False):
    """Minimise ``sum b L(y - theta) (y - theta)^2`` by reweighted least squares.

    ``start`` are predictions of a least-squares fit on the same rows; the
    iteration begins at ``start`` shifted by the expectile of its residuals
    and stops when the weighted share of rows that change side is at most
    ``tol``. Returns ``(model, n_iter, converged, L)``, ``L`` the weights of
    the rows at the returned fit.
    """
    shift = _scalar_expectile(y - start, b, gamma, upper)
    L = asymmetric_weight(y - start - shift, gamma, upper)
    total = float(b.sum())
    fitted, converged = None, False
    for it in range(1, max_iter + 1):
        fitted = _fit(model, X, y, b * L, fast=fast)
        L_new = asymmetric_weight(y - fitted.predict(X), gamma, upper)
        changed = float(np.dot(b, L_new != L)) / total
        L = L_new
        if changed <= tol:
            converged = True
            break
    return fitted, it, converged, L


def _arm_models(
    model,
    X,
    y,
    b,
    gamma,
    sides,
    *,
    max_iter,
    tol,
    fast=False,
    normalizer=None,
    d_weight=None,
    mu=None,
):
    """Least-squares fit, then the expectile (and normaliser) models per side.

    ``normalizer`` is the model class of ``D = E[L | x]``; None skips it. It
    is fitted with the row weights ``d_weight`` (the user's sample weights,
    None when there are none), not ``b``: ``D`` is a conditional mean given
    ``x``, which weights that are functions of ``x`` leave unchanged, and an
    unweighted fit is much cheaper for some models (histogram boosting bins
    weighted data by weighted quantiles). ``mu``, a mean model already fitted
    on these rows (at another ``gamma``), is reused instead of refitted.
    """
    if mu is None:
        mu = _fit(model, X, y, b)
    out = {"mu": mu, "n_iter": 1, "converged": True}
    if gamma == 1.0:
        return out
    start = mu.predict(X)
    for upper in sides:
        theta, n_iter, conv, L = _expectile_fit(
            model,
            X,
            y,
            b,
            gamma,
            upper,
            start,
            max_iter=max_iter,
            tol=tol,
            fast=fast,
        )
        D = None if normalizer is None else _fit(normalizer, X, L, d_weight, fast=fast)
        out[upper] = (theta, D)
        out["n_iter"] = max(out["n_iter"], n_iter)
        out["converged"] &= conv
    return out


def _fold_task(models, data, train, test, arms, gamma, *, max_iter, tol, mus):
    """Fit the arm models on ``train``; predict ``theta`` and ``D`` on ``test``.

    ``data`` is ``(X, y, t, bw, sd)``: ``bw`` the row weights of the outcome
    and expectile models, ``sd`` those of the normaliser (or None). ``mus``
    maps an arm to its mean model fitted on this fold before, or is empty.
    Returns ``(test, preds, info)``; ``info["mu"]`` holds the mean models.
    """
    X, y, t, bw, sd = data
    preds, info = {}, {"n_iter": 1, "converged": True, "mu": {}}
    for arm in arms:
        rows = train[(t[train] == arm) & (bw[train] > 0)]
        if rows.shape[0] == 0:
            name = "treated" if arm == 1 else "control"
            raise ValueError(
                f"A cross-fitting fold has no {name} rows to fit the outcome "
                "models on: use fewer folds (cv) or a splitter stratified by "
                "treatment."
            )
        fits = _arm_models(
            models[0],
            X[rows],
            y[rows],
            bw[rows],
            gamma,
            (True, False),
            max_iter=max_iter,
            tol=tol,
            fast=True,
            normalizer=models[1],
            d_weight=None if sd is None else sd[rows],
            mu=mus.get(arm),
        )
        info["n_iter"] = max(info["n_iter"], fits["n_iter"])
        info["converged"] &= fits["converged"]
        info["mu"][arm] = fits["mu"]
        mu = fits["mu"].predict(X[test])
        preds[(arm, None)] = (mu, np.ones(test.shape[0]))
        for upper in (True, False):
            if gamma == 1.0:
                preds[(arm, upper)] = preds[(arm, None)]
            else:
                m_theta, m_d = fits[upper]
                theta = m_theta.predict(X[test])
                D = np.clip(m_d.predict(X[test]), 1.0, gamma)
                preds[(arm, upper)] = (theta, D)
    return test, preds, info


def _counterfactual_bound(y, t, w, s, arm, theta, D, gamma, upper, target):
    """Bound on the mean of ``Y(arm)`` over ``target`` rows, and its influence.

    ``target=None`` is the whole sample (ATE): the orthogonal score
    ``1{T=a} Y + 1{T!=a} theta + 1{T=a} (1 / p_a - 1) L (Y - theta) / D``
    written with the arm's normalised weights in place of ``1 / p_a``.
    Otherwise only the rows of the other arm in ``target`` are counterfactual
    (ATT): ``mean_target(theta) + weighted mean_arm(L (Y - theta) / D)``.
    Returns ``(bound, psi)`` with ``Var(bound) ~ sum(s * psi**2)``.
    """
    m = t == arm
    resid = y - theta
    r = asymmetric_weight(resid, gamma, upper) * resid / D
    if target is None:
        S = s.sum()
        direct = float(np.dot(s, theta)) / S
        g = np.where(m, resid - r, 0.0)
        mid = float(np.dot(s, g)) / S
        psi = (theta - direct) / S + (g - mid) / S
        est = direct + mid
    else:
        S = s[target].sum()
        est = float(np.dot(s[target], theta[target])) / S
        psi = np.where(target, (theta - est) / S, 0.0)
    ws = w[m] * s[m]
    tot = float(ws.sum())
    hajek = float(np.dot(ws, r[m])) / tot
    psi[m] += w[m] * (r[m] - hajek) / tot
    return est + hajek, psi


def _check_crossing(owner, lower, upper, what):
    crossed = lower > upper
    if np.any(crossed):
        warnings.warn(
            f"{owner}: the estimated lower bound exceeds the upper bound {what}. "
            "Estimation noise can make bounds cross when gamma is close to 1 or "
            "the outcome model is flexible; the bounds are reported as "
            "estimated, not swapped. Use a smoother outcome model, more data, or "
            "read the interval between the two confidence limits.",
            UserWarning,
            stacklevel=3,
        )
    return crossed


def _default_propensity():
    return LogisticRegression(C=1e6, max_iter=1000)


def _standardizer(X, sw):
    mean = np.average(X, axis=0, weights=sw)
    std = np.sqrt(np.average((X - mean) ** 2, axis=0, weights=sw))
    std = np.where(std > 1e-12 * np.maximum(1.0, np.abs(mean)), std, 1.0)
    return mean, std


def _predict_propensity(model, X):
    classes = list(model.classes_)
    return model.predict_proba(X)[:, classes.index(1.0)]


def _clip_propensity(owner, e, t, clip):
    warn_positivity(owner, e, t)
    n_zero_one = int(np.sum((e <= 0) | (e >= 1)))
    if clip == 0 and n_zero_one:
        raise ValueError(
            f"{owner}: {n_zero_one} propensity score(s) are exactly 0 or 1 and "
            "clip=0, so their weights are infinite. Set clip > 0 (e.g. 0.01) or "
            "regularise model_t."
        )
    return np.clip(e, clip, 1 - clip)


_COMMON_CONSTRAINTS = {
    "gamma": [Interval(Real, 1, None, closed="left")],
    "model_y": [HasMethods(["fit", "predict"]), None],
    "model_t": [HasMethods(["fit", "predict_proba"]), None],
    "clip": [Interval(Real, 0, 0.5, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, 1, closed="left")],
}


def _check_outcome_model(owner, model, name="model_y"):
    if not has_fit_parameter(model, "sample_weight"):
        raise TypeError(
            f"{owner}: {name}={type(model).__name__} does not accept "
            "sample_weight in fit; the expectile (bound) models are fitted by "
            "reweighted least squares and need it. Pick a regressor that does."
        )
    return model


# --------------------------------------------------------------- ATEBounds
class ATEBounds(BaseEstimator):
    """Bounds on the ATE or ATT under bounded hidden confounding.

    The sensitivity analysis of Yadlowsky et al. (2022): a hidden confounder
    may move the odds of treatment of two units with the same covariates by
    at most a factor ``gamma``. Under that model the counterfactual means are
    bounded by conditional *expectiles* of the observed outcomes (level
    ``gamma / (1 + gamma)`` for the upper and ``1 / (1 + gamma)`` for the
    lower bound), and the average effect by the paper's Neyman-orthogonal
    extension of the AIPW estimator. The expectile models are fitted by
    reweighted least squares with any regressor, cross-fitted over ``cv``;
    the weights of the treated (controls) stand in for the inverse propensity,
    as in the DR form of :class:`WeightingEstimator`: they come from a
    skreweight weighter (propensity, entropy balancing, CBPS, IPM) or from a
    cross-fitted ``model_t``. At ``gamma=1`` the two bounds are the
    AIPW estimate of :class:`WeightingEstimator` with ``method="dr"`` (same
    weights, outcome model and folds), and so are its standard error and
    confidence interval.

    Read more in the :ref:`User Guide <sensitivity>`.

    Parameters
    ----------
    weighter : weighter, default=None
        A skreweight causal weighter taking ``fit(X, treatment=...)``, fitted
        on all rows; its ``estimand`` is set to ``estimand``. When None, the
        weights are ``1 / e`` (ATE) or ``e / (1 - e)`` for the controls (ATT)
        from cross-fitted propensities of ``model_t``.
    gamma : float >= 1, default=2.0
        Largest odds ratio of treatment between two units with the same
        covariates that a hidden confounder can cause. 1 means no hidden
        confounding.
    model_t : classifier, default=None
        Probabilistic classifier of the treatment, used when ``weighter`` is
        None; a nearly unpenalised logistic regression on standardised
        covariates when both are None.
    model_y : regressor, default=None
        Regressor taking ``sample_weight``, cloned for the outcome, expectile
        and normaliser models of each arm and fold; ``LinearRegression()``
        when None.
    normalizer_model : regressor, default=None
        Model of the normaliser ``D(x) = E[L | T, x]`` (a conditional mean of
        weights in ``[1, gamma]``), fitted per arm, side and fold with
        ``sample_weight`` only (not the balancing weights: they are functions
        of ``x`` and leave a conditional mean given ``x`` unchanged, and an
        unweighted fit is far cheaper for histogram boosting); the outcome
        model when None. The bound is first-order insensitive to it; a
        cheap model here (e.g. ``LinearRegression()`` beside a flexible
        outcome model) saves a flexible fit per bound, arm and fold.
    estimand : {"ATE", "ATT"}, default="ATE"
        Average effect in the whole sample or among the treated.
    cv : int, cross-validation generator, iterable or None, default=5
        Cross-fitting folds: an int ``k`` means ``StratifiedKFold(k,
        shuffle=True)`` on the treatment, seeded by ``random_state``; None
        fits the outcome models on all rows (in-sample). The test folds must
        partition the rows.
    clip : float in [0, 0.5), default=0.01
        Cross-fitted propensities are clipped to ``[clip, 1 - clip]``.
    max_iter : int, default=20
        Most reweighted least-squares fits per expectile model; a
        :class:`~sklearn.exceptions.ConvergenceWarning` when they do not
        settle, unless ``max_iter=1`` (the one-step fit, chosen on purpose).
    tol : float in [0, 1), default=0.01
        The reweighting stops when at most this (weighted) share of rows
        changes side of the fit. The score is orthogonal to the expectile
        models, so a loose ``tol`` (or ``max_iter=1``, the one-step fit from
        the least-squares fit shifted by the expectile of its residuals)
        costs little accuracy in the ATE bounds; the CATE bounds use the
        expectile models directly.
    n_jobs : int, default=None
        Folds fitted in parallel (joblib; ``joblib.parallel_backend("dask")``
        scales out).
    random_state : int, RandomState instance or None, default=None
        Seed of the folds of an int ``cv``.
    verbose : int, default=0
        Above 0, print the bounds and the reweighting iterations.

    Attributes
    ----------
    bounds_ : tuple of float
        ``(lower, upper)`` estimated bounds of the effect.
    bounds_stderr_ : tuple of float
        Their standard errors (weights held fixed).
    effect_ : float
        The AIPW estimate (``gamma=1``) with the same weights and folds.
    stderr_ : float
        Its standard error.
    crossed_ : bool
        Whether the estimated lower bound exceeds the upper one (never
        swapped; a warning is raised).
    estimand_ : str
        The estimand.
    weights_ : ndarray of shape (n_samples,)
        The weights of the rows, averaging 1 in each arm.
    weighter_ : weighter or None
        The fitted weighter (None with a ``model_t``).
    propensity_ : ndarray of shape (n_samples,) or None
        Cross-fitted propensities (clipped), when no weighter is used.
    n_iter_ : int
        Most reweighted least-squares fits used by one expectile model.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen in ``fit``, when X has string column names.

    See Also
    --------
    CATEBounds : Bounds on the conditional effect.
    robustness_value : Smallest ``gamma`` at which the interval holds 0.
    sensitivity_plot : Bounds against ``gamma``.
    WeightingEstimator : The point estimate (``gamma=1``).

    Notes
    -----
    The parameter is Rosenbaum's odds ratio given ``x``; Tan's marginal
    sensitivity model with parameter ``Lambda`` implies it with ``gamma =
    Lambda**2``. ``fit`` keeps the training data so that
    :meth:`sensitivity_path` and :func:`robustness_value` can refit the bound
    models at other ``gamma`` with the same weights and folds.

    References
    ----------
    .. [1] S. Yadlowsky, H. Namkoong, S. Basu, J. Duchi and L. Tian, "Bounds on
       the conditional and average treatment effect with unobserved
       confounding factors", Annals of Statistics 50(5), 2022.
    .. [2] W. K. Newey and J. L. Powell, "Asymmetric least squares estimation
       and testing", Econometrica 55(4), 1987.

    Examples
    --------
    >>> from skreweight.causal import ATEBounds
    >>> from skreweight.datasets import make_kang_schafer
    >>> data = make_kang_schafer(500, propensity="correct", random_state=0)
    >>> est = ATEBounds(gamma=1.5, random_state=0)
    >>> est = est.fit(data.X, data.y, treatment=data.treatment)
    >>> low, high = est.bounds_
    >>> bool(low < est.effect_ < high)
    True
    >>> ci_low, ci_high = est.conf_int(0.05)
    >>> bool(ci_low < low and high < ci_high)
    True
    """

    __metadata_request__fit = {"treatment": True}

    _parameter_constraints = {
        "weighter": [HasMethods(["fit"]), None],
        "estimand": [StrOptions({"ATE", "ATT"})],
        "normalizer_model": [HasMethods(["fit", "predict"]), None],
        "cv": ["cv_object", None],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        **_COMMON_CONSTRAINTS,
    }

    def __init__(
        self,
        weighter=None,
        *,
        gamma=2.0,
        model_t=None,
        model_y=None,
        normalizer_model=None,
        estimand="ATE",
        cv=5,
        clip=0.01,
        max_iter=20,
        tol=0.01,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.weighter = weighter
        self.gamma = gamma
        self.model_t = model_t
        self.model_y = model_y
        self.normalizer_model = normalizer_model
        self.estimand = estimand
        self.cv = cv
        self.clip = clip
        self.max_iter = max_iter
        self.tol = tol
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y, *, treatment=None, sample_weight=None):
        """Estimate the weights, cross-fit the bound models and bound the effect.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Covariates (the observed confounders).
        y : array-like of shape (n_samples,)
            Outcome.
        treatment : array-like of shape (n_samples,)
            Binary treatment indicator (required).
        sample_weight : array-like of shape (n_samples,), default=None
            Frequency or survey weights of the rows.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        owner = type(self).__name__
        check_gamma(self.gamma, owner)
        self._validate_params()
        if self.weighter is not None and self.model_t is not None:
            raise ValueError(
                f"{owner}: pass either weighter or model_t, not both: "
                "the weights come from one of them."
            )
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if treatment is None:
            raise ValueError(
                f"{owner} requires `treatment`: pass fit(X, y, treatment=t) with "
                "one 0/1 value per row. With metadata routing enabled, make sure "
                "it is requested and routed."
            )
        t = check_treatment(treatment, X.shape[0])
        s = check_sample_weight(sample_weight, X)
        for arm, name in ((1, "treated"), (0, "control")):
            if np.sum(s[t == arm] > 0) < 2:
                raise ValueError(
                    f"{owner}: fewer than 2 {name} rows with positive "
                    "sample_weight; both arms need rows to bound the effect."
                )
        model = LinearRegression() if self.model_y is None else self.model_y
        _check_outcome_model(owner, model)
        self.estimand_ = self.estimand
        folds = self._folds(X, t)
        w = self._weights(X, t, s, folds)
        return self._fit_weighted(X, y, t, s, w, folds, model)

    def _fit_weighted(self, X, y, t, s, w, folds, model):
        """The bounds from given weights and folds (validated data)."""
        owner = type(self).__name__
        self.weights_ = w
        self._state = {"X": X, "y": y, "t": t, "s": s, "w": w, "folds": folds}
        normalizer = model if self.normalizer_model is None else self.normalizer_model
        _check_outcome_model(owner, normalizer, "normalizer_model")
        self._models = (model, normalizer)
        res = self._bounds_at(float(self.gamma))
        self.effect_, self.stderr_ = res["point"]
        self.bounds_, self.bounds_stderr_ = res["bounds"], res["stderr"]
        self.n_iter_ = res["n_iter"]
        self.crossed_ = bool(
            _check_crossing(owner, *self.bounds_, f"at gamma={self.gamma:g}")
        )
        lo, hi = self.bounds_
        Progress(owner, self.verbose).message(
            f"gamma={self.gamma:g}: bounds ({lo:.4g}, {hi:.4g}), AIPW "
            f"{self.effect_:.4g}, {self.n_iter_} iterations"
        )
        return self

    # ---------------------------------------------------------------- parts
    def _folds(self, X, t):
        n = X.shape[0]
        if self.cv is None:
            return [(np.arange(n), np.arange(n))]
        cv = self.cv
        if isinstance(cv, Integral):
            if cv < 2:
                raise ValueError(f"cv must be at least 2 for cross-fitting, got {cv}.")
            cv = StratifiedKFold(
                cv, shuffle=True, random_state=check_random_state(self.random_state)
            )
        cv = check_cv(cv, t, classifier=True)
        folds = [(np.asarray(a), np.asarray(b)) for a, b in cv.split(X, t)]
        covered = np.zeros(n, dtype=int)
        for _, test in folds:
            covered[test] += 1
        if not np.all(covered == 1):
            raise ValueError(
                "cv must partition the rows: every row in exactly one test fold "
                "(got a splitter whose test folds overlap or miss rows)."
            )
        return folds

    def _weights(self, X, t, s, folds):
        owner = type(self).__name__
        self.weighter_, self.propensity_ = None, None
        if self.weighter is not None:
            weighter = self.weighter
            if not is_weighter(weighter):
                raise TypeError(
                    "weighter must be a skreweight weighter; got "
                    f"{type(weighter).__name__}."
                )
            weighter = clone(weighter)
            if "estimand" not in weighter.get_params(deep=False):
                raise ValueError(
                    f"{type(weighter).__name__} has no estimand parameter, so it "
                    f"cannot be set to {self.estimand}; use a causal weighter."
                )
            weighter.set_params(estimand=self.estimand)
            self.weighter_ = weighter.fit(X, sample_weight=s, treatment=t)
            return np.asarray(self.weighter_.weights_, dtype=np.float64)
        default = self.model_t is None
        model = _default_propensity() if default else self.model_t
        if not is_classifier(model):
            raise TypeError(
                f"model_t must be a classifier with predict_proba; got "
                f"{type(model).__name__}."
            )
        Z = X
        if default:
            mean, std = _standardizer(X, s)
            Z = (X - mean) / std
        weighted = sample_weight_given = not np.all(s == 1.0)
        if sample_weight_given and not has_fit_parameter(model, "sample_weight"):
            raise TypeError(
                f"model_t={type(model).__name__} does not accept "
                "sample_weight in fit; pick one that does, or drop sample_weight."
            )
        e = np.empty(X.shape[0])
        for train, test in folds:
            if np.unique(t[train]).shape[0] < 2:
                raise ValueError(
                    "A cross-fitting fold holds only one arm: use fewer folds (cv) "
                    "or a splitter stratified by treatment."
                )
            kw = {"sample_weight": s[train]} if weighted else {}
            fitted = clone(model).fit(Z[train], t[train], **kw)
            e[test] = _predict_propensity(fitted, Z[test])
        e = _clip_propensity(owner, e, t, self.clip)
        self.propensity_ = e
        w = propensity_weights(e, t, self.estimand)
        for arm in (0, 1):
            m = t == arm
            w[m] = w[m] / np.average(w[m], weights=s[m])
        return w

    def _bounds_at(self, gamma):
        """Cross-fit the bound models at ``gamma``; bounds and standard errors."""
        pred, n_iter, converged = self._cross_fit_predictions(gamma)
        if not converged and self.max_iter > 1:
            warnings.warn(
                f"{type(self).__name__}: an expectile model did not settle within "
                f"max_iter={self.max_iter} reweighted fits (more than tol="
                f"{self.tol:g} of the rows still change side). Flexible models "
                "(boosting, forests) never reach an exact fixed point: for the ATE "
                "bounds, max_iter=1 (the one-step fit, whose first-order error the "
                "orthogonal score absorbs) is far cheaper; otherwise increase "
                "max_iter or use a smoother model_y.",
                ConvergenceWarning,
                stacklevel=3,
            )
        bounds, stderr = self._bound_estimates(pred, gamma)
        return {
            "bounds": tuple(bounds[:2]),
            "stderr": tuple(stderr[:2]),
            "point": (bounds[2], stderr[2]),
            "n_iter": n_iter,
        }

    def _cross_fit_predictions(self, gamma):
        """Fit the bound models on each fold; out-of-fold predictions.

        Returns ``(pred, n_iter, converged)``, ``pred[(arm, side)]`` the
        out-of-fold ``(theta, D)`` arrays.
        """
        st = self._state
        X, y, t, s, w = st["X"], st["y"], st["t"], st["s"], st["w"]
        att = self.estimand_ == "ATT"
        arms = (0,) if att else (1, 0)
        data = (X, y, t, w * s, None if np.all(s == 1.0) else s)
        # the mean models do not depend on gamma: fitted once, then reused
        mus = st.setdefault("mu", [{} for _ in st["folds"]])
        results = Parallel(n_jobs=self.n_jobs)(
            delayed(_fold_task)(
                self._models,
                data,
                train,
                test,
                arms,
                gamma,
                max_iter=self.max_iter,
                tol=self.tol,
                mus=mus[k],
            )
            for k, (train, test) in enumerate(st["folds"])
        )
        n = X.shape[0]
        pred = {
            (a, u): (np.empty(n), np.empty(n))
            for a in arms
            for u in (True, False, None)
        }
        n_iter, converged = 1, True
        for k, (test, preds, info) in enumerate(results):
            mus[k] = info["mu"]
            n_iter = max(n_iter, info["n_iter"])
            converged &= info["converged"]
            for key, (theta, D) in preds.items():
                pred[key][0][test], pred[key][1][test] = theta, D
        return pred, n_iter, converged

    def _bound_estimates(self, pred, gamma):
        """Lower bound, upper bound and AIPW point with their standard errors."""
        st = self._state
        y, t, s, w = st["y"], st["t"], st["s"], st["w"]
        att = self.estimand_ == "ATT"
        bounds, stderr = [], []
        # (arm-1 side, arm-0 side, gamma): lower bound, upper bound, AIPW
        for side1, side0, g in (
            (False, True, gamma),
            (True, False, gamma),
            (None, None, 1.0),
        ):
            if att:
                tgt = t == 1
                S1 = s[tgt].sum()
                mean1 = float(np.dot(s[tgt], y[tgt])) / S1
                psi1 = np.where(tgt, (y - mean1) / S1, 0.0)
                # E[Y(0) | T=1]: its upper bound gives the lower effect bound
                b0, psi0 = _counterfactual_bound(
                    y, t, w, s, 0, *pred[(0, side0)], g, side0, tgt
                )
                est, psi = mean1 - b0, psi1 - psi0
            else:
                b1, psi1 = _counterfactual_bound(
                    y, t, w, s, 1, *pred[(1, side1)], g, side1, None
                )
                b0, psi0 = _counterfactual_bound(
                    y, t, w, s, 0, *pred[(0, side0)], g, side0, None
                )
                est, psi = b1 - b0, psi1 - psi0
            bounds.append(float(est))
            stderr.append(float(np.sqrt(np.dot(s, psi**2))))
        return bounds, stderr

    # ------------------------------------------------------------ inference
    def conf_int(self, alpha=0.05):
        """Confidence interval of the identified set ``[lower, upper]``.

        ``(lower - z se_lower, upper + z se_upper)`` with ``z`` the
        ``1 - alpha / 2`` normal quantile: it covers the whole identified
        interval, hence the effect, with probability at least ``1 - alpha``.
        At ``gamma=1`` it is the AIPW confidence interval.

        Parameters
        ----------
        alpha : float, default=0.05
            One minus the coverage.

        Returns
        -------
        (low, high) : tuple of float
        """
        check_is_fitted(self, "bounds_")
        return self._conf_int(self.bounds_, self.bounds_stderr_, alpha)

    @staticmethod
    def _conf_int(bounds, stderr, alpha):
        if not 0 < alpha < 1:
            raise ValueError(f"alpha must be in (0, 1); got {alpha}.")
        z = stats.norm.ppf(1 - alpha / 2)
        return (float(bounds[0] - z * stderr[0]), float(bounds[1] + z * stderr[1]))

    def sensitivity_path(self, gammas, alpha=0.05):
        """Bounds and confidence intervals on a grid of ``gamma``.

        The expectile and normaliser models are refitted at each ``gamma``
        with the weights, folds and mean models of ``fit``.

        Parameters
        ----------
        gammas : array-like of float >= 1
            Values of the sensitivity parameter.
        alpha : float, default=0.05
            One minus the coverage of the intervals.

        Returns
        -------
        path : pandas.DataFrame
            Columns ``gamma``, ``lower``, ``upper``, ``ci_lower``,
            ``ci_upper``, ``crossed``, one row per ``gamma``.
        """
        import pandas as pd

        check_is_fitted(self, "bounds_")
        rows = []
        for g in np.atleast_1d(np.asarray(gammas, dtype=np.float64)):
            g = check_gamma(float(g), type(self).__name__)
            res = self._bounds_at(g)
            lo, hi = self._conf_int(res["bounds"], res["stderr"], alpha)
            rows.append(
                (g, *res["bounds"], lo, hi, res["bounds"][0] > res["bounds"][1])
            )
        return pd.DataFrame(
            rows, columns=["gamma", "lower", "upper", "ci_lower", "ci_upper", "crossed"]
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.input_tags.allow_nan = False
        return tags


def robustness_value(estimator, *, alpha=0.05, gamma_max=20.0, rtol=1e-3):
    """Smallest ``gamma`` at which the confidence interval of the bounds holds 0.

    The strength of hidden confounding (an odds ratio of treatment between
    units with the same covariates) that would make a fitted
    :class:`ATEBounds` estimate no longer significant at level ``alpha``.
    Brent's root search over ``log(gamma)`` for the confidence limit on the
    side of 0, refitting the expectile and normaliser models with the
    estimator's weights, folds and mean models (the bounds widen with
    ``gamma``). :meth:`WeightingEstimator.summary` shows it with
    ``robustness=True``.

    Read more in the :ref:`User Guide <sensitivity>`.

    Parameters
    ----------
    estimator : ATEBounds
        A fitted estimator (its ``gamma`` does not matter).
    alpha : float, default=0.05
        One minus the coverage of the interval.
    gamma_max : float, default=20.0
        Largest ``gamma`` searched.
    rtol : float, default=1e-3
        Relative precision of the returned ``gamma``.

    Returns
    -------
    gamma : float
        1.0 when the AIPW interval already contains 0; ``inf`` when 0 stays
        outside up to ``gamma_max``; otherwise the root, to within a
        relative ``rtol``, rounded up (the interval there contains 0).

    See Also
    --------
    ATEBounds.sensitivity_path : Bounds on a grid of ``gamma``.

    Examples
    --------
    >>> from skreweight.causal import ATEBounds, robustness_value
    >>> from skreweight.datasets import make_kang_schafer
    >>> data = make_kang_schafer(500, propensity="correct", random_state=0)
    >>> y = data.y + 20 * data.treatment  # a large effect
    >>> est = ATEBounds(random_state=0).fit(data.X, y, treatment=data.treatment)
    >>> rv = robustness_value(est)
    >>> bool(1.0 < rv < 20.0)
    True
    """
    if not isinstance(estimator, ATEBounds):
        raise TypeError(
            f"robustness_value needs a fitted ATEBounds; got "
            f"{type(estimator).__name__}."
        )
    check_is_fitted(estimator, "bounds_")
    gamma_max = check_gamma(gamma_max, "robustness_value")
    if not rtol > 0:
        raise ValueError(f"rtol must be positive; got {rtol}.")

    def ci(log_gamma):
        res = estimator._bounds_at(float(np.exp(log_gamma)))
        return ATEBounds._conf_int(res["bounds"], res["stderr"], alpha)

    lo0, hi0 = ci(0.0)
    if lo0 <= 0.0 <= hi0:
        return 1.0
    # the confidence limit on the side of 0 moves towards it as gamma grows
    side = 0 if lo0 > 0 else 1
    top = float(np.log(gamma_max))
    if (ci(top)[side] > 0) == (side == 0):
        return float("inf")
    root = optimize.brentq(
        lambda lg: ci(lg)[side], 0.0, top, xtol=float(np.log1p(rtol)) / 2
    )
    # step to the side where the interval holds 0
    return float(np.exp(root) * (1.0 + rtol / 2))


def weighting_robustness_value(est, alpha=0.05):
    """The robustness value of a fitted ``WeightingEstimator(method="dr")``.

    An :class:`ATEBounds` at ``gamma=1`` is set up from the estimator's own
    weights, outcome model and folds (no weighter refit; its bounds are the
    estimator's AIPW estimate), then :func:`robustness_value` searches
    ``gamma``. An ATC is bounded as the ATT of the flipped treatment (the
    same weights; the effect changes sign, the robustness value does not).
    """
    if est.method != "dr":
        raise ValueError(
            "summary(robustness=True) needs method='dr': the sensitivity bounds "
            "of Yadlowsky et al. extend the augmented (AIPW) estimate, and with "
            f"method={est.method!r} there is no outcome model to extend (bounds "
            "from a constant outcome model would be too narrow). Refit with "
            "method='dr', or use ATEBounds directly."
        )
    X, y, t, s, folds = est._fit_data
    estimand = est.estimand_
    if estimand == "ATC":
        t, estimand = 1.0 - t, "ATT"
    bounds = ATEBounds(gamma=1.0, model_y=est.model_y, estimand=estimand)
    model = LinearRegression() if est.model_y is None else est.model_y
    bounds.estimand_ = estimand
    if folds is None:
        folds = [(np.arange(X.shape[0]), np.arange(X.shape[0]))]
    w = np.asarray(est.weights_, dtype=np.float64)
    bounds._fit_weighted(X, y, t, s, w, folds, model)
    return robustness_value(bounds, alpha=alpha)


# -------------------------------------------------------------- CATEBounds
class CATEBounds(RegressorMixin, BaseEstimator):
    """Bounds on the conditional average treatment effect under hidden bias.

    The CATE bounds of Yadlowsky et al. (2022): when a hidden confounder may
    move the odds of treatment of two units with the same covariates by at
    most ``gamma``,

    ``tau+(x) = e mu1 + (1 - e) theta1+ - (1 - e) mu0 - e theta0-`` and
    ``tau-(x) = e mu1 + (1 - e) theta1- - (1 - e) mu0 - e theta0+``,

    with ``e`` the propensity, ``mu_a`` the outcome regression of arm ``a``
    and ``theta_a+-`` its conditional expectiles at levels ``gamma / (1 +
    gamma)`` and ``1 / (1 + gamma)``. Each ``theta`` minimises the paper's
    asymmetric squared loss (:func:`~skreweight.model_selection.
    sensitivity_loss`) over the model class of ``model_y`` -- any
    regressor that takes ``sample_weight`` -- by reweighted least squares.
    ``score`` is minus that loss on held-out rows, so the regressor can be
    tuned in :class:`~sklearn.model_selection.GridSearchCV` (with
    :data:`~skreweight.model_selection.sensitivity_loss_scorer` under
    metadata routing).

    Read more in the :ref:`User Guide <sensitivity>`.

    Parameters
    ----------
    model_y : regressor, default=None
        Regressor taking ``sample_weight``, cloned for ``mu_a`` and
        ``theta_a+-`` in each arm; ``LinearRegression()`` when None.
    model_t : classifier, default=None
        Probabilistic classifier of the treatment; a nearly unpenalised
        logistic regression on standardised covariates when None.
    gamma : float >= 1, default=2.0
        Largest odds ratio of treatment between two units with the same
        covariates that a hidden confounder can cause.
    clip : float in [0, 0.5), default=0.01
        Propensities are clipped to ``[clip, 1 - clip]``.
    max_iter : int, default=20
        Most reweighted least-squares fits per expectile model.
    tol : float in [0, 1), default=0.01
        The reweighting stops when at most this share of rows changes side.

    Attributes
    ----------
    models_y_ : dict
        Fitted models keyed by ``(arm, kind)``, ``kind`` in ``"mean"``,
        ``"upper"``, ``"lower"``.
    propensity_model_ : classifier
        The fitted propensity model.
    n_crossed_ : int
        Training rows whose estimated lower bound exceeds the upper one
        (never swapped; a warning is raised).
    n_iter_ : int
        Most reweighted least-squares fits used by one expectile model.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen in ``fit``, when X has string column names.

    See Also
    --------
    ATEBounds : Bounds on the average effect, with inference.
    skreweight.model_selection.sensitivity_loss_scorer : Tune the model class.

    References
    ----------
    .. [1] S. Yadlowsky, H. Namkoong, S. Basu, J. Duchi and L. Tian, "Bounds on
       the conditional and average treatment effect with unobserved
       confounding factors", Annals of Statistics 50(5), 2022.

    Examples
    --------
    >>> from skreweight.causal import CATEBounds
    >>> from skreweight.datasets import make_heterogeneous_effects
    >>> d = make_heterogeneous_effects("A", n_samples=500, random_state=0)
    >>> est = CATEBounds(gamma=2.0).fit(d.X, d.y, treatment=d.treatment)
    >>> bounds = est.predict_bounds(d.X[:3])
    >>> bounds.shape
    (3, 2)
    >>> bool((bounds[:, 0] <= est.predict(d.X[:3])).all())
    True
    """

    __metadata_request__fit = {"treatment": True}
    __metadata_request__score = {"treatment": True}

    _parameter_constraints = dict(_COMMON_CONSTRAINTS)

    def __init__(
        self,
        model_y=None,
        model_t=None,
        *,
        gamma=2.0,
        clip=0.01,
        max_iter=20,
        tol=0.01,
    ):
        self.model_y = model_y
        self.model_t = model_t
        self.gamma = gamma
        self.clip = clip
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X, y, *, treatment=None, sample_weight=None):
        """Fit the propensity, outcome and expectile (bound) models.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Covariates.
        y : array-like of shape (n_samples,)
            Outcome.
        treatment : array-like of shape (n_samples,)
            Binary treatment indicator (required).
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, passed to every model.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        owner = type(self).__name__
        check_gamma(self.gamma, owner)
        self._validate_params()
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if treatment is None:
            raise ValueError(
                f"{owner} requires `treatment`: pass fit(X, y, treatment=t) with "
                "one 0/1 value per row. With metadata routing enabled, make sure "
                "it is requested and routed."
            )
        t = check_treatment(treatment, X.shape[0])
        s = check_sample_weight(sample_weight, X)
        model = LinearRegression() if self.model_y is None else self.model_y
        _check_outcome_model(owner, model)
        gamma = float(self.gamma)
        e = self._fit_propensity(X, t, s)
        _clip_propensity(owner, e, t, self.clip)
        converged = self._fit_outcome_models(model, X, y, t, s, gamma)
        if not converged and self.max_iter > 1:
            warnings.warn(
                f"{owner}: an expectile model did not settle within max_iter="
                f"{self.max_iter} reweighted fits. Increase max_iter or use a "
                "smoother model_y.",
                ConvergenceWarning,
                stacklevel=2,
            )
        low, high = self._bounds(X)
        self.n_crossed_ = int(np.sum(low > high))
        _check_crossing(
            owner, low, high, f"on {self.n_crossed_} of {X.shape[0]} training rows"
        )
        return self

    def _fit_propensity(self, X, t, s):
        """Fit ``propensity_model_`` on all rows; its in-sample propensity."""
        default = self.model_t is None
        prop = _default_propensity() if default else clone(self.model_t)
        if not is_classifier(prop):
            raise TypeError(
                f"model_t must be a classifier with predict_proba; got "
                f"{type(prop).__name__}."
            )
        self._scale = _standardizer(X, s) if default else None
        kw = {} if np.all(s == 1.0) else {"sample_weight": s}
        self.propensity_model_ = prop.fit(self._prop_design(X), t, **kw)
        return _predict_propensity(self.propensity_model_, self._prop_design(X))

    def _fit_outcome_models(self, model, X, y, t, s, gamma):
        """Fit each arm's mean and expectile models into ``models_y_``.

        Sets ``n_iter_``; returns whether every expectile model converged.
        """
        owner = type(self).__name__
        self.models_y_, self.n_iter_, converged = {}, 1, True
        for arm in (0, 1):
            rows = (t == arm) & (s > 0)
            if np.sum(rows) < 2:
                name = "treated" if arm else "control"
                raise ValueError(
                    f"{owner}: fewer than 2 {name} rows with positive "
                    "sample_weight; both arms are needed."
                )
            fits = _arm_models(
                model,
                X[rows],
                y[rows],
                s[rows],
                gamma,
                (True, False),
                max_iter=self.max_iter,
                tol=self.tol,
            )
            self.models_y_[(arm, "mean")] = fits["mu"]
            for upper, kind in ((True, "upper"), (False, "lower")):
                theta = fits["mu"] if gamma == 1.0 else fits[upper][0]
                self.models_y_[(arm, kind)] = theta
            self.n_iter_ = max(self.n_iter_, fits["n_iter"])
            converged &= fits["converged"]
        return converged

    def _prop_design(self, X):
        if self._scale is None:
            return X
        return (X - self._scale[0]) / self._scale[1]

    def _theta(self, X):
        return {k: m.predict(X) for k, m in self.models_y_.items()}

    def _bounds(self, X):
        e = _predict_propensity(self.propensity_model_, self._prop_design(X))
        e = np.clip(e, self.clip, 1 - self.clip)
        th = self._theta(X)
        base = e * th[(1, "mean")] - (1 - e) * th[(0, "mean")]
        upper = base + (1 - e) * th[(1, "upper")] - e * th[(0, "lower")]
        lower = base + (1 - e) * th[(1, "lower")] - e * th[(0, "upper")]
        return lower, upper

    def predict_bounds(self, X):
        """Lower and upper bounds of the CATE at ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Covariates.

        Returns
        -------
        bounds : ndarray of shape (n_samples, 2)
            Columns ``(lower, upper)``; rows where the estimates cross are
            reported as estimated, with a warning.
        """
        check_is_fitted(self, "models_y_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        low, high = self._bounds(X)
        crossed = low > high
        if np.any(crossed):
            _check_crossing(
                type(self).__name__,
                low,
                high,
                f"on {int(crossed.sum())} of {X.shape[0]} rows",
            )
        return np.column_stack([low, high])

    def predict(self, X):
        """The CATE without hidden confounding, ``mu1(x) - mu0(x)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Covariates.

        Returns
        -------
        tau : ndarray of shape (n_samples,)
            The point estimate the bounds widen from (they meet at
            ``gamma=1``).
        """
        check_is_fitted(self, "models_y_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return np.asarray(
            self.models_y_[(1, "mean")].predict(X)
            - self.models_y_[(0, "mean")].predict(X),
            dtype=np.float64,
        )

    def score(self, X, y, *, treatment=None, sample_weight=None):
        """Minus the sensitivity loss of the bound models (greater is better).

        Each row is scored by the upper and the lower expectile model of its
        own arm: the mean of ``sensitivity_loss(..., side="upper")`` and
        ``sensitivity_loss(..., side="lower")`` over the rows, weighted by
        ``sample_weight``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Covariates.
        y : array-like of shape (n_samples,)
            Outcomes.
        treatment : array-like of shape (n_samples,)
            Treatment of each row. Required.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.

        Returns
        -------
        score : float
            Minus the mean loss.
        """
        check_is_fitted(self, "models_y_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64).ravel()
        t = check_treatment(treatment, X.shape[0])
        s = check_sample_weight(sample_weight, X)
        th = self._theta(X)
        total = 0.0
        for arm in (0, 1):
            m = t == arm
            if not np.any(m):
                continue
            for kind in ("upper", "lower"):
                loss = sensitivity_loss(
                    y[m],
                    th[(arm, kind)][m],
                    gamma=float(self.gamma),
                    side=kind,
                    sample_weight=s[m],
                )
                total += loss * float(s[m].sum())
        return -total / float(s.sum())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        tags.input_tags.allow_nan = False
        return tags
