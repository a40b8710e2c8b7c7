"""Logging propensities learned under kernel balance, per action."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state

from .._core.kernels import median_bandwidth, resolve_bandwidth, sq_dists
from ..base import WeighterMixin
from ..exceptions import WeightDegeneracyWarning
from ..utils._progress import Progress
from ..utils._sklearn_compat import Interval, StrOptions
from ._common import check_action, missing_action

__all__ = ["BalancingPropensity"]


def _balance_action(ipm, X, s, arm):
    """Weights of the rows ``arm`` (one action) balanced against all rows."""
    # the rows of the action (t=0) reweighted to the whole log (t=1)
    Xa = np.vstack([X[arm], X])
    t = np.r_[np.zeros(arm.shape[0]), np.ones(X.shape[0])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WeightDegeneracyWarning)
        ipm.fit(Xa, treatment=t, sample_weight=np.r_[s[arm], s])
    return ipm.weights_[: arm.shape[0]], float(np.ravel(ipm.ipm_)[0])


def _median_bandwidth(Z, s, random_state, max_rows=500):
    """The median heuristic of ``_core.kernels``, for frequency-weighted rows.

    Unit weights on distinct rows: :func:`median_bandwidth` itself. Otherwise
    the weighted median of the distances between distinct rows, a pair of
    rows weighing the product of their total weights (as repeated rows
    would), or, above ``max_rows`` distinct rows, the plain heuristic on rows
    drawn in proportion to their weight.
    """
    U, inverse = np.unique(Z, axis=0, return_inverse=True)
    if U.shape[0] == Z.shape[0] and np.all(s == s[0]):
        return median_bandwidth(Z, max_rows=max_rows, random_state=random_state)
    if U.shape[0] > max_rows:
        rng = check_random_state(random_state)
        rows = rng.choice(Z.shape[0], max_rows, p=s / s.sum())
        return median_bandwidth(Z[rows], max_rows=max_rows)
    m = np.bincount(inverse.ravel(), weights=s)
    upper = np.triu_indices(U.shape[0], k=1)
    d, w = sq_dists(U, U)[upper], np.outer(m, m)[upper]
    if d.size == 0:
        return 1.0
    order = np.argsort(d)
    d, cum = d[order], np.cumsum(w[order])
    # the median of the repeated pairs: the mean of the two middle ones
    half = cum[-1] / 2.0
    lo = d[np.searchsorted(cum, half, side="left")]
    hi = d[min(np.searchsorted(cum, half, side="right"), d.size - 1)]
    return float(np.sqrt(0.5 * (lo + hi)))


class BalancingPropensity(WeighterMixin, BaseEstimator):
    """Inverse-propensity weights of logged actions, learned by kernel balancing.

    For each action ``a``, the rows that took ``a`` are reweighted so that
    their kernel mean matches the kernel mean of the whole logged population
    (the worst-case balancing of every function in the unit ball of the
    kernel's RKHS, after Li et al. 2024). The weights are those of
    :class:`~skreweight.weighting.IPMBalancing` (its exact MMD solver, or
    the energy distance), called once per action on the rows of ``a``
    against all rows. With ``w_i`` averaging 1 over the rows of action
    ``a_i`` and ``n_a / n`` the share of the action in the log, the implied
    logging propensity is ``pi_b(a_i | x_i) = (n_a / n) / w_i``: the IPW
    weight ``1 / pi_b`` then balances the kernel mean of every action
    against the population, instead of hoping that a fitted classifier does.

    The weights are transductive (they exist for the rows passed to
    ``fit``); pass the weighter as ``propensity_model`` to
    :class:`PolicyValueEstimator` or as the weighter of
    :class:`DebiasedRatingRegressor`.

    Read more in the :ref:`User Guide <policy>`.

    Parameters
    ----------
    discriminator : {"mmd", "energy"}, default="mmd"
        Gaussian-kernel maximum mean discrepancy, or the energy distance
        (no bandwidth).
    bandwidth : float, tuple of float, "median" or "knn", default="median"
        Width ``sigma`` of the Gaussian kernel
        ``exp(-|x - z|^2 / (2 sigma^2))`` on standardised covariates
        (``IPMBalancing``'s). ``"median"`` is the median heuristic (the
        median distance between rows of the standardised log) and ``"knn"``
        the mean distance to the 50th nearest neighbour, resolved once per
        fit with ``skreweight._core.kernels.resolve_bandwidth``; the
        resolved value is ``bandwidth_``. The paper tunes its kernel width;
        a much wider kernel than the median (``IPMBalancing``'s default 10
        in nine dimensions) balances little more than the means and loses
        most of the gain over a logistic propensity (see the benchmark).
    alpha : float, default=1e-3
        Ridge penalty ``alpha * n_a / ESS_a`` on the weights of each action
        (``IPMBalancing``'s): a small one makes the solution unique and keeps
        the effective sample size up; 0 is the unpenalised worst-case
        balance, which tends to put zero weight on many rows.
    n_components : int or None, default=None
        Random features (``"mmd"``) or directions (``"energy"``) instead of
        the exact kernel; exact up to 4,000 rows per action when None.
    max_iter : int, default=2000
        Solver iterations per action.
    tol : float, default=1e-4
        Relative tolerance of the solver.
    random_state : int, RandomState instance or None, default=None
        Seeds the random features or directions.
    n_jobs : int, default=None
        Actions solved in parallel (joblib semantics; use
        ``joblib.parallel_backend("dask")`` to scale out).
    verbose : int, default=0
        1 prints each action's solve; 2 and above the solver's progress too.

    Attributes
    ----------
    weights_ : ndarray of shape (n_samples,)
        Inverse-propensity weights, averaging 1 over the rows of each action
        (under ``sample_weight``).
    propensities_ : ndarray of shape (n_samples,)
        Implied logging propensity of each logged action (``inf`` where the
        weight is 0: the row is dropped).
    actions_ : ndarray of shape (n_actions,)
        The distinct logged actions.
    action_share_ : ndarray of shape (n_actions,)
        Share of each action in the log (under ``sample_weight``).
    bandwidth_ : float or tuple of float
        The kernel width used (``bandwidth`` resolved).
    ipm_ : ndarray of shape (n_actions,)
        Discrepancy left between each reweighted action and the population.
    effective_sample_size_ : float
        Kish effective sample size of the weights.
    ess_ratio_ : float
        ``effective_sample_size_`` over the number of rows.
    max_weight_share_ : float
        Largest share of the total weight held by one row.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen in ``fit``, when X has string column names.

    See Also
    --------
    skreweight.weighting.IPMBalancing : The balancing solver used per action.
    PolicyValueEstimator : Uses these propensities as ``propensity_model``.

    References
    ----------
    .. [1] H. Li, C. Zheng, Y. Xiao, P. Wu, Z. Geng, X. Chen and P. Cui,
       "Debiased Collaborative Filtering with Kernel-Based Causal Balancing",
       ICLR 2024.
    .. [2] I. Kong, Y. Park, J. Jung, K. Lee and Y. Kim, "Covariate balancing
       using the integral probability metric for causal inference", ICML 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.datasets import make_bandit_feedback
    >>> from skreweight.policy import BalancingPropensity
    >>> d = make_bandit_feedback(600, n_actions=3, random_state=0)
    >>> bp = BalancingPropensity().fit(d.X, action=d.action)
    >>> bool(np.corrcoef(1 / bp.propensities_, 1 / d.logging_proba)[0, 1] > 0.5)
    True
    """

    _context = ("action",)
    _required_context = ("action",)
    _normalize_by = "action"
    _out_of_sample = False
    __metadata_request__fit = {"action": True}

    _parameter_constraints = {
        "discriminator": [StrOptions({"mmd", "energy"})],
        "bandwidth": [
            Interval(Real, 0, None, closed="neither"),
            tuple,
            list,
            StrOptions({"median", "knn"}),
        ],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        discriminator="mmd",
        bandwidth="median",
        alpha=1e-3,
        n_components=None,
        max_iter=2000,
        tol=1e-4,
        random_state=None,
        n_jobs=None,
        verbose=0,
    ):
        self.discriminator = discriminator
        self.bandwidth = bandwidth
        self.alpha = alpha
        self.n_components = n_components
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _validate_context(self, X, context, fitting):
        if context.get("action") is None:
            raise missing_action(type(self).__name__)
        a = check_action(context["action"], X.shape[0], type(self).__name__)
        if fitting:
            self.actions_ = np.unique(a)
        codes = np.searchsorted(self.actions_, a)
        codes = np.clip(codes, 0, len(self.actions_) - 1)
        if np.any(self.actions_[codes] != a):
            raise ValueError(
                f"{type(self).__name__}: actions not seen in fit: "
                f"{np.unique(a[self.actions_[codes] != a])[:5].tolist()}."
            )
        return {"action": codes}

    def _fit(self, X, y, sample_weight, action):
        from ..weighting import IPMBalancing

        s = sample_weight
        k = self.actions_.shape[0]
        self.action_share_ = (
            np.array([s[action == j].sum() for j in range(k)]) / s.sum()
        )
        only = getattr(self, "_balance_only", None)  # set by DebiasedRatingRegressor
        arms = [
            (j, np.flatnonzero((action == j) & (s > 0)))
            for j in range(k)
            if only is None or j in only
        ]
        arms = [(j, arm) for j, arm in arms if arm.shape[0] > 0]
        self.bandwidth_ = self._resolve_bandwidth(X, s)
        params = dict(
            estimand="ATT",
            discriminator=self.discriminator,
            bandwidth=self.bandwidth_,
            alpha=self.alpha,
            n_components=self.n_components,
            max_iter=self.max_iter,
            tol=self.tol,
            random_state=self.random_state,
            verbose=max(0, self.verbose - 1),
        )
        parallel = Parallel(n_jobs=self.n_jobs, verbose=max(0, self.verbose - 1))
        results = parallel(
            delayed(_balance_action)(IPMBalancing(**params), X, s, arm)
            for _, arm in arms
        )
        w = np.ones(X.shape[0])
        self.ipm_ = np.zeros(k)
        progress = Progress(self, self.verbose, total=k, unit="action")
        for (j, arm), (wa, ipm) in zip(arms, results):
            w[arm], self.ipm_[j] = wa, ipm
            progress(j + 1, rows=arm.shape[0], ipm=float(ipm))
        return w

    def _resolve_bandwidth(self, X, s):
        """A float for ``"median"`` / ``"knn"``, on the standardised log."""
        if not isinstance(self.bandwidth, str):
            return self.bandwidth
        keep = s > 0
        X, s = X[keep], s[keep]
        mean = np.average(X, axis=0, weights=s)
        sd = np.sqrt(np.average((X - mean) ** 2, axis=0, weights=s))
        Z = (X[:, sd > 0] - mean[sd > 0]) / sd[sd > 0]
        if self.bandwidth == "median":
            return _median_bandwidth(Z, s, self.random_state)
        return resolve_bandwidth(self.bandwidth, Z, random_state=self.random_state)

    def fit(self, X, y=None, *, action=None, sample_weight=None):
        """Learn the balancing weights and the implied propensities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Logged contexts.
        y : None
            Ignored.
        action : array-like of shape (n_samples,)
            Logged actions (required).
        sample_weight : array-like of shape (n_samples,), default=None
            Frequency weights of the rows.

        Returns
        -------
        self : object
            Fitted weighter.
        """
        super().fit(X, y, sample_weight=sample_weight, action=action)
        codes = np.searchsorted(self.actions_, np.asarray(action).ravel())
        with np.errstate(divide="ignore"):
            self.propensities_ = self.action_share_[codes] / self.weights_
        return self
