"""Double weighting: the DW-KMM weights of Segovia-Martin et al. (2023)."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator

from .._core.array_api import copy, float64_dtype, namespace, to_device, to_numpy
from .._core.docstrings import fill_doc
from .._core.matching import (
    MATCHING_CONSTRAINTS,
    KernelMatchingMixin,
    double_weights,
    extend_alpha,
    warn_uncovered,
)
from ..base import WeighterMixin
from ..utils._sklearn_compat import Interval

__all__ = ["DoubleWeighting"]


@fill_doc
class DoubleWeighting(KernelMatchingMixin, WeighterMixin, BaseEstimator):
    """Double weighting (DW-KMM): weights for the source *and* the target rows.

    Generalised kernel mean matching of Segovia-Martin, Mazuelas and Liu
    (2023). Source rows get weights ``beta`` and target rows weights
    ``alpha`` in ``[0, 1]`` such that the ``beta``-weighted source matches the
    ``alpha``-weighted target in a Gaussian RKHS:

    .. math::

        \\min_{\\beta, \\alpha} \\Big\\| \\sum_i p_i \\beta_i \\phi(x_i)
        - \\frac{1}{t} \\sum_j \\alpha_j \\phi(x'_j) \\Big\\|^2 \\;
        \\text{s.t.} \\; 0 \\le \\beta_i \\le \\frac{B}{\\sqrt{D}},\\;
        0 \\le \\alpha_j \\le 1,\\;
        \\Big|\\sum_i p_i \\beta_i - \\frac{1}{t}\\sum_j \\alpha_j\\Big|
        \\le \\epsilon,\\; \\|\\alpha - 1\\|_2 \\le
        \\Big(1 - \\frac{1}{\\sqrt{D}}\\Big)\\sqrt{t},

    with ``p_i = 1/n`` (or proportional to ``sample_weight``) and
    ``epsilon = 1 - 1/sqrt(n)``. Target rows that the source cannot cover get
    a small ``alpha`` instead of forcing huge ``beta``: ``D = 1`` is kernel
    mean matching (``alpha = 1``); a larger ``D`` moves towards weighting the
    target. ``weights_`` are the source weights ``beta`` scaled to average 1
    (use them with any estimator's ``sample_weight``); ``beta_`` and
    ``alpha_`` keep the paper's scale, ``alpha_`` for the target rows.
    Solved by the accelerated projected-gradient method of
    :class:`KernelMeanMatching`, with an exact projection onto the box, the
    ball and the slab; Nystroem above 2,000 pooled rows.

    Under ``sklearn.set_config(array_api_dispatch=True)`` torch or CuPy input
    stays on its device (:ref:`gpu`): the kernel operator and its products
    run there; the projection onto the feasible set (sorts and a scalar root
    on ``n + t`` numbers per iteration) and the ``r x r`` Cholesky factor of
    the Nystroem landmarks run on the host, on explicit copies.

    Read more in the :ref:`User Guide <covariate_shift>`.

    Parameters
    ----------
    D : float >= 1, default=4.0
        Trade-off between weighting the source (``D = 1``) and the target.
    B : float, default=1000.0
        Bound on the source weights, applied as ``B / sqrt(D)``.
    bandwidth : float, "knn" or "median", default="knn"
        Kernel bandwidth ``sigma``; ``"knn"`` is the paper's mean distance to
        the 50th nearest neighbour of the pooled rows.
    eps : float, default=None
        Slack between the mean weights; ``1 - 1/sqrt(n)`` when None.
    approximation : {"auto", "exact", "nystroem"}, default="auto"
        Dense kernel, Nystroem factor, or exact up to 2,000 pooled rows.
    n_components : int, default=500
        Number of Nystroem landmarks.
    max_iter : int, default=1000
        Maximum number of solver iterations.
    tol : float, default=1e-4
        Relative objective decrease (over 10 iterations) that stops the solver.
    random_state : int, RandomState instance or None, default=None
        Seeds the bandwidth subsample and the Nystroem landmarks.
    verbose : int, default=0
        Print the solver's progress when positive.

    Attributes
    ----------
    weights_ : ndarray of shape (n_samples,)
        Source weights ``beta`` scaled to average 1.
    beta_ : ndarray of shape (n_samples,)
        Source weights on the paper's scale.
    alpha_ : ndarray of shape (n_target,)
        Target weights in ``[0, 1]`` (ones without ``X_target``).
    bandwidth_ : float
        The bandwidth used.
    approximation_ : str
        ``"exact"`` or ``"nystroem"``.
    objective_ : float
        Squared maximum mean discrepancy at the solution.
    n_iter_ : int
        Solver iterations.
    uncovered_target_share_ : float
        Share of target rows where the source kernel density is below 1 % of
        the target's.
    %(weighter_diagnostics)s

    See Also
    --------
    skreweight.covariate_shift.DoubleWeightingClassifier : The full DWGCS
        minimax risk classifier built on these weights.
    KernelMeanMatching : The ``D = 1`` case.

    References
    ----------
    .. [1] J. I. Segovia-Martin, S. Mazuelas and A. Liu, "Double-Weighting
       for Covariate Shift Adaptation", ICML 2023.

    Examples
    --------
    >>> from skreweight.datasets import make_covariate_shift
    >>> from skreweight.weighting import DoubleWeighting
    >>> data = make_covariate_shift(n_source=200, n_target=200, random_state=0)
    >>> dw = DoubleWeighting(D=4).fit(data.X_source, X_target=data.X_target)
    >>> dw.weights_.shape, dw.alpha_.shape
    ((200,), (200,))
    >>> bool(0 <= dw.alpha_.min() and dw.alpha_.max() <= 1)
    True
    """

    _context = ("X_target",)
    __metadata_request__fit = {"X_target": True}
    _parameter_constraints = {
        **MATCHING_CONSTRAINTS,
        "D": [Interval(Real, 1, None, closed="left")],
        "eps": [Interval(Real, 0, None, closed="left"), None],
    }

    def __init__(
        self,
        D=4.0,
        *,
        B=1000.0,
        bandwidth="knn",
        eps=None,
        approximation="auto",
        n_components=500,
        max_iter=1000,
        tol=1e-4,
        random_state=None,
        verbose=0,
    ):
        self.D = D
        self.B = B
        self.bandwidth = bandwidth
        self.eps = eps
        self.approximation = approximation
        self.n_components = n_components
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.verbose = verbose

    _uniform_without_context = "X_target"
    _array_api = True

    def _no_context_attributes(self, X):
        return dict(
            bandwidth_=None,
            objective_=None,
            approximation_=None,
            n_iter_=0,
            uncovered_target_share_=0.0,
            _beta_fit=None,
            beta_=np.ones(X.shape[0]),
            alpha_=np.ones(0),
        )

    def _fit(self, X, y, sample_weight, X_target):
        xp, device = namespace(X, X_target)
        t = X_target.shape[0]
        q = xp.full(t, 1.0 / t, dtype=X.dtype, device=device)
        beta, alpha, objective, n_iter, converged = double_weights(
            self, X, sample_weight, X_target, q, self.D
        )
        self.beta_, self.alpha_ = beta, alpha
        self._X_target_fit = copy(X_target)
        warn_uncovered(
            type(self).__name__, self.uncovered_target_share_, beta, sample_weight
        )
        self._finish(beta, objective, n_iter, converged, X, sample_weight)
        return beta

    def compute_target_weights(self, X):
        """Target weights ``alpha`` for rows of the target population.

        A row equal to a target row seen in ``fit`` gets its fitted ``alpha``;
        any other row the kernel (Nadaraya-Watson) average of the fitted
        ``alpha``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Target rows.

        Returns
        -------
        alpha : ndarray of shape (n_samples,)
            Weights in ``[0, 1]``.
        """
        from sklearn.utils.validation import check_is_fitted, validate_data

        check_is_fitted(self, "weights_")
        inputs = self._device_inputs(X, {}, fitting=False)
        X_dev = X
        X = validate_data(self, to_numpy(X), reset=False, dtype=np.float64)
        if self._beta_fit is None:
            out = np.ones(X.shape[0])
        elif inputs is None:
            return extend_alpha(X, self._X_target_fit, self.alpha_, self.bandwidth_)
        else:
            X_dev = self._device_context({}, inputs, X_dev, None)["X"]
            out = extend_alpha(X_dev, self._X_target_fit, self.alpha_, self.bandwidth_)
            out = to_numpy(out)
        return out if inputs is None else to_device(out, inputs, float64_dtype(inputs))
