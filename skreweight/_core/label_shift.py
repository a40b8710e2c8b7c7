"""Label-shift estimation shared by LabelShiftWeighting and LabelShiftAdapter.

Fitting the source classifier, its probabilities aligned to the classes seen
in ``fit``, the Saerens EM and black-box shift (BBSE) estimates of the target
priors, and the mixin holding their parameters and estimation.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from scipy.optimize import minimize
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import check_cv
from sklearn.utils.validation import has_fit_parameter

from ..utils._sklearn_compat import HasMethods, Interval, StrOptions, _safe_indexing


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


class LabelShiftMixin:
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
