"""Kernel mean matching problems: KMM and double weighting (DW-KMM).

Shared by :class:`~skreweight.weighting.KernelMeanMatching`,
:class:`~skreweight.weighting.DoubleWeighting` and
:class:`~skreweight.covariate_shift.DoubleWeightingClassifier`: the exact
projections onto their feasible sets, the two problems solved by
:func:`~skreweight._core.optim.accelerated_projected_gradient`, the kernel
set-up and the out-of-sample rule.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings
from numbers import Integral, Real

import numpy as np
from scipy.optimize import brentq
from sklearn.exceptions import ConvergenceWarning

from ..exceptions import WeightDegeneracyWarning
from ..utils._sklearn_compat import Interval, StrOptions
from ..utils._warnings import warn as warn_once
from .array_api import clip, copy, like, namespace, to_numpy
from .encoding import UNCOVERED_SHARE_WARN
from .kernels import (
    KernelOperator,
    kernel_smooth,
    match_rows,
    overwrite_rows,
    resolve_bandwidth,
    target_coverage,
)
from .optim import accelerated_projected_gradient, power_iteration

#: Parameter constraints of the kernel matchers (KernelMeanMatching,
#: DoubleWeighting, DoubleWeightingClassifier)
MATCHING_CONSTRAINTS = {
    "B": [Interval(Real, 0, None, closed="neither")],
    "bandwidth": [
        Interval(Real, 0, None, closed="neither"),
        StrOptions({"median", "knn"}),
    ],
    "approximation": [StrOptions({"auto", "exact", "nystroem"})],
    "n_components": [Interval(Integral, 1, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}


# ---------------------------------------------------------------- projections
def _project_alpha(b, radius, binding=None):
    """Project ``b`` onto ``{0 <= a <= 1, ||a - 1||_2 <= radius}``.

    With ``z = 1 - a`` the set is the unit box (which has the ball's centre,
    0, as a corner) cut by a ball; for a multiplier ``mu`` of the ball, the
    Lagrangian minimiser is ``clip(s z_b, 0, 1)`` with ``s = 1 / (1 + mu)``.
    The norm is piecewise quadratic in ``s``, so ``s`` is found exactly by
    sorting. ``binding`` (a dict) records whether the ball was met.
    """
    a = np.clip(b, 0.0, 1.0)
    zb = np.maximum(1.0 - b, 0.0)
    z = np.minimum(zb, 1.0)
    if radius > 0 and np.dot(z, z) <= radius**2:
        return a
    if binding is not None:
        binding["ball"] = True
    if radius <= 0:
        return np.ones_like(b)
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


def _slab_multiplier(gap, g, eps, scale):
    """Multiplier ``nu`` with ``|gap(nu)| = eps`` for a monotone ``gap``.

    ``g = gap(0)`` lies outside ``[-eps, eps]``; the bracket starts at
    ``|g - target| / scale`` and doubles until it holds the root, which
    Brent's method then finds.
    """
    target = eps if g > 0 else -eps
    sign = 1.0 if g > 0 else -1.0
    hi = sign * abs(g - target) / scale
    for _ in range(200):
        if sign * (gap(hi) - target) <= 0:
            break
        hi *= 2.0
    lo_, hi_ = sorted((0.0, hi))
    return brentq(lambda v: gap(v) - target, lo_, hi_, xtol=1e-15, rtol=1e-12)


def project_matching(
    a, b, p, q, upper, eps, radius, free_alpha, metric=None, binding=None
):
    """Euclidean projection of ``(a, b)`` onto the DW-KMM feasible set.

    The set is ``0 <= beta <= upper``, ``alpha`` in the box-ball set of
    :func:`_project_alpha` (or fixed at 1), and the slab
    ``|p . beta - q . alpha| <= eps``. The slab's multiplier ``nu`` is found by
    Brent's method on the monotone gap ``g(nu)``. With ``metric`` (one
    positive number per source row) the projection is in the norm
    ``sum_i metric_i beta_i^2 + ||alpha||^2``. ``binding`` (a dict)
    records the largest ``beta`` before clipping and whether the ball of
    ``alpha`` was met: where neither bound bit, an ``upper`` above that
    largest value and a larger ``radius`` give the same projection.
    """
    pm = p if metric is None else p / metric

    def parts(nu):
        x = a - nu * pm
        if binding is not None:
            binding["beta"] = max(binding["beta"], float(np.max(x, initial=-np.inf)))
        beta = np.clip(x, 0.0, upper)
        alpha = _project_alpha(b + nu * q, radius, binding) if free_alpha else b
        return beta, alpha, float(p @ beta - q @ alpha)

    beta, alpha, g = parts(0.0)
    if abs(g) <= eps:
        return beta, alpha
    scale = p @ pm + (q @ q if free_alpha else 0.0)
    nu = _slab_multiplier(lambda v: parts(v)[2], g, eps, scale)
    beta, alpha, _ = parts(nu)
    return beta, alpha


def project_kmm(a, p, upper, eps, metric):
    """Projection onto ``{0 <= beta <= upper, |p . beta - 1| <= eps}``.

    In the namespace of ``a``; the slab multiplier is a scalar root found on
    the host (each evaluation of the gap reads one float from the device).
    """
    pm = p / metric
    beta = clip(a, 0.0, upper)
    g = float(p @ beta) - 1.0
    if abs(g) <= eps:
        return beta

    def gap(nu):
        return float(p @ clip(a - nu * pm, 0.0, upper)) - 1.0

    nu = _slab_multiplier(gap, g, eps, float(p @ pm))
    return clip(a - nu * pm, 0.0, upper)


# ------------------------------------------------------------------- problems
def _step_size(matvec, v):
    """``1.1`` times the top eigenvalue of ``matvec`` (the solvers' ``lip``)."""
    return 1.1 * max(power_iteration(matvec, v), 1e-300)


def solve_matching(
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
    verbose=0,
    cache=None,
    label="kernel matching",
):
    """Minimise ``||sum_i p_i beta_i phi(x_i) - sum_j q_j alpha_j phi(x'_j)||^2``.

    DW-KMM on ``x = (beta, alpha)`` by
    :func:`~skreweight._core.optim.accelerated_projected_gradient`: every
    iteration costs one product with the kernel operator ``op`` (dense, or a
    low-rank factor) and one exact projection. The gradient step and the
    projection use the metric ``diag(metric, 1)`` (``metric`` = the source
    rows' ``sample_weight``), so an integer ``sample_weight`` follows exactly
    the path of repeated rows.

    ``cache`` (a dict) keeps the step size between calls on the same ``op``,
    ``p``, ``q`` and ``metric`` (a grid of ``D``): it depends on them and on
    ``free_alpha`` only, and ``cache["binding"]`` records, for this call,
    the largest ``beta`` before clipping and whether the ball of ``alpha``
    was met in any projection (see :func:`project_matching`).

    In the namespace of ``p`` and ``q``: the kernel products stay on their
    device; the projection (sorts and Brent's method on ``n + t`` numbers)
    runs on the host, on a copy of the iterate.

    Returns ``beta, alpha, objective, n_iter, converged``.
    """
    xp = namespace(p, q)[0]
    n, t = p.shape[0], q.shape[0]
    scale = xp.concat([p, -q])
    metric = xp.ones_like(p) if metric is None else metric
    full_metric = xp.concat([metric, xp.ones_like(q)])
    root = xp.sqrt(full_metric)
    m_h = to_numpy(metric)
    bounds = (to_numpy(p), to_numpy(q), upper, eps, radius, free_alpha)

    def hess_vec(u):  # M^-1/2 H M^-1/2 u, restricted to the free coordinates
        w = 2.0 * scale / root * op.matvec(scale * u / root)
        if not free_alpha:
            w[n:] = 0.0
        return w

    u = like(np.random.RandomState(0).uniform(0.5, 1.5, n + t), p)
    if not free_alpha:
        u[n:] = 0.0
    cache = {} if cache is None else cache
    if ("lip", free_alpha) not in cache:
        cache["lip", free_alpha] = _step_size(hess_vec, u)
    lip = cache["lip", free_alpha]
    binding = cache["binding"] = {"beta": -np.inf, "ball": False}

    def oracle(y):
        kv = op.matvec(scale * y)
        grad = 2.0 * scale * kv / full_metric
        if not free_alpha:
            grad[n:] = 0.0
        return float((scale * y) @ kv), grad

    def project(z):
        z = to_numpy(z)
        parts = project_matching(z[:n], z[n:], *bounds, m_h, binding)
        return like(np.concatenate(parts), p)

    start = project_matching(np.ones(n), np.ones(t), *bounds, binding=binding)
    x, n_iter, converged = accelerated_projected_gradient(
        oracle,
        project,
        like(np.concatenate(start), p),
        lip=lip,
        max_iter=max_iter,
        tol=tol,
        metric=full_metric,
        verbose=verbose,
        label=label,
    )
    v = scale * x
    objective = float(v @ op.matvec(v))
    return x[:n], x[n:], max(objective, 0.0), n_iter, converged


def solve_kmm(
    op, p, *, upper, eps, metric, max_iter, tol, verbose=0, label="kernel mean matching"
):
    """Kernel mean matching with fixed target weights: the lean problem.

    The same solver as :func:`solve_matching`, on ``beta`` alone, with the
    source block ``K_ss``, the vector ``K_st q`` and the constant
    ``q K_tt q`` of a :class:`~skreweight._core.kernels.SourceBlockOperator`.
    Returns ``beta, objective, n_iter, converged``.
    """
    kst, c_tt = op.kst_q, op.c_tt
    xp = namespace(p)[0]
    root = xp.sqrt(metric)

    def objective(a, ka):
        return float(a @ ka - 2.0 * (a @ kst) + c_tt)

    def oracle(y):
        a = p * y
        ka = op.kss(a)
        return objective(a, ka), 2.0 * p * (ka - kst) / metric

    u = like(np.random.RandomState(0).uniform(0.5, 1.5, p.shape[0]), p)
    lip = _step_size(lambda u: 2.0 * p / root * op.kss(p * u / root), u)
    x, n_iter, converged = accelerated_projected_gradient(
        oracle,
        lambda z: project_kmm(z, p, upper, eps, metric),
        project_kmm(xp.ones_like(p), p, upper, eps, metric),
        lip=lip,
        max_iter=max_iter,
        tol=tol,
        metric=metric,
        verbose=verbose,
        label=label,
    )
    a = p * x
    return x, max(objective(a, op.kss(a)), 0.0), n_iter, converged


def warn_uncovered(owner, share, beta, sw):
    """Warn when more than :data:`UNCOVERED_SHARE_WARN` of the target is uncovered."""
    if share > UNCOVERED_SHARE_WARN:
        eff = beta * sw
        ess = float(namespace(eff)[0].sum(eff)) ** 2 / max(float(eff @ eff), 1e-300)
        warn_once(
            f"{owner}: {100 * share:.1f}% of the target rows lie where the source "
            "rows have almost no mass (source/target kernel density below 1%); "
            "reweighting the source cannot represent that part of the target. "
            f"Effective sample size of the weights: {ess:.1f} of {len(beta)} rows.",
            WeightDegeneracyWarning,
            stacklevel=4,
        )


def double_weights(est, X, sample_weight, X_target, q, D, cache=None):
    """Solve DW-KMM for ``est``'s parameters; return raw ``beta, alpha``.

    Sets ``bandwidth_``, ``approximation_`` and ``uncovered_target_share_`` on
    ``est``; returns ``beta, alpha, objective, n_iter, converged``. A
    ``cache`` dict shared by the calls of a grid of ``D`` on the same rows
    keeps what does not depend on ``D``: the bandwidth and kernel operator
    (the same landmarks), the step size and the target coverage.
    """
    cache = {} if cache is None else cache
    if "op" not in cache:
        cache["op"] = est._setup_kernel(X, X_target)
    op = cache["op"]
    n_eff = float(namespace(sample_weight)[0].sum(sample_weight))
    p = sample_weight / n_eff
    eps = getattr(est, "eps", None)
    eps = 1.0 - 1.0 / np.sqrt(n_eff) if eps is None else eps
    D = float(D)
    t = X_target.shape[0]
    beta, alpha, objective, n_iter, converged = solve_matching(
        op,
        p,
        q,
        upper=est.B / np.sqrt(D),
        eps=eps,
        radius=(1.0 - 1.0 / np.sqrt(D)) * np.sqrt(t),
        free_alpha=D > 1,
        max_iter=est.max_iter,
        tol=est.tol,
        metric=sample_weight,
        verbose=est.verbose,
        cache=cache,
        label=type(est).__name__,
    )
    if "coverage" not in cache:
        cache["coverage"] = target_coverage(op, p, q)
    est.uncovered_target_share_ = cache["coverage"]
    return beta, alpha, objective, n_iter, converged


def extend_alpha(X, X_target_fit, alpha, sigma):
    """Target weights at new rows: fitted where a row repeats, smoothed elsewhere."""
    ones = namespace(alpha)[0].ones_like(alpha)
    out = kernel_smooth(X, X_target_fit, alpha, ones, sigma)
    return overwrite_rows(out, match_rows(X, X_target_fit), alpha)


class KernelMatchingMixin:
    """Kernel set-up, convergence report and out-of-sample rule of the matchers."""

    def _setup_kernel(self, X, X_target):
        Z = namespace(X, X_target)[0].concat([X, X_target])
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
        self._X_fit, self._sw_fit, self._beta_fit = copy(X), copy(sw), copy(beta)

    def _compute_weights(self, X, y, X_target=None):
        if self._beta_fit is None:
            return np.ones(X.shape[0])
        out = kernel_smooth(
            X, self._X_fit, self._beta_fit, self._sw_fit, self.bandwidth_
        )
        return overwrite_rows(out, match_rows(X, self._X_fit), self._beta_fit)
