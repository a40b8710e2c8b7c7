"""Gaussian kernels for the density-ratio weighters: bandwidths and low-rank maps.

Private helpers shared by KernelMeanMatching, DoubleWeighting, KLIEP and the
least-squares ratio fitters. The Gaussian kernel is parametrised by its
bandwidth ``sigma``: ``k(x, z) = exp(-||x - z||^2 / (2 sigma^2))``.

Scale. Above :data:`EXACT_MAX_ROWS` pooled rows the kernel matching problems
switch from the dense Gram matrix to a Nystroem factor ``K ~= Phi Phi^T`` with
``n_components`` landmarks, so memory is ``O(n r)`` instead of ``O(n^2)``.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from scipy.linalg import cholesky, solve_triangular
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_random_state

#: Largest number of pooled (source + target) rows for which the dense Gram
#: matrix is used by default (2,000 rows, e.g. 1,000 source and 1,000 target
#: rows: a 32 MB matrix). Above it a Nystroem factor is used.
EXACT_MAX_ROWS = 2000

#: Largest number of pooled rows for which a dense Gram matrix may be asked for
#: explicitly (20,000 rows: a 3.2 GB matrix); above it a clear error points to
#: the Nystroem approximation.
DENSE_LIMIT_ROWS = 20000


def sq_dists(A, B):
    """Squared Euclidean distances between the rows of A and of B (>= 0)."""
    d = (
        np.einsum("ij,ij->i", A, A)[:, None]
        + np.einsum("ij,ij->i", B, B)[None, :]
        - 2.0 * (A @ B.T)
    )
    return np.maximum(d, 0.0, out=d)


def rbf(A, B, sigma):
    """Gaussian kernel block ``exp(-||a - b||^2 / (2 sigma^2))``."""
    K = sq_dists(A, B)
    K *= -0.5 / sigma**2
    return np.exp(K, out=K)


def rbf_from_sq_dists(D, sigma):
    """:func:`rbf` from precomputed squared distances ``D`` (left untouched).

    Equal to ``rbf(A, B, sigma)`` bit for bit when ``D = sq_dists(A, B)``, so a
    bandwidth grid pays for the distances once.
    """
    K = D * (-0.5 / sigma**2)
    return np.exp(K, out=K)


def median_bandwidth(X, *, max_rows=500, random_state=None):
    """Median heuristic: the median distance between distinct pooled rows.

    At most ``max_rows`` rows (drawn at random) are used, so the cost is
    bounded. Falls back to 1.0 when all rows coincide.
    """
    rng = check_random_state(random_state)
    if X.shape[0] > max_rows:
        X = X[rng.choice(X.shape[0], max_rows, replace=False)]
    d = sq_dists(X, X)[np.triu_indices(X.shape[0], k=1)]
    d = d[d > 0]
    return float(np.sqrt(np.median(d))) if d.size else 1.0


def knn_bandwidth(X, *, k=50, max_rows=2000, random_state=None):
    """Mean distance to the ``k``-th nearest neighbour (the DWGCS default).

    This is the statistic of Segovia-Martin et al. (2023) and MRCpy's
    ``rff_sigma``: 50 neighbours counting the row itself, or ``n - 2`` when
    there are fewer rows. At most ``max_rows`` query rows are drawn at random
    (their neighbours are searched among all rows).
    """
    n = X.shape[0]
    if n < 3:
        return median_bandwidth(X)
    k = min(k, n - 2) if n < k else k
    rng = check_random_state(random_state)
    Q = X if n <= max_rows else X[rng.choice(n, max_rows, replace=False)]
    dist, _ = NearestNeighbors(n_neighbors=k).fit(X).kneighbors(Q)
    sigma = float(np.mean(dist[:, -1]))
    return sigma if sigma > 0 else median_bandwidth(X)


def resolve_bandwidth(bandwidth, X, random_state=None):
    """Turn ``"median"``, ``"knn"`` or a positive float into a float."""
    if bandwidth == "median":
        return median_bandwidth(X, random_state=random_state)
    if bandwidth == "knn":
        return knn_bandwidth(X, random_state=random_state)
    return float(bandwidth)


class Nystroem:
    """Nystroem factor ``K ~= C W^-1 C^T = F F^T`` with ``F = C L^-T``.

    ``n_components`` landmarks ``L`` are drawn at random among the rows of
    ``X``; ``C = K(X, L)`` and ``W = K(L, L) + jitter I = L L^T`` (Cholesky,
    jitter ``1e-8 * n_components``). ``F`` is never formed: products go
    through ``C`` and triangular solves. Memory ``O(n r)``, time
    ``O(n r d + r^3)`` to build and ``O(n r + r^2)`` per product.
    """

    def __init__(self, X, sigma, n_components, random_state=None):
        rng = check_random_state(random_state)
        r = min(n_components, X.shape[0])
        landmarks = X[rng.choice(X.shape[0], r, replace=False)]
        W = rbf(landmarks, landmarks, sigma)
        W[np.diag_indices_from(W)] += 1e-8 * r
        L = cholesky(W, lower=True)
        self.Linv = solve_triangular(L, np.eye(r), lower=True, check_finite=False)
        self.C = np.empty((X.shape[0], r))
        step = 8192
        for start in range(0, X.shape[0], step):
            self.C[start : start + step] = rbf(
                X[start : start + step], landmarks, sigma
            )

    def ft(self, v, rows=slice(None)):
        """``F[rows].T @ v``."""
        return self.Linv @ (self.C[rows].T @ v)

    def f(self, z, rows=slice(None)):
        """``F[rows] @ z``."""
        return self.C[rows] @ (self.Linv.T @ z)


class KernelOperator:
    """The Gram matrix of pooled rows, dense or as a Nystroem factor.

    Only what first-order solvers need: ``matvec`` and ``diag``.
    """

    def __init__(self, X, sigma, *, approximation, n_components, random_state):
        n = X.shape[0]
        if approximation == "auto":
            approximation = "exact" if n <= EXACT_MAX_ROWS else "nystroem"
        if approximation == "exact" and n > DENSE_LIMIT_ROWS:
            gb = n * n * 8 / 1e9
            raise MemoryError(
                f"The exact kernel on {n} pooled rows needs a {n} x {n} matrix "
                f"({gb:.1f} GB). Use approximation='nystroem' (or 'auto'), which "
                f"keeps an {n} x n_components factor instead."
            )
        self.approximation = approximation
        if approximation == "exact":
            self.K = rbf(X, X, sigma)
            self.F = None
        else:
            self.K = None
            self.F = Nystroem(X, sigma, n_components, random_state)

    def matvec(self, v):
        if self.K is not None:
            return self.K @ v
        return self.F.f(self.F.ft(v))


def target_coverage(op, p, q):
    """Share of target rows the source rows barely cover, and its warning text.

    For each target row the kernel density of the (unweighted) source rows is
    compared with that of the target rows, both smoothed by the same kernel; a
    target row whose ratio is below 1 % lies where the source has almost no
    mass. ``p`` and ``q`` are the source and target row masses (each sums
    to 1), in the order of the pooled rows of ``op``.
    """
    if hasattr(op, "coverage"):
        return op.coverage()
    n = p.shape[0]
    src = op.matvec(np.r_[p, np.zeros_like(q)])[n:]
    tgt = op.matvec(np.r_[np.zeros_like(p), q])[n:]
    ratio = src / np.maximum(tgt, 1e-300)
    return float(np.mean(ratio < 0.01))


def match_rows(X, X_fit):
    """Index of the fitted row equal to each row of ``X`` (-1 where none)."""
    lookup = {row.tobytes(): i for i, row in enumerate(np.ascontiguousarray(X_fit))}
    X = np.ascontiguousarray(X, dtype=np.float64)
    return np.array([lookup.get(row.tobytes(), -1) for row in X], dtype=int)


def kernel_smooth(X, X_fit, values, mass, sigma, *, chunk=4096):
    """Nadaraya-Watson average of ``values`` over ``X_fit`` at the rows of ``X``.

    ``mass`` weights the fitted rows. Rows far from every fitted row (zero
    kernel mass) get the ``mass``-weighted mean of ``values``.
    """
    out = np.empty(X.shape[0])
    default = float(np.dot(mass, values) / mass.sum())
    for start in range(0, X.shape[0], chunk):
        Kx = rbf(X[start : start + chunk], X_fit, sigma)
        num, den = Kx @ (mass * values), Kx @ mass
        ok = den > 1e-300
        out[start : start + chunk] = np.where(ok, num / np.where(ok, den, 1), default)
    return out


class SourceBlockOperator:
    """Kernel operator for kernel mean matching with fixed target weights.

    KMM only needs the source block ``K_ss``, the vector ``K_st q`` and the
    constant ``q K_tt q``: the dense path stores ``n^2`` numbers instead of
    ``(n + t)^2`` and each product reads four times less memory.
    """

    def __init__(
        self, X, X_target, q, sigma, *, approximation, n_components, random_state, p
    ):
        n, t = X.shape[0], X_target.shape[0]
        if approximation == "auto":
            approximation = "exact" if n + t <= EXACT_MAX_ROWS else "nystroem"
        if approximation == "exact" and n > DENSE_LIMIT_ROWS:
            raise MemoryError(
                f"The exact kernel on {n} source rows needs a {n} x {n} matrix "
                f"({n * n * 8 / 1e9:.1f} GB). Use approximation='nystroem' (or "
                "'auto'), which keeps an n x n_components factor instead."
            )
        self.approximation, self.q, self.n = approximation, q, n
        if approximation == "exact":
            self.K, self.F = rbf(X, X, sigma), None
            self.kst_q, self.kts_p, self.c_tt = np.zeros(n), np.empty(t), 0.0
            step = max(1, 2**22 // max(n + t, 1))
            for s in range(0, t, step):
                Kc = rbf(X_target[s : s + step], X, sigma)
                self.kst_q += Kc.T @ q[s : s + step]
                self.kts_p[s : s + step] = Kc @ p
                Kt = rbf(X_target[s : s + step], X_target, sigma)
                self.c_tt += float(q[s : s + step] @ (Kt @ q))
            self.kss_p = self.K @ p
        else:
            F = Nystroem(np.vstack([X, X_target]), sigma, n_components, random_state)
            self.K, self.F = None, F
            src, tgt = slice(0, n), slice(n, None)
            Ft_q = F.ft(q, tgt)
            self.kst_q = F.f(Ft_q, src)
            self.c_tt = float(Ft_q @ Ft_q)
            Fs_p = F.ft(p, src)
            self.kts_p = F.f(Fs_p, tgt)
            self.kss_p = F.f(Fs_p, src)
        self.n = n

    def kss(self, a):
        """``K_ss @ a``."""
        if self.K is not None:
            return self.K @ a
        src = slice(0, self.n)
        return self.F.f(self.F.ft(a, src), src)

    def coverage(self):
        """Share of target rows whose source kernel density is below 1 % of
        the median source density at the source rows."""
        ref = np.median(self.kss_p)
        return float(np.mean(self.kts_p < 0.01 * ref))
