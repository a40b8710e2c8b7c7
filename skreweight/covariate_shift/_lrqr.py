"""Conformal prediction under covariate shift without a density ratio: LR-QR.

Likelihood-ratio regularised quantile regression (Joshi, Kiyani, Pappas,
Dobriban and Hassani, 2025) fits a linear threshold function ``h`` by the
pinball loss plus ``lam * E_s[(beta h(X) - r(X))^2]``; the regulariser needs
only source rows and unlabelled target rows, never the ratio ``r`` itself.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings
from numbers import Real

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    RegressorMixin,
    clone,
)
from sklearn.linear_model import LinearRegression
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils._sklearn_compat import HasMethods, Interval, StrOptions
from ..utils.validation import (
    check_sample_weight,
    check_X_target,
    warn_missing_context,
    warn_no_overlap,
)
from ._conformal import (
    _calibration_split,
    _ConformalClassifierMixin,
    _fit_weighted,
    _weighted_quantiles,
)

__all__ = ["LRQRConformalClassifier", "LRQRConformalRegressor"]

#: smoothing widths of the pinball loss, relative to the score scale
_SMOOTHING = (0.1, 0.03, 0.01, 0.003, 0.001)
#: the interval I = [beta_min, beta_max] of the paper's constrained problem
_BETA_BOUNDS = (0.1, 10.0)


def _objective(par, delta, Phi, scores, w, Phi_source, w_source, mt, tau, lam):
    """Smoothed LR-QR objective and its gradient in ``(theta, beta)``."""
    theta, beta = par[:-1], par[-1]
    h = Phi @ theta
    u = scores - h
    z = -u / delta
    loss = w @ (tau * u + delta * np.logaddexp(0.0, z))
    hs = Phi_source @ theta
    h2, ht = w_source @ (hs * hs), mt @ theta
    f = loss + lam * (beta**2 * h2 - 2.0 * beta * ht)
    g_theta = Phi.T @ (w * (expit(z) - tau)) + lam * (
        2.0 * beta**2 * (Phi_source.T @ (w_source * hs)) - 2.0 * beta * mt
    )
    g_beta = lam * (2.0 * beta * h2 - 2.0 * ht)
    return f, np.append(g_theta, g_beta)


def lrqr_threshold(
    Phi, scores, sw, Phi_target, *, alpha, lam, Phi_source=None, sw_source=None
):
    """Fit LR-QR's threshold ``h = Phi @ theta`` and its scale ``beta``.

    Minimises ``mean_1[sw * pinball_{1-alpha}(h, scores)] + lam * (beta^2
    mean_3[h^2] - 2 beta mean_2[h])`` (the paper's empirical LR-QR
    objective: labelled rows ``1``, unlabelled target rows ``2``, unlabelled
    source rows ``3``) by L-BFGS-B with ``beta`` in ``[0.1, 10]`` (the
    paper's constrained problem), the pinball loss smoothed by a softplus
    whose width shrinks to ``1e-3`` (continuation).

    Parameters
    ----------
    Phi : ndarray of shape (n, p)
        Features of the labelled calibration rows (with an intercept column).
    scores : ndarray of shape (n,)
        Conformity scores, scaled so that their ``1 - alpha`` quantile is 1.
    sw : ndarray of shape (n,)
        Row weights.
    Phi_target : ndarray of shape (m, p)
        Features of the unlabelled target rows.
    alpha : float
        Miscoverage level.
    lam : float
        Weight of the likelihood-ratio regulariser.
    Phi_source : ndarray of shape (k, p), default=None
        Features of the unlabelled source rows of the ``E_s[h^2]`` term;
        None: ``Phi``.
    sw_source : ndarray of shape (k,), default=None
        Their weights; None: ``sw`` (with ``Phi_source=None``) or ones.

    Returns
    -------
    theta : ndarray of shape (p,)
    beta : float
    """
    if Phi_source is None:
        Phi_source, sw_source = Phi, sw
    elif sw_source is None:
        sw_source = np.ones(Phi_source.shape[0])
    args = (
        Phi,
        scores,
        sw / sw.sum(),
        Phi_source,
        sw_source / sw_source.sum(),
        Phi_target.mean(axis=0),
        1.0 - alpha,
        lam,
    )
    params = np.zeros(Phi.shape[1] + 1)
    params[0] = 1.0  # h = 1: the unweighted quantile of the scaled scores
    params[-1] = 1.0
    for delta in _SMOOTHING:
        res = minimize(
            _objective,
            params,
            args=(delta, *args),
            jac=True,
            method="L-BFGS-B",
            bounds=[(None, None)] * (params.shape[0] - 1) + [_BETA_BOUNDS],
            options={"maxiter": 500, "gtol": 1e-9},
        )
        params = res.x
    return params[:-1], float(params[-1])


def _gradient_norm(theta, beta, held_out, *, tau, lam):
    """The l2 norm of the (unsmoothed) LR-QR gradient on held-out rows.

    ``held_out`` is ``(Phi, scores, sw, Phi_target, Phi_source, sw_source)``.
    """
    Phi, scores, w, Phi_target, Phi_source, w_source = held_out
    h, hs = Phi @ theta, Phi_source @ theta
    w, w_source = w / w.sum(), w_source / w_source.sum()
    mt = Phi_target.mean(axis=0)
    g_theta = Phi.T @ (w * ((scores <= h) - tau)) + lam * (
        2.0 * beta**2 * (Phi_source.T @ (w_source * hs)) - 2.0 * beta * mt
    )
    g_beta = lam * (2.0 * beta * (w_source @ (hs * hs)) - 2.0 * (mt @ theta))
    return float(np.sqrt(g_theta @ g_theta + g_beta**2))


def lambda_star(n_labelled, n_target, n_source):
    """The paper's order of the optimal ``lam``: ``(n_1 (1/n_2 + 1/n_3))^(-1/3)``.

    Balances the generalisation error of the pinball term (``(lam
    n_1)^(-1/2)``) against that of the regulariser (``lam (1/n_2 +
    1/n_3)^(1/2)``), Theorem 4.2 of Joshi et al. (2025).

    Parameters
    ----------
    n_labelled, n_target, n_source : int
        Numbers of labelled calibration, unlabelled target and unlabelled
        source rows.

    Returns
    -------
    lam : float
    """
    return float((n_labelled * (1.0 / n_target + 1.0 / n_source)) ** (-1.0 / 3.0))


def select_lambda(
    Phi, scores, sw, Phi_target, Phi_source, sw_source, *, alpha, rng, n_folds=3
):
    """The paper's data-driven ``lam``: 3-fold CV of the held-out gradient norm.

    The grid has ten evenly spaced values from ``lambda_star / 10`` to
    ``lambda_star``. Each fold of the labelled, the target and the
    unlabelled source rows is held out in turn; LR-QR is fitted on the rest
    for every value, and the value whose fitted threshold has the smallest
    mean l2 norm of the LR-QR gradient on the held-out rows is chosen
    (Section 5.1 of Joshi et al., 2025): first-order conditions that hold
    out of sample are what give target coverage.

    Returns
    -------
    lam : float
        The chosen value.
    grid : ndarray of shape (10,)
        The candidate values.
    score : ndarray of shape (10,)
        Their mean held-out gradient norms.
    """
    data = (Phi, scores, sw, Phi_target, Phi_source, sw_source)
    top = lambda_star(Phi.shape[0], Phi_target.shape[0], Phi_source.shape[0])
    grid = np.linspace(top / 10.0, top, 10)
    # one fold label per row of the labelled, target and source samples
    fold = [
        rng.permutation(A.shape[0]) % n_folds for A in (Phi, Phi_target, Phi_source)
    ]
    fold = [fold[0], fold[0], fold[0], fold[1], fold[2], fold[2]]
    score = np.zeros(grid.shape[0])
    for k in range(n_folds):
        fit_part = [A[f != k] for A, f in zip(data, fold)]
        held_out = [A[f == k] for A, f in zip(data, fold)]
        for j, lam in enumerate(grid):
            theta, beta = lrqr_threshold(
                *fit_part[:4],
                alpha=alpha,
                lam=lam,
                Phi_source=fit_part[4],
                sw_source=fit_part[5],
            )
            score[j] += _gradient_norm(theta, beta, held_out, tau=1.0 - alpha, lam=lam)
    score /= n_folds
    return float(grid[np.argmin(score)]), grid, score


class _LRQRConformal(MetaEstimatorMixin, BaseEstimator):
    __metadata_request__fit = {"X_target": True}

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "alpha": [Interval(Real, 0, 1, closed="neither")],
        "lam": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "features": [HasMethods(["fit", "transform"]), None],
        "calibration_size": [Interval(Real, 0, 1, closed="neither")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        alpha=0.1,
        lam="auto",
        features=None,
        calibration_size=0.5,
        random_state=None,
    ):
        self.estimator = estimator
        self.alpha = alpha
        self.lam = lam
        self.features = features
        self.calibration_size = calibration_size
        self.random_state = random_state

    def fit(self, X, y, *, X_target=None, sample_weight=None):
        """Fit the model, then LR-QR's threshold function.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Labelled source rows.
        y : array-like of shape (n_samples,)
            Targets.
        X_target : array-like of shape (n_target, n_features), or tuple
            Unlabelled target rows, used by the regulariser. None: no shift
            (the calibration rows stand in for the target).
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, passed to the estimator and to the pinball loss and
            regulariser of the calibration rows.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        self._validate_params()
        X, y = validate_data(
            self, X, y, ensure_min_samples=4, y_numeric=self._y_numeric
        )
        sw = check_sample_weight(sample_weight, X)
        self._check_y(y)
        rng = check_random_state(self.random_state)
        cal, train = _calibration_split(
            self, X, y, sw, calibration_size=self.calibration_size, random_state=rng
        )
        self.estimator_ = _fit_weighted(
            clone(self._default_estimator()), X[train], y[train], sw[train]
        )
        Xt = check_X_target(self, X_target, n_samples=X.shape[0])
        if Xt is None:
            warn_missing_context(
                type(self).__name__,
                "X_target",
                "no shift: the threshold is fitted for the calibration rows themselves",
            )
        scores, w_cal = self._scores(X[cal], y[cal]), sw[cal]
        self._fit_threshold(X[cal], scores, w_cal, X, sw, Xt, rng)
        self.calibration_scores_ = scores
        self.weights_ = w_cal
        h_cal = self._threshold(X[cal])
        self.calibration_coverage_ = float(np.average(scores <= h_cal, weights=w_cal))
        self.shifted_ = Xt is not None
        if self.shifted_:
            warn_no_overlap(X[cal], Xt, owner=type(self).__name__)
            self._warn_empty(Xt)
        else:
            self.target_empty_share_ = 0.0
            self._warn_coverage(w_cal)
        return self

    def _warn_empty(self, Xt):
        """A negative threshold gives an empty set: such target rows are never
        covered, so a share above ``alpha`` rules out nominal coverage."""
        self.target_empty_share_ = float(np.mean(self._threshold(Xt) < 0))
        if self.target_empty_share_ > self.alpha:
            warnings.warn(
                f"{type(self).__name__}: the fitted threshold is negative on "
                f"{100 * self.target_empty_share_:.1f}% of the X_target rows, so "
                "their prediction sets are empty and the target coverage is at "
                f"most {100 * (1 - self.target_empty_share_):.1f}%, below the "
                f"nominal {100 * (1 - self.alpha):.0f}%. The linear threshold "
                "class is too rich for the calibration rows under this shift: "
                "use fewer or smoother features (features=...), more "
                "calibration rows, or a smaller lam.",
                UserWarning,
                stacklevel=3,
            )

    def _fit_threshold(self, X_cal, scores, w_cal, X_source, sw_source, Xt, rng):
        """Scale the scores, choose ``lam`` and solve the LR-QR problem.

        The regulariser's ``E_s[h^2]`` is estimated on every source row of
        positive weight (the paper's unlabelled source sample: the proper
        training rows' features are unused otherwise), ``E_t[h]`` on
        ``Xt`` (the calibration rows without ``X_target``).
        """
        Xt_eff = X_cal if Xt is None else Xt
        scale = _weighted_quantiles(scores, w_cal, np.zeros(1), 1.0 - self.alpha)[0]
        if scale <= 0:
            scale = float(np.average(scores, weights=w_cal)) or 1.0
        self.score_scale_ = scale
        self._fit_features(X_cal, Xt_eff)
        src = sw_source > 0
        problem = (self._phi(X_cal), scores / scale, w_cal, self._phi(Xt_eff))
        source = (self._phi(X_source[src]), sw_source[src])
        if self.lam == "auto":
            self.lam_, self.lam_grid_, self.lam_scores_ = select_lambda(
                *problem, *source, alpha=self.alpha, rng=rng
            )
        else:
            self.lam_ = float(self.lam)
        self.coef_, self.beta_ = lrqr_threshold(
            *problem,
            alpha=self.alpha,
            lam=self.lam_,
            Phi_source=source[0],
            sw_source=source[1],
        )

    def _warn_coverage(self, w):
        n_eff = w.sum() ** 2 / np.dot(w, w)
        floor = 1.0 - self.alpha - 2.0 / np.sqrt(n_eff)
        if self.calibration_coverage_ < floor:
            warnings.warn(
                f"{type(self).__name__}: the fitted threshold covers "
                f"{100 * self.calibration_coverage_:.1f}% of the calibration rows, "
                f"below the nominal {100 * (1 - self.alpha):.0f}% by more than "
                f"sampling noise (2/sqrt(n_calibration)): with no shift the "
                "linear threshold class is too rich for the calibration rows. Use "
                "more calibration rows, fewer features, or lam=0.",
                UserWarning,
                stacklevel=3,
            )

    def _fit_features(self, X_cal, X_target):
        both = np.vstack([X_cal, X_target])
        if self.features is None:
            self.features_ = None
            self._mean = both.mean(axis=0)
            std = both.std(axis=0)
            self._std = np.where(std > 0, std, 1.0)
        else:
            self.features_ = clone(self.features).fit(both)

    def _phi(self, X):
        if self.features_ is None:
            Z = (X - self._mean) / self._std
        else:
            Z = np.asarray(self.features_.transform(X), dtype=np.float64)
        return np.column_stack([np.ones(Z.shape[0]), Z])

    def _threshold(self, X):
        return self.score_scale_ * (self._phi(X) @ self.coef_)

    def predict_threshold(self, X):
        """The fitted threshold ``h(x)`` on the score scale.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows.

        Returns
        -------
        h : ndarray of shape (n_samples,)
            A row's set holds every label whose score is at most ``h(x)``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self._threshold(X)

    def predict(self, X):
        """Point predictions of the fitted estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to predict.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predictions.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self.estimator_.predict(X)


class LRQRConformalRegressor(RegressorMixin, _LRQRConformal):
    """Conformal intervals under covariate shift with no density-ratio estimate.

    Likelihood-ratio regularised quantile regression (LR-QR) of Joshi,
    Kiyani, Pappas, Dobriban and Hassani (2025). The rows are split into a
    proper training part, on which ``estimator`` is fitted, and a calibration
    part with scores ``S_i = |y_i - mu(x_i)|``. A linear threshold function
    ``h(x) = theta' [1, phi(x)]`` and a scale ``beta`` minimise

    ``mean_i pinball_{1-alpha}(h(x_i), S_i) + lam * (beta^2 E_s[h(X)^2]
    - 2 beta E_t[h(X)])``,

    which is the pinball loss plus ``lam * E_s[(beta h - r)^2]`` up to a
    constant, with ``r`` the unknown covariate density ratio. The
    ``E_t`` term uses the unlabelled ``X_target``, the ``E_s`` term every
    source row of positive weight (the paper's unlabelled source sample:
    it needs only ``x``). The interval of a target
    row is ``mu(x) +- h(x)``. At the optimum the threshold is exactly
    calibrated under the shift ``beta h``, and the regulariser pulls ``beta
    h`` towards ``r``, so the target coverage is ``1 - alpha`` up to an error
    that shrinks with ``||beta h - r||``; no density ratio is estimated,
    which is what helps in high dimension.

    Read more in the :ref:`User Guide <lrqr>`.

    Parameters
    ----------
    estimator : regressor, default=None
        Point predictor; ``LinearRegression()`` when None.
    alpha : float in (0, 1), default=0.1
        Miscoverage level: intervals aim at ``1 - alpha`` target coverage.
    lam : float >= 0 or "auto", default="auto"
        Weight of the likelihood-ratio regulariser (scores are scaled to
        their ``1 - alpha`` quantile, so ``lam`` is scale free). ``0`` is
        plain linear quantile regression of the scores. ``"auto"``: the
        paper's rule, ten values from ``lambda*/10`` to ``lambda* = (n_1
        (1/n_2 + 1/n_3))^(-1/3)`` (``n_1`` calibration, ``n_2`` target,
        ``n_3`` unlabelled source rows), the one whose fit has the smallest
        held-out norm of the LR-QR gradient in 3-fold cross-validation.
    features : transformer, default=None
        Map ``phi`` of the threshold's linear class, fitted on the
        calibration and target rows; None: the standardised features.
    calibration_size : float in (0, 1), default=0.5
        Share of the rows used for calibration.
    random_state : int, RandomState instance or None, default=None
        Seeds the split.

    Attributes
    ----------
    estimator_ : regressor
        The point predictor fitted on the proper training rows.
    features_ : transformer or None
        The fitted ``features`` transformer.
    coef_ : ndarray of shape (n_phi + 1,)
        Threshold coefficients (intercept first), on the scaled score.
    beta_ : float
        Fitted scale: ``beta_ * h`` approximates the density ratio. It is
        kept in ``[0.1, 10]`` (the interval of the paper's constrained
        problem), which rules out the degenerate ``h -> 0, beta -> inf``.
    lam_ : float
        The regulariser weight used (``lam``, or the ``"auto"`` choice).
    lam_grid_ : ndarray of shape (10,)
        With ``lam="auto"``: the candidate values.
    lam_scores_ : ndarray of shape (10,)
        With ``lam="auto"``: their mean held-out gradient norms.
    score_scale_ : float
        The calibration scores' ``1 - alpha`` quantile, their unit.
    calibration_scores_ : ndarray of shape (n_calibration,)
        Absolute residuals on the calibration rows.
    weights_ : ndarray of shape (n_calibration,)
        ``sample_weight`` of the calibration rows.
    calibration_coverage_ : float
        Weighted share of calibration (source) rows within their own
        interval. Under shift it is expected to differ from ``1 - alpha``:
        the threshold is calibrated to the target, tilted by ``beta_ * h``.
        Without ``X_target`` a ``UserWarning`` says when it is below ``1 -
        alpha`` by more than ``2 / sqrt(n_calibration)``.
    shifted_ : bool
        Whether ``X_target`` was given.
    target_empty_share_ : float
        Share of the ``X_target`` rows whose threshold is negative, so whose
        set is empty (never covered); a ``UserWarning`` says when it exceeds
        ``alpha``. 0 without ``X_target``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen in ``fit``, when X has string column names.

    See Also
    --------
    WeightedConformalRegressor : Weighted split conformal with an estimated
        density ratio.
    LRQRConformalClassifier : The same construction for prediction sets.

    References
    ----------
    .. [1] S. Joshi, S. Kiyani, G. Pappas, E. Dobriban and H. Hassani,
       "Conformal Inference under High-Dimensional Covariate Shifts via
       Likelihood-Ratio Regularization", 2025, arXiv:2502.13030.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.covariate_shift import LRQRConformalRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(600, 3))
    >>> y = X[:, 0] + rng.normal(scale=0.5 + np.abs(X[:, 0]))
    >>> X_target = rng.normal(0.8, 1.0, size=(400, 3))
    >>> lrqr = LRQRConformalRegressor(random_state=0).fit(
    ...     X, y, X_target=X_target)
    >>> lrqr.predict_interval(X_target).shape
    (400, 2)
    """

    _y_numeric = True

    def _default_estimator(self):
        return LinearRegression() if self.estimator is None else self.estimator

    def _check_y(self, y):
        pass

    def _scores(self, X, y):
        return np.abs(y - self.estimator_.predict(X))

    def predict_interval(self, X):
        """Prediction intervals aiming at ``1 - alpha`` target coverage.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Target rows.

        Returns
        -------
        intervals : ndarray of shape (n_samples, 2)
            Lower and upper bounds; a negative threshold gives the empty
            interval ``[mu, mu]`` of width 0.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        mu, h = self.estimator_.predict(X), np.maximum(self._threshold(X), 0.0)
        return np.column_stack([mu - h, mu + h])


class LRQRConformalClassifier(
    ClassifierMixin, _ConformalClassifierMixin, _LRQRConformal
):
    """LR-QR prediction sets under covariate shift, no density ratio needed.

    The classification form of :class:`LRQRConformalRegressor`: scores
    ``S_i = 1 - p(y_i | x_i)`` from the estimator's ``predict_proba`` on the
    calibration rows, a linear threshold ``h`` fitted by the pinball loss
    plus the likelihood-ratio regulariser (which uses the unlabelled
    ``X_target``), and the set of a target row ``x`` holds every class ``k``
    with ``1 - p(k | x) <= h(x)``.

    Read more in the :ref:`User Guide <lrqr>`.

    Parameters
    ----------
    estimator : classifier, default=None
        Probabilistic classifier; ``LogisticRegression()`` when None.
    alpha : float in (0, 1), default=0.1
        Miscoverage level.
    lam : float >= 0 or "auto", default="auto"
        Weight of the likelihood-ratio regulariser; ``"auto"`` is the
        paper's cross-validated rule (see :class:`LRQRConformalRegressor`).
    features : transformer, default=None
        Map ``phi`` of the threshold's linear class; None: the standardised
        features.
    calibration_size : float in (0, 1), default=0.5
        Share of the rows used for calibration.
    random_state : int, RandomState instance or None, default=None
        Seeds the split.

    Attributes
    ----------
    estimator_ : classifier
        The classifier fitted on the proper training rows.
    classes_ : ndarray of shape (n_classes,)
        Class labels (of ``estimator_``).
    features_ : transformer or None
        The fitted ``features`` transformer.
    coef_ : ndarray of shape (n_phi + 1,)
        Threshold coefficients (intercept first), on the scaled score.
    beta_ : float
        Fitted scale of the threshold, in ``[0.1, 10]``.
    lam_ : float
        The regulariser weight used.
    lam_grid_ : ndarray of shape (10,)
        With ``lam="auto"``: the candidate values.
    lam_scores_ : ndarray of shape (10,)
        With ``lam="auto"``: their mean held-out gradient norms.
    score_scale_ : float
        The calibration scores' ``1 - alpha`` quantile.
    calibration_scores_ : ndarray of shape (n_calibration,)
        Scores ``1 - p(y | x)`` on the calibration rows.
    weights_ : ndarray of shape (n_calibration,)
        ``sample_weight`` of the calibration rows.
    calibration_coverage_ : float
        Weighted share of calibration (source) rows whose set holds their
        class (see :class:`LRQRConformalRegressor`).
    shifted_ : bool
        Whether ``X_target`` was given.
    target_empty_share_ : float
        Share of the ``X_target`` rows whose threshold is negative, so whose
        set is empty (never covered); a ``UserWarning`` says when it exceeds
        ``alpha``. 0 without ``X_target``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen in ``fit``, when X has string column names.

    See Also
    --------
    LRQRConformalRegressor : Intervals for regression.
    WeightedConformalClassifier : Weighted split conformal sets.

    References
    ----------
    .. [1] S. Joshi, S. Kiyani, G. Pappas, E. Dobriban and H. Hassani,
       "Conformal Inference under High-Dimensional Covariate Shifts via
       Likelihood-Ratio Regularization", 2025, arXiv:2502.13030.

    Examples
    --------
    >>> from skreweight.covariate_shift import LRQRConformalClassifier
    >>> from skreweight.datasets import make_covariate_shift
    >>> d = make_covariate_shift(n_source=400, n_target=200, random_state=0)
    >>> clf = LRQRConformalClassifier(random_state=0).fit(
    ...     d.X_source, d.y_source, X_target=d.X_target)
    >>> clf.predict_set(d.X_target).shape
    (200, 2)
    """

    _parameter_constraints = {
        **_LRQRConformal._parameter_constraints,
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
    }

    _y_numeric = False

    def predict_set(self, X):
        """Prediction sets aiming at ``1 - alpha`` target coverage.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Target rows.

        Returns
        -------
        sets : ndarray of shape (n_samples, n_classes), dtype bool
            ``sets[i, k]`` says whether ``classes_[k]`` is in row ``i``'s set.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        h = self._threshold(X)
        return (1.0 - self.estimator_.predict_proba(X)) <= h[:, None]
