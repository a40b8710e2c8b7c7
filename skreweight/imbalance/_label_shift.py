"""A classifier whose posteriors follow estimated target class priors."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin
from sklearn.utils import get_tags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from .._core.delegation import ProbaPredictMixin
from .._core.docstrings import fill_doc
from .._core.encoding import check_classes, check_priors, class_frequencies
from .._core.label_shift import LabelShiftMixin, aligned_proba, fit_classifier
from ..utils._sklearn_compat import _fit_context
from ..utils.validation import (
    check_sample_weight,
    check_X_target,
    warn_missing_context,
    warn_no_overlap,
)

__all__ = ["LabelShiftAdapter"]


@fill_doc
class LabelShiftAdapter(
    LabelShiftMixin,
    ProbaPredictMixin,
    ClassifierMixin,
    MetaEstimatorMixin,
    BaseEstimator,
):
    """Adapt a classifier to the class priors of an unlabelled target sample.

    Under label shift only the class priors move, from :math:`\\pi_s` in the
    training rows to :math:`\\pi_t` in the target; ``p(x | y)`` is shared. The
    classifier is fitted on the labelled rows, :math:`\\pi_t` is estimated
    from ``X_target`` (Saerens EM, or black-box shift estimation with a
    cross-fitted confusion matrix), and the posteriors are corrected by Bayes'
    rule:

    .. math:: p_t(y \\mid x) \\propto \\frac{\\pi_t(y)}{\\pi_s(y)}\\, p_s(y \\mid x).

    The class weights :math:`\\pi_t(y) / \\pi_s(y)` are exposed as
    ``class_weight_`` for a weighted refit; the weighter
    :class:`~skreweight.weighting.LabelShiftWeighting` gives them per row.

    Read more in the :ref:`User Guide <imbalance>`.

    Parameters
    ----------
    estimator : classifier, default=None
        Probabilistic classifier (with ``predict_proba``), cloned in ``fit``;
        ``LogisticRegression()`` when None.
    method : {"em", "bbse", "bbse_soft"}, default="em"
        How the target priors are estimated: ``"em"`` (maximum likelihood;
        needs calibrated probabilities), ``"bbse"`` (confusion-matrix
        inversion with held-out hard predictions of the balanced-error
        classifier ``argmax p(y|x) / pi_s(y)``) or ``"bbse_soft"`` (with
        held-out probabilities).
    target_priors : dict or array-like of shape (n_classes,), default=None
        Known target priors; when given, nothing is estimated and
        ``X_target`` is not needed. Positive, summing to 1, one per training
        class (a dict ``{class: prior}`` or an array in the order of
        ``classes_``).
    cv : int, cross-validation generator or iterable, default=5
        Folds of the cross-fitted predictions of BBSE; ignored by ``"em"``.
    calibration : {"sigmoid", "isotonic"} or None, default=None
        Calibrate the classifier with
        :class:`~sklearn.calibration.CalibratedClassifierCV` (3 folds).
    max_iter : int, default=1000
        Maximum number of EM iterations.
    tol : float, default=1e-8
        EM stops when the L1 change of the priors falls below ``tol``.
    n_jobs : int, default=None
        Number of BBSE folds fitted in parallel (joblib; ``None`` means 1
        unless in a :func:`joblib.parallel_backend` context, e.g. dask).

    Attributes
    ----------
    estimator_ : classifier
        The classifier fitted on all labelled rows.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    source_priors_ : ndarray of shape (n_classes,)
        (Sample-weighted) class shares of the training rows.
    target_priors_ : ndarray of shape (n_classes,)
        Target priors: estimated, given, or ``source_priors_`` when neither
        ``X_target`` nor ``target_priors`` is passed.
    class_weight_ : dict
        ``{class: pi_t / pi_s}``.
    weights_ : ndarray of shape (n_samples,)
        The label-shift weight ``pi_t(y_i) / pi_s(y_i)`` of each training row;
        it averages 1 under ``sample_weight``. The posteriors are corrected
        by these ratios; the classifier itself is fitted unweighted.
    n_iter_ : int
        EM iterations run (0 otherwise).
    confusion_matrix_ : ndarray of shape (n_classes, n_classes) or None
        BBSE's held-out joint confusion matrix, ``[predicted, true]``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen in ``fit``, when X has string column names.

    See Also
    --------
    skreweight.weighting.LabelShiftWeighting : The same weights as a weighter.
    LogitAdjustedClassifier : Adjust towards uniform priors.

    References
    ----------
    .. [1] M. Saerens, P. Latinne and C. Decaestecker, "Adjusting the Outputs
       of a Classifier to New a Priori Probabilities: A Simple Procedure",
       Neural Computation 14(1), 2002.
    .. [2] Z. C. Lipton, Y.-X. Wang and A. J. Smola, "Detecting and Correcting
       for Label Shift with Black Box Predictors", ICML 2018.
    .. [3] A. Alexandari, A. Kundaje and A. Shrikumar, "Maximum Likelihood with
       Bias-Corrected Calibration is Hard-To-Beat at Label Shift Adaptation",
       ICML 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.imbalance import LabelShiftAdapter
    >>> rng = np.random.RandomState(0)
    >>> y = (rng.uniform(size=2000) < 0.5).astype(int)
    >>> X = rng.normal(2.0 * y[:, None], 1.0, size=(2000, 2))
    >>> y_t = (rng.uniform(size=2000) < 0.1).astype(int)
    >>> X_t = rng.normal(2.0 * y_t[:, None], 1.0, size=(2000, 2))
    >>> clf = LabelShiftAdapter(method="bbse").fit(X, y, X_target=X_t)
    >>> clf.target_priors_.round(2)
    array([0.9, 0.1])
    >>> bool((clf.predict(X_t) == y_t).mean()
    ...      > (clf.estimator_.predict(X_t) == y_t).mean())
    True
    """

    __metadata_request__fit = {"X_target": True}

    _parameter_constraints: dict = {
        **LabelShiftMixin._label_shift_constraints,
        "target_priors": ["array-like", dict, None],
    }

    def __init__(
        self,
        estimator=None,
        method="em",
        *,
        target_priors=None,
        cv=5,
        calibration=None,
        max_iter=1000,
        tol=1e-8,
        n_jobs=None,
    ):
        self.estimator = estimator
        self.method = method
        self.target_priors = target_priors
        self.cv = cv
        self.calibration = calibration
        self.max_iter = max_iter
        self.tol = tol
        self.n_jobs = n_jobs

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, *, X_target=None, sample_weight=None):
        """Fit the classifier and estimate the target class priors.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Labelled training rows.
        y : array-like of shape (n_samples,)
            Class labels.
        X_target : array-like of shape (n_target, n_features), or tuple, \
                default=None
            Unlabelled rows of the target population. None (and no
            ``target_priors``) means no shift.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, used by the classifier and for the source priors.

        Returns
        -------
        self : object
            Fitted classifier.
        """
        X, y = validate_data(
            self,
            X,
            y,
            dtype=np.float64,
            ensure_all_finite=not get_tags(self).input_tags.allow_nan,
        )
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        self.classes_, y_index = check_classes(y, type(self).__name__)
        sw = check_sample_weight(sample_weight, X)
        self.source_priors_ = class_frequencies(y_index, sw, self.classes_)
        sw = None if sample_weight is None else sw
        self.estimator_ = fit_classifier(self._make_estimator(), X, y, sw)
        if self.target_priors is not None:
            self.target_priors_ = check_priors(
                self.target_priors, self.classes_, name="target_priors"
            )
            self.n_iter_, self.confusion_matrix_ = 0, None
        else:
            X_target = check_X_target(
                self,
                X_target,
                ensure_all_finite=not get_tags(self).input_tags.allow_nan,
                n_samples=X.shape[0],
            )
            if X_target is not None and np.all(np.isfinite(X_target)):
                rows = X if sw is None else X[sw > 0]
                warn_no_overlap(rows, X_target, owner=type(self).__name__)
            if X_target is None:
                warn_missing_context(
                    type(self).__name__,
                    "X_target",
                    "no shift: the target class priors are the training priors "
                    "and the predictions are the classifier's own (pass "
                    "target_priors if you know them)",
                )
            self.target_priors_ = self._estimate_target_priors(
                X,
                y,
                y_index,
                check_sample_weight(sw, X),
                X_target,
                fitted=self.estimator_,
            )
        self._ratio = self.target_priors_ / self.source_priors_
        # the importance weight of each training row, pi_t(y) / pi_s(y): it
        # averages 1 under sample_weight
        self.weights_ = self._ratio[y_index]
        return self

    @property
    def class_weight_(self):
        """``{class: pi_t / pi_s}``."""
        check_is_fitted(self, "estimator_")
        return {
            (c.item() if hasattr(c, "item") else c): float(r)
            for c, r in zip(self.classes_, self._ratio)
        }

    def predict_proba(self, X):
        """Posteriors corrected to the target priors.

        %(predict_proba_doc)s
        """
        check_is_fitted(self, "estimator_")
        X = validate_data(
            self,
            X,
            reset=False,
            dtype=np.float64,
            ensure_all_finite=not get_tags(self).input_tags.allow_nan,
        )
        p = aligned_proba(self.estimator_, X, self.classes_) * self._ratio
        return p / p.sum(axis=1, keepdims=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        est = self._make_estimator()
        tags.input_tags.allow_nan = get_tags(est).input_tags.allow_nan
        return tags
