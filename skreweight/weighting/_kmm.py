"""Kernel mean matching (Huang et al. 2007) with a first-order QP solver."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings
from numbers import Integral, Real

import numpy as np
from scipy.optimize import brentq
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning

from ..base import WeighterMixin
from ..exceptions import WeightDegeneracyWarning
from ..utils._kernels import (
    KernelOperator,
    SourceBlockOperator,
    kernel_smooth,
    match_rows,
    resolve_bandwidth,
    target_coverage,
)
from ..utils._sklearn_compat import Interval, StrOptions

__all__ = ["KernelMeanMatching"]


# ----------------------------------------------------------------- projection
def _project_alpha(b, radius):
    """Project ``b`` onto ``{0 <= a <= 1, ||a - 1||_2 <= radius}``.

    With ``z = 1 - a`` the set is the unit box (which has the ball's centre,
    0, as a corner) cut by a ball; for a multiplier ``mu`` of the ball, the
    Lagrangian minimiser is ``clip(s z_b, 0, 1)`` with ``s = 1 / (1 + mu)``.
    The norm is piecewise quadratic in ``s``, so ``s`` is found exactly by
    sorting.
    """
    a = np.clip(b, 0.0, 1.0)
    if radius <= 0:
        return np.ones_like(b)
    zb = np.maximum(1.0 - b, 0.0)
    z = np.minimum(zb, 1.0)
    if np.dot(z, z) <= radius**2:
        return a
    pos = np.sort(zb[zb > 0])[::-1]
    tail = np.cumsum((pos**2)[::-1])[::-1]  # tail[k] = sum_{i >= k} pos_i^2
    k = np.arange(pos.shape[0])
    num = radius**2 - k
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.sqrt(np.where(num > 0, num, np.nan) / tail)
        lower = np.concatenate(([0.0], 1.0 / pos[:-1]))
        upper = 1.0 / pos
    ok = (num > 0) & (s >= lower * (1 - 1e-12)) & (s <= upper * (1 + 1e-12))
    idx = np.flatnonzero(ok)
    s_star = s[idx[0]] if idx.size else radius / np.sqrt(tail[0])
    return 1.0 - np.clip(s_star * zb, 0.0, 1.0)


def _project(a, b, p, q, upper, eps, radius, free_alpha, metric=None):
    """Euclidean projection of ``(a, b)`` onto the DW-KMM feasible set.

    The set is ``0 <= beta <= upper``, ``alpha`` in the box-ball set of
    :func:`_project_alpha` (or fixed at 1), and the slab
    ``|p . beta - q . alpha| <= eps``. The slab's multiplier ``nu`` is found by
    Brent's method on the monotone gap ``g(nu)``. With ``metric`` (one
    positive number per source row) the projection is in the norm
    ``sum_i metric_i beta_i^2 + ||alpha||^2``.
    """
    pm = p if metric is None else p / metric

    def parts(nu):
        beta = np.clip(a - nu * pm, 0.0, upper)
        alpha = _project_alpha(b + nu * q, radius) if free_alpha else b
        return beta, alpha, float(p @ beta - q @ alpha)

    beta, alpha, g = parts(0.0)
    if abs(g) <= eps:
        return beta, alpha
    target = eps if g > 0 else -eps
    sign = 1.0 if g > 0 else -1.0
    step = abs(g - target) / (p @ pm + (q @ q if free_alpha else 0.0))
    hi = sign * step
    for _ in range(200):
        if sign * (parts(hi)[2] - target) <= 0:
            break
        hi *= 2.0
    lo_, hi_ = sorted((0.0, hi))
    nu = brentq(lambda v: parts(v)[2] - target, lo_, hi_, xtol=1e-15, rtol=1e-12)
    beta, alpha, _ = parts(nu)
    return beta, alpha


# --------------------------------------------------------------------- solver
def _solve_matching(
    op,
    p,
    q,
    *,
    upper,
    eps,
    radius,
    free_alpha,
    max_iter,
    tol,
    metric=None,
    window=10,
    verbose=0,
):
    """Minimise ``||sum_i p_i beta_i phi(x_i) - sum_j q_j alpha_j phi(x'_j)||^2``.

    Accelerated projected gradient (FISTA with gradient-based adaptive restart,
    O'Donoghue & Candes 2015) on ``x = (beta, alpha)``; every iteration costs
    one product with the kernel operator ``op`` (dense, or a low-rank factor)
    and one exact projection. Stops when the best objective fell by less than
    ``tol`` times the total decrease so far over the last ``window`` iterations.

    The gradient step and the projection use the metric
    ``diag(metric, 1)`` (``metric`` = the source rows' ``sample_weight``), so
    an integer ``sample_weight`` follows exactly the path of repeated rows.

    Returns ``beta, alpha, objective, n_iter, converged``.
    """
    n, t = p.shape[0], q.shape[0]
    scale = np.r_[p, -q]
    metric = np.ones(n) if metric is None else metric
    full_metric = np.r_[metric, np.ones(t)]
    root = np.sqrt(full_metric)

    def hess_vec(u):  # M^-1/2 H M^-1/2 u
        return 2.0 * scale / root * op.matvec(scale * u / root)

    u = np.random.RandomState(0).uniform(0.5, 1.5, n + t)
    if not free_alpha:
        u[n:] = 0.0
    lip = 0.0
    for _ in range(50):
        w = hess_vec(u)
        if not free_alpha:
            w[n:] = 0.0
        lip_new = float(np.linalg.norm(w) / max(np.linalg.norm(u), 1e-300))
        u = w / max(np.linalg.norm(w), 1e-300)
        if abs(lip_new - lip) <= 1e-3 * lip_new:
            lip = lip_new
            break
        lip = lip_new
    lip = 1.1 * max(lip, 1e-300)

    beta, alpha = _project(np.ones(n), np.ones(t), p, q, upper, eps, radius, free_alpha)
    x = np.concatenate((beta, alpha))
    y, momentum = x.copy(), 1.0
    history, f0, converged = [], None, False
    for it in range(1, max_iter + 1):
        kv = op.matvec(scale * y)
        f_y = float((scale * y) @ kv)
        f0 = f_y if f0 is None else f0
        history.append(min(f_y, history[-1]) if history else f_y)
        if it > window and history[-window - 1] - history[-1] <= tol * max(
            f0 - history[-1], 1e-300
        ):
            converged = True
            break
        grad = 2.0 * scale * kv / full_metric
        beta, alpha = _project(
            y[:n] - grad[:n] / lip,
            y[n:] - grad[n:] / lip if free_alpha else y[n:],
            p,
            q,
            upper,
            eps,
            radius,
            free_alpha,
            metric,
        )
        x_new = np.concatenate((beta, alpha))
        if np.dot(full_metric * (y - x_new), x_new - x) > 0:  # restart the momentum
            momentum = 1.0
        m_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * momentum**2))
        y = x_new + ((momentum - 1.0) / m_new) * (x_new - x)
        x, momentum = x_new, m_new
        if verbose and it % 100 == 0:
            print(f"[kernel matching] iteration {it}, objective {history[-1]:.4e}")
    v = scale * x
    objective = float(v @ op.matvec(v))
    return x[:n], x[n:], max(objective, 0.0), it, converged


def _solve_kmm(op, p, *, upper, eps, metric, max_iter, tol, window=10, verbose=0):
    """Kernel mean matching with fixed target weights: the lean solver.

    The same accelerated projected gradient as :func:`_solve_matching`, on
    ``beta`` alone, with the source block ``K_ss``, the vector ``K_st q`` and
    the constant ``q K_tt q`` of a :class:`SourceBlockOperator`. Returns
    ``beta, objective, n_iter, converged``.
    """
    kst, c_tt = op.kst_q, op.c_tt
    pm, root = p / metric, np.sqrt(metric)

    def project(a):
        beta = np.clip(a, 0.0, upper)
        g = float(p @ beta) - 1.0
        if abs(g) <= eps:
            return beta
        target = eps if g > 0 else -eps
        sign = 1.0 if g > 0 else -1.0

        def gap(nu):
            return float(p @ np.clip(a - nu * pm, 0.0, upper)) - 1.0 - target

        hi = sign * abs(g - target) / float(p @ pm)
        for _ in range(200):
            if sign * gap(hi) <= 0:
                break
            hi *= 2.0
        lo_, hi_ = sorted((0.0, hi))
        nu = brentq(gap, lo_, hi_, xtol=1e-15, rtol=1e-12)
        return np.clip(a - nu * pm, 0.0, upper)

    u = np.random.RandomState(0).uniform(0.5, 1.5, p.shape[0])
    lip = 0.0
    for _ in range(50):
        w = 2.0 * p / root * op.kss(p * u / root)
        lip_new = float(np.linalg.norm(w) / max(np.linalg.norm(u), 1e-300))
        u = w / max(np.linalg.norm(w), 1e-300)
        done = abs(lip_new - lip) <= 1e-3 * lip_new
        lip = lip_new
        if done:
            break
    lip = 1.1 * max(lip, 1e-300)

    x = project(np.ones(p.shape[0]))
    y, momentum = x.copy(), 1.0
    history, f0, converged = [], None, False
    for it in range(1, max_iter + 1):
        a = p * y
        ka = op.kss(a)
        f_y = float(a @ ka - 2.0 * (a @ kst) + c_tt)
        f0 = f_y if f0 is None else f0
        history.append(min(f_y, history[-1]) if history else f_y)
        if it > window and history[-window - 1] - history[-1] <= tol * max(
            f0 - history[-1], 1e-300
        ):
            converged = True
            break
        x_new = project(y - (2.0 * p * (ka - kst) / metric) / lip)
        if np.dot(metric * (y - x_new), x_new - x) > 0:  # restart the momentum
            momentum = 1.0
        m_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * momentum**2))
        y = x_new + ((momentum - 1.0) / m_new) * (x_new - x)
        x, momentum = x_new, m_new
        if verbose and it % 100 == 0:
            print(f"[kernel mean matching] iteration {it}, objective {history[-1]:.4e}")
    a = p * x
    objective = float(a @ op.kss(a) - 2.0 * (a @ kst) + c_tt)
    return x, max(objective, 0.0), it, converged


def _warn_uncovered(owner, share, beta, sw):
    if share > 0.05:
        eff = beta * sw
        ess = eff.sum() ** 2 / max(float(eff @ eff), 1e-300)
        warnings.warn(
            f"{owner}: {100 * share:.1f}% of the target rows lie where the source "
            "rows have almost no mass (source/target kernel density below 1%); "
            "reweighting the source cannot represent that part of the target. "
            f"Effective sample size of the weights: {ess:.1f} of {len(beta)} rows.",
            WeightDegeneracyWarning,
            stacklevel=4,
        )


class _KernelMatchingMixin:
    """Parameters, kernel set-up and out-of-sample rule shared with DoubleWeighting."""

    def _setup_kernel(self, X, X_target):
        Z = np.vstack([X, X_target])
        self.bandwidth_ = resolve_bandwidth(self.bandwidth, Z, self.random_state)
        op = KernelOperator(
            Z,
            self.bandwidth_,
            approximation=self.approximation,
            n_components=self.n_components,
            random_state=self.random_state,
        )
        self.approximation_ = op.approximation
        return op

    def _finish(self, beta, objective, n_iter, converged, X, sw):
        self.objective_ = objective
        self.n_iter_ = n_iter
        if not converged:
            warnings.warn(
                f"{type(self).__name__} did not converge in max_iter={self.max_iter} "
                f"iterations (tol={self.tol}); increase max_iter or tol.",
                ConvergenceWarning,
                stacklevel=4,
            )
        self._X_fit, self._sw_fit, self._beta_fit = X.copy(), sw.copy(), beta.copy()

    def _compute_weights(self, X, y, X_target=None):
        if self._beta_fit is None:
            return np.ones(X.shape[0])
        out = kernel_smooth(
            X, self._X_fit, self._beta_fit, self._sw_fit, self.bandwidth_
        )
        idx = match_rows(X, self._X_fit)
        out[idx >= 0] = self._beta_fit[idx[idx >= 0]]
        return out


class KernelMeanMatching(_KernelMatchingMixin, WeighterMixin, BaseEstimator):
    """Kernel mean matching: source weights whose kernel mean equals the target's.

    Solves the KMM quadratic program of Huang et al. (2007),

    .. math::

        \\min_{\\beta} \\Big\\| \\sum_i p_i \\beta_i \\phi(x_i)
        - \\frac{1}{t} \\sum_j \\phi(x'_j) \\Big\\|_{\\mathcal{H}}^2
        \\quad \\text{s.t.} \\quad 0 \\le \\beta_i \\le B,\\;
        \\Big| \\sum_i p_i \\beta_i - 1 \\Big| \\le \\epsilon,

    with a Gaussian kernel, ``p_i`` the share of row ``i`` in the source sample
    (``1/n``, or proportional to ``sample_weight``) and ``t`` target rows.
    The QP is solved by an accelerated projected gradient method with an exact
    projection onto the box and the slab, not by a generic QP solver: each
    iteration is one kernel-vector product. Above ``2,000`` pooled rows
    (``approximation="auto"``) the Gram matrix is replaced by a Nystroem factor
    with ``n_components`` landmarks, so memory stays ``O(n r)``.

    Out-of-sample rule: :meth:`compute_weights` returns the fitted weight for a
    row equal to a fitted source row, and the kernel (Nadaraya-Watson) average
    of the fitted weights for any other row.

    Read more in the :ref:`User Guide <covariate_shift>`.

    Parameters
    ----------
    bandwidth : float, "median" or "knn", default="median"
        Bandwidth ``sigma`` of the kernel ``exp(-||x - z||^2 / (2 sigma^2))``.
        ``"median"``: the median distance between pooled rows; ``"knn"``: the
        mean distance to the 50th nearest neighbour (the DWGCS rule).
    B : float, default=1000.0
        Upper bound on each weight.
    eps : float, default=None
        Slack on the mean weight; ``1 - 1/sqrt(n)`` when None (Huang et al.).
    approximation : {"auto", "exact", "nystroem"}, default="auto"
        Dense Gram matrix (``"exact"``), Nystroem factor, or exact up to
        2,000 pooled rows and Nystroem above. Exact above 20,000 rows raises a
        ``MemoryError`` that points to ``"nystroem"``.
    n_components : int, default=500
        Number of Nystroem landmarks.
    max_iter : int, default=1000
        Maximum number of solver iterations.
    tol : float, default=1e-4
        Stop when, over the last 10 iterations, the objective fell by less than
        ``tol`` times its total decrease since the start (uniform weights).
    random_state : int, RandomState instance or None, default=None
        Seeds the bandwidth subsample and the Nystroem landmarks.
    verbose : int, default=0
        Print the solver's progress every 100 iterations when positive.

    Attributes
    ----------
    weights_ : ndarray of shape (n_samples,)
        The weights ``beta`` of the source rows, scaled to average 1.
    bandwidth_ : float
        The bandwidth used.
    approximation_ : str
        ``"exact"`` or ``"nystroem"``.
    objective_ : float
        Squared maximum mean discrepancy between the weighted source and the
        target at the solution.
    n_iter_ : int
        Solver iterations.
    uncovered_target_share_ : float
        Share of target rows where the source kernel density is below 1 % of
        the target's; above 5 % a
        :class:`~skreweight.exceptions.WeightDegeneracyWarning` is raised.
    effective_sample_size_ : float
        Kish effective sample size of the weights.
    ess_ratio_ : float
        ``effective_sample_size_`` over the number of source rows.
    max_weight_share_ : float
        Largest share of the total weight held by one row.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen in ``fit``, when X has string column names.

    See Also
    --------
    DoubleWeighting : Generalised KMM that also weights the target rows.
    ULSIF : Closed-form least-squares density ratio.

    References
    ----------
    .. [1] J. Huang, A. Smola, A. Gretton, K. Borgwardt and B. Schoelkopf,
       "Correcting Sample Selection Bias by Unlabeled Data", NIPS 2006.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.datasets import make_covariate_shift
    >>> from skreweight.weighting import KernelMeanMatching
    >>> data = make_covariate_shift(n_source=300, n_target=300, random_state=0)
    >>> kmm = KernelMeanMatching().fit(data.X_source, X_target=data.X_target)
    >>> float(kmm.weights_.mean())
    1.0...
    >>> bool(np.corrcoef(kmm.weights_, data.ratio_source)[0, 1] > 0.8)
    True
    """

    _context = ("X_target",)
    __metadata_request__fit = {"X_target": True}

    _parameter_constraints = {
        "bandwidth": [
            Interval(Real, 0, None, closed="neither"),
            StrOptions({"median", "knn"}),
        ],
        "B": [Interval(Real, 0, None, closed="neither")],
        "eps": [Interval(Real, 0, None, closed="left"), None],
        "approximation": [StrOptions({"auto", "exact", "nystroem"})],
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        bandwidth="median",
        B=1000.0,
        eps=None,
        approximation="auto",
        n_components=500,
        max_iter=1000,
        tol=1e-4,
        random_state=None,
        verbose=0,
    ):
        self.bandwidth = bandwidth
        self.B = B
        self.eps = eps
        self.approximation = approximation
        self.n_components = n_components
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.verbose = verbose

    _uniform_without_context = "X_target"

    def _no_context_attributes(self, X):
        return dict(
            bandwidth_=None,
            objective_=None,
            approximation_=None,
            n_iter_=0,
            uncovered_target_share_=0.0,
            _beta_fit=None,
        )

    def _fit(self, X, y, sample_weight, X_target):
        self._validate_params()
        p = sample_weight / sample_weight.sum()
        q = np.full(X_target.shape[0], 1.0 / X_target.shape[0])
        self.bandwidth_ = resolve_bandwidth(
            self.bandwidth, np.vstack([X, X_target]), self.random_state
        )
        op = SourceBlockOperator(
            X,
            X_target,
            q,
            self.bandwidth_,
            approximation=self.approximation,
            n_components=self.n_components,
            random_state=self.random_state,
            p=p,
        )
        self.approximation_ = op.approximation
        n_eff = sample_weight.sum()
        eps = 1.0 - 1.0 / np.sqrt(n_eff) if self.eps is None else self.eps
        beta, objective, n_iter, converged = _solve_kmm(
            op,
            p,
            upper=self.B,
            eps=eps,
            metric=sample_weight,
            max_iter=self.max_iter,
            tol=self.tol,
            verbose=self.verbose,
        )
        self.uncovered_target_share_ = target_coverage(op, p, q)
        _warn_uncovered(
            type(self).__name__, self.uncovered_target_share_, beta, sample_weight
        )
        self._finish(beta, objective, n_iter, converged, X, sample_weight)
        return beta
