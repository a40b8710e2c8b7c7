"""First-order solvers: one accelerated projected gradient, one power iteration.

Every quadratic program of the package that is solved by first-order steps
(kernel mean matching, double weighting, MMD and energy balancing) goes through
:func:`accelerated_projected_gradient`: FISTA with adaptive restart
(O'Donoghue and Candes 2015) on a problem given by its gradient oracle and an
exact Euclidean projection. The step size is ``1 / lip``, with ``lip`` from
:func:`power_iteration`.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from ..utils._progress import Progress
from .array_api import copy, namespace, norm

_TINY = 1e-300


def power_iteration(matvec, v, *, n_iter=50, rtol=1e-3, subspace=None):
    """Largest eigenvalue of a symmetric positive semi-definite operator.

    Parameters
    ----------
    matvec : callable
        ``v -> A v``.
    v : array
        Start vector (not modified), of any Array API namespace.
    n_iter : int, default=50
        Maximum number of products with ``A``.
    rtol : float or None, default=1e-3
        Stop when the estimate moves by less than ``rtol`` times itself; None
        runs all ``n_iter`` products.
    subspace : callable or None, default=None
        Orthogonal projection onto an invariant subspace (for instance
        ``v -> v - v.mean()`` for ``sum(v) = 0``). With it the estimate is the
        Rayleigh quotient of ``A`` restricted to that subspace (0 when the
        iterate vanishes); without it, ``||A v|| / ||v||``.

    Returns
    -------
    lam : float
        The estimate (never negative with ``subspace``).
    """
    lam = 0.0
    for _ in range(n_iter):
        if subspace is not None:
            v = subspace(v)
            size = norm(v)
            if size == 0:
                return 0.0
            v = v / size
            w = subspace(matvec(v))
            lam_new = float(v @ w)
            v = w
        else:
            w = matvec(v)
            w_norm = norm(w)
            lam_new = float(w_norm / max(norm(v), _TINY))
            v = w / max(w_norm, _TINY)
        done = rtol is not None and abs(lam_new - lam) <= rtol * lam_new
        lam = lam_new
        if done:
            break
    return max(lam, 0.0) if subspace is not None else lam


def _next_momentum(t):
    return float(0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t**2)))


def accelerated_projected_gradient(
    oracle,
    project,
    x,
    *,
    lip,
    max_iter,
    tol,
    metric=None,
    window=10,
    verbose=0,
    label="solver",
):
    """FISTA with gradient-based restart, stopped on the objective's progress.

    Minimises a smooth convex ``f`` over a convex set, in the Array API
    namespace of ``x`` (the iterates stay on its device; the stopping rule
    reads one float per iteration). Each iteration calls
    ``oracle`` once at the extrapolated point, takes the step
    ``y - grad / lip`` and projects it. The momentum restarts when the step
    and the progress point in opposite directions (in the ``metric`` inner
    product). The solver stops when the best objective fell by less than
    ``tol`` times its total decrease so far over the last ``window``
    iterations.

    Parameters
    ----------
    oracle : callable
        ``y -> (f(y), grad)``; ``grad`` is the gradient in the metric, that
        is the Euclidean gradient divided by ``metric``.
    project : callable
        ``z -> x``, the projection onto the feasible set (in the metric).
    x : ndarray
        A feasible start point.
    lip : float
        Lipschitz constant of the gradient (the step is ``1 / lip``).
    max_iter : int
        Maximum number of iterations.
    tol : float
        Relative decrease that stops the solver.
    metric : ndarray or None, default=None
        Positive diagonal of the metric (ones when None).
    window : int, default=10
        Iterations over which the decrease is measured.
    verbose : int, default=0
        Report the objective through :class:`~skreweight.utils._progress.Progress`:
        every 100 iterations and at the end at 1, every iteration at 2.
    label : str, default="solver"
        Name printed with the progress.

    Returns
    -------
    x : ndarray
        The last iterate.
    n_iter : int
        Iterations run.
    converged : bool
        Whether the stopping rule was met within ``max_iter``.
    """
    metric = namespace(x)[0].ones_like(x) if metric is None else metric
    progress = Progress(label, verbose, total=max_iter, every=100)
    y, momentum = copy(x), 1.0
    history, f0, converged = [], None, False
    it = 0
    for it in range(1, max_iter + 1):
        f_y, grad = oracle(y)
        f0 = f_y if f0 is None else f0
        history.append(min(f_y, history[-1]) if history else f_y)
        if it > window and history[-window - 1] - history[-1] <= tol * max(
            f0 - history[-1], _TINY
        ):
            converged = True
            break
        x_new = project(y - grad / lip)
        if float((metric * (y - x_new)) @ (x_new - x)) > 0:  # restart the momentum
            momentum = 1.0
        m_new = _next_momentum(momentum)
        y = x_new + ((momentum - 1.0) / m_new) * (x_new - x)
        x, momentum = x_new, m_new
        progress(it, objective=history[-1])
    if converged:
        progress.message(f"converged at iteration {it}: objective={history[-1]:.4g}")
    return x, it, converged


def accelerated_affine_projected_gradient(
    grad, value, project, x, *, lip, tol, max_iter
):
    """FISTA for a quadratic, stopped on a duality gap: one gradient per step.

    The variant of :func:`accelerated_projected_gradient` for a quadratic
    objective over the probability simplex (MMD and energy balancing). The
    gradient is affine, so the gradient at the extrapolated point is the same
    combination of the gradients at the iterates: each iteration evaluates
    ``grad`` once, at the new iterate. The momentum restarts when the
    objective goes up; the solver stops when the Frank-Wolfe duality gap
    ``g . x - min(g)`` falls below ``tol`` times its value at the start, or
    when the iterates stall at machine precision.

    Parameters
    ----------
    grad : callable
        ``x -> gradient``.
    value : callable
        ``(x, gradient) -> objective`` (up to a constant and a factor).
    project : callable
        Projection onto the simplex.
    x : ndarray
        A feasible start point.
    lip : float
        Lipschitz constant of the gradient.
    tol : float
        Relative duality gap that stops the solver.
    max_iter : int
        Maximum number of iterations.

    Returns
    -------
    x : ndarray
        The solution.
    n_iter : int
        Iterations run.
    converged : bool
        Whether the gap met ``tol``.
    gap : float
        The last duality gap.
    """
    g_x = grad(x)
    tol = tol * max(float(g_x @ x - g_x.min()), np.finfo(float).tiny)
    y, g_y, t_k = x.copy(), g_x.copy(), 1.0
    gap, ok = np.inf, False
    it = 0
    for it in range(1, max_iter + 1):
        x_new = project(y - g_y / lip)
        g_new = grad(x_new)
        gap = float(g_new @ x_new - g_new.min())
        if gap < tol:
            x, ok = x_new, True
            break
        t_new = _next_momentum(t_k)
        if t_k > 1.0 and value(x_new, g_new) > value(x, g_x):
            y, g_y, t_k = x.copy(), g_x.copy(), 1.0  # adaptive restart
            continue
        if np.max(np.abs(x_new - x)) < 1e-16:  # stalled at machine precision
            x, ok = x_new, gap < 10 * tol
            break
        beta = (t_k - 1.0) / t_new
        y = x_new + beta * (x_new - x)
        g_y = (1.0 + beta) * g_new - beta * g_x
        x, g_x, t_k = x_new, g_new, t_new
    return x, it, ok, gap


def project_simplex(v):
    """Euclidean projection of ``v`` onto the probability simplex."""
    u = np.sort(v)[::-1]
    css = np.cumsum(u) - 1.0
    idx = np.arange(1, v.shape[0] + 1)
    rho = np.nonzero(u - css / idx > 0)[0][-1]
    return np.maximum(v - css[rho] / (rho + 1.0), 0.0)
