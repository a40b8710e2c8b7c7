"""Least-squares density-ratio fitting: uLSIF and RuLSIF, with exact LOO-CV."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral, Real

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state

from .._core.array_api import like, namespace, take_rows, to_numpy
from .._core.docstrings import fill_doc
from .._core.kernels import median_bandwidth, rbf, rbf_from_sq_dists, sq_dists
from ..base import WeighterMixin, _no_overlap_message
from ..utils._progress import Progress
from ..utils._sklearn_compat import Interval, StrOptions

__all__ = ["RuLSIF", "ULSIF"]

_BANDWIDTH_FACTORS = 2.0 ** np.arange(-2, 2.5, 0.5)
_REG_GRID = 10.0 ** np.arange(-3, 1.5, 1.0)


#: Leave-one-out scores are averaged over at most this many held-out pairs
#: (the first ones), which bounds the selection cost on large samples.
MAX_LOO_PAIRS = 2000


def _loo_scores(Phi_de, Phi_nu, relative, regs):
    """Exact leave-one-out scores of (R)uLSIF for each regularisation.

    Pair ``i`` (source row ``i`` and target row ``i``, ``i < min(n, m,
    MAX_LOO_PAIRS)``) is
    left out; the fit on the rest is the rank-2 downdate of the full system,
    solved for every pair at once with the Woodbury identity. The score is the
    held-out (R)uLSIF loss ``alpha/2 r(x'_i)^2 + (1-alpha)/2 r(x_i)^2 -
    r(x'_i)`` averaged over pairs, with the ratio clipped at 0 as in the fit.

    The Gram matrices (the ``O(n b^2)`` part) are formed in the namespace of
    the features, on their device; the ``b x b`` solves for the pairs run on
    the host (SciPy), on float64 copies of ``b x (b + 2k + 1)`` numbers.
    """
    xp = namespace(Phi_de, Phi_nu)[0]
    n, b = Phi_de.shape
    m = Phi_nu.shape[0]
    k = min(n, m, MAX_LOO_PAIRS)
    a = relative
    h = xp.mean(Phi_nu, axis=0)
    U, V = Phi_nu[:k, ...].T, Phi_de[:k, ...].T  # b x k
    s_u = a / (m - 1)
    s_v = (1 - a) / (n - 1)
    # H_{-i} + reg I = M - s_u u u^T - s_v v v^T with M = M_0 + reg I; the
    # Gram matrices, the O(n b^2) part, are shared by every reg
    M_0 = a * m / (m - 1) * Phi_nu.T @ Phi_nu / m
    M_0 = M_0 + (1 - a) * n / (n - 1) * Phi_de.T @ Phi_de / n
    M_0, h, U, V = (np.asarray(to_numpy(v), dtype=np.float64) for v in (M_0, h, U, V))
    out = []
    for reg in regs:
        cf = cho_factor(M_0 + reg * np.eye(b))
        MiU, MiV, Mih = cho_solve(cf, U), cho_solve(cf, V), cho_solve(cf, h)
        uu = np.einsum("ij,ij->j", U, MiU)
        uv = np.einsum("ij,ij->j", U, MiV)
        vv = np.einsum("ij,ij->j", V, MiV)
        # M^{-1} g_i, g_i = (m h - u_i) / (m - 1)
        Mig = (m * Mih[:, None] - MiU) / (m - 1)
        ug = U.T @ Mih * m / (m - 1) - uu / (m - 1)
        vg = V.T @ Mih * m / (m - 1) - uv / (m - 1)
        # (I - P^T M^-1 P S)^{-1} with P = [u v], S = diag(s_u, s_v)
        a11, a12 = 1 - uu * s_u, -uv * s_v
        a21, a22 = -uv * s_u, 1 - vv * s_v
        det = a11 * a22 - a12 * a21
        c1 = (a22 * ug - a12 * vg) / det
        c2 = (-a21 * ug + a11 * vg) / det
        theta = Mig + MiU * (s_u * c1) + MiV * (s_v * c2)
        theta = np.maximum(theta, 0.0)
        r_nu = np.einsum("ij,ij->j", U, theta)
        r_de = np.einsum("ij,ij->j", V, theta)
        score = np.mean(a / 2 * r_nu**2 + (1 - a) / 2 * r_de**2 - r_nu)
        out.append(score)
    return np.asarray(out)


class _LSIFBase(WeighterMixin, BaseEstimator):
    _context = ("X_target",)
    _array_api = True
    __metadata_request__fit = {"X_target": True}

    _parameter_constraints = {
        "bandwidth": [
            Interval(Real, 0, None, closed="neither"),
            StrOptions({"auto", "median"}),
            "array-like",
        ],
        "reg": [
            Interval(Real, 0, None, closed="neither"),
            StrOptions({"auto"}),
            "array-like",
        ],
        "n_centers": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    _relative = 0.0

    def _grids(self, Z):
        if isinstance(self.bandwidth, str):
            med = median_bandwidth(Z, random_state=self.random_state)
            sig = med * _BANDWIDTH_FACTORS if self.bandwidth == "auto" else [med]
        else:
            sig = np.atleast_1d(np.asarray(self.bandwidth, dtype=float))
        regs = _REG_GRID if isinstance(self.reg, str) else np.atleast_1d(self.reg)
        if np.any(np.asarray(sig) <= 0) or np.any(np.asarray(regs) <= 0):
            raise ValueError("bandwidth and reg values must be positive.")
        return np.asarray(sig, dtype=float), np.asarray(regs, dtype=float)

    _uniform_without_context = "X_target"

    def _no_context_attributes(self, X):
        return dict(
            centers_=None, coef_=None, bandwidth_=None, reg_=None, cv_scores_=None
        )

    def _fit(self, X, y, sample_weight, X_target):
        rng = check_random_state(self.random_state)
        m = X_target.shape[0]
        b = min(self.n_centers, m)
        xp = namespace(X, X_target)[0]
        self.centers_ = take_rows(X_target, np.sort(rng.choice(m, b, replace=False)))
        sigmas, regs = self._grids(xp.concat([X, X_target]))
        if sigmas.size * regs.size > 1:
            if min(X.shape[0], m) < 2:
                raise ValueError(
                    f"{type(self).__name__} selects bandwidth and reg by "
                    "leave-one-out, which needs at least 2 source and 2 target "
                    f"rows (got {X.shape[0]} and {m}). Pass fixed values."
                )
            scores = self._loo_grid(X, X_target, sigmas, regs)
            i, j = np.unravel_index(np.argmin(scores), scores.shape)
            self.cv_scores_ = like(scores, X)
        else:
            i = j = 0
            self.cv_scores_ = None
        self.bandwidth_, self.reg_ = float(sigmas[i]), float(regs[j])
        Phi_de = rbf(X, self.centers_, self.bandwidth_)
        Phi_nu = rbf(X_target, self.centers_, self.bandwidth_)
        p = sample_weight / xp.sum(sample_weight)
        a = self._relative
        H = a * Phi_nu.T @ Phi_nu / m + (1 - a) * (Phi_de.T * p) @ Phi_de
        # the b x b solve on the host (SciPy), in float64
        h = xp.mean(Phi_nu, axis=0)
        H, h = (np.asarray(to_numpy(v), dtype=np.float64) for v in (H, h))
        H[np.diag_indices_from(H)] += self.reg_
        coef = np.maximum(cho_solve(cho_factor(H), h), 0.0)
        self.coef_ = like(coef, X)
        r_de, r_nu = Phi_de @ self.coef_, Phi_nu @ self.coef_
        self.divergence_ = float(
            -a / 2 * float(xp.mean(r_nu**2))
            - (1 - a) / 2 * float(p @ r_de**2)
            + float(xp.mean(r_nu))
            - 0.5
        )
        if not bool(xp.any(r_de * sample_weight > 0)):
            raise ValueError(_no_overlap_message(self))
        return r_de

    def _loo_grid(self, X, X_target, sigmas, regs):
        """Leave-one-out scores, one row per bandwidth, one column per reg."""
        # squared distances to the centres once, a kernel per bandwidth
        D_de = sq_dists(X, self.centers_)
        D_nu = sq_dists(X_target, self.centers_)
        progress = Progress(self, self.verbose, total=len(sigmas), unit="bandwidth")
        scores = []
        for k, s in enumerate(sigmas, 1):
            Phi_de, Phi_nu = rbf_from_sq_dists(D_de, s), rbf_from_sq_dists(D_nu, s)
            scores.append(_loo_scores(Phi_de, Phi_nu, self._relative, regs))
            progress(k, sigma=float(s), best_loo=float(np.min(scores[-1])))
        return np.array(scores)

    def _compute_weights(self, X, y, X_target=None):
        return rbf(X, self.centers_, self.bandwidth_) @ self.coef_


_PARAMS_DOC = """bandwidth : float, array-like, "median" or "auto", default="auto"
        Bandwidth ``sigma`` of the Gaussian basis functions
        ``exp(-||x - c||^2 / (2 sigma^2))``. ``"auto"`` selects it by
        leave-one-out among the median distance between pooled rows times
        ``2^(-2), 2^(-1.5), ..., 2^2``; an array gives the candidates.
    reg : float, array-like or "auto", default="auto"
        Ridge regularisation ``lambda``; ``"auto"`` selects it by leave-one-out
        among ``1e-3, 1e-2, 0.1, 1, 10``.
    n_centers : int, default=100
        Number of kernel centres, drawn at random among the target rows.
    random_state : int, RandomState instance or None, default=None
        Seeds the centres and the bandwidth subsample.
    verbose : int, default=0
        0 prints nothing; 1 and above print the best leave-one-out score of
        each bandwidth candidate."""

_ATTRS_DOC = """weights_ : ndarray of shape (n_samples,)
        Estimated ratio at the source rows, scaled to average 1.
    centers_ : ndarray of shape (n_centers, n_features)
        Kernel centres (None without ``X_target``).
    coef_ : ndarray of shape (n_centers,)
        Non-negative coefficients of the ratio model.
    bandwidth_, reg_ : float
        Selected bandwidth and regularisation.
    cv_scores_ : ndarray of shape (n_bandwidths, n_regs) or None
        Leave-one-out scores (lower is better), None when nothing was selected.
    divergence_ : float
        Plug-in Pearson divergence estimate of the fitted model.
    %(weighter_diagnostics)s"""


@fill_doc
class ULSIF(_LSIFBase):
    __doc__ = f"""Unconstrained least-squares importance fitting (uLSIF).

    Models the ratio ``w(x) = p_target(x) / p_source(x)`` as
    ``sum_l theta_l k(x, c_l)`` with Gaussian kernels on ``n_centers`` target
    rows and fits ``theta`` by least squares in closed form,
    ``theta = max(0, (H + lambda I)^(-1) h)`` with ``H`` the source second
    moment of the basis and ``h`` its target mean (Kanamori et al. 2009).
    Bandwidth and ``lambda`` are selected by the exact leave-one-out score,
    computed for all held-out pairs at once (at most 2,000 pairs).
    ``sample_weight`` weights the source moments (the leave-one-out selection
    treats rows as unweighted).
    The ratio model extends to new rows: :meth:`compute_weights` evaluates it.

    Under ``sklearn.set_config(array_api_dispatch=True)`` torch or CuPy input
    stays on its device (:ref:`gpu`): the kernel features and their Gram
    matrices are computed there; the ``n_centers x n_centers`` solves (SciPy,
    float64) and the bandwidth subsample run on the host, on explicit copies.

    Read more in the :ref:`User Guide <covariate_shift>`.

    Parameters
    ----------
    {_PARAMS_DOC}

    Attributes
    ----------
    {_ATTRS_DOC}

    See Also
    --------
    RuLSIF : The relative (bounded) version.
    KLIEP : Likelihood-based fit of the same model.

    References
    ----------
    .. [1] T. Kanamori, S. Hido and M. Sugiyama, "A Least-squares Approach to
       Direct Importance Estimation", JMLR 10, 2009.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.datasets import make_covariate_shift
    >>> from skreweight.weighting import ULSIF
    >>> data = make_covariate_shift(n_source=500, n_target=500, random_state=0)
    >>> ulsif = ULSIF(random_state=0).fit(data.X_source, X_target=data.X_target)
    >>> bool(np.corrcoef(ulsif.weights_, data.ratio_source)[0, 1] > 0.7)
    True
    """

    def __init__(
        self,
        *,
        bandwidth="auto",
        reg="auto",
        n_centers=100,
        random_state=None,
        verbose=0,
    ):
        self.bandwidth = bandwidth
        self.reg = reg
        self.n_centers = n_centers
        self.random_state = random_state
        self.verbose = verbose


@fill_doc
class RuLSIF(_LSIFBase):
    __doc__ = f"""Relative unconstrained least-squares importance fitting (RuLSIF).

    Fits the *relative* ratio ``r(x) = p_t(x) / (alpha p_t(x) + (1 - alpha)
    p_s(x))``, bounded by ``1 / alpha``, with the closed form of
    :class:`ULSIF` where the second moment mixes both samples
    (Yamada et al. 2011). ``alpha=0`` is uLSIF. Used as a weight, ``r``
    targets the mixture ``alpha p_t + (1 - alpha) p_s``: smoother, never
    exploding weights, at the price of an incomplete correction.
    Bandwidth and ``lambda`` are selected by the exact leave-one-out score.

    Under ``sklearn.set_config(array_api_dispatch=True)`` torch or CuPy input
    stays on its device (:ref:`gpu`): the kernel features and their Gram
    matrices are computed there; the ``n_centers x n_centers`` solves (SciPy,
    float64) and the bandwidth subsample run on the host, on explicit copies.

    Read more in the :ref:`User Guide <covariate_shift>`.

    Parameters
    ----------
    alpha : float in [0, 1), default=0.1
        Share of the target in the reference mixture.
    {_PARAMS_DOC}

    Attributes
    ----------
    {_ATTRS_DOC}

    See Also
    --------
    ULSIF : The plain ratio (``alpha=0``).

    References
    ----------
    .. [1] M. Yamada, T. Suzuki, T. Kanamori, H. Hachiya and M. Sugiyama,
       "Relative Density-Ratio Estimation for Robust Distribution
       Comparison", NIPS 2011.

    Examples
    --------
    >>> from skreweight.datasets import make_covariate_shift
    >>> from skreweight.weighting import RuLSIF
    >>> data = make_covariate_shift(n_source=500, n_target=500, random_state=0)
    >>> rulsif = RuLSIF(alpha=0.5, random_state=0)
    >>> w = rulsif.fit(data.X_source, X_target=data.X_target).weights_
    >>> bool(w.max() / w.mean() < 2 / 0.5)
    True
    """

    _parameter_constraints = {
        **_LSIFBase._parameter_constraints,
        "alpha": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(
        self,
        *,
        alpha=0.1,
        bandwidth="auto",
        reg="auto",
        n_centers=100,
        random_state=None,
        verbose=0,
    ):
        self.alpha = alpha
        self.bandwidth = bandwidth
        self.reg = reg
        self.n_centers = n_centers
        self.random_state = random_state
        self.verbose = verbose

    @property
    def _relative(self):
        return self.alpha
