"""Meta-estimators that fit any estimator with a weighter's weights."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn import get_config
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    RegressorMixin,
    clone,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.utils import get_tags
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    get_routing_for_object,
    process_routing,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import (
    check_is_fitted,
    column_or_1d,
    has_fit_parameter,
    validate_data,
)

from .._core.delegation import DelegatingClassifierMixin, estimator_has
from .._core.docstrings import fill_doc
from ..base import _CONTEXT_KEYS
from ..utils._sklearn_compat import HasMethods
from ..utils.validation import check_sample_weight

__all__ = ["ReweightedClassifier", "ReweightedRegressor"]


def _accepts_sample_weight(estimator):
    if has_fit_parameter(estimator, "sample_weight"):
        return True
    if get_config().get("enable_metadata_routing", False):
        try:
            return get_routing_for_object(estimator).consumes(
                "fit", ["sample_weight"]
            ) == {"sample_weight"}
        except Exception:  # pragma: no cover - exotic routers
            return False
    return False


@fill_doc
class _BaseReweighted(MetaEstimatorMixin, BaseEstimator):
    """Fit ``weighter``, then ``estimator`` with ``sample_weight=weights``."""

    __metadata_request__fit = {key: True for key in _CONTEXT_KEYS}

    _parameter_constraints = {
        "weighter": [HasMethods(["fit", "fit_compute_weights"])],
        "estimator": [HasMethods(["fit"]), None],
    }

    def __init__(self, weighter, estimator=None):
        self.weighter = weighter
        self.estimator = estimator

    def _get_estimator(self):
        return self._default_estimator() if self.estimator is None else self.estimator

    def _split_params(self, fit_params):
        context = {k: fit_params.pop(k) for k in _CONTEXT_KEYS if k in fit_params}
        accepted = get_tags(self.weighter).weighter_tags.context
        extra = [k for k, v in context.items() if v is not None and k not in accepted]
        if extra:
            raise TypeError(
                f"{type(self.weighter).__name__} does not use {extra}; it accepts "
                f"{list(accepted) or 'no context'}. Remove the argument, or pick a "
                "weighter that uses it."
            )
        return {k: v for k, v in context.items() if k in accepted}, fit_params

    def fit(self, X, y, *, sample_weight=None, **fit_params):
        """Fit the weighter, then the estimator on the weighted rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            User weights. The weighter's weights average 1 under them, and the
            estimator receives their product.
        **fit_params : dict
            Context for the weighter (``X_target``, ``treatment``,
            ``sample_group``), and, with metadata routing enabled, parameters
            routed to the estimator's ``fit``.

        Returns
        -------
        self : object
            Fitted meta-estimator.
        """
        self._validate_params()
        context, fit_params = self._split_params(dict(fit_params))
        if fit_params and not get_config().get("enable_metadata_routing", False):
            raise TypeError(
                f"{type(self).__name__}.fit got unexpected argument(s) "
                f"{sorted(fit_params)}. To route them to the inner estimator, "
                "enable metadata routing: sklearn.set_config("
                "enable_metadata_routing=True)."
            )
        # Only record n_features_in_ / feature_names_in_ here: the weighter and
        # the estimator validate X and y themselves (each with its own NaN and
        # sparse support), and validating three times costs measurable time.
        validate_data(self, X, skip_check_array=True)
        X_fit = X if hasattr(X, "iloc") or hasattr(X, "tocsr") else self._as_array(X)
        if X_fit.ndim != 2:
            raise ValueError(
                f"Expected a 2D array for X, got {X_fit.ndim}D; reshape it with "
                "X.reshape(-1, 1) for one feature or X.reshape(1, -1) for one row."
            )
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        y = column_or_1d(y, warn=True)
        sw = check_sample_weight(sample_weight, X_fit)
        estimator = clone(self._get_estimator())
        if not _accepts_sample_weight(estimator):
            raise TypeError(
                f"{type(estimator).__name__} does not accept sample_weight in fit, "
                "so it cannot use the weights. Use an estimator that does; for a "
                "Pipeline, enable metadata routing and call "
                "set_fit_request(sample_weight=True) on its final step."
            )
        routed = {}
        if fit_params:
            routed = process_routing(self, "fit", **fit_params)["estimator"]["fit"]
            routed.pop("sample_weight", None)
        self.weighter_ = clone(self.weighter).fit(
            X_fit, y, sample_weight=sample_weight, **context
        )
        weights = self.weighter_.weights_ * sw
        self.estimator_ = estimator.fit(X_fit, y, sample_weight=weights, **routed)
        return self

    def _as_array(self, X):
        return X if hasattr(X, "shape") and hasattr(X, "dtype") else np.asarray(X)

    @property
    def weights_(self):
        """Weights the weighter gave the training rows (before ``sample_weight``)."""
        check_is_fitted(self, "weighter_")
        return self.weighter_.weights_

    @property
    def diagnostics_(self):
        """The weighter's :class:`~skreweight.base.WeightDiagnostics` of this fit."""
        check_is_fitted(self, "weighter_")
        return self.weighter_.diagnostics_

    @available_if(estimator_has("predict"))
    def predict(self, X):
        """Predict with the fitted estimator.

        %(predict_doc)s
        """
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict(X)

    def get_metadata_routing(self):
        """Get the metadata routing of this object.

        Returns
        -------
        routing : MetadataRouter
            Routing information: the context is consumed here, the rest goes
            to the estimator.
        """
        mapping = MethodMapping().add(caller="fit", callee="fit")
        for method in ("predict", "predict_proba", "decision_function", "score"):
            mapping.add(caller=method, callee=method)
        return (
            MetadataRouter(owner=self)
            .add_self_request(self)
            .add(estimator=self._get_estimator(), method_mapping=mapping)
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        est_tags = get_tags(self._get_estimator())
        w_tags = get_tags(self.weighter)
        tags.input_tags.sparse = est_tags.input_tags.sparse and w_tags.input_tags.sparse
        tags.input_tags.allow_nan = (
            est_tags.input_tags.allow_nan and w_tags.input_tags.allow_nan
        )
        return tags


class ReweightedClassifier(ClassifierMixin, DelegatingClassifierMixin, _BaseReweighted):
    """Fit a classifier on rows weighted by a weighter.

    ``fit`` clones and fits ``weighter`` (passing it ``X_target``,
    ``treatment`` or ``sample_group``), then fits a clone of ``estimator`` with
    ``sample_weight = weighter_.weights_ * sample_weight``. Prediction is the
    estimator's. The product is not rescaled, so integer ``sample_weight``
    stays equivalent to repeated rows.

    ``X_target`` and ``sample_group`` are requested by default under metadata
    routing; ``sample_weight`` must be requested explicitly, as in
    scikit-learn. Direct calls need no routing.

    Read more in the :ref:`User Guide <contract>`.

    Parameters
    ----------
    weighter : weighter
        A skreweight weighter (cloned in ``fit``).
    estimator : classifier, default=None
        Any classifier whose ``fit`` takes ``sample_weight``;
        ``LogisticRegression()`` when None.

    Attributes
    ----------
    weighter_ : weighter
        The fitted weighter; its diagnostics (``effective_sample_size_``, ...)
        describe the weights used.
    estimator_ : classifier
        The classifier fitted on the weighted rows.
    weights_ : ndarray of shape (n_samples,)
        ``weighter_.weights_``.
    diagnostics_ : :class:`~skreweight.base.WeightDiagnostics`
        ``weighter_.diagnostics_``: ESS, largest weight share and the
        warnings of the weighter's fit.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen in ``fit``, when X has string column names.

    See Also
    --------
    ReweightedRegressor : The same for regressors.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skreweight.compose import ReweightedClassifier
    >>> from skreweight.datasets import make_covariate_shift
    >>> from skreweight.weighting import ClassifierDensityRatio
    >>> d = make_covariate_shift(n_source=300, n_target=300, random_state=0)
    >>> clf = ReweightedClassifier(ClassifierDensityRatio(), LogisticRegression())
    >>> clf = clf.fit(d.X_source, d.y_source, X_target=d.X_target)
    >>> clf.predict(d.X_target[:3]).shape
    (3,)
    """

    def _default_estimator(self):
        return LogisticRegression()


class ReweightedRegressor(RegressorMixin, _BaseReweighted):
    """Fit a regressor on rows weighted by a weighter.

    The regression counterpart of :class:`ReweightedClassifier`: ``fit``
    fits ``weighter``, then a clone of ``estimator`` with
    ``sample_weight = weighter_.weights_ * sample_weight``.

    Read more in the :ref:`User Guide <contract>`.

    Parameters
    ----------
    weighter : weighter
        A skreweight weighter (cloned in ``fit``).
    estimator : regressor, default=None
        Any regressor whose ``fit`` takes ``sample_weight``; ``Ridge()`` when
        None.

    Attributes
    ----------
    weighter_ : weighter
        The fitted weighter.
    estimator_ : regressor
        The regressor fitted on the weighted rows.
    weights_ : ndarray of shape (n_samples,)
        ``weighter_.weights_``.
    diagnostics_ : :class:`~skreweight.base.WeightDiagnostics`
        ``weighter_.diagnostics_``: ESS, largest weight share and the
        warnings of the weighter's fit.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen in ``fit``, when X has string column names.

    See Also
    --------
    ReweightedClassifier : The same for classifiers.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.compose import ReweightedRegressor
    >>> from skreweight.weighting import ClassifierDensityRatio
    >>> rng = np.random.RandomState(0)
    >>> X, Xt = rng.normal(size=(200, 1)), rng.normal(1, 1, size=(200, 1))
    >>> y = np.sin(2 * X[:, 0])
    >>> reg = ReweightedRegressor(ClassifierDensityRatio()).fit(X, y, X_target=Xt)
    >>> reg.predict(Xt[:2]).shape
    (2,)
    """

    def _default_estimator(self):
        return Ridge()
