"""Label-shift (prior-shift) weights: Saerens EM and black-box shift estimation.

Under label shift the class-conditional distributions ``p(x | y)`` are shared
and only the class priors move, from ``pi_s`` in the training rows to ``pi_t``
in the target population. The importance weight of a row is then a function of
its class alone, ``w(y) = pi_t(y) / pi_s(y)``, and ``pi_t`` can be estimated
from unlabelled target covariates with any probabilistic classifier.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from scipy.optimize import minimize
from sklearn.base import BaseEstimator, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import check_cv
from sklearn.utils.validation import has_fit_parameter

from ..base import WeighterMixin
from ..utils._sklearn_compat import HasMethods, Interval, StrOptions, _safe_indexing

__all__ = ["LabelShiftWeighting"]


# ----------------------------------------------------------------- helpers
def class_frequencies(y_index, sample_weight, classes):
    """Sample-weighted share of each class (``y_index`` holds class positions)."""
    counts = np.bincount(y_index, weights=sample_weight, minlength=len(classes))
    if np.any(counts <= 0):
        raise ValueError(
            f"The class(es) {classes[counts <= 0].tolist()} have zero total "
            "sample_weight, so their prior is 0. Drop those rows from the data, "
            "or give them positive weight."
        )
    return counts / counts.sum()


def check_classes(y, owner):
    """Sorted classes and class positions of ``y``; at least two classes."""
    classes, y_index = np.unique(y, return_inverse=True)
    if classes.shape[0] < 2:
        raise ValueError(
            f"{owner} needs at least 2 classes in y, got 1 class: "
            f"{classes.tolist()}. A single-class problem has no priors to adjust."
        )
    return classes, y_index


def check_priors(priors, classes, *, name="priors", atol=1e-6):
    """Validate user class priors against the classes seen in ``fit``.

    Parameters
    ----------
    priors : dict or array-like of shape (n_classes,)
        A mapping ``{class: prior}`` or an array in the order of ``classes``.
    classes : ndarray of shape (n_classes,)
        Sorted class labels seen in ``fit``.
    name : str, default="priors"
        Parameter name for the error messages.
    atol : float, default=1e-6
        How far from 1 the sum may be.

    Returns
    -------
    priors : ndarray of shape (n_classes,)
        Positive priors in the order of ``classes``, summing to 1.
    """
    labels = [c.item() if hasattr(c, "item") else c for c in classes]
    if isinstance(priors, dict):
        unknown = [c for c in priors if c not in labels]
        if unknown:
            raise ValueError(
                f"{name} gives a prior to class(es) {unknown} that do not occur in "
                f"the training labels {labels}. A classifier cannot predict a class "
                "it never saw: drop those classes from the priors, or add labelled "
                "rows of them to the training data."
            )
        missing = [c for c in labels if c not in priors]
        if missing:
            raise ValueError(
                f"{name} has no prior for class(es) {missing}; give one for every "
                f"training class {labels}."
            )
        values = np.array([priors[c] for c in labels], dtype=np.float64)
    else:
        values = np.asarray(priors, dtype=np.float64)
        if values.ndim != 1 or values.shape[0] != len(labels):
            raise ValueError(
                f"{name} has shape {values.shape}, but the training labels have "
                f"{len(labels)} classes {labels}: pass one prior per class, in the "
                "order of classes_, or a dict {class: prior}."
            )
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise ValueError(
            f"{name} must be positive and finite, got {values.tolist()}. A class "
            "with prior 0 cannot be predicted; drop it from the training data "
            "instead."
        )
    total = float(values.sum())
    if abs(total - 1.0) > atol:
        raise ValueError(
            f"{name} must sum to 1, but they sum to {total:.6g}. Divide them by "
            "their sum if they are relative frequencies."
        )
    return values / total


def fit_classifier(estimator, X, y, sample_weight=None, **fit_params):
    """Fit ``estimator``; ``sample_weight`` of all ones may be dropped."""
    if sample_weight is None:
        return estimator.fit(X, y, **fit_params)
    if has_fit_parameter(estimator, "sample_weight"):
        return estimator.fit(X, y, sample_weight=sample_weight, **fit_params)
    if np.all(sample_weight == 1):
        return estimator.fit(X, y, **fit_params)
    raise TypeError(
        f"{type(estimator).__name__} does not accept sample_weight in fit, so it "
        "cannot honour the sample weights. Use a classifier that does (for a "
        "Pipeline, enable metadata routing and request sample_weight on its last "
        "step), or drop sample_weight."
    )


def aligned_proba(estimator, X, classes):
    """``predict_proba`` with one column per class of ``classes`` (0 if unseen)."""
    proba = estimator.predict_proba(X)
    est_classes = np.asarray(estimator.classes_)
    if est_classes.shape == classes.shape and np.all(est_classes == classes):
        return proba
    out = np.zeros((proba.shape[0], classes.shape[0]))
    out[:, np.searchsorted(classes, est_classes)] = proba
    return out


def em_priors(proba, source_priors, *, max_iter=1000, tol=1e-8):
    """Saerens-Latinne-Decaestecker EM estimate of the target class priors.

    Parameters
    ----------
    proba : ndarray of shape (n_target, n_classes)
        Source-calibrated posteriors ``p_s(y | x)`` of the target rows.
    source_priors : ndarray of shape (n_classes,)
        Training class priors the posteriors are calibrated to.
    max_iter : int, default=1000
        Maximum number of EM iterations.
    tol : float, default=1e-8
        Stop when the L1 change of the priors falls below ``tol``.

    Returns
    -------
    priors : ndarray of shape (n_classes,)
    n_iter : int
    converged : bool
    """
    base = proba / source_priors
    pi = source_priors.copy()
    for n_iter in range(1, max_iter + 1):
        post = base * pi
        post /= post.sum(axis=1, keepdims=True)
        new = post.mean(axis=0)
        delta = np.abs(new - pi).sum()
        pi = new
        if delta < tol:
            return pi, n_iter, True
    return pi, max_iter, False


def bbse_priors(confusion, target_mean, source_priors):
    """Black-box shift estimate of the target priors (Lipton et al., 2018).

    Solves ``confusion @ w = target_mean`` for the class weights
    ``w = pi_t / pi_s`` in the least-squares sense and returns
    ``pi_t = w * pi_s``. When that solution has a negative weight (sampling
    noise at a class that is rare or absent in the target), the least-squares
    problem is solved again over the probability simplex,

    .. math:: \\min_{\\pi \\in \\Delta} \\lVert C \\operatorname{diag}(\\pi_s)^{-1}
              \\pi - \\mu \\rVert_2^2,

    which is the constrained estimate itself; clipping the weights at 0 and
    renormalising is not (it is the same only for two classes).

    Parameters
    ----------
    confusion : ndarray of shape (n_classes, n_classes)
        Joint ``P_s(f(x) = i, y = j)`` on held-out source rows.
    target_mean : ndarray of shape (n_classes,)
        ``P_t(f(x) = i)`` on the target rows.
    source_priors : ndarray of shape (n_classes,)

    Returns
    -------
    priors : ndarray of shape (n_classes,)
    """
    w = np.linalg.lstsq(confusion, target_mean, rcond=None)[0]
    if np.all(w <= 0):
        raise ValueError(
            "Black-box shift estimation gave every class a non-positive weight: "
            "the classifier's predictions carry no information about the "
            "classes. Use a better classifier or method='em'."
        )
    pi = w * source_priors
    if np.all(w >= 0) and abs(pi.sum() - 1.0) < 1e-9:
        return pi / pi.sum()
    return _simplex_least_squares(
        confusion / source_priors, target_mean, np.clip(pi, 0, None)
    )


def _simplex_least_squares(A, b, start):
    """``argmin ||A p - b||^2`` over the probability simplex (SLSQP)."""
    K = A.shape[1]
    start = start / start.sum() if start.sum() > 0 else np.full(K, 1.0 / K)
    AtA, Atb = A.T @ A, A.T @ b
    res = minimize(
        lambda p: (p @ AtA @ p - 2 * p @ Atb, 2 * (AtA @ p - Atb)),
        start,
        jac=True,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * K,
        constraints={
            "type": "eq",
            "fun": lambda p: p.sum() - 1.0,
            "jac": lambda p: np.ones_like(p),
        },
        options={"ftol": 1e-14, "maxiter": 500},
    )
    if not res.success:  # pragma: no cover - SLSQP on a convex QP
        warnings.warn(
            f"The simplex-constrained BBSE solve did not converge ({res.message}); "
            "the target priors may be inaccurate.",
            ConvergenceWarning,
            stacklevel=4,
        )
    pi = np.clip(res.x, 0, None)
    return pi / pi.sum()


class _LabelShiftMixin:
    """Parameters and estimation shared by the weighter and the classifier."""

    _label_shift_constraints = {
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "method": [StrOptions({"em", "bbse", "bbse_soft"})],
        "cv": ["cv_object"],
        "n_jobs": [Integral, None],
        "calibration": [StrOptions({"sigmoid", "isotonic"}), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
    }

    def _make_estimator(self):
        est = LogisticRegression() if self.estimator is None else clone(self.estimator)
        if self.calibration is not None:
            est = CalibratedClassifierCV(est, method=self.calibration, cv=3)
        return est

    def _estimate_target_priors(self, X, y, y_index, sw, X_target, fitted=None):
        """Set ``target_priors_`` (and ``n_iter_`` or ``confusion_matrix_``)."""
        self.n_iter_ = 0
        self.confusion_matrix_ = None
        if X_target is None:
            return self.source_priors_.copy()
        if self.method == "em":
            if fitted is None:
                fitted = fit_classifier(self._make_estimator(), X, y, sw)
            proba = aligned_proba(fitted, X_target, self.classes_)
            pi, self.n_iter_, converged = em_priors(
                proba, self.source_priors_, max_iter=self.max_iter, tol=self.tol
            )
            if not converged:
                warnings.warn(
                    f"EM for the target priors did not converge in {self.max_iter} "
                    f"iterations (tol={self.tol}); increase max_iter. EM is slow "
                    "when a class is nearly absent from the target.",
                    ConvergenceWarning,
                    stacklevel=3,
                )
            return pi
        C, mu = self._cross_fitted_confusion(X, y, y_index, sw, X_target)
        self.confusion_matrix_ = C
        never = np.flatnonzero(C.sum(axis=1) == 0)
        if never.size or np.linalg.cond(C) > 1e8:
            warnings.warn(
                "The held-out confusion matrix is (nearly) singular"
                + (
                    f": the classifier never predicts {self.classes_[never].tolist()}"
                    if never.size
                    else ""
                )
                + ". BBSE is then unreliable; use method='em' or 'bbse_soft'.",
                UserWarning,
                stacklevel=3,
            )
        return bbse_priors(C, mu, self.source_priors_)

    def _cross_fitted_confusion(self, X, y, y_index, sw, X_target):
        soft = self.method == "bbse_soft"
        cv = check_cv(self.cv, y, classifier=True)
        folds = Parallel(n_jobs=self.n_jobs)(
            delayed(self._fold)(X, y, y_index, sw, X_target, train, test, soft)
            for train, test in cv.split(X, y)
        )
        C = sum(c for c, _ in folds)
        mu = sum(m for _, m in folds) / len(folds)
        return C / sw.sum(), mu

    def _fold(self, X, y, y_index, sw, X_target, train, test, soft):
        """Joint confusion counts on ``test`` and target outputs of one fold."""
        K = self.classes_.shape[0]
        est = fit_classifier(
            self._make_estimator(),
            _safe_indexing(X, train),
            _safe_indexing(y, train),
            sw[train],
        )
        out_test = self._outputs(est, _safe_indexing(X, test), soft)
        onehot_y = np.eye(K)[y_index[test]] * sw[test][:, None]
        return out_test.T @ onehot_y, self._outputs(est, X_target, soft).mean(axis=0)

    def _outputs(self, est, X, soft):
        proba = aligned_proba(est, X, self.classes_)
        if soft:
            return proba
        # Hard predictions of the balanced-error classifier, argmax p(y|x)/pi_s:
        # any fixed predictor works for BBSE, and this one keeps the confusion
        # matrix well conditioned when the classes are imbalanced.
        balanced = np.argmax(proba / self.source_priors_, axis=1)
        return np.eye(self.classes_.shape[0])[balanced]


class LabelShiftWeighting(_LabelShiftMixin, WeighterMixin, BaseEstimator):
    """Class weights ``pi_target(y) / pi_source(y)`` for label shift.

    Under label shift only the class priors differ between the training rows
    and the target population; ``p(x | y)`` is shared. The target priors are
    estimated from the unlabelled ``X_target`` with a probabilistic
    classifier trained on the labelled rows, and every row of class ``y``
    gets the weight ``pi_t(y) / pi_s(y)``:

    - ``method="em"`` (Saerens et al., 2002): the maximum-likelihood priors,
      by EM on the classifier's posteriors for the target rows. Needs
      calibrated probabilities (see ``calibration``).
    - ``method="bbse"`` (Lipton et al., 2018): solve ``C w = mu``, where ``C``
      is the joint confusion matrix of cross-fitted (held-out) predictions on
      the training rows and ``mu`` the predicted-class shares on the target;
      consistent without calibration. The hard predictions are those of the
      balanced-error classifier, ``argmax p(y|x) / pi_s(y)``, which keeps
      ``C`` well conditioned when a class is rare. ``"bbse_soft"`` uses
      probabilities instead of hard predictions, which lowers the variance.

    ``X_target=None`` means no shift: all weights are 1. Weights average 1
    over the training rows, and :meth:`compute_weights` needs ``y``.

    Read more in the :ref:`User Guide <imbalance>`.

    Parameters
    ----------
    estimator : classifier, default=None
        Probabilistic classifier (with ``predict_proba``);
        ``LogisticRegression()`` when None. Scale the features (a
        :class:`~sklearn.pipeline.Pipeline`) when they differ in scale.
    method : {"em", "bbse", "bbse_soft"}, default="em"
        How the target priors are estimated.
    cv : int, cross-validation generator or iterable, default=5
        Folds of the cross-fitted predictions that BBSE's confusion matrix
        needs; ignored by ``"em"``. An int gives
        :class:`~sklearn.model_selection.StratifiedKFold`.
    calibration : {"sigmoid", "isotonic"} or None, default=None
        Calibrate the classifier with
        :class:`~sklearn.calibration.CalibratedClassifierCV` (3 folds) first;
        useful for EM with boosted trees or forests.
    max_iter : int, default=1000
        Maximum number of EM iterations.
    tol : float, default=1e-8
        EM stops when the L1 change of the priors falls below ``tol``.
    n_jobs : int, default=None
        Number of BBSE folds fitted in parallel (joblib; ``None`` means 1
        unless in a :func:`joblib.parallel_backend` context, e.g. dask).

    Attributes
    ----------
    weights_ : ndarray of shape (n_samples,)
        ``pi_t(y_i) / pi_s(y_i)`` for the training rows; they average 1.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    source_priors_ : ndarray of shape (n_classes,)
        (Sample-weighted) class shares of the training rows.
    target_priors_ : ndarray of shape (n_classes,)
        Estimated class priors of the target population.
    class_weight_ : dict
        ``{class: pi_t / pi_s}``, usable as a classifier's ``class_weight``.
    estimator_ : classifier or None
        The classifier fitted on all rows (``"em"`` only).
    n_iter_ : int
        EM iterations run (0 for BBSE or without ``X_target``).
    confusion_matrix_ : ndarray of shape (n_classes, n_classes) or None
        BBSE's held-out joint confusion matrix, ``[predicted, true]``.
    effective_sample_size_ : float
        Kish effective sample size of the weights.
    ess_ratio_ : float
        ``effective_sample_size_`` over the number of rows.
    max_weight_share_ : float
        Largest share of the total weight held by one row.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen in ``fit``, when X has string column names.

    See Also
    --------
    skreweight.imbalance.LabelShiftAdapter : Correct a classifier's posteriors
        with the estimated priors.
    ClassBalance : Weights that equalise the classes instead.

    References
    ----------
    .. [1] M. Saerens, P. Latinne and C. Decaestecker, "Adjusting the Outputs
       of a Classifier to New a Priori Probabilities: A Simple Procedure",
       Neural Computation 14(1), 2002.
    .. [2] Z. C. Lipton, Y.-X. Wang and A. J. Smola, "Detecting and Correcting
       for Label Shift with Black Box Predictors", ICML 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.weighting import LabelShiftWeighting
    >>> rng = np.random.RandomState(0)
    >>> y = (rng.uniform(size=2000) < 0.5).astype(int)          # 50 % positives
    >>> X = rng.normal(2.0 * y[:, None], 1.0, size=(2000, 2))
    >>> y_t = (rng.uniform(size=2000) < 0.2).astype(int)        # 20 % positives
    >>> X_t = rng.normal(2.0 * y_t[:, None], 1.0, size=(2000, 2))
    >>> lsw = LabelShiftWeighting().fit(X, y, X_target=X_t)
    >>> lsw.target_priors_.round(2)
    array([0.8, 0.2])
    >>> {c: round(w, 1) for c, w in lsw.class_weight_.items()}
    {0: 1.6, 1: 0.4}
    """

    _context = ("X_target",)
    _context_fallbacks = {
        "X_target": "no shift: the target class priors are the training priors, "
        "so every weight is 1"
    }
    _requires_y = True
    __metadata_request__fit = {"X_target": True}

    _parameter_constraints = dict(_LabelShiftMixin._label_shift_constraints)

    def __init__(
        self,
        estimator=None,
        *,
        method="em",
        cv=5,
        calibration=None,
        max_iter=1000,
        tol=1e-8,
        n_jobs=None,
    ):
        self.estimator = estimator
        self.method = method
        self.cv = cv
        self.calibration = calibration
        self.max_iter = max_iter
        self.tol = tol
        self.n_jobs = n_jobs

    def _fit(self, X, y, sample_weight, X_target=None):
        self._validate_params()
        self.classes_, y_index = check_classes(y, type(self).__name__)
        self.source_priors_ = class_frequencies(y_index, sample_weight, self.classes_)
        self.estimator_ = None
        if X_target is not None and self.method == "em":
            self.estimator_ = fit_classifier(
                self._make_estimator(), X, y, sample_weight
            )
        self.target_priors_ = self._estimate_target_priors(
            X, y, y_index, sample_weight, X_target, fitted=self.estimator_
        )
        self._ratio = self.target_priors_ / self.source_priors_
        return self._ratio[y_index]

    def _compute_weights(self, X, y, X_target=None):
        pos = np.clip(np.searchsorted(self.classes_, y), 0, len(self.classes_) - 1)
        unseen = self.classes_[pos] != y
        if np.any(unseen):
            raise ValueError(
                f"y contains classes not seen in fit: {np.unique(y[unseen]).tolist()}."
            )
        return self._ratio[pos]

    @property
    def class_weight_(self):
        """``{class: pi_t / pi_s}`` on the scale of ``weights_``."""
        scale = self._weight_scale[0]
        return {
            (c.item() if hasattr(c, "item") else c): float(r * scale)
            for c, r in zip(self.classes_, self._ratio)
        }
