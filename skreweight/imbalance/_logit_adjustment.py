"""Post-hoc logit adjustment by the log class priors (Menon et al., 2021)."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral, Real

import numpy as np
from scipy.special import softmax
from sklearn import get_config
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    clone,
)
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.utils import get_tags
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    process_routing,
)
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from .._core.crossfit import seeded_cv
from .._core.docstrings import fill_doc
from .._core.encoding import check_classes, check_priors, class_frequencies
from .._core.label_shift import fit_classifier
from ..utils._sklearn_compat import (
    HasMethods,
    Interval,
    StrOptions,
    _fit_context,
    _num_samples,
)
from ..utils.validation import check_sample_weight

__all__ = ["LogitAdjustedClassifier"]

_TINY = np.finfo(np.float64).tiny


def _fit_inner(owner, estimator, X, y, sample_weight, fit_params):
    """Fit ``estimator``, routing ``fit_params`` when metadata routing is on."""
    if get_config().get("enable_metadata_routing", False):
        routed = process_routing(
            owner, "fit", sample_weight=sample_weight, **fit_params
        )
        return estimator.fit(X, y, **routed.estimator.fit)
    if fit_params:
        raise TypeError(
            f"{type(owner).__name__}.fit got unexpected argument(s) "
            f"{sorted(fit_params)}. To pass them to the inner estimator, enable "
            "metadata routing: sklearn.set_config(enable_metadata_routing=True)."
        )
    return fit_classifier(estimator, X, y, sample_weight)


@fill_doc
class LogitAdjustedClassifier(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Adjust any probabilistic classifier's logits by its log class priors.

    A classifier trained on imbalanced data estimates ``p(y | x)``, which is
    pulled towards the frequent classes. Post-hoc logit adjustment (Menon et
    al., 2021) predicts instead with the scores

    .. math:: s_y(x) = \\log p(y \\mid x) - \\tau \\log \\pi_y,

    where :math:`\\pi` are the training class priors. With ``tau=1`` the
    softmax of ``s`` is the posterior under *uniform* class priors, and its
    argmax is the Bayes classifier for the balanced error. For a linear model
    with an unpenalised intercept, post-hoc adjustment gives exactly the model
    trained with the logit-adjusted loss (the intercept absorbs the offset).

    Unlike reweighting, the classifier is fitted once, unweighted: every row
    keeps its weight in the loss, and only the decision rule moves.

    The adjustment is only as good as the probabilities it shifts: with a
    rare class the decision threshold lies in the tail of ``p(y | x)`` (at
    ``p = pi_y`` for two classes), where boosted trees, forests and
    overfitted linear models are least well calibrated. ``calibration``
    fits the classifier in ``cv`` folds and calibrates each fold's model on
    its held-out rows (:class:`~sklearn.calibration.CalibratedClassifierCV`)
    before the adjustment; the fit then costs ``cv`` fits of the classifier.

    Read more in the :ref:`User Guide <imbalance>`.

    Parameters
    ----------
    estimator : classifier, default=None
        Classifier with ``predict_proba``, cloned in ``fit``;
        ``LogisticRegression()`` when None.
    tau : float >= 0, default=1.0
        Strength of the adjustment; 0 gives the plain classifier. Tune it on
        held-out data (e.g. with :class:`~sklearn.model_selection.GridSearchCV`
        and ``scoring="balanced_accuracy"``).
    priors : dict or array-like of shape (n_classes,), default=None
        Class priors :math:`\\pi` to divide out. None uses the (sample-weighted)
        class frequencies of ``y`` in ``fit``. Give them when the training rows
        were subsampled from a population whose priors are known: a dict
        ``{class: prior}`` or an array in the order of ``classes_``, positive
        and summing to 1.
    calibration : {"sigmoid", "isotonic"} or None, default=None
        Calibrate the classifier's probabilities on held-out folds before
        adjusting them: ``"sigmoid"`` (Platt scaling, a refit slope and
        intercept of the log-odds; robust with few minority rows) or
        ``"isotonic"`` (monotone, needs more rows). The fitted classifier
        is then a :class:`~sklearn.calibration.CalibratedClassifierCV`
        that averages the ``cv`` calibrated fold models. None adjusts the
        classifier's own probabilities (and keeps the equivalence with the
        logit-adjusted loss).
    cv : int, cross-validation generator or iterable, default=5
        Folds of the calibration (an int gives
        :class:`~sklearn.model_selection.StratifiedKFold`); ignored when
        ``calibration`` is None.
    n_jobs : int, default=None
        Number of calibration folds fitted in parallel (joblib; ``None``
        means 1 unless in a :func:`joblib.parallel_backend` context).
    random_state : int, RandomState instance or None, default=None
        Shuffles the folds of an int ``cv`` (stratified K-fold); None keeps
        scikit-learn's unshuffled folds.

    Attributes
    ----------
    estimator_ : classifier
        The fitted classifier; a fitted
        :class:`~sklearn.calibration.CalibratedClassifierCV` around clones of
        ``estimator`` when ``calibration`` is set.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    priors_ : ndarray of shape (n_classes,)
        Class priors used in the adjustment.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen in ``fit``, when X has string column names.

    See Also
    --------
    skreweight.weighting.ClassBalance : Reweight the rows instead.
    LabelShiftAdapter : Adjust by estimated *target* priors.
    sklearn.model_selection.TunedThresholdClassifierCV : Tune a binary
        decision threshold on held-out data.

    References
    ----------
    .. [1] A. K. Menon, S. Jayasumana, A. S. Rawat, H. Jain, A. Veit and
       S. Kumar, "Long-tail learning via logit adjustment", ICLR 2021.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.metrics import balanced_accuracy_score
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skreweight.imbalance import LogitAdjustedClassifier
    >>> X, y = make_classification(n_samples=2000, weights=[0.95], random_state=0)
    >>> plain = LogisticRegression().fit(X, y)
    >>> adjusted = LogitAdjustedClassifier(LogisticRegression()).fit(X, y)
    >>> adjusted.priors_.round(3)
    array([0.945, 0.055])
    >>> bool(balanced_accuracy_score(y, adjusted.predict(X))
    ...      > balanced_accuracy_score(y, plain.predict(X)))
    True

    A boosted model's probabilities, calibrated on held-out folds first:

    >>> from sklearn.ensemble import HistGradientBoostingClassifier
    >>> calibrated = LogitAdjustedClassifier(
    ...     HistGradientBoostingClassifier(max_iter=20), calibration="sigmoid", cv=3
    ... ).fit(X, y)
    >>> type(calibrated.estimator_).__name__
    'CalibratedClassifierCV'
    >>> len(calibrated.estimator_.calibrated_classifiers_)
    3
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "tau": [Interval(Real, 0, None, closed="left")],
        "priors": ["array-like", dict, None],
        "calibration": [StrOptions({"sigmoid", "isotonic"}), None],
        "cv": ["cv_object"],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        estimator=None,
        tau=1.0,
        *,
        priors=None,
        calibration=None,
        cv=5,
        n_jobs=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.tau = tau
        self.priors = priors
        self.calibration = calibration
        self.cv = cv
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _get_estimator(self):
        return LogisticRegression() if self.estimator is None else self.estimator

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit the classifier and record the class priors.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, passed to the classifier and used for the priors.
        **fit_params : dict
            With metadata routing enabled, parameters routed to the
            classifier's ``fit``.

        Returns
        -------
        self : object
            Fitted classifier.
        """
        tags = self.__sklearn_tags__()
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=tags.input_tags.sparse,
            ensure_all_finite=not tags.input_tags.allow_nan,
            dtype=None,
            skip_check_array=True,
        )
        n_samples = _num_samples(X)
        if n_samples == 0:
            raise ValueError(
                f"{type(self).__name__}: X has 0 rows (shape "
                f"{getattr(X, 'shape', None)}); a minimum of 1 is required."
            )
        y = column_or_1d(y, warn=True)
        if y.shape[0] != n_samples:
            raise ValueError(
                f"y has {y.shape[0]} entries but X has {n_samples} rows: pass one "
                "label per row of X."
            )
        check_classification_targets(y)
        self.classes_, y_index = check_classes(y, type(self).__name__)
        sw = None if sample_weight is None else check_sample_weight(sample_weight, X)
        if self.priors is None:
            self.priors_ = class_frequencies(y_index, sw, self.classes_)
        else:
            self.priors_ = check_priors(self.priors, self.classes_)
        estimator = clone(self._get_estimator())
        if self.calibration is not None:
            estimator = CalibratedClassifierCV(
                estimator,
                method=self.calibration,
                cv=seeded_cv(
                    self.cv, y, classifier=True, random_state=self.random_state
                ),
                n_jobs=self.n_jobs,
            )
        self.estimator_ = _fit_inner(self, estimator, X, y, sw, fit_params)
        if not np.array_equal(self.estimator_.classes_, self.classes_):
            raise ValueError(
                f"The fitted classifier's classes_ {self.estimator_.classes_} differ "
                f"from the labels {self.classes_}; use a standard classifier."
            )
        return self

    def _adjusted_scores(self, X):
        check_is_fitted(self, "estimator_")
        proba = self.estimator_.predict_proba(X)
        return np.log(np.clip(proba, _TINY, None)) - self.tau * np.log(self.priors_)

    def decision_function(self, X):
        """Adjusted scores ``log p(y|x) - tau * log(prior_y)``.

        %(decision_function_doc)s
            For two classes, the adjusted log-odds of ``classes_[1]``.
        """
        s = self._adjusted_scores(X)
        return s[:, 1] - s[:, 0] if s.shape[1] == 2 else s

    def predict_proba(self, X):
        """Probabilities ``softmax(log p(y|x) - tau * log(prior_y))``.

        With ``tau=1``, the posterior the classifier would give under uniform
        class priors.

        %(predict_proba_doc)s
        """
        return softmax(self._adjusted_scores(X), axis=1)

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`.

        %(predict_log_proba_doc)s
        """
        s = self._adjusted_scores(X)
        return s - np.logaddexp.reduce(s, axis=1, keepdims=True)

    def predict(self, X):
        """Class with the largest adjusted score.

        %(predict_doc)s
        """
        scores = self._adjusted_scores(X)
        return self.classes_[np.argmax(scores, axis=1)]

    def get_metadata_routing(self):
        """Get the metadata routing of this object.

        Returns
        -------
        routing : MetadataRouter
            ``sample_weight`` is used here for the priors; fit parameters go
            to the classifier's ``fit``.
        """
        return MetadataRouter(owner=self).add(
            estimator=self._get_estimator(),
            method_mapping=MethodMapping().add(caller="fit", callee="fit"),
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        est_tags = get_tags(self._get_estimator())
        tags.input_tags.sparse = est_tags.input_tags.sparse
        tags.input_tags.allow_nan = est_tags.input_tags.allow_nan
        tags.input_tags.string = est_tags.input_tags.string
        return tags
