"""Covariate balancing by minimising an integral probability metric (CBIPM)."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import logging
import warnings
from numbers import Integral, Real

import numpy as np
from scipy import optimize
from scipy.spatial.distance import cdist
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from .._core.docstrings import fill_doc
from .._core.kernels import (
    ArmKernelOperator,
    EnergyOperator,
    SlicedEnergyOperator,
    gaussian_kernel,
    gaussian_kernel_matvec,
)
from .._core.optim import accelerated_affine_projected_gradient, project_simplex
from ..utils._progress import Progress
from ..utils._sklearn_compat import Interval, StrOptions
from ._balancing import _arm_problems, _BaseCausalWeighter

__all__ = ["IPMBalancing"]

logger = logging.getLogger(__name__)

# arms whose n x n Gram matrix fits in ``gram_budget_mb`` use the exact
# kernel; larger ones random Fourier features ("mmd") or random directions
# ("energy")
_N_DIRECTIONS = 200
_N_FEATURES = 1000


def _mmd_simplex_qp(op, s, alpha, *, tol, max_iter):
    """Minimise ``m'Km - 2 b'm + alpha S sum(m^2 / s)`` over the simplex.

    Accelerated projected gradient (FISTA with adaptive restart). A constant
    added to every gradient coordinate does not move the projection, so the
    step size uses the top eigenvalue of K on the subspace ``sum(m) = 0``,
    much smaller than that of K for wide kernels. Returns ``(m, n_iter,
    converged, gap)``, ``gap`` being the Frank-Wolfe duality gap.

    The power method starts from a fixed vector, not from ``random_state``:
    the step size moves the iterate at which the tolerance stops the solver
    (by up to ~1% of a weight at ``tol=1e-4``), so a random start would make
    the exact-kernel weights depend on the seed (and, with
    ``random_state=None``, differ from one fit, or joblib worker, to another).
    """
    S = s.sum()
    b = op.linear()
    ridge = alpha * S / s
    # a fixed start (the docstring says why), not the estimator's rng
    start = np.random.RandomState(0).normal(size=op.n)
    top = op.top_eigenvalue(start, centred=True)
    L = 2.0 * (1.05 * top + ridge.max()) + 1e-12

    def grad(v):
        return 2.0 * (op.matvec(v) - b + ridge * v)

    def value(v, g):
        return float(v @ (0.5 * g - b))  # = v'Kv + ridge term - 2 b'v, up to /2

    # the duality gap at the uniform start bounds its suboptimality: stop
    # when the gap has shrunk by the relative tolerance
    return accelerated_affine_projected_gradient(
        grad, value, project_simplex, s / S, lip=L, tol=tol, max_iter=max_iter
    )


@fill_doc
class IPMBalancing(_BaseCausalWeighter):
    """Balancing weights that minimise an integral probability metric.

    Covariate balancing by the integral probability metric (CBIPM, Kong et
    al. 2023): the weights of an arm are chosen so that the weighted empirical
    distribution of its covariates is as close as possible, in
    ``IPM_F(P, Q) = sup_{f in F} |E_P f - E_Q f|``, to the target population:
    the controls to the treated for the ATT, the treated to the controls for
    the ATC, and each arm to the full sample for the ATE. A rich enough class
    ``F`` balances whole distributions, not only chosen moments, which makes
    the effect estimate consistent without a correct propensity or outcome
    model.

    Discriminator classes:

    - ``"mmd"``: the unit ball of a Gaussian-kernel RKHS; the squared IPM is
      the MMD, a quadratic form in the weights, so no adversary is needed.
      With ``parametrization="nonparametric"`` the problem is a convex QP over
      the simplex, solved exactly by accelerated projected gradient (FISTA)
      to a relative Frank-Wolfe duality gap below ``tol``.
    - ``"energy"``: the energy distance of Szekely and Rizzo,
      ``2 E|X - Y| - E|X - X'| - E|Y - Y'|``, which is the squared MMD of the
      distance-induced kernel ``k(x, y) = -|x - y|``: energy balancing
      (Huling and Mak 2024). It needs no bandwidth. The kernel is only
      conditionally positive definite (``m' K m >= 0`` when ``sum(m) = 0``),
      which suffices: weights sum to 1, so the QP is convex over the simplex
      and is solved by the same FISTA iterations. For the ATE each arm is
      balanced to the whole sample on its own (the IPM form); Huling and
      Mak's ATE objective adds the distance between the two weighted arms.
      Arms over 4,000 rows use the sliced energy distance,
      ``|x - y| = c_d E_theta |theta . (x - y)|`` averaged over
      ``n_components`` random directions (200 by default), each a 1-D
      kernel whose products with a vector cost O(n log n) by sorting, with
      no ``n x n`` matrix.
    - ``"sigmoid"``: the parametric class ``{sigmoid(a . x + c)}`` with
      ``n_units`` units trained adversarially (Adam ascent, as in the paper),
      while the weights descend the largest squared unit-wise imbalance.

    Weight parametrisations:

    - ``"nonparametric"``: one free weight per unit (transductive: no weights
      for new rows).
    - ``"linear"``: ``w_i ∝ exp(x_i . theta)``, the odds of a logistic
      propensity (ATT/ATC); for the ATE ``w_i = 1 / n + (1 - n_a / n)
      softmax(X theta)_i``, mimicking ``1 / e(x)``. Fitted by L-BFGS for
      ``"mmd"``; extends to new rows.

    The neural (Wasserstein critic) class lives in
    ``skreweight.neural.NeuralIPMBalancing``, so that torch stays out of this
    module. Covariates are standardised before the kernel is applied, as in
    the paper's code.

    Read more in the :ref:`User Guide <causal_balancing>`.

    Parameters
    ----------
    estimand : {"ATE", "ATT", "ATC"}, default="ATE"
        Population the weights target.
    discriminator : {"mmd", "energy", "sigmoid"}, default="mmd"
        The discriminator class ``F``: a Gaussian-kernel RKHS ball, the
        energy distance (no bandwidth), or sigmoid units.
    parametrization : {"nonparametric", "linear"}, default="nonparametric"
        How the weights are parametrised.
    bandwidth : float or tuple of float, default=10.0
        Gaussian kernel width ``gamma`` in ``exp(-|x - y|^2 / (2 gamma^2))`` on
        standardised covariates (the paper's default, 10). A tuple averages
        the MMDs of several widths (the paper's ``gamma=-1`` is ``(1, 3, 10)``).
        Ignored by ``"energy"`` and ``"sigmoid"``.
    alpha : float, default=0.0
        Ridge penalty ``alpha * n_a / ESS_a`` added to the MMD (0, the
        default, is the paper's objective). A positive value makes the
        optimum unique and keeps the effective sample size up, at the price
        of balance: the squared MMD left after weighting is often below
        1e-4 with a wide kernel, so even ``alpha=1e-4`` trades visible
        imbalance (and bias) for ESS.
    n_components : int or None, default=None
        Approximate the kernel instead of forming the exact ``n_a x n_a``
        Gram matrix: with this many random Fourier features for ``"mmd"``,
        with the sliced energy distance over this many random directions
        (uniform on the sphere, in orthogonal blocks) for ``"energy"``. When
        None, the exact kernel is used for arms whose Gram matrix fits in
        ``gram_budget_mb`` (arms up to 4,000 rows by default), and above that
        1,000 features (``"mmd"``) or 200 directions (``"energy"``).
    gram_budget_mb : float, default=128.0
        Largest size, in megabytes (1e6 bytes), of the exact ``n_a x n_a``
        Gram (or distance) matrix; 8 bytes an entry, so 128 MB is an arm of
        4,000 rows. Above it the approximation of ``n_components`` is used,
        whose memory grows as ``n_a x n_components`` (``"mmd"``: 8 bytes per
        row and feature, 512 MB at 64,000 rows) or ``n_a x 200`` x 24 bytes
        (``"energy"``). A tuple ``bandwidth`` needs a second matrix of the
        same size while the Gram matrix is built.
    n_units : int, default=100
        Number of sigmoid units of the ``"sigmoid"`` discriminator.
    max_iter : int, default=2000
        Maximum number of iterations (FISTA or L-BFGS steps for ``"mmd"``,
        outer Adam steps for ``"sigmoid"``).
    tol : float, default=1e-4
        Relative tolerance of the exact MMD solver: it stops when the
        Frank-Wolfe duality gap (a bound on the distance to the optimal
        squared MMD) is below ``tol`` times the gap of uniform weights.
    learning_rate : float, default=0.03
        Adam step of the weights for ``"sigmoid"`` (the paper's 0.03); the
        adversary uses 0.3 and 5 inner steps per outer step.
    random_state : int, RandomState instance or None, default=None
        Seeds the random features or directions and the sigmoid
        discriminator.
    verbose : int, default=0
        Print the solver's progress (one line per 100 iterations at 1).

    Attributes
    ----------
    weights_ : ndarray of shape (n_samples,)
        Weights of the rows passed to ``fit``, averaging 1 in each arm.
    ipm_ : ndarray of shape (n_problems,)
        The IPM left after weighting, one per reweighted arm (MMD, not
        squared, for ``"mmd"``; the square root of the energy distance, or
        of its sliced approximation, for ``"energy"``; the largest unit-wise
        imbalance for ``"sigmoid"``).
    coef_ : ndarray of shape (n_problems, n_features_used)
        ``theta`` of the ``"linear"`` parametrisation (absent otherwise).
    n_iter_ : int
        Largest number of solver iterations over the arms.
    converged_ : bool
        Whether the exact solver met ``tol`` (always True for ``"sigmoid"``,
        which runs ``max_iter`` steps as in the paper).
    %(weighter_diagnostics)s

    See Also
    --------
    EntropyBalancing : Exact balance of chosen moments.
    skreweight.causal.WeightingEstimator : Effect estimate from these weights.

    References
    ----------
    .. [1] I. Kong, Y. Park, J. Jung, K. Lee and Y. Kim, "Covariate balancing
       using the integral probability metric for causal inference", ICML 2023.
    .. [2] J. D. Huling and S. Mak, "Energy balancing of covariate
       distributions", Journal of Causal Inference 12(1), 2024.
    .. [3] G. J. Szekely and M. L. Rizzo, "Energy statistics: a class of
       statistics based on distances", Journal of Statistical Planning and
       Inference 143(8), 2013.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.datasets import make_kang_schafer
    >>> from skreweight.weighting import IPMBalancing
    >>> data = make_kang_schafer(300, random_state=0)
    >>> ipm = IPMBalancing(estimand="ATT").fit(data.X, treatment=data.treatment)
    >>> t = data.treatment == 1
    >>> naive = data.y[t].mean() - data.y[~t].mean()
    >>> att = data.y[t].mean() - np.average(data.y[~t], weights=ipm.weights_[~t])
    >>> bool(abs(att) < abs(naive) / 2)
    True

    Energy balancing needs no bandwidth:

    >>> energy = IPMBalancing(estimand="ATT", discriminator="energy").fit(
    ...     data.X, treatment=data.treatment
    ... )
    >>> att = data.y[t].mean() - np.average(data.y[~t], weights=energy.weights_[~t])
    >>> bool(abs(att) < abs(naive) / 2)
    True
    """

    _parameter_constraints = {
        "estimand": [StrOptions({"ATE", "ATT", "ATC"})],
        "discriminator": [StrOptions({"mmd", "energy", "sigmoid"})],
        "parametrization": [StrOptions({"nonparametric", "linear"})],
        "bandwidth": [Interval(Real, 0, None, closed="neither"), tuple, list],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "gram_budget_mb": [Interval(Real, 0, None, closed="left")],
        "n_units": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        estimand="ATE",
        discriminator="mmd",
        parametrization="nonparametric",
        bandwidth=10.0,
        alpha=0.0,
        n_components=None,
        gram_budget_mb=128.0,
        n_units=100,
        max_iter=2000,
        tol=1e-4,
        learning_rate=0.03,
        random_state=None,
        verbose=0,
    ):
        self.estimand = estimand
        self.discriminator = discriminator
        self.parametrization = parametrization
        self.bandwidth = bandwidth
        self.alpha = alpha
        self.n_components = n_components
        self.gram_budget_mb = gram_budget_mb
        self.n_units = n_units
        self.max_iter = max_iter
        self.tol = tol
        self.learning_rate = learning_rate
        self.random_state = random_state
        self.verbose = verbose

    @property
    def _out_of_sample(self):
        return self.parametrization == "linear"

    def _bandwidths(self):
        bw = self.bandwidth
        bws = tuple(bw) if isinstance(bw, (tuple, list)) else (bw,)
        if not bws or any(not np.isfinite(b) or b <= 0 for b in bws):
            raise ValueError(
                f"bandwidth must be a positive float or a tuple of them; got {bw!r}."
            )
        return bws

    def _fit(self, X, y, sample_weight, treatment=None):
        t, sw = treatment, sample_weight
        self._check_arms(t, sw)
        Z = self._design(X, sw)
        rng = check_random_state(self.random_state)
        raw = np.ones(X.shape[0])
        self._linear, ipms, coefs = [], [], []
        self.n_iter_, self.converged_ = 0, True
        self._gram = self._shared_gram(Z, sw)
        for arm, target in _arm_problems(self.estimand, t):
            rows = arm & (sw > 0)
            Zg, sg = Z[rows], sw[rows]
            Zt, st = Z[target & (sw > 0)], sw[target & (sw > 0)]
            n_all = float(sw.sum())
            ate = self.estimand == "ATE"
            blocks = self._gram_blocks(Z, sw, arm, target)
            kernel = self.discriminator != "sigmoid"
            if kernel and self.parametrization == "nonparametric":
                m, n_iter, ok, ipm = self._fit_mmd_qp(Zg, sg, Zt, st, rng, blocks)
            elif kernel:
                m, n_iter, ok, ipm, theta = self._fit_mmd_linear(
                    Zg, sg, Zt, st, rng, n_all if ate else None, blocks
                )
            else:
                m, n_iter, ok, ipm, theta = self._fit_sigmoid(
                    Zg, sg, Zt, st, rng, n_all if ate else None
                )
            if self.parametrization == "linear":
                coefs.append(theta)
                self._linear.append(self._linear_state(Zg, sg, theta, n_all, ate))
            per_unit = m / sg
            raw[arm] = 0.0
            raw[rows] = per_unit
            if self.parametrization == "linear":
                raw[arm] = self._linear_raw(Z[arm], self._linear[-1])
            ipms.append(ipm)
            self.n_iter_ = max(self.n_iter_, n_iter)
            self.converged_ &= ok
        self._gram = None  # do not keep an n x n matrix on the estimator
        self.ipm_ = np.asarray(ipms)
        if coefs:
            self.coef_ = np.vstack(coefs)
        if not self.converged_:
            warnings.warn(
                f"IPMBalancing did not reach tol={self.tol} in {self.max_iter} "
                "iterations; the weights are approximate. Increase max_iter"
                + (", or widen the bandwidth." if self.discriminator == "mmd" else "."),
                ConvergenceWarning,
                stacklevel=3,
            )
        return raw

    def _shared_gram(self, Z, sw):
        """The exact kernel (or ``-distance``) matrix of the weighted rows,
        shared by the arms, when it fits in ``gram_budget_mb``; else None."""
        n = int(np.sum(sw > 0))
        if (
            self.discriminator == "sigmoid"
            or self.n_components is not None
            or n == 0
            or not self._fits_budget(n)
        ):
            return None
        Zp = Z[sw > 0]
        if self.discriminator == "mmd":
            return gaussian_kernel(Zp, Zp, self._bandwidths())
        return -cdist(Zp, Zp)

    # -- MMD, nonparametric: exact QP ---------------------------------------
    def _fits_budget(self, n_rows):
        """Whether an ``n_rows x n_rows`` float64 matrix fits ``gram_budget_mb``."""
        return 8.0 * float(n_rows) ** 2 <= self.gram_budget_mb * 1e6

    def _operator(self, Zg, Zt, st, rng, blocks=None):
        energy = self.discriminator == "energy"
        n_comp = self.n_components
        if n_comp is None and not self._fits_budget(Zg.shape[0]):
            n_comp = _N_DIRECTIONS if energy else _N_FEATURES
        if n_comp is not None:
            blocks = None
        if energy and n_comp is None:
            return EnergyOperator(Zg, Zt, st, blocks)
        if energy:
            return SlicedEnergyOperator(Zg, Zt, st, n_comp, rng)
        return ArmKernelOperator(Zg, Zt, st, self._bandwidths(), n_comp, rng, blocks)

    def _gram_blocks(self, Z, sw, arm, target):
        """Slices of one Gram matrix of all rows, when it is small enough."""
        if self.n_components is not None or self._gram is None:
            return None
        pos = np.flatnonzero(sw > 0)
        where = np.full(sw.shape[0], -1)
        where[pos] = np.arange(pos.shape[0])
        g, t = where[arm & (sw > 0)], where[target & (sw > 0)]
        K = self._gram
        return K[np.ix_(g, g)], K[np.ix_(g, t)], K[np.ix_(t, t)]

    def _fit_mmd_qp(self, Zg, sg, Zt, st, rng, blocks=None):
        op = self._operator(Zg, Zt, st, rng, blocks)
        m, n_iter, ok, gap = _mmd_simplex_qp(
            op, sg, self.alpha, tol=self.tol, max_iter=self.max_iter
        )
        if self.verbose:
            Progress(self, 1).message(f"FISTA: {n_iter} iterations, gap {gap:.2e}")
        return m, n_iter, ok, self._mmd(op, m, Zt, st)

    def _mmd(self, op, m, Zt, st):
        q = st / st.sum()
        if op.F is None:
            ktt = op.ktt
            if ktt is None:
                ktt = float(q @ gaussian_kernel_matvec(Zt, Zt, q, self._bandwidths()))
            val = float(m @ op.matvec(m)) - 2 * float(op.linear() @ m) + ktt
        else:
            val = float(np.sum((op.F.T @ m - op.mu) ** 2))
        return float(np.sqrt(max(val, 0.0)))

    # -- linear parametrisation -----------------------------------------------
    @staticmethod
    def _masses(Zg, sg, theta, n_all):
        a = Zg @ theta + np.log(sg)
        p = np.exp(a - a.max())
        p /= p.sum()
        if n_all is None:
            return p, p, 1.0
        c = 1.0 - sg.sum() / n_all
        return sg / n_all + c * p, p, c

    def _linear_state(self, Zg, sg, theta, n_all, ate):
        a = Zg @ theta
        shift = a.max()
        logz = np.log(np.sum(sg * np.exp(a - shift)))
        c = 1.0 - sg.sum() / n_all if ate else 1.0
        return theta, shift, logz, (1.0 / n_all if ate else 0.0), c

    @staticmethod
    def _linear_raw(Z, state):
        theta, shift, logz, base, c = state
        return base + c * np.exp(np.minimum(Z @ theta - shift - logz, 300.0))

    def _fit_mmd_linear(self, Zg, sg, Zt, st, rng, n_all, blocks=None):
        op = self._operator(Zg, Zt, st, rng, blocks)
        b = op.linear()

        def fun(theta):
            m, p, c = self._masses(Zg, sg, theta, n_all)
            km = op.matvec(m)
            val = float(m @ km) - 2.0 * float(b @ m)
            g = c * (2.0 * km - 2.0 * b)  # d/dp
            grad = Zg.T @ (p * (g - p @ g))
            return val, grad

        sol = optimize.minimize(
            fun,
            np.zeros(Zg.shape[1]),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": self.max_iter},
        )
        theta = sol.x
        m = self._masses(Zg, sg, theta, n_all)[0]
        ok = bool(sol.success or sol.status == 2)  # 2: precision loss at optimum
        return m, int(sol.nit), ok, self._mmd(op, m, Zt, st), theta

    # -- sigmoid discriminator: adversarial ------------------------------------
    def _fit_sigmoid(self, Zg, sg, Zt, st, rng, n_all):
        d, k = Zg.shape[1], self.n_units
        A = rng.normal(scale=1.0 / np.sqrt(max(d, 1)), size=(d, k))
        c = rng.normal(scale=0.1, size=k)
        q = st / st.sum()
        linear = self.parametrization == "linear"
        u = np.zeros(d) if linear else np.zeros(Zg.shape[0])
        adam_w = _Adam(u.shape, self.learning_rate)
        adam_a = _Adam((d + 1, k), 0.3)

        def masses(u):
            if linear:
                return self._masses(Zg, sg, u, n_all)
            a = u + np.log(sg)
            p = np.exp(a - a.max())
            p /= p.sum()
            return p, p, 1.0

        progress = Progress(self, self.verbose, total=self.max_iter, every=100)
        for it in range(self.max_iter):
            m, p, cc = masses(u)
            for _ in range(5):  # adversary: ascend sum of squared imbalances
                Fg, Ft = expit(Zg @ A + c), expit(Zt @ A + c)
                diff = q @ Ft - m @ Fg
                dFt, dFg = Ft * (1 - Ft), Fg * (1 - Fg)
                gA = 2 * diff * (Zt.T @ (q[:, None] * dFt) - Zg.T @ (m[:, None] * dFg))
                gc = 2 * diff * (q @ dFt - m @ dFg)
                step = adam_a.step(-np.vstack([gA, gc]))
                A, c = A + step[:d], c + step[d]
            Fg, Ft = expit(Zg @ A + c), expit(Zt @ A + c)
            diff = q @ Ft - m @ Fg
            j = int(np.argmax(diff**2))
            g_m = -2.0 * diff[j] * Fg[:, j] * cc  # d max_j diff_j^2 / d p
            if linear:
                grad = Zg.T @ (p * (g_m - p @ g_m))
            else:
                grad = p * (g_m - p @ g_m)
            u = u + adam_w.step(grad)
            progress(it + 1, ipm=abs(float(diff[j])))
        m = masses(u)[0]
        diff = q @ expit(Zt @ A + c) - m @ expit(Zg @ A + c)
        return m, self.max_iter, True, float(np.max(np.abs(diff))), u

    def _compute_weights(self, X, y, treatment=None):
        Z = self._transform(X)
        raw = np.ones(X.shape[0])
        for (arm, _), state in zip(
            _arm_problems(self.estimand, treatment), self._linear
        ):
            raw[arm] = self._linear_raw(Z[arm], state)
        return raw


class _Adam:
    """Plain Adam on a numpy array; ``step(grad)`` returns the update."""

    def __init__(self, shape, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        self.m, self.v = np.zeros(shape), np.zeros(shape)
        self.lr, self.b1, self.b2, self.eps, self.t = lr, beta1, beta2, eps, 0

    def step(self, grad):
        self.t += 1
        self.m = self.b1 * self.m + (1 - self.b1) * grad
        self.v = self.b2 * self.v + (1 - self.b2) * grad**2
        mh = self.m / (1 - self.b1**self.t)
        vh = self.v / (1 - self.b2**self.t)
        return -self.lr * mh / (np.sqrt(vh) + self.eps)
