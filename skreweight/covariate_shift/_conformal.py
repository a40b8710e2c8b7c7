"""Weighted split-conformal prediction under covariate shift (Tibshirani 2019)."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    RegressorMixin,
    clone,
    is_classifier,
)
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.utils import check_random_state, get_tags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_is_fitted,
    has_fit_parameter,
    validate_data,
)

from .._core.docstrings import fill_doc
from ..utils._sklearn_compat import HasMethods, Interval
from ..utils.validation import (
    check_sample_weight,
    check_X_target,
    warn_missing_context,
)
from ..weighting import ClassifierDensityRatio

__all__ = ["WeightedConformalClassifier", "WeightedConformalRegressor"]


def _weighted_quantiles(scores, cal_w, test_w, level):
    """Per test row, the ``level`` quantile of ``sum_i p_i delta_{V_i} +
    p_{n+1} delta_{+inf}`` with ``p_i = w_i / (sum_k w_k + w(x))``."""
    order = np.argsort(scores)
    v, cw = scores[order], np.cumsum(cal_w[order])
    total = cw[-1] + test_w
    idx = np.searchsorted(cw, level * total, side="left")
    out = np.full(test_w.shape[0], np.inf)
    ok = idx < v.shape[0]
    out[ok] = v[idx[ok]]
    return out


def _label_codes(y):
    """Integer codes of ``y`` (any labels), as a float column for row keys."""
    if y.dtype.kind in "fiub":
        return y.astype(np.float64)
    return np.unique(y.astype(str), return_inverse=True)[1].astype(np.float64)


def _calibration_split(owner, X, y, sw, *, calibration_size, random_state):
    """Random calibration/training split of the distinct rows: ``(cal, train)``.

    The split is drawn over the distinct ``(x, y)`` rows of positive weight,
    in sorted order, and every copy of a row goes where the row goes: an
    integer ``sample_weight`` then gives the same split, and the same
    intervals, as repeated rows, and the order of the rows does not matter.
    A classifier's split (``owner`` is a classifier) is stratified by class
    (over the distinct rows), and every class keeps a training row where it
    has two distinct rows or more, so that the fitted model knows every
    class. Shared by every conformal estimator of the package.
    """
    keep = np.flatnonzero(sw > 0)
    codes = _label_codes(y[keep])
    key = np.column_stack([X[keep], codes])
    _, inverse = np.unique(key, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    n_unique = inverse.max() + 1 if inverse.shape[0] else 0
    if n_unique < 2:
        raise ValueError(
            f"{type(owner).__name__} needs at least 2 distinct rows of positive "
            "weight: one to fit the estimator and one to calibrate."
        )
    rng = check_random_state(random_state)
    perm = rng.permutation(n_unique)
    is_cal = np.zeros(n_unique, dtype=bool)
    if is_classifier(owner):
        label = np.empty(n_unique)
        label[inverse] = codes  # the label of each distinct row
        for c in np.unique(label):
            members = perm[label[perm] == c]
            n_c = members.shape[0]
            n_cal = min(int(round(calibration_size * n_c)), n_c - 1)
            is_cal[members[:n_cal]] = True
    if not is_cal.any():  # a regressor, or no class with two distinct rows
        n_cal = min(max(1, int(round(calibration_size * n_unique))), n_unique - 1)
        is_cal[perm[:n_cal]] = True
    return keep[is_cal[inverse]], keep[~is_cal[inverse]]


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


@fill_doc
class _WeightedConformal(MetaEstimatorMixin, BaseEstimator):
    __metadata_request__fit = {"X_target": True}

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "weighter": [HasMethods(["fit", "compute_weights"]), None],
        "alpha": [Interval(Real, 0, 1, closed="neither")],
        "calibration_size": [Interval(Real, 0, 1, closed="neither")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        weighter=None,
        estimator=None,
        *,
        alpha=0.1,
        calibration_size=0.5,
        random_state=None,
    ):
        self.estimator = estimator
        self.weighter = weighter
        self.alpha = alpha
        self.calibration_size = calibration_size
        self.random_state = random_state

    def fit(self, X, y, *, X_target=None, sample_weight=None):
        """Fit the model on part of the rows and calibrate on the rest.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Labelled source rows.
        y : array-like of shape (n_samples,)
            Targets.
        X_target : array-like of shape (n_target, n_features), or tuple
            Unlabelled target rows; the weighter learns ``p_target /
            p_source`` from them. None: ordinary split conformal (no shift),
            with a :class:`~skreweight.exceptions.MissingContextWarning`.
        sample_weight : array-like of shape (n_samples,), default=None
            Row multiplicities: an integer weight counts as repeated rows. They
            weight the estimator's fit (which must then accept
            ``sample_weight``), the weighter's fit, and the calibration scores.
            Rows with weight 0 are dropped.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        self._validate_params()
        X, y = validate_data(self, X, y, ensure_min_samples=2)
        self._check_y(y)
        sw = check_sample_weight(sample_weight, X)
        estimator = self._default_estimator()
        if sample_weight is not None and not has_fit_parameter(
            estimator, "sample_weight"
        ):
            raise TypeError(
                f"{type(self).__name__}: sample_weight was passed but "
                f"{type(estimator).__name__}.fit does not accept sample_weight; use "
                "an estimator that does, or drop sample_weight."
            )
        cal, train = self._split(X, y, sw)
        fit_sw = {} if sample_weight is None else {"sample_weight": sw[train]}
        self.estimator_ = clone(estimator).fit(X[train], y[train], **fit_sw)
        Xt = check_X_target(self, X_target, n_samples=X.shape[0])
        if Xt is None:
            warn_missing_context(
                type(self).__name__,
                "X_target",
                "no shift: ordinary split conformal, the calibration rows weighted "
                "by sample_weight alone",
            )
            self.weighter_ = None
            self.weights_ = sw[cal]
        else:
            weighter = (
                ClassifierDensityRatio() if self.weighter is None else self.weighter
            )
            if not get_tags(weighter).weighter_tags.out_of_sample:
                raise ValueError(
                    f"{type(weighter).__name__} has no out-of-sample weights, but "
                    "weighted conformal prediction needs w(x) at every test row. "
                    "Use a density-ratio weighter such as ClassifierDensityRatio, "
                    "ULSIF or KLIEP."
                )
            self.weighter_ = clone(weighter).fit(X, sample_weight=sw, X_target=(Xt,))
            self.weights_ = self.weighter_.compute_weights(X[cal]) * sw[cal]
        self.calibration_scores_ = self._scores(X[cal], y[cal])
        return self

    def _split(self, X, y, sw):
        return _calibration_split(
            self,
            X,
            y,
            sw,
            calibration_size=self.calibration_size,
            random_state=self.random_state,
        )

    def _test_weights(self, X):
        if self.weighter_ is None:
            return np.ones(X.shape[0])
        return self.weighter_.compute_weights(X)

    def _quantiles(self, X):
        return _weighted_quantiles(
            self.calibration_scores_,
            self.weights_,
            self._test_weights(X),
            1.0 - self.alpha,
        )

    def predict(self, X):
        """Point predictions of the fitted estimator.

        %(predict_doc)s
            Predictions.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self.estimator_.predict(X)


_ATTRIBUTES_DOC = """\
weights_ : ndarray of shape (n_calibration,)
    Ratio weights of the calibration rows (in row order), the only rows
    the method weights, times their ``sample_weight``; ``sample_weight``
    alone without ``X_target``.
n_features_in_ : int
    Number of features seen in ``fit``.
feature_names_in_ : ndarray of shape (n_features_in_,)
    Names of features seen in ``fit``, when X has string column names."""


@fill_doc(conformal_attributes=_ATTRIBUTES_DOC)
class WeightedConformalRegressor(RegressorMixin, _WeightedConformal):
    """Split-conformal prediction intervals with target coverage under shift.

    Weighted conformal prediction of Tibshirani, Barber, Candes and Ramdas
    (2019). The rows are split into a proper training part, on which
    ``estimator`` is fitted, and a calibration part with scores
    ``V_i = |y_i - mu(x_i)|``. For a target row ``x`` the interval is
    ``mu(x) +- q(x)``, with ``q(x)`` the ``1 - alpha`` quantile of the
    calibration scores weighted by ``w(x_i) = p_target(x_i) / p_source(x_i)``
    plus a point mass ``w(x)`` at infinity. With the true ratio the
    intervals cover a target row's label with probability at least
    ``1 - alpha``; with an estimated ratio the coverage is as good as the
    ratio. Any density-ratio weighter with out-of-sample weights can be used.

    Read more in the :ref:`User Guide <covariate_shift>`.

    Parameters
    ----------
    weighter : weighter, default=None
        Density-ratio weighter with ``compute_weights`` on new rows;
        ``ClassifierDensityRatio()`` when None.
    estimator : regressor, default=None
        Point predictor; ``LinearRegression()`` when None.
    alpha : float in (0, 1), default=0.1
        Miscoverage level: intervals aim at ``1 - alpha`` target coverage.
    calibration_size : float in (0, 1), default=0.5
        Share of the rows used for calibration.
    random_state : int, RandomState instance or None, default=None
        Seeds the split.

    Attributes
    ----------
    estimator_ : regressor
        The point predictor fitted on the proper training rows.
    weighter_ : weighter or None
        The fitted weighter (None without ``X_target``).
    calibration_scores_ : ndarray of shape (n_calibration,)
        Absolute residuals on the calibration rows.
    %(conformal_attributes)s

    See Also
    --------
    WeightedConformalClassifier : Prediction sets for classification.

    References
    ----------
    .. [1] R. J. Tibshirani, R. Foygel Barber, E. Candes and A. Ramdas,
       "Conformal Prediction Under Covariate Shift", NeurIPS 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.covariate_shift import WeightedConformalRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(400, 1))
    >>> y = X[:, 0] + rng.normal(scale=0.5 + np.abs(X[:, 0]))
    >>> X_target = rng.normal(1.0, 1.0, size=(200, 1))
    >>> wcr = WeightedConformalRegressor(random_state=0).fit(
    ...     X, y, X_target=X_target)
    >>> wcr.predict_interval(X_target).shape
    (200, 2)
    """

    def _default_estimator(self):
        return LinearRegression() if self.estimator is None else self.estimator

    def _check_y(self, y):
        pass

    def _scores(self, X, y):
        return np.abs(y - self.estimator_.predict(X))

    def predict_interval(self, X):
        """Prediction intervals with ``1 - alpha`` target coverage.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Target rows.

        Returns
        -------
        intervals : ndarray of shape (n_samples, 2)
            Lower and upper bounds (infinite when the calibration rows carry
            too little weight near ``x``).
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        mu, q = self.estimator_.predict(X), self._quantiles(X)
        return np.column_stack([mu - q, mu + q])


class _ConformalClassifierMixin:
    """The classification side shared by the conformal set estimators.

    A probabilistic classifier (``LogisticRegression()`` by default) is fitted
    as ``estimator_``; the conformity score of a labelled row is one minus the
    probability of its class (1 for a class the classifier never saw).
    """

    def _default_estimator(self):
        return LogisticRegression() if self.estimator is None else self.estimator

    def _check_y(self, y):
        check_classification_targets(y)
        if np.unique(y).shape[0] < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 classes; got 1 class."
            )

    @property
    def classes_(self):
        return self.estimator_.classes_

    def _scores(self, X, y):
        proba = self.estimator_.predict_proba(X)
        idx = np.searchsorted(self.estimator_.classes_, y)
        idx = np.clip(idx, 0, proba.shape[1] - 1)
        seen = self.estimator_.classes_[idx] == y
        return np.where(seen, 1.0 - proba[np.arange(len(y)), idx], 1.0)

    def predict_proba(self, X):
        """Class probabilities of the fitted classifier.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self.estimator_.predict_proba(X)


@fill_doc(conformal_attributes=_ATTRIBUTES_DOC)
class WeightedConformalClassifier(
    ClassifierMixin, _ConformalClassifierMixin, _WeightedConformal
):
    """Split-conformal prediction sets with target coverage under shift.

    The classification counterpart of :class:`WeightedConformalRegressor`:
    scores ``V_i = 1 - p(y_i | x_i)`` from the estimator's ``predict_proba``
    on the calibration rows; the set of a target row ``x`` holds every class
    ``y`` with ``1 - p(y | x) <= q(x)``, the weighted ``1 - alpha`` quantile
    (Tibshirani et al. 2019). Sets cover the true class of a target row with
    probability at least ``1 - alpha`` when the ratio is exact.

    Read more in the :ref:`User Guide <covariate_shift>`.

    Parameters
    ----------
    weighter : weighter, default=None
        Density-ratio weighter with ``compute_weights`` on new rows;
        ``ClassifierDensityRatio()`` when None.
    estimator : classifier, default=None
        Probabilistic classifier; ``LogisticRegression()`` when None.
    alpha : float in (0, 1), default=0.1
        Miscoverage level.
    calibration_size : float in (0, 1), default=0.5
        Share of the rows used for calibration.
    random_state : int, RandomState instance or None, default=None
        Seeds the split.

    Attributes
    ----------
    estimator_ : classifier
        The classifier fitted on the proper training rows.
    weighter_ : weighter or None
        The fitted weighter (None without ``X_target``).
    classes_ : ndarray of shape (n_classes,)
        Class labels (of ``estimator_``).
    calibration_scores_ : ndarray of shape (n_calibration,)
        Scores ``1 - p(y | x)`` on the calibration rows.
    %(conformal_attributes)s

    See Also
    --------
    WeightedConformalRegressor : Intervals for regression.

    References
    ----------
    .. [1] R. J. Tibshirani, R. Foygel Barber, E. Candes and A. Ramdas,
       "Conformal Prediction Under Covariate Shift", NeurIPS 2019.

    Examples
    --------
    >>> from skreweight.covariate_shift import WeightedConformalClassifier
    >>> from skreweight.datasets import make_covariate_shift
    >>> d = make_covariate_shift(n_source=400, n_target=200, random_state=0)
    >>> wcc = WeightedConformalClassifier(random_state=0).fit(
    ...     d.X_source, d.y_source, X_target=d.X_target)
    >>> wcc.predict_set(d.X_target).shape
    (200, 2)
    """

    _parameter_constraints = {
        **_WeightedConformal._parameter_constraints,
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
    }

    def predict_set(self, X):
        """Prediction sets with ``1 - alpha`` target coverage.

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
        q = self._quantiles(X)
        return (1.0 - self.estimator_.predict_proba(X)) <= q[:, None]
