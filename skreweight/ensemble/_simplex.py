"""Exact convex weights of K prediction columns: a simplex QP and two LPs.

Given out-of-fold predictions ``P`` (n x K), targets ``y`` and row weights
``s``, find ``w`` on the probability simplex (``w >= 0``, ``sum(w) == 1``)
minimising

- ``sum_i s_i (y_i - P_i w)^2`` (a convex QP in K variables), or
- ``sum_i s_i rho(y_i - P_i w)`` with ``rho`` the absolute or pinball loss
  (a linear program in K + 2n variables).

The QP is solved on the K x K Gram matrix by a primal active-set method
(Nocedal and Wright, *Numerical Optimization*, 2nd ed., Algorithm 16.3),
started at the best single column, which is a vertex of the simplex. Every
step solves the equality-constrained subproblem on the free set exactly (a
small KKT system), so the method ends at the exact optimum after finitely many
steps; the last iterate is checked against the KKT conditions. ``cvxpy``
(OSQP with solution polishing) is the reference and the fallback.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix, hstack, identity, vstack
from sklearn.exceptions import ConvergenceWarning

__all__ = ["simplex_least_squares", "simplex_linear_loss"]


def _gram(P, y, s):
    """Scaled Gram matrix and linear term of the weighted least squares."""
    total = s.sum()
    Ps = P * (s / total)[:, None]
    return Ps.T @ P, Ps.T @ y, float(np.dot(s / total, y * y))


def _face_minimiser(G, b, free):
    """Minimiser of 1/2 w'Gw - b'w on the affine hull of a face of the simplex.

    Solves ``G_FF z + nu 1 = b_F, sum(z) == 1`` (minimum norm when G_FF is
    singular) and returns ``z`` and the multiplier ``nu``.
    """
    k = free.size
    A = np.zeros((k + 1, k + 1))
    A[:k, :k] = G[np.ix_(free, free)]
    A[:k, k] = A[k, :k] = 1.0
    rhs = np.r_[b[free], 1.0]
    sol = np.linalg.lstsq(A, rhs, rcond=None)[0]
    return sol[:k], sol[k]


def _active_set(G, b, max_iter):
    """Primal active-set method for min 1/2 w'Gw - b'w on the simplex.

    Each iteration minimises exactly on the current face (a small KKT
    system). If the minimiser ``z`` is feasible it becomes the iterate and
    the bound multipliers of the zero weights are checked; the most negative
    one leaves the working set. Otherwise the iterate moves towards ``z``
    until the first weight hits zero, which joins the working set.
    """
    K = G.shape[0]
    scale = max(float(np.abs(np.diag(G)).max()), np.finfo(float).tiny)
    G, b = G / scale, b / scale  # unit diagonal scale: conditioning
    tol = 1e-12
    # start at the best vertex: the single best column
    w = np.zeros(K)
    w[int(np.argmin(0.5 * np.diag(G) - b))] = 1.0
    active = w == 0.0
    for n_iter in range(1, max_iter + 1):
        free = np.flatnonzero(~active)
        z, nu = _face_minimiser(G, b, free)
        if np.all(z >= -tol):
            w = np.zeros(K)
            w[free] = np.maximum(z, 0.0)
            w /= w.sum()
            mu = G @ w - b + nu
            mu[free] = 0.0
            j = int(np.argmin(mu))
            if mu[j] >= -1e-10:
                return w, n_iter, True
            active[j] = False
            continue
        # step from w towards z until the first free weight reaches zero
        p = z - w[free]
        neg = p < 0
        ratios = np.full(free.size, np.inf)
        ratios[neg] = w[free][neg] / -p[neg]
        i = int(np.argmin(ratios))
        alpha = min(1.0, float(ratios[i]))
        w[free] = np.maximum(w[free] + alpha * p, 0.0)
        w[free[i]] = 0.0
        active[free[i]] = True
        w /= w.sum()
    return w, max_iter, False


def _cvxpy_simplex_qp(G, b, solver="OSQP"):
    """The simplex QP through cvxpy: OSQP with solution polishing, or Clarabel.

    OSQP's polishing step re-solves the KKT system on the support it found,
    so its weights are exact to rounding; an interior-point method such as
    Clarabel stops at its tolerance, a little inside the simplex (weights of
    1e-7 where the exact value is 0).
    """
    import cvxpy as cp

    K = G.shape[0]
    scale = max(float(np.abs(np.diag(G)).max()), np.finfo(float).tiny)
    G, b = G / scale, b / scale  # the solvers' tolerances are absolute
    # factor G = L L' (with a floor for semidefinite G) so that the objective
    # is a sum of squares, which cvxpy accepts without a PSD check
    evals, evecs = np.linalg.eigh(0.5 * (G + G.T))
    L = evecs * np.sqrt(np.clip(evals, 0.0, None))
    w = cp.Variable(K)
    objective = 0.5 * cp.sum_squares(L.T @ w) - b @ w
    problem = cp.Problem(cp.Minimize(objective), [w >= 0, cp.sum(w) == 1])
    if solver == "OSQP":
        options = dict(eps_abs=1e-12, eps_rel=1e-12, polishing=True, max_iter=200000)
    else:
        options = dict(tol_gap_abs=1e-14, tol_gap_rel=1e-14, tol_feas=1e-14)
    problem.solve(solver=solver, **options)
    if w.value is None:  # pragma: no cover - solver failure
        raise RuntimeError(f"cvxpy/{solver} returned status {problem.status}.")
    v = np.clip(np.asarray(w.value, dtype=float), 0.0, None)
    return v / v.sum()


def simplex_least_squares(P, y, sample_weight=None, *, solver="active_set"):
    """Convex weights minimising the weighted squared error of ``P @ w``.

    Parameters
    ----------
    P : ndarray of shape (n_samples, n_columns)
        Predictions, one column per model.
    y : ndarray of shape (n_samples,)
        Targets.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative row weights.
    solver : {"active_set", "cvxpy"}, default="active_set"
        The exact active-set method on the Gram matrix, or cvxpy (OSQP with
        solution polishing).

    Returns
    -------
    w : ndarray of shape (n_columns,)
        Non-negative weights summing to 1.
    info : dict
        ``n_iter``, ``converged``, ``solver`` and ``unique`` (False when the
        Hessian is singular on the face of the simplex the solution lies in:
        other weights then give the same loss).

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.ensemble._simplex import simplex_least_squares
    >>> y = np.array([0.0, 1.0, 2.0, 3.0])
    >>> P = np.c_[y + 1, y - 1]
    >>> simplex_least_squares(P, y)[0]
    array([0.5, 0.5])
    """
    P = np.asarray(P, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    s = np.ones(P.shape[0]) if sample_weight is None else np.asarray(sample_weight)
    K = P.shape[1]
    G, b, _ = _gram(P, y, s)
    if K == 1:
        info = dict(n_iter=0, converged=True, solver=solver, unique=True)
        return np.ones(1), info
    converged, n_iter = True, 0
    if solver == "active_set":
        w, n_iter, converged = _active_set(G, b, max_iter=20 * K + 100)
        used = "active_set"
    if solver == "active_set" and not converged:  # pragma: no cover - safety net
        warnings.warn(
            f"The active-set method did not reach the optimum of the simplex QP "
            f"in {n_iter} iterations; solving it with cvxpy (OSQP) instead.",
            ConvergenceWarning,
            stacklevel=3,
        )
    if solver == "cvxpy" or not converged:
        w, used = _cvxpy_simplex_qp(G, b), "cvxpy"
    return w, dict(
        n_iter=n_iter, converged=converged, solver=used, unique=_is_unique(G, b, w)
    )


def _is_unique(G, b, w, rtol=1e-9):
    """Whether the QP optimum is unique.

    Other optima exist exactly when G has a null direction ``d`` with
    ``sum(d) == 0`` that stays on the optimal face: within the support of
    ``w`` plus the zero weights whose bound multiplier vanishes (moving them
    off zero costs nothing to first order).
    """
    scale = max(float(np.abs(np.diag(G)).max()), 1e-300)
    g = G @ w - b
    free = w > 0
    nu = -float(np.mean(g[free]))
    face = np.flatnonzero(free | (np.abs(g + nu) <= rtol * scale))
    if face.size <= 1:
        return True
    H = G[np.ix_(face, face)]
    # orthonormal basis of {d : sum(d) == 0} on the face
    Z = np.eye(face.size)[:, 1:] - np.eye(face.size)[:, :1]
    Q, _ = np.linalg.qr(Z)
    evals = np.linalg.eigvalsh(Q.T @ H @ Q)
    return bool(evals.min() > rtol * scale)


def simplex_linear_loss(P, y, sample_weight=None, *, quantile=0.5):
    """Convex weights minimising the weighted pinball (or absolute) loss.

    ``quantile=0.5`` gives half the absolute error, whose minimiser is the
    same as the absolute error's. The LP in ``w`` and the positive and
    negative parts of the residuals ``y - P w`` is solved exactly by HiGHS.

    Parameters
    ----------
    P : ndarray of shape (n_samples, n_columns)
        Predictions, one column per model.
    y : ndarray of shape (n_samples,)
        Targets.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative row weights.
    quantile : float in (0, 1), default=0.5
        Level of the pinball loss.

    Returns
    -------
    w : ndarray of shape (n_columns,)
        Non-negative weights summing to 1.
    info : dict
        ``n_iter``, ``converged`` and ``solver``.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.ensemble._simplex import simplex_linear_loss
    >>> y = np.array([0.0, 1.0, 2.0, 3.0])
    >>> w, _ = simplex_linear_loss(np.c_[y, y + 5.0], y)
    >>> w.round(6)
    array([1., 0.])
    """
    P = np.asarray(P, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n, K = P.shape
    s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
    if K == 1:
        return np.ones(1), dict(n_iter=0, converged=True, solver="highs")
    s = s / s.sum()
    keep = s > 0
    P, y, s = P[keep], y[keep], s[keep]
    n = y.shape[0]
    # variables: w (K), r_plus (n), r_minus (n); P w + r_plus - r_minus = y
    c = np.concatenate([np.zeros(K), quantile * s, (1.0 - quantile) * s])
    eye = identity(n, format="csr")
    simplex_row = csr_matrix(np.r_[np.ones(K), np.zeros(2 * n)][None, :])
    A_eq = vstack([hstack([csr_matrix(P), eye, -eye]), simplex_row], format="csr")
    b_eq = np.r_[y, 1.0]
    res = linprog(c, A_eq=A_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    if res.status != 0:  # pragma: no cover - HiGHS failure
        raise RuntimeError(f"HiGHS could not solve the LP: {res.message}")
    w = np.clip(res.x[:K], 0.0, None)
    return w / w.sum(), dict(n_iter=int(res.nit), converged=True, solver="highs")
