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
from sklearn.utils.validation import check_is_fitted, has_fit_parameter, validate_data

from ..utils._sklearn_compat import HasMethods, Interval
from ..utils.validation import (
    check_sample_weight,
    check_X_target,
    warn_missing_context,
    warn_no_overlap,
)
from ._conformal import _ConformalClassifierMixin

__all__ = ["LRQRConformalClassifier", "LRQRConformalRegressor"]

#: smoothing widths of the pinball loss, relative to the score scale
_SMOOTHING = (0.1, 0.03, 0.01, 0.003, 0.001)


def _weighted_quantile(v, w, level):
    order = np.argsort(v)
    cw = np.cumsum(w[order])
    idx = min(int(np.searchsorted(cw, level * cw[-1], side="left")), v.shape[0] - 1)
    return float(v[order][idx])


def _split(n, calibration_size, rng):
    n_cal = min(max(1, int(round(calibration_size * n))), n - 1)
    perm = rng.permutation(n)
    return np.sort(perm[n_cal:]), np.sort(perm[:n_cal])


def _fit_weighted(estimator, X, y, sw):
    """Fit ``estimator``, passing ``sample_weight`` unless all weights are 1."""
    if np.all(sw == 1):
        return estimator.fit(X, y)
    if not has_fit_parameter(estimator, "sample_weight"):
        raise TypeError(
            f"{type(estimator).__name__} does not accept sample_weight in fit, so "
            "it cannot honour the sample weights. Use an estimator that does, or "
            "drop sample_weight."
        )
    return estimator.fit(X, y, sample_weight=sw)


def lrqr_threshold(Phi, scores, sw, Phi_target, *, alpha, lam):
    """Fit LR-QR's threshold ``h = Phi @ theta`` and its scale ``beta``.

    Minimises ``mean_s[sw * pinball_{1-alpha}(h, scores)] + lam * (beta^2
    mean_s[sw * h^2] - 2 beta mean_t[h])`` by L-BFGS, with the pinball loss
    smoothed by a softplus whose width shrinks to ``1e-3`` (continuation).

    Parameters
    ----------
    Phi : ndarray of shape (n, p)
        Features of the calibration rows (with an intercept column).
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

    Returns
    -------
    theta : ndarray of shape (p,)
    beta : float
    """
    tau = 1.0 - alpha
    p = Phi.shape[1]
    w = sw / sw.sum()
    mt = Phi_target.mean(axis=0)
    params = np.zeros(p + 1)
    params[0] = 1.0  # h = 1: the unweighted quantile of the scaled scores
    params[-1] = 1.0

    def objective(par, delta):
        theta, beta = par[:-1], par[-1]
        h = Phi @ theta
        u = scores - h
        z = -u / delta
        soft = np.logaddexp(0.0, z)
        loss = w @ (tau * u + delta * soft)
        dh = w * (expit(z) - tau)
        h2, ht = w @ (h * h), mt @ theta
        f = loss + lam * (beta**2 * h2 - 2.0 * beta * ht)
        g_theta = Phi.T @ dh + lam * (
            2.0 * beta**2 * (Phi.T @ (w * h)) - 2.0 * beta * mt
        )
        g_beta = lam * (2.0 * beta * h2 - 2.0 * ht)
        return f, np.append(g_theta, g_beta)

    for delta in _SMOOTHING:
        res = minimize(
            objective,
            params,
            args=(delta,),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": 500, "gtol": 1e-9},
        )
        params = res.x
    return params[:-1], float(params[-1])


class _LRQRConformal(MetaEstimatorMixin, BaseEstimator):
    __metadata_request__fit = {"X_target": True}

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "alpha": [Interval(Real, 0, 1, closed="neither")],
        "lam": [Interval(Real, 0, None, closed="left")],
        "features": [HasMethods(["fit", "transform"]), None],
        "calibration_size": [Interval(Real, 0, 1, closed="neither")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        alpha=0.1,
        lam=0.1,
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
        train, cal = _split(X.shape[0], self.calibration_size, rng)
        if sw[cal].sum() <= 0 or sw[train].sum() <= 0:
            raise ValueError(
                "sample_weight is zero on every calibration row or on every "
                "training row of the split; give more rows positive weight."
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
        Xt_eff = X[cal] if Xt is None else Xt
        scores = self._scores(X[cal], y[cal])
        w_cal = sw[cal]
        scale = _weighted_quantile(scores, w_cal, 1.0 - self.alpha)
        if scale <= 0:
            scale = float(np.average(scores, weights=w_cal)) or 1.0
        self.score_scale_ = scale
        self._fit_features(X[cal], Xt_eff)
        theta, self.beta_ = lrqr_threshold(
            self._phi(X[cal]),
            scores / scale,
            w_cal,
            self._phi(Xt_eff),
            alpha=self.alpha,
            lam=self.lam,
        )
        self.coef_ = theta
        h_cal = self._threshold(X[cal])
        self.calibration_scores_ = scores
        self.weights_ = w_cal
        self.calibration_coverage_ = float(np.average(scores <= h_cal, weights=w_cal))
        self.shifted_ = Xt is not None
        if self.shifted_:
            warn_no_overlap(X[cal][w_cal > 0], Xt, owner=type(self).__name__)
        else:
            self._warn_coverage(w_cal)
        return self

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
    ``E_t`` term uses the unlabelled ``X_target``. The interval of a target
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
    lam : float >= 0, default=0.1
        Weight of the likelihood-ratio regulariser (scores are scaled to
        their ``1 - alpha`` quantile, so ``lam`` is scale free). ``0`` is
        plain linear quantile regression of the scores.
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
        Fitted scale: ``beta_ * h`` approximates the density ratio.
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
    lam : float >= 0, default=0.1
        Weight of the likelihood-ratio regulariser.
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
        Fitted scale of the threshold.
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
