"""Kernel operators and the bandwidth vocabulary.

One home for every kernel of the package: the Gaussian kernel of the
density-ratio and matching weighters (KernelMeanMatching, DoubleWeighting,
KLIEP, the least-squares ratio fitters, DWGCS) and of MMD balancing
(IPMBalancing), and the distance kernel of energy balancing.

Vocabulary. The Gaussian kernel is parametrised by its bandwidth ``sigma``:
``k(x, z) = exp(-||x - z||^2 / (2 sigma^2))``. A bandwidth is a positive
float, a tuple of them (the average of the kernels), ``"median"`` (the median
heuristic, :func:`median_bandwidth`) or ``"knn"`` (:func:`knn_bandwidth`);
``"auto"`` is a cross-validated choice made by the estimator itself (KLIEP,
LSIF) and is not resolved here. ``n_components`` is the rank of a low-rank
approximation: Nystroem landmarks, random Fourier features or random
directions (sliced energy), as :attr:`KernelOperator.approximation` says.

Operator protocol. Every operator has ``matvec(v)`` (the product with the
Gram matrix), ``factor`` (a low-rank factor ``F`` with ``K ~= F F^T``, or
None when exact) and ``top_eigenvalue(...)`` (power iteration, optionally on
``sum(v) = 0``).

Array API. The Gaussian kernel blocks, the Nystroem factor, the operators of
kernel mean matching and the kernel smoother are written once, against the
namespace of their input (:mod:`skreweight._core.array_api`): NumPy arrays
give the NumPy computation, torch or CuPy arrays keep it on their device.
Three small steps run on the host, on explicit copies: the median heuristic
(at most 500 rows), the k-nearest-neighbour bandwidth (scikit-learn's
``NearestNeighbors``) and the ``r x r`` Cholesky factor of the Nystroem
landmarks (SciPy), whose inverse goes back to the device.

Scale. Above :data:`EXACT_MAX_ROWS` pooled rows the kernel matching problems
switch from the dense Gram matrix to a Nystroem factor ``K ~= Phi Phi^T`` with
``n_components`` landmarks, so memory is ``O(n r)`` instead of ``O(n^2)``.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from scipy.linalg import cholesky, solve_triangular
from scipy.spatial.distance import cdist
from scipy.special import gammaln
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_random_state

from .array_api import clip, like, namespace, take_rows, to_numpy
from .optim import power_iteration

#: Largest number of pooled (source + target) rows for which the dense Gram
#: matrix is used by default (2,000 rows, e.g. 1,000 source and 1,000 target
#: rows: a 32 MB matrix). Above it a Nystroem factor is used.
EXACT_MAX_ROWS = 2000

#: Largest number of pooled rows for which a dense Gram matrix may be asked for
#: explicitly (20,000 rows: a 3.2 GB matrix); above it a clear error points to
#: the Nystroem approximation.
DENSE_LIMIT_ROWS = 20000


def row_sq_norms(A):
    """``||a_i||^2`` for each row (NumPy's ``einsum``, whose sums are the
    recorded ones; ``sum(A * A)`` in any other namespace)."""
    if isinstance(A, np.ndarray):
        return np.einsum("ij,ij->i", A, A)
    return namespace(A)[0].sum(A * A, axis=1)


def block(a, start, step):
    """Rows ``start:start + step`` of ``a`` (the stop clipped, as the Array
    API asks)."""
    stop = min(start + step, a.shape[0])
    return a[start:stop, ...] if a.ndim > 1 else a[start:stop]


def is_float64(x):
    """Whether the array ``x`` is float64, in any namespace."""
    return str(x.dtype).endswith("float64")


def tiny(x):
    """The floor of a denominator: 1e-300 in float64, else the dtype's tiny."""
    if is_float64(x):
        return 1e-300
    return float(namespace(x)[0].finfo(x.dtype).tiny)


def _exp_inplace(K):
    """``exp(K)``, in place on NumPy arrays (the Array API has no ``out=``)."""
    if isinstance(K, np.ndarray):
        return np.exp(K, out=K)
    return namespace(K)[0].exp(K)


def sq_dists(A, B):
    """Squared Euclidean distances between the rows of A and of B (>= 0)."""
    d = row_sq_norms(A)[:, None] + row_sq_norms(B)[None, :] - 2.0 * (A @ B.T)
    if isinstance(d, np.ndarray):
        return np.maximum(d, 0.0, out=d)
    return clip(d, 0.0)


def rbf(A, B, sigma):
    """Gaussian kernel block ``exp(-||a - b||^2 / (2 sigma^2))``."""
    K = sq_dists(A, B)
    K *= float(-0.5 / sigma**2)
    return _exp_inplace(K)


def rbf_from_sq_dists(D, sigma):
    """:func:`rbf` from precomputed squared distances ``D`` (left untouched).

    Equal to ``rbf(A, B, sigma)`` bit for bit when ``D = sq_dists(A, B)``, so a
    bandwidth grid pays for the distances once.
    """
    return _exp_inplace(D * float(-0.5 / sigma**2))


def median_bandwidth(X, *, max_rows=500, random_state=None):
    """Median heuristic: the median distance between distinct pooled rows.

    At most ``max_rows`` rows (drawn at random) are used, so the cost is
    bounded. Falls back to 1.0 when all rows coincide.
    """
    rng = check_random_state(random_state)
    if X.shape[0] > max_rows:
        X = take_rows(X, rng.choice(X.shape[0], max_rows, replace=False))
    X = to_numpy(X)  # at most ``max_rows`` rows: on the host
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
    X = to_numpy(X)  # NearestNeighbors runs on the host
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


def _centre(v):
    return v - namespace(v)[0].mean(v)


class Operator:
    """The operator protocol: ``matvec``, ``factor`` and ``top_eigenvalue``."""

    factor = None

    def matvec(self, v):  # pragma: no cover - every operator defines it
        raise NotImplementedError

    def top_eigenvalue(self, v, *, n_iter=50, rtol=1e-3, centred=False):
        """Largest eigenvalue by power iteration from ``v``.

        With ``centred=True``, of the Gram matrix restricted to ``sum(v) = 0``
        (the Rayleigh quotient; all ``n_iter`` products are taken).
        """
        if centred:
            return power_iteration(
                self.matvec, v, n_iter=n_iter, rtol=None, subspace=_centre
            )
        return power_iteration(self.matvec, v, n_iter=n_iter, rtol=rtol)


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
        landmarks = take_rows(X, rng.choice(X.shape[0], r, replace=False))
        # the r x r Gram and its factorisation on the host, in float64 (SciPy)
        L64 = np.asarray(to_numpy(landmarks), dtype=np.float64)
        W = rbf(L64, L64, sigma)
        W[np.diag_indices_from(W)] += 1e-8 * r
        L = cholesky(W, lower=True)
        Linv = solve_triangular(L, np.eye(r), lower=True, check_finite=False)
        self.Linv = like(Linv, X)
        xp, device = namespace(X)
        self.C = xp.empty((X.shape[0], r), dtype=X.dtype, device=device)
        step = 8192
        for start in range(0, X.shape[0], step):
            stop = min(start + step, X.shape[0])
            self.C[start:stop, ...] = rbf(X[start:stop, ...], landmarks, sigma)

    def ft(self, v, rows=slice(None)):
        """``F[rows].T @ v``."""
        return self.Linv @ (self.C[rows, ...].T @ v)

    def f(self, z, rows=slice(None)):
        """``F[rows] @ z``."""
        return self.C[rows, ...] @ (self.Linv.T @ z)


class KernelOperator(Operator):
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
            self.F = self.factor = Nystroem(X, sigma, n_components, random_state)

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
    xp, n = namespace(p)[0], p.shape[0]
    src = op.matvec(xp.concat([p, xp.zeros_like(q)]))[n:]
    tgt = op.matvec(xp.concat([xp.zeros_like(p), q]))[n:]
    ratio = src / clip(tgt, tiny(tgt))
    return float(xp.mean(xp.astype(ratio < 0.01, ratio.dtype)))


def match_rows(X, X_fit):
    """Index of the fitted row equal to each row of ``X`` (-1 where none).

    On the host: the rows are compared through their bytes.
    """
    X, X_fit = to_numpy(X), to_numpy(X_fit)
    lookup = {row.tobytes(): i for i, row in enumerate(np.ascontiguousarray(X_fit))}
    X = np.ascontiguousarray(X, dtype=np.float64)
    return np.array([lookup.get(row.tobytes(), -1) for row in X], dtype=int)


def overwrite_rows(out, idx, values):
    """``out[i] = values[idx[i]]`` where ``idx[i] >= 0`` (NumPy ``idx``)."""
    hit = idx >= 0
    if not np.any(hit):
        return out
    if isinstance(out, np.ndarray):
        out[hit] = values[idx[hit]]
        return out
    xp, device = namespace(out)
    pos = xp.asarray(np.flatnonzero(hit), device=device)
    src = xp.take(values, xp.asarray(idx[hit], device=device))
    mask = xp.zeros(out.shape[0], dtype=xp.bool, device=device)
    mask[pos] = True
    full = xp.zeros_like(out)
    full[pos] = src
    return xp.where(mask, full, out)


def kernel_smooth(X, X_fit, values, mass, sigma, *, chunk=4096):
    """Nadaraya-Watson average of ``values`` over ``X_fit`` at the rows of ``X``.

    ``mass`` weights the fitted rows. Rows far from every fitted row (zero
    kernel mass) get the ``mass``-weighted mean of ``values``.
    """
    xp = namespace(X, X_fit)[0]
    default = float((mass @ values) / xp.sum(mass))
    blocks = []
    for start in range(0, X.shape[0], chunk):
        Kx = rbf(block(X, start, chunk), X_fit, sigma)
        num, den = Kx @ (mass * values), Kx @ mass
        ok = den > tiny(den)
        blocks.append(xp.where(ok, num / xp.where(ok, den, 1.0), default))
    if not blocks:
        return xp.zeros(0, dtype=values.dtype, device=namespace(X)[1])
    return xp.concat(blocks)


class SourceBlockOperator(Operator):
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
        xp = namespace(X, X_target)[0]
        if approximation == "exact":
            self.K, self.F = rbf(X, X, sigma), None
            self.kst_q, kts_p, self.c_tt = xp.zeros_like(p), [], 0.0
            step = max(1, 2**22 // max(n + t, 1))
            for s in range(0, t, step):
                Kc = rbf(block(X_target, s, step), X, sigma)
                self.kst_q += Kc.T @ block(q, s, step)
                kts_p.append(Kc @ p)
                Kt = rbf(block(X_target, s, step), X_target, sigma)
                self.c_tt += float(block(q, s, step) @ (Kt @ q))
            self.kts_p = xp.concat(kts_p)
            self.kss_p = self.K @ p
        else:
            F = Nystroem(xp.concat([X, X_target]), sigma, n_components, random_state)
            self.K, self.F, self.factor = None, F, F
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

    matvec = kss

    def coverage(self):
        """Share of target rows whose source kernel density is below 1 % of
        the median source density at the source rows."""
        ref = np.median(to_numpy(self.kss_p))  # no median in the Array API
        xp = namespace(self.kts_p)[0]
        low = xp.astype(self.kts_p < 0.01 * float(ref), self.kts_p.dtype)
        return float(xp.mean(low))


# ------------------------------------------------ balancing (MMD and energy)
def gaussian_kernel(A, B, bandwidths):
    """Average of the Gaussian kernel blocks of several bandwidths.

    Built in place: one ``len(A) x len(B)`` matrix for one bandwidth, two for
    several (the squared distances and the running sum).
    """
    sq = np.einsum("ij,ij->i", A, A)[:, None] - 2.0 * (A @ B.T)
    sq += np.einsum("ij,ij->i", B, B)[None, :]
    np.maximum(sq, 0.0, out=sq)
    if len(bandwidths) == 1:
        sq *= -1.0 / (2.0 * bandwidths[0] ** 2)
        return np.exp(sq, out=sq)
    K, tmp = np.zeros_like(sq), np.empty_like(sq)
    for g in bandwidths:
        np.multiply(sq, -1.0 / (2.0 * g**2), out=tmp)
        K += np.exp(tmp, out=tmp)
    K /= len(bandwidths)
    return K


def gaussian_kernel_matvec(A, B, q, bandwidths, chunk=2**22):
    """``gaussian_kernel(A, B) @ q`` in row blocks of about ``chunk`` entries."""
    out = np.empty(A.shape[0])
    step = max(1, chunk // max(B.shape[0], 1))
    for i in range(0, A.shape[0], step):
        out[i : i + step] = gaussian_kernel(A[i : i + step], B, bandwidths) @ q
    return out


def fourier_features(X, W, c, scale, chunk=2**22):
    """``scale * cos(X W + c)`` built in row blocks, without temporaries."""
    out = np.empty((X.shape[0], W.shape[1]))
    step = max(1, chunk // max(W.shape[1], 1))
    for i in range(0, X.shape[0], step):
        block = out[i : i + step]
        np.matmul(X[i : i + step], W, out=block)
        block += c
        np.cos(block, out=block)
        block *= scale
    return out


class ArmKernelOperator(Operator):
    """Gaussian Gram matrix of an arm against a target, exact or by random
    Fourier features (``factor``), with ``linear() = K_at q``.

    Random features: one block of ``n_components // len(bandwidths)``
    features per bandwidth, filled in row blocks into the ``n x
    n_components`` factor (8 bytes an entry, nothing else of that size);
    the target side is only ever needed through ``mu = F_t^T q``, which is
    accumulated by row blocks.
    """

    def __init__(self, Xg, Xt, st, bandwidths, n_components, rng, blocks=None):
        self.ktt, self.n = None, Xg.shape[0]
        q = st / st.sum()
        if blocks is not None:  # slices of one precomputed Gram matrix
            self.K, Kgt, Ktt = blocks
            self.b, self.ktt, self.F = Kgt @ q, float(q @ Ktt @ q), None
        elif n_components is None:
            self.K = gaussian_kernel(Xg, Xg, bandwidths)
            self.b = gaussian_kernel_matvec(Xg, Xt, q, bandwidths)
            self.F = None
        else:
            per = max(1, n_components // len(bandwidths))
            draws = []
            for g in bandwidths:  # the draws in the order of earlier releases
                W = rng.normal(scale=1.0 / g, size=(Xg.shape[1], per))
                draws.append((W, rng.uniform(0, 2 * np.pi, size=per)))
            W = np.hstack([w for w, _ in draws])
            c = np.concatenate([c for _, c in draws])
            scale = np.sqrt(2.0 / (per * len(bandwidths)))
            self.F = self.factor = fourier_features(Xg, W, c, scale)
            step = max(1, 2**22 // W.shape[1])
            self.mu = np.zeros(W.shape[1])
            for i in range(0, Xt.shape[0], step):
                self.mu += (
                    fourier_features(Xt[i : i + step], W, c, scale).T @ q[i : i + step]
                )
            self.K = None

    def matvec(self, m):
        if self.F is None:
            return self.K @ m
        return self.F @ (self.F.T @ m)

    def linear(self):
        return self.b if self.F is None else self.F @ self.mu


def distance_matvec(A, B, q, chunk=2**22):
    """``D(A, B) @ q`` for Euclidean distances, in row blocks of ``chunk``."""
    out = np.empty(A.shape[0])
    step = max(1, chunk // max(B.shape[0], 1))
    for i in range(0, A.shape[0], step):
        out[i : i + step] = cdist(A[i : i + step], B) @ q
    return out


class EnergyOperator(Operator):
    """Energy distance of an arm as a quadratic form: ``K = -D``, exact.

    The distance is conditionally negative definite, so ``K(x, y) = -|x - y|``
    is conditionally positive definite: ``m' K m >= 0`` whenever
    ``sum(m) = 0``. The QP is then convex over the simplex, and its value
    ``m' K m - 2 b' m + q' K_tt q`` is the energy distance between the
    weighted arm and the target.
    """

    def __init__(self, Xg, Xt, st, blocks=None):
        q = st / st.sum()
        self.n, self.F = Xg.shape[0], None
        if blocks is not None:  # slices of one precomputed -D
            self.K, Kgt, Ktt = blocks
            self.b, self.ktt = Kgt @ q, float(q @ Ktt @ q)
        else:
            self.K = cdist(Xg, Xg)
            np.negative(self.K, out=self.K)
            self.b = -distance_matvec(Xg, Xt, q)
            self.ktt = -float(q @ distance_matvec(Xt, Xt, q))

    def matvec(self, m):
        return self.K @ m

    def linear(self):
        return self.b


def sphere_constant(d):
    """``c_d`` with ``|v| = c_d E|theta . v|`` for ``theta`` uniform on S^{d-1}."""
    if d <= 1:
        return 1.0
    return float(np.exp(0.5 * np.log(np.pi) + gammaln((d + 1) / 2) - gammaln(d / 2)))


def sphere_directions(d, n_directions, rng):
    """Unit directions, uniform on the sphere, in orthogonal blocks of ``d``.

    Each column is uniform on S^{d-1} (a column of a Haar orthogonal matrix),
    so averages over them are unbiased; orthogonality within a block lowers
    the variance of the average.
    """
    blocks = []
    for _ in range(-(-n_directions // max(d, 1))):
        Q, R = np.linalg.qr(rng.normal(size=(d, d)))
        blocks.append(Q * np.where(np.diag(R) < 0, -1.0, 1.0))
    return np.hstack(blocks)[:, :n_directions]


class SlicedEnergyOperator(Operator):
    """Sliced energy distance: ``K = -(c_d / P) sum_p |u_pi - u_pj|``.

    ``|x - y| = c_d E_theta |theta . (x - y)|``; averaging over ``P`` fixed
    random directions gives a kernel that is conditionally positive definite
    too (a sum of 1-D ones). In one dimension ``sum_j m_j |u_i - u_j|`` is,
    with the points sorted and ``M``, ``S`` the running sums of ``m`` and
    ``m u``, ``u_i (2 M_i - M) + S - 2 S_i``, where ``T_i = u_i M_i - S_i``
    is itself the running sum of ``(u_i - u_(i-1)) M_(i-1)``: each product
    costs O(n P), no n x n matrix, after one sort per direction. The
    products run over blocks of directions of about ``block_numbers``
    entries each, contiguous in sorted order, so that the running sums stay
    in cache; nothing is scattered. Memory: three ``P x n`` arrays (sort
    orders, ranks and gaps), 24 bytes per row and direction.
    """

    block_numbers = 2**18

    def __init__(self, Xg, Xt, st, n_directions, rng):
        if Xg.shape[1] == 0:  # no covariate left: every distance is 0
            Xg, Xt = np.zeros((Xg.shape[0], 1)), np.zeros((Xt.shape[0], 1))
        d = Xg.shape[1]
        theta = sphere_directions(d, n_directions, rng)
        self.n, self.F = Xg.shape[0], None
        self.scale = sphere_constant(d) / theta.shape[1]
        U = (Xg @ theta).T  # (P, n): the projections, one row per direction
        self.order = np.argsort(U, axis=1, kind="stable")
        # gaps between consecutive sorted projections: T_i = u_i M_i - S_i
        # obeys T_i = T_(i-1) + gap_i M_(i-1), one running sum, no cancellation
        self._gaps = np.diff(np.take_along_axis(U, self.order, axis=1), axis=1)
        self._usum = U.sum(axis=0)
        # directions in blocks of about ``block_numbers`` entries, so the
        # buffers stay in cache; ``_unsort[b]`` maps each row back from its
        # block's sorted positions (flat index ``p * n + rank``)
        n, P = self.n, self.order.shape[0]
        self._block = max(1, min(P, self.block_numbers // max(n, 1)))
        rank = np.empty_like(self.order)
        np.put_along_axis(rank, self.order, np.arange(n)[None, :], axis=1)
        self._unsort = []  # views of ``rank``, offset in place
        for s in range(0, P, self._block):
            block = rank[s : s + self._block]
            block += n * np.arange(block.shape[0])[:, None]
            self._unsort.append(block)
        self._buf = np.empty((3, self._block, n))
        q = st / st.sum()
        Ut = (Xt @ theta).T
        self.b = -self.scale * self._cross(U.T, Ut, q)
        self.ktt = -self.scale * float(self._cross(Ut.T, Ut, q) @ q)

    def matvec(self, m):
        # sum_j m_j |u_i - u_j| = 2 T_i + sum(m u) - sum(m) u_i: per block of
        # directions, in sorted order, the running sums M of m and T of
        # gap * M, then T gathered back to the rows' order and summed
        out = np.zeros(self.n)
        for b, s in enumerate(range(0, self.order.shape[0], self._block)):
            k = self._unsort[b].shape[0]
            M, T, back = (buf[:k] for buf in self._buf)
            np.take(m, self.order[s : s + k], out=M)
            np.cumsum(M, axis=1, out=M)
            T[:, 0] = 0.0
            np.multiply(M[:, :-1], self._gaps[s : s + k], out=T[:, 1:])
            np.cumsum(T, axis=1, out=T)
            np.take(T, self._unsort[b], out=back)
            out += back.sum(axis=0)
        out *= 2.0
        out += float(m @ self._usum) - m.sum() * self._usum
        return -self.scale * out

    def linear(self):
        return self.b

    @staticmethod
    def _cross(U, V, q):
        """``sum_p sum_j q_j |U_ip - V_pj|`` for the rows ``U`` (n, P)."""
        out = np.zeros(U.shape[0])
        for p in range(V.shape[0]):
            order = np.argsort(V[p], kind="stable")
            v, w = V[p, order], q[order]
            M = np.r_[0.0, np.cumsum(w)]
            S = np.r_[0.0, np.cumsum(w * v)]
            u = U[:, p]
            k = np.searchsorted(v, u, side="right")  # targets at or below
            out += u * (2.0 * M[k] - M[-1]) + S[-1] - 2.0 * S[k]
        return out
