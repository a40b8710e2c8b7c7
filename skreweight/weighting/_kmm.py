"""Kernel mean matching (Huang et al. 2007) with a first-order QP solver."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator

from .._core.array_api import namespace
from .._core.docstrings import fill_doc
from .._core.kernels import SourceBlockOperator, resolve_bandwidth, target_coverage
from .._core.matching import (
    MATCHING_CONSTRAINTS,
    KernelMatchingMixin,
    solve_kmm,
    warn_uncovered,
)
from ..base import WeighterMixin
from ..utils._sklearn_compat import Interval

__all__ = ["KernelMeanMatching"]


@fill_doc
class KernelMeanMatching(KernelMatchingMixin, WeighterMixin, BaseEstimator):
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

    With ``sklearn.set_config(array_api_dispatch=True)``, torch or CuPy
    arrays stay on their device (see :ref:`gpu`): the kernel blocks, the
    Nystroem factor and the solver run there; the bandwidth subsample (500
    rows), the ``r x r`` Cholesky factor and the scalar root of the slab
    projection are computed on the host.

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
    %(weighter_diagnostics)s

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
    _array_api = True
    __metadata_request__fit = {"X_target": True}

    _parameter_constraints = {
        **MATCHING_CONSTRAINTS,
        "eps": [Interval(Real, 0, None, closed="left"), None],
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
        xp, device = namespace(X, X_target)
        n_eff = float(xp.sum(sample_weight))
        p = sample_weight / n_eff
        t = X_target.shape[0]
        q = xp.full(t, 1.0 / t, dtype=X.dtype, device=device)
        self.bandwidth_ = resolve_bandwidth(
            self.bandwidth, xp.concat([X, X_target]), self.random_state
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
        eps = 1.0 - 1.0 / np.sqrt(n_eff) if self.eps is None else self.eps
        beta, objective, n_iter, converged = solve_kmm(
            op,
            p,
            upper=self.B,
            eps=eps,
            metric=sample_weight,
            max_iter=self.max_iter,
            tol=self.tol,
            verbose=self.verbose,
            label=type(self).__name__,
        )
        self.uncovered_target_share_ = target_coverage(op, p, q)
        warn_uncovered(
            type(self).__name__, self.uncovered_target_share_, beta, sample_weight
        )
        self._finish(beta, objective, n_iter, converged, X, sample_weight)
        return beta
