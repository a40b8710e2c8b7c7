"""Logistic regression with the forward-corrected loss (Patrini et al., 2017)."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings
from numbers import Integral, Real

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .._core.encoding import check_classes
from ..utils._sklearn_compat import HasMethods, Interval, _fit_context
from ..utils.validation import check_sample_weight
from ._transition import NoiseTransitionEstimator, check_transition_matrix

__all__ = ["ForwardCorrectedClassifier"]

_TINY = 1e-300


def _forward_loss_grad(theta, X, y_index, sw, T, alpha, fit_intercept, n_free):
    """Mean forward-corrected log-loss plus ``alpha / 2 ||W||^2``, and gradient.

    ``n_free`` logit columns are free; with two classes the logit of class 0
    is fixed at 0 (the binomial model of scikit-learn).
    """
    n, d = X.shape
    K = T.shape[0]
    W = theta[: d * n_free].reshape(d, n_free)
    b = theta[d * n_free :] if fit_intercept else np.zeros(n_free)
    Z = X @ W + b
    if n_free < K:
        Z = np.column_stack([np.zeros(n), Z])
    P = softmax(Z, axis=1)
    TY = T[:, y_index].T  # TY[i, k] = T[k, y_i]
    q = np.maximum(np.einsum("ik,ik->i", P, TY), _TINY)
    sw_sum = sw.sum()
    loss = -np.dot(sw, np.log(q)) / sw_sum
    G_P = -(sw / (q * sw_sum))[:, None] * TY
    G_Z = P * (G_P - np.einsum("ik,ik->i", P, G_P)[:, None])
    if n_free < K:
        G_Z = G_Z[:, 1:]
    obj = loss + 0.5 * alpha * np.sum(W * W)
    grad_W = X.T @ G_Z + alpha * W
    grad = [grad_W.ravel()]
    if fit_intercept:
        grad.append(G_Z.sum(axis=0))
    return obj, np.concatenate(grad)


class ForwardCorrectedClassifier(ClassifierMixin, BaseEstimator):
    """Logistic regression trained through the noise: the forward-corrected loss.

    With class-conditional label noise ``T[i, j] = P(noisy j | clean i)``,
    the model's clean posterior ``p(. | x)`` is mapped to the noisy one,
    ``p(. | x) T``, and the log-loss is taken against the noisy label
    (Patrini et al., 2017),

    .. math:: \\ell(x, \\tilde y) = -\\log\\big(p_\\theta(\\cdot \\mid x)\\,
              T\\big)_{\\tilde y} .

    The model is a multinomial logistic regression (binomial for two
    classes, as in scikit-learn), fitted by L-BFGS on
    ``C * sum_i s_i l_i + ||W||^2 / 2`` (``s`` the sample weights; the
    intercept is not penalised), the objective of
    :class:`~sklearn.linear_model.LogisticRegression`. With ``T = I`` the two
    agree. Prediction drops ``T``: ``predict_proba`` is the clean posterior.

    ``T`` is given, or estimated by a :class:`NoiseTransitionEstimator`
    (its default when None). The corrected loss is not convex in general;
    the solver starts from zero coefficients.

    Read more in the :ref:`User Guide <noisy>`.

    Parameters
    ----------
    transition_matrix : array-like of shape (n_classes, n_classes), \
            NoiseTransitionEstimator or None, default=None
        A known ``T`` (rows: clean classes, columns: noisy classes, in the
        order of the sorted labels), an estimator of it (cloned and fitted
        on the same rows), or None for ``NoiseTransitionEstimator()``.
    C : float > 0, default=1.0
        Inverse strength of the L2 penalty, as in ``LogisticRegression``.
    fit_intercept : bool, default=True
        Whether to fit an (unpenalised) intercept.
    max_iter : int, default=1000
        Maximum number of L-BFGS iterations.
    tol : float >= 0, default=1e-6
        L-BFGS stops when the largest gradient entry falls below ``tol``.

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Coefficients of the clean posterior's logits (one row for two
        classes: the log-odds of ``classes_[1]``).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts.
    transition_matrix_ : ndarray of shape (n_classes, n_classes)
        The ``T`` used.
    transition_estimator_ : NoiseTransitionEstimator or None
        The fitted estimator of ``T`` (None when ``T`` was given).
    n_iter_ : int
        L-BFGS iterations run.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen in ``fit``, when X has string column names.

    See Also
    --------
    TransitionReweighting : Importance weights for any classifier instead.
    sklearn.linear_model.LogisticRegression : The same model without ``T``.

    References
    ----------
    .. [1] G. Patrini, A. Rozza, A. K. Menon, R. Nock and L. Qu, "Making Deep
       Neural Networks Robust to Label Noise: a Loss Correction Approach",
       CVPR 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skreweight.datasets import add_label_noise
    >>> from skreweight.noisy import ForwardCorrectedClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(20000, 1))
    >>> y = (rng.uniform(size=20000) < 1 / (1 + np.exp(-3 * X[:, 0]))).astype(int)
    >>> y_noisy, T = add_label_noise(y, rate=0.3, random_state=0)
    >>> LogisticRegression().fit(X, y_noisy).coef_.round(1)  # the clean slope is 3
    array([[0.6]])
    >>> ForwardCorrectedClassifier(T).fit(X, y_noisy).coef_.round(1)
    array([[2.9]])
    """

    _parameter_constraints: dict = {
        "transition_matrix": ["array-like", HasMethods(["fit", "get_params"]), None],
        "C": [Interval(Real, 0, None, closed="neither")],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        transition_matrix=None,
        *,
        C=1.0,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-6,
    ):
        self.transition_matrix = transition_matrix
        self.C = C
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit the clean model on the noisy labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,)
            Noisy class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights; an integer weight is equivalent to repeating the row.

        Returns
        -------
        self : object
            Fitted classifier.
        """
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        name = type(self).__name__
        self.classes_, y_index = check_classes(y, name)
        sw = check_sample_weight(sample_weight, X)
        T_param = self.transition_matrix
        self.transition_estimator_ = None
        if T_param is None or isinstance(T_param, NoiseTransitionEstimator):
            est = NoiseTransitionEstimator() if T_param is None else clone(T_param)
            self.transition_estimator_ = est.fit(X, y, sample_weight=sample_weight)
            T = self.transition_estimator_.transition_matrix_
        elif hasattr(T_param, "fit"):
            raise TypeError(
                f"{name}: transition_matrix must be an array, a "
                f"NoiseTransitionEstimator or None, got {type(T_param).__name__}."
            )
        else:
            T = check_transition_matrix(T_param, self.classes_, owner=name)
        self.transition_matrix_ = T
        K, d = T.shape[0], X.shape[1]
        n_free = 1 if K == 2 else K
        theta0 = np.zeros(d * n_free + (n_free if self.fit_intercept else 0))
        alpha = 1.0 / (self.C * sw.sum())
        res = minimize(
            _forward_loss_grad,
            theta0,
            args=(X, y_index, sw, T, alpha, self.fit_intercept, n_free),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": self.max_iter, "gtol": self.tol, "ftol": 1e-15},
        )
        if not res.success and res.nit >= self.max_iter:
            warnings.warn(
                f"{name}: L-BFGS did not converge in {self.max_iter} iterations "
                f"({res.message}); increase max_iter or scale the features.",
                ConvergenceWarning,
                stacklevel=2,
            )
        self.n_iter_ = int(res.nit)
        self.coef_ = res.x[: d * n_free].reshape(d, n_free).T.copy()
        self.intercept_ = (
            res.x[d * n_free :].copy() if self.fit_intercept else np.zeros(n_free)
        )
        return self

    def decision_function(self, X):
        """Logits of the clean posterior.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, the log-odds of ``classes_[1]``.
        """
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        scores = X @ self.coef_.T + self.intercept_
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def _full_logits(self, X):
        s = self.decision_function(X)
        return np.column_stack([np.zeros_like(s), s]) if s.ndim == 1 else s

    def predict_proba(self, X):
        """Clean class probabilities (``T`` is not applied).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to predict.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        return softmax(self._full_logits(X), axis=1)

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to predict.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        return log_softmax(self._full_logits(X), axis=1)

    def predict(self, X):
        """Most probable clean class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to predict.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self, "coef_")
        return self.classes_[np.argmax(self._full_logits(X), axis=1)]
