"""Unweighted quantile binning in front of a weighted histogram model.

scikit-learn 1.9's histogram gradient boosting computes its bin edges as
*weighted* quantiles when it gets a ``sample_weight``, and that step is most
of a weighted fit (8-12 times an unweighted one; up to 1.6 the edges ignored
the weights). A feature with at most ``max_bins`` distinct values is binned
on its distinct values, with no quantile at all. :class:`PrebinnedRegressor`
and :class:`PrebinnedClassifier` therefore map each feature to the codes of
its unweighted quantile bins (scikit-learn 1.6's rule) before the inner
estimator sees it, while the trees still see the weights.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    RegressorMixin,
    clone,
)
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, has_fit_parameter, validate_data

from .._core.delegation import DelegatingClassifierMixin
from ..utils._sklearn_compat import HasMethods
from ..utils.validation import check_sample_weight

__all__ = ["PrebinnedClassifier", "PrebinnedRegressor"]


def _bin_thresholds(column, max_bins):
    """Bin thresholds of one feature, as scikit-learn 1.6's ``_BinMapper``.

    Midpoints of the distinct values when there are at most ``max_bins`` of
    them, else the midpoint-interpolated unweighted percentiles; NaN ignored.
    """
    values = column[~np.isnan(column)]
    distinct = np.unique(values)
    if distinct.size <= max_bins:
        return (distinct[:-1] + distinct[1:]) / 2.0
    percentiles = np.linspace(0, 100, max_bins + 1)[1:-1]
    return np.unique(np.percentile(values, percentiles, method="midpoint"))


class _BasePrebinned(MetaEstimatorMixin, BaseEstimator):
    """Bin the features by unweighted quantiles, then fit ``estimator``."""

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "max_bins": [Interval(Integral, 2, 255, closed="both"), None],
        "subsample": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
    }

    def __init__(
        self, estimator=None, *, max_bins=None, subsample=200_000, random_state=None
    ):
        self.estimator = estimator
        self.max_bins = max_bins
        self.subsample = subsample
        self.random_state = random_state

    def _get_estimator(self):
        return self._default_estimator() if self.estimator is None else self.estimator

    def _resolved_max_bins(self, estimator):
        if self.max_bins is not None:
            return self.max_bins
        return min(getattr(estimator, "max_bins", 255), 255)

    def fit(self, X, y, *, sample_weight=None):
        """Bin ``X`` by unweighted quantiles, then fit the estimator on the codes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows, numeric; NaN is kept as missing.
        y : array-like of shape (n_samples,)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, passed to the estimator's ``fit`` only: the bin
            edges do not depend on them.

        Returns
        -------
        self : object
            Fitted meta-estimator.
        """
        self._validate_params()
        X, y = validate_data(
            self,
            X,
            y,
            dtype=np.float64,
            ensure_all_finite="allow-nan",
            y_numeric=self._y_numeric,
        )
        estimator = clone(self._get_estimator())
        max_bins = self._resolved_max_bins(estimator)
        rows = X
        if self.subsample is not None and X.shape[0] > self.subsample:
            rng = check_random_state(self.random_state)
            rows = X[rng.choice(X.shape[0], self.subsample, replace=False)]
        self.bin_thresholds_ = [_bin_thresholds(col, max_bins) for col in rows.T]
        kwargs = {}
        if sample_weight is not None:
            if not has_fit_parameter(estimator, "sample_weight"):
                raise TypeError(
                    f"{type(estimator).__name__}.fit does not accept sample_weight; "
                    f"{type(self).__name__} only pre-bins for estimators that do."
                )
            kwargs["sample_weight"] = check_sample_weight(sample_weight, X)
        self.estimator_ = estimator.fit(self._bin(X), y, **kwargs)
        return self

    def _bin(self, X):
        codes = np.full_like(X, np.nan)
        for j, thresholds in enumerate(self.bin_thresholds_):
            observed = ~np.isnan(X[:, j])
            codes[observed, j] = np.searchsorted(
                thresholds, X[observed, j], side="right"
            )
        return codes

    def bin_codes(self, X):
        """Bin codes of ``X``: what the fitted estimator sees.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to bin.

        Returns
        -------
        codes : ndarray of shape (n_samples, n_features)
            Integer codes as floats, NaN where ``X`` is missing.
        """
        check_is_fitted(self, "estimator_")
        X = validate_data(
            self, X, reset=False, dtype=np.float64, ensure_all_finite="allow-nan"
        )
        return self._bin(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


class PrebinnedRegressor(RegressorMixin, _BasePrebinned):
    """Regressor fitted on unweighted quantile bins of the features.

    The workaround for weighted histogram gradient boosting under
    scikit-learn 1.9, whose weighted bin edges make a weighted fit 4-12 times
    an unweighted one: the edges are the unweighted quantiles (the rule of
    scikit-learn 1.6 and earlier, which ignored the weights), computed here
    once, and the inner model receives the bin codes, which it bins on their
    distinct values at no cost. The weights still enter every split and leaf.
    Use it wherever a library estimator fits a weighted boosted model, e.g.
    ``RLearner(model_final=PrebinnedRegressor())``.

    Parameters
    ----------
    estimator : regressor, default=None
        The model fitted on the bin codes; ``None`` means
        ``HistGradientBoostingRegressor()``. Trees are invariant to the
        monotone map to codes; other models are not, so use trees.
    max_bins : int, default=None
        Bins per feature (2-255); ``None`` means the estimator's own
        ``max_bins`` (255 for histogram gradient boosting). Keep it at most
        the estimator's ``max_bins``, or the estimator bins the codes again.
    subsample : int or None, default=200_000
        Rows used to compute the quantiles, drawn without replacement when
        there are more (as histogram gradient boosting does); ``None`` uses
        all rows.
    random_state : int, RandomState instance or None, default=None
        Seed of that subsample.

    Attributes
    ----------
    estimator_ : regressor
        The fitted model, on bin codes.
    bin_thresholds_ : list of ndarray
        The thresholds of each feature; a value ``x`` gets the code
        ``searchsorted(thresholds, x, side="right")``.
    n_features_in_ : int
        Number of features seen in ``fit``.

    See Also
    --------
    PrebinnedClassifier : The same for classifiers.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.compose import PrebinnedRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(300, 3))
    >>> y = X[:, 0] + rng.normal(scale=0.1, size=300)
    >>> model = PrebinnedRegressor(random_state=0).fit(
    ...     X, y, sample_weight=rng.lognormal(size=300))
    >>> int(model.bin_codes(X).max())
    254
    >>> round(model.score(X, y), 2) > 0.9
    True
    """

    _y_numeric = True

    def _default_estimator(self):
        return HistGradientBoostingRegressor()

    def predict(self, X):
        """Predict with the estimator on the bin codes of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to predict.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predictions.
        """
        codes = self.bin_codes(X)
        return self.estimator_.predict(codes)


class PrebinnedClassifier(DelegatingClassifierMixin, ClassifierMixin, _BasePrebinned):
    """Classifier fitted on unweighted quantile bins of the features.

    :class:`PrebinnedRegressor` for classifiers: the features are mapped to
    the codes of their unweighted quantile bins, so that a weighted histogram
    gradient boosting fit under scikit-learn 1.9 skips its weighted
    quantiles. Use it as the estimator of
    :class:`~skreweight.compose.ReweightedClassifier` or as a propensity
    model.

    Parameters
    ----------
    estimator : classifier, default=None
        The model fitted on the bin codes; ``None`` means
        ``HistGradientBoostingClassifier()``.
    max_bins : int, default=None
        Bins per feature (2-255); ``None`` means the estimator's own
        ``max_bins`` (255 for histogram gradient boosting).
    subsample : int or None, default=200_000
        Rows used to compute the quantiles; ``None`` uses all rows.
    random_state : int, RandomState instance or None, default=None
        Seed of that subsample.

    Attributes
    ----------
    estimator_ : classifier
        The fitted model, on bin codes.
    bin_thresholds_ : list of ndarray
        The thresholds of each feature.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of features seen in ``fit``.

    See Also
    --------
    PrebinnedRegressor : The same for regressors, with the measurements.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.compose import PrebinnedClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(300, 3))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> clf = PrebinnedClassifier(random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    _y_numeric = False

    def _default_estimator(self):
        return HistGradientBoostingClassifier()

    def _delegated_input(self, X):
        return self.bin_codes(X)
