"""PRESTO: a cumulative-logit model with slopes fused towards proportional odds.

Faletto & Bien (ICML 2023). The model has one slope vector per class boundary,
``P(y <= k | x) = sigmoid(a_k + x @ b_k)``, and an L1 penalty on the first
slope vector and on the differences of consecutive ones. At a large penalty
all boundaries share one slope (the proportional-odds model, with the rare
class borrowing strength from the others); at ``alpha=0`` it is the
unpenalised non-parallel cumulative-logit maximum likelihood.

The problem is convex. The default solver is a proximal Newton method (exact
Hessian, coordinate descent on the local quadratic plus an active-set Newton
polish, backtracking line search that keeps every training row's probability
positive); ``solver="cvxpy"`` solves the exponential-cone formulation instead.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import logging
import warnings
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from scipy.linalg import LinAlgError, LinAlgWarning, solve
from scipy.special import expit, log_expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from .._core.crossfit import seeded_cv
from .._core.delegation import ProbaPredictMixin
from .._core.docstrings import fill_doc
from .._core.encoding import check_classes
from ..utils._progress import Progress
from ..utils._sklearn_compat import Interval, StrOptions, _fit_context
from ..utils.validation import check_sample_weight

__all__ = ["PRESTOClassifier"]

logger = logging.getLogger(__name__)


# --------------------------------------------------------------- likelihood
def _row_loglik(E, y, K):
    """Log-likelihood of each row; -inf where consecutive cut-offs cross.

    ``E`` has shape (n, K - 1): ``E[i, k] = a_k + x_i @ b_k``; ``y`` holds class
    positions 0..K-1.
    """
    n = E.shape[0]
    out = np.empty(n)
    first, last = y == 0, y == K - 1
    out[first] = log_expit(E[first, 0])
    out[last] = log_expit(-E[last, K - 2])
    mid = ~(first | last)
    if np.any(mid):
        rows, k = np.flatnonzero(mid), y[mid]
        u, v = E[rows, k], E[rows, k - 1]
        delta = v - u
        with np.errstate(invalid="ignore", divide="ignore"):
            val = log_expit(u) + log_expit(-v) + np.log(-np.expm1(delta))
        out[mid] = np.where(delta < 0, val, -np.inf)
    return out


def _loss(E, y, K, sw):
    """Weighted mean negative log-likelihood (inf outside the domain)."""
    ll = _row_loglik(E, y, K)
    if not np.all(np.isfinite(ll[sw > 0])):
        return np.inf
    return -np.dot(sw, np.where(sw > 0, ll, 0.0)) / sw.sum()


def _derivatives(E, y, K, sw):
    """Gradient (n, K-1) and per-row Hessian (n, K-1, K-1) of the loss in E."""
    n, J = E.shape
    w = sw / sw.sum()
    G = np.zeros((n, J))
    Hd = np.zeros((n, J))  # diagonal
    Ho = np.zeros((n, max(J - 1, 0)))  # (k, k-1) off-diagonal
    first, last = y == 0, y == K - 1
    s = expit(E[first, 0])
    G[first, 0] = -(1 - s)
    Hd[first, 0] = s * (1 - s)
    s = expit(E[last, J - 1])
    G[last, J - 1] = s
    Hd[last, J - 1] = s * (1 - s)
    mid = ~(first | last)
    if np.any(mid):
        rows, k = np.flatnonzero(mid), y[mid]
        u, v = E[rows, k], E[rows, k - 1]
        r = np.exp(v - u)
        q = -1.0 / np.expm1(v - u)
        su, sv = expit(u), expit(v)
        G[rows, k] = -(q - su)
        G[rows, k - 1] = -(1 - sv - q)
        rq2 = r * q * q
        Hd[rows, k] = su * (1 - su) + rq2
        Hd[rows, k - 1] = sv * (1 - sv) + rq2
        Ho[rows, k - 1] = -rq2
    return G * w[:, None], Hd * w[:, None], Ho * w[:, None]


class _Problem:
    """Penalised cumulative-logit fit on standardised features.

    Parameters are ``Theta`` of shape (d + 1, J): row 0 holds the first
    intercept and the intercept increments, rows 1..d the first slope vector
    and the slope increments, so that ``[a; B] = Theta @ U`` with ``U`` the
    upper-triangular matrix of ones. The penalty is ``alpha * |Theta[1:]|_1``.
    """

    def __init__(self, Z, y, K, sw):
        self.Z, self.y, self.K, self.sw = Z, y, K, sw
        self.p, self.J = Z.shape[1], K - 1
        self.U = np.triu(np.ones((self.J, self.J)))
        # vec(Gamma) = M vec(Theta), vec stacking columns
        self.M = np.kron(self.U.T, np.eye(self.p))
        self.pen = np.tile(np.r_[0.0, np.ones(self.p - 1)], self.J)

    def E(self, theta):
        return self.Z @ (theta.reshape(self.J, self.p).T @ self.U)

    def objective(self, theta, alpha):
        return _loss(self.E(theta), self.y, self.K, self.sw) + alpha * np.sum(
            self.pen * np.abs(theta)
        )

    def grad_hess(self, theta):
        G, Hd, Ho = _derivatives(self.E(theta), self.y, self.K, self.sw)
        Z, p, J = self.Z, self.p, self.J
        grad_gamma = (Z.T @ G).T.ravel()
        H = np.zeros((p * J, p * J))
        for j in range(J):
            H[j * p : (j + 1) * p, j * p : (j + 1) * p] = Z.T @ (Hd[:, j, None] * Z)
            if j > 0:
                blk = Z.T @ (Ho[:, j - 1, None] * Z)
                H[j * p : (j + 1) * p, (j - 1) * p : j * p] = blk
                H[(j - 1) * p : j * p, j * p : (j + 1) * p] = blk.T
        return self.M.T @ grad_gamma, self.M.T @ H @ self.M

    def init_theta(self):
        """Intercept-only maximum likelihood: the cumulative class shares."""
        counts = np.bincount(self.y, weights=self.sw, minlength=self.K)
        cum = np.cumsum(counts)[:-1] / counts.sum()
        cum = np.clip(cum, 1e-6, 1 - 1e-6)
        cum = np.maximum.accumulate(cum + 1e-9 * np.arange(self.J))
        a = np.log(cum) - np.log1p(-cum)
        theta = np.zeros((self.J, self.p))
        theta[:, 0] = np.r_[a[0], np.diff(a)]
        return theta.ravel()

    def kkt(self, theta, g, alpha):
        lam = alpha * self.pen
        sub = np.where(
            theta != 0,
            np.abs(g + lam * np.sign(theta)),
            np.maximum(np.abs(g) - lam, 0.0),
        )
        return float(np.max(sub))


def _polish(g, H, theta, lam, z):
    """Newton solve of the quadratic on the active set of ``z``, keeping signs.

    Returns the exact minimiser of the local problem if the signs of ``z`` are
    the right ones (signs kept, KKT conditions hold off the support), else None.
    """
    active = (z != 0) | (lam == 0)
    A, inactive = np.flatnonzero(active), np.flatnonzero(~active)
    if A.size == 0:
        cand = np.zeros_like(z)
    else:
        H_AA = H[np.ix_(A, A)]
        rhs = H_AA @ theta[A] - g[A] - lam[A] * np.sign(z[A])
        rhs += H[np.ix_(A, inactive)] @ theta[inactive]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", LinAlgWarning)
                zA = solve(H_AA, rhs, assume_a="pos")
        except (LinAlgError, LinAlgWarning, ValueError):
            return None
        pen_A = lam[A] > 0
        if not np.all(np.sign(zA[pen_A]) == np.sign(z[A][pen_A])):
            return None
        cand = np.zeros_like(z)
        cand[A] = zA
    grad_q = g + H @ (cand - theta)
    if np.all(np.abs(grad_q[inactive]) <= lam[inactive] * (1 + 1e-9) + 1e-12):
        return cand
    return None


def _quadratic_lasso(g, H, theta, lam, max_iter=5000, tol=1e-10, check_every=10):
    """argmin_z g'(z - t) + (z - t)'H(z - t)/2 + sum(lam * |z|).

    Diagonally preconditioned FISTA with adaptive restart finds the signs;
    every ``check_every`` iterations an active-set Newton solve tries to
    finish the job exactly (see :func:`_polish`).
    """
    d = 1.0 / np.sqrt(np.maximum(np.diag(H), 1e-12))
    Hs = H * d[:, None] * d[None, :]  # problem in u = z / d
    gs, ts, thr_s = g * d, theta / d, lam * d
    L = max(float(np.linalg.eigvalsh(Hs)[-1]), 1e-12)
    step = 1.0 / L
    y = ts.copy()
    x_prev, mom = ts.copy(), 1.0
    for it in range(1, max_iter + 1):
        c = y - step * (gs + Hs @ (y - ts))
        x = np.sign(c) * np.maximum(np.abs(c) - step * thr_s, 0.0)
        if np.dot(y - x, x - x_prev) > 0:  # restart when momentum hurts
            mom = 1.0
        mom_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * mom * mom))
        y = x + ((mom - 1.0) / mom_next) * (x - x_prev)
        change = np.max(np.abs(x - x_prev))
        x_prev, mom = x, mom_next
        if it % check_every == 0 or change < tol:
            exact = _polish(g, H, theta, lam, x * d)
            if exact is not None:
                return exact
            if change < tol:
                break
    return x_prev * d


def _fit_newton(problem, alpha, theta0, max_iter, tol):
    """Proximal Newton with backtracking; returns theta, n_iter, converged."""
    theta = theta0.copy()
    lam = alpha * problem.pen
    f = problem.objective(theta, alpha)
    if not np.isfinite(f):
        theta = problem.init_theta()
        f = problem.objective(theta, alpha)
    for it in range(1, max_iter + 1):
        g, H = problem.grad_hess(theta)
        if problem.kkt(theta, g, alpha) < tol:
            return theta, it - 1, True
        z = _quadratic_lasso(g, H, theta, lam)
        d = z - theta
        decrease = g @ d + np.sum(lam * (np.abs(z) - np.abs(theta)))
        if decrease > -1e-16:
            return theta, it, True
        t = 1.0
        for _ in range(60):
            cand = theta + t * d
            f_new = problem.objective(cand, alpha)
            if f_new <= f + 1e-4 * t * decrease:
                break
            t *= 0.5
        else:
            return theta, it, False
        theta, f_old, f = cand, f, f_new
        if abs(f_old - f) <= 1e-15 * max(1.0, abs(f)):
            g, _ = problem.grad_hess(theta)
            return theta, it, problem.kkt(theta, g, alpha) < np.sqrt(tol)
    g, _ = problem.grad_hess(theta)
    return theta, max_iter, problem.kkt(theta, g, alpha) < tol


def _fit_cvxpy(problem, alpha):
    """The exponential-cone formulation of Faletto & Bien, solved by cvxpy."""
    import cvxpy as cp

    Z, y, K, sw = problem.Z, problem.y, problem.K, problem.sw
    p, J = problem.p, problem.J
    Theta = cp.Variable((p, J))
    Gamma = Theta @ problem.U
    E = Z @ Gamma
    w = sw / sw.sum()
    terms = []
    first, last = np.flatnonzero(y == 0), np.flatnonzero(y == K - 1)
    if first.size:
        terms.append(-w[first] @ cp.logistic(-E[first, 0]))
    if last.size:
        terms.append(-w[last] @ cp.logistic(E[last, J - 1]))
    constraints = []
    mid = np.flatnonzero((y > 0) & (y < K - 1))
    if mid.size:
        s = cp.Variable(mid.size)
        flat = cp.vec(E, order="F")  # E[i, k] is flat[k * n + i]
        n = Z.shape[0]
        u = flat[y[mid] * n + mid]
        v = flat[(y[mid] - 1) * n + mid]
        terms.append(w[mid] @ (u + s - cp.logistic(u) - cp.logistic(v)))
        constraints.append(cp.exp(s) + cp.exp(v - u) <= 1)
    loglik = cp.sum(cp.hstack(terms))
    penalty = alpha * cp.sum(cp.abs(Theta[1:, :]))
    prob = cp.Problem(cp.Minimize(-loglik + penalty), constraints)
    prob.solve(solver=cp.CLARABEL)
    if prob.status not in ("optimal", "optimal_inaccurate"):
        raise RuntimeError(f"cvxpy could not solve the PRESTO problem: {prob.status}.")
    return np.asarray(Theta.value).T.ravel()


# ----------------------------------------------------------------- estimator
def _standardize(X, sw):
    w = sw / sw.sum()
    mean = w @ X
    std = np.sqrt(w @ (X - mean) ** 2)
    keep = std > 1e-12 * np.maximum(1.0, np.abs(mean))
    return mean, np.where(keep, std, 1.0), keep


def _brier(P, y, sw):
    onehot = np.eye(P.shape[1])[y]
    return float(np.dot(sw, np.sum((P - onehot) ** 2, axis=1)) / sw.sum())


def _cum_to_proba(E):
    F = expit(E)
    P = np.diff(np.c_[np.zeros(E.shape[0]), F, np.ones(E.shape[0])], axis=1)
    P = np.clip(P, 0.0, None)
    return P / P.sum(axis=1, keepdims=True)


@fill_doc
class PRESTOClassifier(ProbaPredictMixin, ClassifierMixin, BaseEstimator):
    """Ordinal classifier with per-boundary slopes fused towards proportional odds.

    PRESTO (Faletto & Bien, 2023) models ordered classes ``c_1 < ... < c_K``
    (the sorted labels) with a cumulative logit per boundary,

    .. math:: P(y \\le c_k \\mid x) = \\sigma(a_k + x^\\top b_k),
              \\qquad k = 1, \\dots, K - 1,

    and estimates it by penalised maximum likelihood,

    .. math:: \\min_{a, B}\\; -\\frac{1}{n}\\sum_i \\log P(y_i \\mid x_i)
              + \\alpha \\Big(\\|b_1\\|_1 + \\sum_{k=2}^{K-1}
              \\|b_k - b_{k-1}\\|_1\\Big)

    on standardised features. The fusion penalty shrinks the slopes towards
    the proportional-odds model (one shared slope), so that a rare class at
    either end of the scale borrows strength from the frequent ones, while
    boundaries that really differ keep their own slopes. The problem is
    convex. ``alpha=None`` picks the penalty by cross-validation on the
    Brier score (the largest ``alpha`` attaining the minimum); ``alpha=0``
    gives the unpenalised non-parallel cumulative-logit MLE.

    Read more in the :ref:`User Guide <imbalance>`.

    Parameters
    ----------
    alpha : float >= 0 or None, default=None
        Penalty strength. None chooses it by cross-validation.
    alphas : int or array-like, default=20
        Candidates for the cross-validation: an int gives that many values
        log-spaced from ``alpha_max`` (the smallest penalty at which all
        slopes are 0) down to ``alpha_min_ratio * alpha_max``.
    alpha_min_ratio : float, default=0.01
        Ratio of the smallest to the largest candidate.
    cv : int, cross-validation generator or iterable, default=5
        Folds for choosing ``alpha`` (stratified for an int).
    random_state : int, RandomState instance or None, default=None
        Shuffles the folds of an int ``cv`` (stratified K-fold); None keeps
        scikit-learn's unshuffled folds.
    solver : {"newton", "cvxpy"}, default="newton"
        ``"newton"``: proximal Newton (fast, exact). ``"cvxpy"``: the
        exponential-cone program, solved by Clarabel (slow; for checking).
    max_iter : int, default=100
        Maximum number of proximal Newton iterations per fit.
    tol : float, default=1e-8
        Stop when the largest violation of the optimality conditions falls
        below ``tol``.
    n_jobs : int, default=None
        Number of folds fitted in parallel (joblib).
    verbose : int, default=0
        Log the cross-validated Brier score of each candidate when > 0.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Ordered class labels.
    coef_ : ndarray of shape (n_classes - 1, n_features)
        Slopes ``b_k`` of each boundary, on the scale of the input features.
    intercept_ : ndarray of shape (n_classes - 1,)
        Intercepts ``a_k``.
    alpha_ : float
        Penalty used for the final fit.
    alphas_ : ndarray of shape (n_alphas,)
        Candidates tried by cross-validation (None when ``alpha`` is given).
    cv_brier_ : ndarray of shape (n_alphas, n_folds)
        Out-of-fold Brier scores (None when ``alpha`` is given).
    n_iter_ : int
        Proximal Newton iterations of the final fit.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen in ``fit``, when X has string column names.

    See Also
    --------
    LogitAdjustedClassifier : Adjust a classifier for class imbalance.

    Notes
    -----
    Out of sample, separately sloped cumulative probabilities can cross and
    give a negative class probability; such values are clipped to 0 and the
    row renormalised. Training rows always have positive probabilities.

    References
    ----------
    .. [1] G. Faletto and J. Bien, "Predicting Rare Events by Shrinking
       Towards Proportional Odds", ICML 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.imbalance import PRESTOClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(600, 3))
    >>> latent = X @ [1.0, -1.0, 0.5] + rng.logistic(size=600)
    >>> y = np.digitize(latent, [-1.0, 1.0, 3.0])     # 4 ordered classes
    >>> clf = PRESTOClassifier(alpha=0.01).fit(X, y)
    >>> clf.coef_.shape
    (3, 3)
    >>> clf.predict_proba(X[:2]).sum(axis=1)
    array([1., 1.])
    """

    _parameter_constraints: dict = {
        "alpha": [Interval(Real, 0, None, closed="left"), None],
        "alphas": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "alpha_min_ratio": [Interval(Real, 0, 1, closed="neither")],
        "cv": ["cv_object"],
        "random_state": ["random_state"],
        "solver": [StrOptions({"newton", "cvxpy"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        alpha=None,
        *,
        alphas=20,
        alpha_min_ratio=0.01,
        cv=5,
        solver="newton",
        max_iter=100,
        tol=1e-8,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.alpha = alpha
        self.alphas = alphas
        self.alpha_min_ratio = alpha_min_ratio
        self.cv = cv
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    # -- fitting -----------------------------------------------------------
    def _path(self, X, y, sw, alphas, warm=True):
        """Fit the standardised problem for each alpha (decreasing)."""
        mean, scale, keep = _standardize(X, sw)
        Z = np.c_[np.ones(X.shape[0]), (X[:, keep] - mean[keep]) / scale[keep]]
        problem = _Problem(Z, y, self.classes_.shape[0], sw)
        theta = problem.init_theta()
        fits = []
        for alpha in alphas:
            if self.solver == "cvxpy":
                theta, n_iter, ok = _fit_cvxpy(problem, alpha), 0, True
            else:
                theta, n_iter, ok = _fit_newton(
                    problem,
                    alpha,
                    theta if warm else problem.init_theta(),
                    self.max_iter,
                    self.tol,
                )
            if not ok:
                warnings.warn(
                    f"PRESTOClassifier did not converge at alpha={alpha:.4g} in "
                    f"{self.max_iter} iterations; increase max_iter or alpha. At "
                    "alpha=0 on separable data the likelihood has no maximum.",
                    ConvergenceWarning,
                    stacklevel=4,
                )
            fits.append(
                (self._unstandardize(theta, problem, mean, scale, keep), n_iter)
            )
        return fits

    def _unstandardize(self, theta, problem, mean, scale, keep):
        gamma = theta.reshape(problem.J, problem.p).T @ problem.U  # (p, J)
        coef = np.zeros((problem.J, keep.shape[0]))
        coef[:, keep] = (gamma[1:] / scale[keep][:, None]).T
        intercept = gamma[0] - coef @ mean
        return coef, intercept

    def _alpha_max(self, X, y, sw):
        mean, scale, keep = _standardize(X, sw)
        Z = np.c_[np.ones(X.shape[0]), (X[:, keep] - mean[keep]) / scale[keep]]
        problem = _Problem(Z, y, self.classes_.shape[0], sw)
        g, _ = problem.grad_hess(problem.init_theta())
        return float(np.max(np.abs(g[problem.pen > 0]), initial=0.0))

    def _cv_fold(self, X, y, sw, train, test, alphas):
        fits = self._path(X[train], y[train], sw[train], alphas)
        return [
            _brier(_cum_to_proba(X[test] @ coef.T + intercept), y[test], sw[test])
            for (coef, intercept), _ in fits
        ]

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model, choosing ``alpha`` by cross-validation if None.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,)
            Ordered class labels (the sorted labels give the order).
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights in the likelihood, the standardisation and the
            cross-validated Brier score.

        Returns
        -------
        self : object
            Fitted classifier.
        """
        X, y = validate_data(self, X, y, dtype=np.float64)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        self.classes_, y_index = check_classes(y, type(self).__name__)
        sw = check_sample_weight(sample_weight, X)
        counts = np.bincount(y_index, weights=sw, minlength=self.classes_.shape[0])
        if np.any(counts <= 0):
            raise ValueError(
                f"The class(es) {self.classes_[counts <= 0].tolist()} have zero "
                "total sample_weight; drop them or give them positive weight."
            )
        self.alphas_, self.cv_brier_ = None, None
        if self.alpha is not None:
            self.alpha_ = float(self.alpha)
        else:
            self.alpha_ = self._select_alpha(X, y, y_index, sw)
        (((self.coef_, self.intercept_), self.n_iter_),) = self._path(
            X, y_index, sw, [self.alpha_]
        )
        return self

    def _select_alpha(self, X, y, y_index, sw):
        if isinstance(self.alphas, Integral):
            a_max = self._alpha_max(X, y_index, sw)
            alphas = a_max * np.logspace(
                0, np.log10(self.alpha_min_ratio), int(self.alphas)
            )
        else:
            alphas = np.sort(np.asarray(self.alphas, dtype=np.float64))[::-1]
        cv = seeded_cv(self.cv, y, classifier=True, random_state=self.random_state)
        scores = Parallel(n_jobs=self.n_jobs)(
            delayed(self._cv_fold)(X, y_index, sw, train, test, alphas)
            for train, test in cv.split(X, y)
        )
        self.alphas_ = alphas
        self.cv_brier_ = np.asarray(scores).T
        mean = self.cv_brier_.mean(axis=1)
        progress = Progress(self, self.verbose, total=len(alphas), unit="alpha")
        for k, (a, s) in enumerate(zip(alphas, mean), 1):
            progress(k, alpha=float(a), cv_brier=float(s))
        return float(alphas[np.flatnonzero(mean <= mean.min())[0]])

    # -- prediction --------------------------------------------------------
    def predict_proba(self, X):
        """Class probabilities (differences of the cumulative ones).

        %(predict_proba_doc)s
        """
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return _cum_to_proba(X @ self.coef_.T + self.intercept_)
