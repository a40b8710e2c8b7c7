"""Split-conformal prediction sets under label shift (Podkopaev and Ramdas 2021)."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings
from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils._sklearn_compat import HasMethods, Interval
from ..utils.validation import (
    check_sample_weight,
    check_X_target,
    warn_missing_context,
)
from ..weighting import LabelShiftWeighting
from ._conformal import _calibration_split, _fit_weighted, _weighted_quantiles

__all__ = ["LabelShiftConformalClassifier"]


class LabelShiftConformalClassifier(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Split-conformal prediction sets with target coverage under label shift.

    Under label shift ``p(x | y)`` is shared and only the class priors move.
    The calibration scores ``V_i = 1 - p(y_i | x_i)`` become exchangeable
    with a target row's after weighting each calibration row by ``w(y_i) =
    pi_t(y_i) / pi_s(y_i)`` (Podkopaev and Ramdas, 2021). The test label is
    unknown, so each candidate class ``k`` is tested with its own test
    weight: ``k`` is in the set of ``x`` when ``1 - p(k | x)`` is at most the
    ``1 - alpha`` quantile of ``sum_i w(y_i) delta_{V_i} + w(k)
    delta_{+inf}`` (normalised). The prior ratio comes from a
    :class:`~skreweight.weighting.LabelShiftWeighting` (EM or BBSE) fitted
    on the proper training rows and ``X_target``.

    Read more in the :ref:`User Guide <label_shift_conformal>`.

    Parameters
    ----------
    weighter : LabelShiftWeighting, default=None
        Prior-ratio weighter; ``LabelShiftWeighting()`` (EM) when None.
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
    weighter_ : LabelShiftWeighting or None
        The fitted prior-ratio weighter (None without ``X_target``).
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    class_ratio_ : ndarray of shape (n_classes,)
        Estimated ``pi_t / pi_s`` per class (ones without ``X_target``).
    calibration_scores_ : ndarray of shape (n_calibration,)
        Scores ``1 - p(y | x)`` on the calibration rows.
    weights_ : ndarray of shape (n_calibration,)
        Prior-ratio weights times ``sample_weight`` of the calibration rows.
    calibration_coverage_ : float
        Weighted share of calibration rows whose set holds their class (an
        estimate of the target coverage); a ``UserWarning`` says when it is
        below ``1 - alpha`` by more than ``2 / sqrt(n_eff)``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen in ``fit``, when X has string column names.

    See Also
    --------
    WeightedConformalClassifier : The covariate-shift counterpart.
    skreweight.weighting.LabelShiftWeighting : The prior-ratio weights.

    References
    ----------
    .. [1] A. Podkopaev and A. Ramdas, "Distribution-free uncertainty
       quantification for classification under label shift", UAI 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.covariate_shift import LabelShiftConformalClassifier
    >>> rng = np.random.RandomState(0)
    >>> y = rng.choice(3, size=1500, p=[0.6, 0.3, 0.1])
    >>> X = rng.normal(1.5 * y[:, None], 1.0, size=(1500, 2))
    >>> y_t = rng.choice(3, size=1000, p=[0.1, 0.3, 0.6])
    >>> X_t = rng.normal(1.5 * y_t[:, None], 1.0, size=(1000, 2))
    >>> clf = LabelShiftConformalClassifier(random_state=0).fit(X, y, X_target=X_t)
    >>> clf.class_ratio_.round(1)
    array([0.2, 0.9, 5.3])
    >>> clf.predict_set(X_t).shape
    (1000, 3)
    """

    __metadata_request__fit = {"X_target": True}

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
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
        """Fit the classifier and the prior ratio, then calibrate.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Labelled source rows.
        y : array-like of shape (n_samples,)
            Class labels.
        X_target : array-like of shape (n_target, n_features), or tuple
            Unlabelled target rows. None: no shift (plain split conformal).
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, passed to the classifier and the weighter and
            multiplied into the calibration weights.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        self._validate_params()
        X, y = validate_data(self, X, y, ensure_min_samples=4)
        check_classification_targets(y)
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        if self.classes_.shape[0] < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 classes; got 1 class."
            )
        sw = check_sample_weight(sample_weight, X)
        cal, train = _calibration_split(
            self,
            X,
            y,
            sw,
            calibration_size=self.calibration_size,
            random_state=self.random_state,
        )
        if np.unique(y[train]).shape[0] < self.classes_.shape[0]:
            raise ValueError(
                f"{type(self).__name__}: some classes have no row in the proper "
                "training part of the split; every class needs at least two "
                "labelled rows (use more data or another random_state)."
            )
        estimator = LogisticRegression() if self.estimator is None else self.estimator
        self.estimator_ = _fit_weighted(clone(estimator), X[train], y[train], sw[train])
        Xt = check_X_target(self, X_target, n_samples=X.shape[0])
        if Xt is None:
            warn_missing_context(
                type(self).__name__,
                "X_target",
                "no shift: ordinary split conformal sets, the calibration rows "
                "weighted by sample_weight alone",
            )
            self.weighter_ = None
            self.class_ratio_ = np.ones(self.classes_.shape[0])
        else:
            self._fit_class_ratio(X[train], y[train], sw[train], Xt)
        self.calibration_scores_ = self._scores(X[cal], y_idx[cal])
        self.weights_ = self.class_ratio_[y_idx[cal]] * sw[cal]
        if self.weights_.sum() <= 0:
            raise ValueError(
                "Every calibration row has weight 0 (prior ratio times "
                "sample_weight); the calibration set carries no information."
            )
        in_set = self.calibration_scores_ <= self._quantiles()[y_idx[cal]]
        w = self.weights_
        self.calibration_coverage_ = float(np.average(in_set, weights=w))
        n_eff = w.sum() ** 2 / np.dot(w, w)
        if self.calibration_coverage_ < 1.0 - self.alpha - 2.0 / np.sqrt(n_eff):
            warnings.warn(
                f"{type(self).__name__}: the weighted calibration coverage is "
                f"{100 * self.calibration_coverage_:.1f}%, below the nominal "
                f"{100 * (1 - self.alpha):.0f}% by more than sampling noise; the "
                "prior-ratio weights are probably too concentrated.",
                UserWarning,
                stacklevel=2,
            )
        return self

    def _fit_class_ratio(self, X, y, sw, Xt):
        """Fit ``weighter_`` on the training rows; set ``class_ratio_``."""
        weighter = LabelShiftWeighting() if self.weighter is None else self.weighter
        self.weighter_ = clone(weighter).fit(X, y, sample_weight=sw, X_target=Xt)
        one_row_per_class = np.repeat(X[:1], self.classes_.shape[0], axis=0)
        self.class_ratio_ = self.weighter_.compute_weights(
            one_row_per_class, self.classes_
        )

    def _scores(self, X, y_idx):
        proba = self._proba(X)
        return 1.0 - proba[np.arange(X.shape[0]), y_idx]

    def _proba(self, X):
        proba = self.estimator_.predict_proba(X)
        out = np.zeros((X.shape[0], self.classes_.shape[0]))
        out[:, np.searchsorted(self.classes_, self.estimator_.classes_)] = proba
        return out

    def _quantiles(self):
        """Per class ``k``: weighted ``1 - alpha`` quantile, test weight ``w(k)``."""
        return _weighted_quantiles(
            self.calibration_scores_,
            self.weights_,
            self.class_ratio_,
            1.0 - self.alpha,
        )

    def predict_proba(self, X):
        """Class probabilities of the fitted classifier.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, one column per class of ``classes_``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self._proba(X)

    def predict(self, X):
        """Most probable class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted classes.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def predict_set(self, X):
        """Prediction sets with ``1 - alpha`` target coverage under label shift.

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
        return (1.0 - self._proba(X)) <= self._quantiles()[None, :]
