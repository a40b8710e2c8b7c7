"""Just Train Twice: upweight the rows a first model gets wrong."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings
from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import has_fit_parameter, validate_data

from .._core.crossfit import seeded_cv
from .._core.delegation import DelegatingClassifierMixin
from ..utils._sklearn_compat import HasMethods, Interval, StrOptions
from ..utils.validation import check_sample_weight

__all__ = ["JTTClassifier"]


class JTTClassifier(
    ClassifierMixin, DelegatingClassifierMixin, MetaEstimatorMixin, BaseEstimator
):
    """Just Train Twice: refit with the first model's errors upweighted.

    JTT (Liu et al., 2021) improves worst-group accuracy *without group
    labels*: a first, deliberately underfitting, model finds the rows it
    misclassifies (the *error set*, where minority groups concentrate), and a
    second model is trained with those rows counted ``upweight`` times:

    ``w_i = upweight if first_estimator_(x_i) != y_i else 1``,

    rescaled to average 1 (under ``sample_weight``), which is equivalent to
    the paper's duplication of the error set for full-batch losses. Group
    labels are only needed to *choose* ``upweight`` and the first model's
    strength by worst-group validation accuracy (e.g. ``GridSearchCV`` with
    :class:`~skreweight.model_selection.WorstGroupScorer`).

    Read more in the :ref:`User Guide <group_robustness>`.

    Parameters
    ----------
    estimator : classifier, default=None
        The final classifier, whose ``fit`` takes ``sample_weight`` (cloned);
        ``LogisticRegression()`` when None.
    first_estimator : classifier, default=None
        The identification model (cloned); a clone of ``estimator`` when
        None. It must *underfit*: a strong penalty, few iterations or few
        trees; a model that fits the training rows perfectly finds no errors.
    upweight : float >= 1 or "auto", default=20.0
        Weight of the error-set rows relative to the others (the paper's
        ``lambda_up``; its sweeps use 20, 50 and 100). ``"auto"`` uses
        ``floor((n - |E|) / |E|)``, which gives the error set as much total
        weight as the rest.
    cv : int, cross-validation generator, iterable or None, default=None
        None finds the errors in-sample. Otherwise the first model's
        predictions are out-of-fold over these splits (a plain loop over
        ``check_cv(cv, y, classifier=True)``), which finds errors even for
        flexible first models.
    random_state : int, RandomState instance or None, default=None
        Shuffles the folds of an int ``cv`` (stratified K-fold); None keeps
        scikit-learn's unshuffled folds.

    Attributes
    ----------
    first_estimator_ : classifier
        The identification model fitted on all rows.
    estimator_ : classifier
        The final classifier fitted on the reweighted rows.
    error_set_ : ndarray of shape (n_samples,), dtype=bool
        Rows the identification model misclassified.
    upweight_ : float
        The upweighting factor used (resolves ``"auto"``).
    weights_ : ndarray of shape (n_samples,)
        Row weights passed to the final fit (before ``sample_weight``); they
        average 1 under ``sample_weight``.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen in ``fit``, when X has string column names.

    See Also
    --------
    GroupDROClassifier : Minimise the worst group loss, with group labels.

    References
    ----------
    .. [1] E. Z. Liu, B. Haghgoo, A. S. Chen, A. Raghunathan, P. W. Koh,
       S. Sagawa, P. Liang and C. Finn, "Just Train Twice: Improving Group
       Robustness without Training Group Information", ICML 2021.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skreweight.datasets import make_spurious_groups
    >>> from skreweight.robust import JTTClassifier
    >>> d = make_spurious_groups(n_samples=400, random_state=0)
    >>> clf = JTTClassifier(LogisticRegression(), upweight=10).fit(d.X, d.y)
    >>> int(clf.error_set_.sum()) > 0
    True
    >>> clf.predict(d.X[:3]).shape
    (3,)
    """

    _validate_delegated_input = True

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "first_estimator": [HasMethods(["fit", "predict"]), None],
        "upweight": [Interval(Real, 1, None, closed="left"), StrOptions({"auto"})],
        "cv": ["cv_object"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        first_estimator=None,
        *,
        upweight=20.0,
        cv=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.first_estimator = first_estimator
        self.upweight = upweight
        self.cv = cv
        self.random_state = random_state

    def _get_estimator(self):
        return LogisticRegression() if self.estimator is None else self.estimator

    def _get_first_estimator(self):
        if self.first_estimator is None:
            return self._get_estimator()
        return self.first_estimator

    def _predict_first(self, X, y, sw):
        first = self._get_first_estimator()
        self.first_estimator_ = clone(first).fit(X, y, sample_weight=sw)
        if self.cv is None:
            return self.first_estimator_.predict(X)
        pred = np.empty_like(y)
        for train, test in seeded_cv(
            self.cv, y, classifier=True, random_state=self.random_state
        ).split(X, y):
            model = clone(first).fit(X[train], y[train], sample_weight=sw[train])
            pred[test] = model.predict(X[test])
        return pred

    def fit(self, X, y, *, sample_weight=None):
        """Fit the identification model, then the upweighted final model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, used by both fits; the final fit receives
            ``weights_ * sample_weight``.

        Returns
        -------
        self : object
            Fitted classifier.
        """
        self._validate_params()
        X, y = validate_data(self, X, y)
        check_classification_targets(y)
        sw = check_sample_weight(sample_weight, X)
        for est in (self._get_estimator(), self._get_first_estimator()):
            if not has_fit_parameter(est, "sample_weight"):
                raise TypeError(
                    f"{type(est).__name__} does not accept sample_weight in fit, "
                    "so JTT cannot upweight its errors. Use an estimator that does."
                )
        self.error_set_ = self._predict_first(X, y, sw) != y
        n_err = float(sw[self.error_set_].sum())
        if n_err == 0:
            warnings.warn(
                "JTTClassifier: the identification model makes no error on the "
                "training rows, so there is nothing to upweight and the final model "
                "is plain ERM. Make first_estimator underfit (stronger penalty, "
                "fewer iterations) or set cv to find errors out-of-fold.",
                UserWarning,
                stacklevel=2,
            )
        if self.upweight == "auto":
            rest = float(sw.sum()) - n_err
            self.upweight_ = float(max(1.0, np.floor(rest / n_err))) if n_err else 1.0
        else:
            self.upweight_ = float(self.upweight)
        raw = np.where(self.error_set_, self.upweight_, 1.0)
        self.weights_ = raw * sw.sum() / np.dot(raw, sw)
        est = clone(self._get_estimator())
        self.estimator_ = est.fit(X, y, sample_weight=self.weights_ * sw)
        return self
