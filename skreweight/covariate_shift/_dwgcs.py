"""DWGCS: the double-weighting minimax risk classifier (Segovia-Martin et al. 2023)."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import itertools
import warnings
from numbers import Real

import numpy as np
from scipy import sparse
from scipy.optimize import linprog
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .._core.docstrings import fill_doc
from .._core.matching import (
    MATCHING_CONSTRAINTS,
    KernelMatchingMixin,
    double_weights,
    extend_alpha,
    warn_uncovered,
)
from ..utils._progress import Progress
from ..utils._sklearn_compat import Interval, StrOptions
from ..utils.validation import (
    check_sample_weight,
    check_X_target,
    warn_missing_context,
    warn_no_overlap,
)

__all__ = ["DoubleWeightingClassifier"]

#: The paper's grid for D: D = 1 / (1 - gamma)^2, gamma = 0, 0.1, ..., 0.9.
D_GRID = tuple(1.0 / (1.0 - g) ** 2 for g in np.round(np.arange(0, 1.0, 0.1), 1))

_DELTA = 1e-6
#: Target rows above which the minimax LP is solved on its reduced size.
_REDUCED_MIN_ROWS = 2000
#: L-BFGS-B iterations of the smoothed start of the reduced minimax LP.
_SMOOTH_ITER = 50


def _psi(X, fit_intercept):
    return np.hstack([np.ones((X.shape[0], 1)), X]) if fit_intercept else X


def _tau(Psi, y_idx, p, beta, n_classes):
    """Mean vector ``tau = sum_i p_i beta_i Phi(x_i, y_i)``, one-hot map."""
    d = Psi.shape[1]
    tau = np.zeros((n_classes, d))
    np.add.at(tau, y_idx, (p * beta)[:, None] * Psi)
    return tau.ravel()


def _lambda_lp(Psi_t, alpha, q, tau, n_classes):
    """Smallest confidence vector making the uncertainty set non-empty.

    ``min sum(lambda)`` over ``lambda >= 0`` and a conditional table
    ``P >= 0`` (``t x |Y|``, rows summing to ``q_j``) such that
    ``tau - lambda + delta <= sum_j sum_y P_jy alpha_j Phi(x'_j, y) <=
    tau + lambda - delta`` (the paper's LP), solved by HiGHS.
    """
    t, d = Psi_t.shape
    m = n_classes * d
    A_blk = sparse.csr_matrix((alpha[:, None] * Psi_t).T)  # d x t
    # P is stored class-major: P[:, k] for k = 0..K-1
    E = sparse.block_diag([A_blk] * n_classes, format="csr")  # m x (K t)
    I_m = sparse.identity(m, format="csr")
    A_ub = sparse.vstack([sparse.hstack([-I_m, E]), sparse.hstack([-I_m, -E])])
    b_ub = np.r_[tau - _DELTA, -tau - _DELTA]
    A_eq = sparse.hstack(
        [sparse.csr_matrix((t, m)), sparse.hstack([sparse.identity(t)] * n_classes)]
    )
    c = np.r_[np.ones(m), np.zeros(n_classes * t)]
    res = linprog(
        c,
        A_ub=A_ub.tocsr(),
        b_ub=b_ub,
        A_eq=A_eq.tocsr(),
        b_eq=q,
        bounds=(0, None),
        method="highs",
    )
    if res.status != 0:
        raise RuntimeError(f"The confidence-vector LP failed: {res.message}")
    return np.maximum(res.x[:m], 0.0)


def _subsets(n_classes):
    return [
        np.array(s)
        for r in range(1, n_classes + 1)
        for s in itertools.combinations(range(n_classes), r)
    ]


def _worst_subset_values(scores):
    """``max_S (sum_{y in S} s_y - 1) / |S|`` per row, and the maximising sets.

    Sorting the scores in decreasing order, the best set of each size is a
    prefix, so the maximum is over prefix averages.
    """
    order = np.argsort(-scores, axis=1)
    sorted_s = np.take_along_axis(scores, order, axis=1)
    sizes = np.arange(1, scores.shape[1] + 1)
    vals = (np.cumsum(sorted_s, axis=1) - 1.0) / sizes
    best = np.argmax(vals, axis=1)
    return vals[np.arange(scores.shape[0]), best], order, best


def _subset_masks(n_classes):
    """Label sets of the minimax LP's rows: all of them up to 4 classes,
    the singletons and the full set above (the rest are generated)."""
    if n_classes <= 4:
        return np.array(
            [[k in S for k in range(n_classes)] for S in _subsets(n_classes)]
        )
    return np.vstack([np.eye(n_classes, dtype=bool), np.ones((1, n_classes), bool)])


def _max_sets(scores):
    """Each row's maximising label set (boolean ``t x |Y|``) and value."""
    worst, order, best = _worst_subset_values(scores)
    rank = np.argsort(order, axis=1)
    return rank <= best[:, None], worst


def _minimax_lp(Pa, c, rows_j, rows_mask, n_phi, bounds, method):
    """``min c.x`` over ``x = (mu+, mu-, phi)`` with, for each pair
    ``(rows_j[r], rows_mask[r])``, the cut ``phi_j >= (sum_{y in S}
    Pa_j.mu_y - 1) / |S|``; returns ``(mu, phi)``."""
    m = rows_mask.shape[1] * Pa.shape[1]
    size = rows_mask.sum(axis=1)
    coef = (rows_mask[:, :, None] * Pa[rows_j][:, None, :]).reshape(-1, m)
    coef /= size[:, None]
    phi_part = sparse.csr_matrix(
        (-np.ones(rows_j.shape[0]), (np.arange(rows_j.shape[0]), rows_j)),
        shape=(rows_j.shape[0], n_phi),
    )
    A_ub = sparse.hstack(
        [sparse.csr_matrix(coef), sparse.csr_matrix(-coef), phi_part], format="csr"
    )
    res = linprog(c, A_ub=A_ub, b_ub=1.0 / size, bounds=bounds, method=method)
    if res.status != 0:
        raise RuntimeError(f"The minimax risk LP failed: {res.message}")
    return res.x[:m] - res.x[m : 2 * m], res.x[2 * m :], res.fun


def _mrc_value(Pa, q, tau, lam, mu, n_classes):
    """The 0-1 minimax risk at ``mu``, and each target row's ``phi_j``."""
    worst, _, _ = _worst_subset_values(Pa @ mu.reshape(n_classes, -1).T)
    return float(-tau @ mu + lam @ np.abs(mu) + q @ (1.0 + worst)), worst


def _mrc_lp(Psi_t, alpha, q, tau, lam, n_classes, max_rounds=50):
    """Solve the 0-1 minimax risk problem exactly as a linear program.

    ``min_mu -tau.mu + lambda.|mu| + sum_j q_j (1 + phi_j)`` with
    ``phi_j >= (sum_{y in S} alpha_j Phi(x'_j, y).mu - 1) / |S|`` for every
    non-empty label set ``S``. All sets are enumerated up to 4 classes;
    above, the maximising set of each row is added until none is violated
    (constraint generation, exact at termination). Up to
    :data:`_REDUCED_MIN_ROWS` target rows HiGHS's simplex solves this LP
    whole; above, :func:`_mrc_reduced` solves it on its reduced size (the
    same optimum; it can be a face, and the two may then return different
    optimal ``mu`` of the same risk).
    Returns ``mu, phi, risk`` with ``risk`` the minimax risk ``R(U)``.
    """
    t, d = Psi_t.shape
    m = n_classes * d
    Pa = alpha[:, None] * Psi_t
    if t > _REDUCED_MIN_ROWS:
        return _mrc_reduced(Pa, q, tau, lam, n_classes, max_rounds)
    masks = _subset_masks(n_classes)
    rows_j = np.tile(np.arange(t), masks.shape[0])
    rows_mask = np.repeat(masks, t, axis=0)
    c = np.r_[-tau + lam, tau + lam, q]
    bounds = [(0, None)] * (2 * m) + [(None, None)] * t
    for _ in range(max_rounds):
        mu, phi, fun = _minimax_lp(Pa, c, rows_j, rows_mask, t, bounds, "highs")
        new_mask, worst = _max_sets(Pa @ mu.reshape(n_classes, d).T)
        violated = np.flatnonzero(worst > phi + 1e-9)
        if violated.size == 0:
            break
        rows_j = np.r_[rows_j, violated]
        rows_mask = np.vstack([rows_mask, new_mask[violated]])
    else:
        _warn_rounds(max_rounds)
    return mu, phi, float(fun + q.sum())


def _warn_rounds(max_rounds, stacklevel=4):
    warnings.warn(
        "The minimax risk LP's constraint generation did not close in "
        f"{max_rounds} rounds; the solution may be slightly infeasible.",
        ConvergenceWarning,
        stacklevel=stacklevel,
    )


def _smooth_mrc(Pa, q, tau, lam, n_classes, temperatures=(0.01,)):
    """An approximate minimiser of the 0-1 minimax risk, to start from.

    Each ``phi_j`` (a maximum over the prefix averages of the sorted
    scores) is replaced by ``T logsumexp(. / T)``; L-BFGS-B on
    ``mu = u - v``, ``u, v >= 0``, for decreasing temperatures ``T``.
    """
    from scipy.optimize import minimize
    from scipy.special import logsumexp, softmax

    d = Pa.shape[1]
    m = n_classes * d
    sizes = np.arange(1, n_classes + 1)

    def fun(z, T):
        mu = z[:m] - z[m:]
        scores = Pa @ mu.reshape(n_classes, d).T
        order = np.argsort(-scores, axis=1)
        vals = np.cumsum(np.take_along_axis(scores, order, axis=1), axis=1)
        vals = (vals - 1.0) / sizes
        w = softmax(vals / T, axis=1) / sizes  # weight of prefix k
        G = np.empty_like(w)  # d phi_j / d score_jy: prefixes holding y
        np.put_along_axis(G, order, np.cumsum(w[:, ::-1], axis=1)[:, ::-1], 1)
        g = ((q[:, None] * G).T @ Pa).ravel()
        val = -tau @ mu + lam @ (z[:m] + z[m:]) + q @ (T * logsumexp(vals / T, 1))
        return val, np.r_[-tau + lam + g, tau + lam - g]

    z = np.zeros(2 * m)
    for T in temperatures:
        z = minimize(
            fun,
            z,
            args=(T,),
            jac=True,
            method="L-BFGS-B",
            bounds=[(0, None)] * (2 * m),
            options={"maxiter": _SMOOTH_ITER, "ftol": 1e-12, "gtol": 1e-10},
        ).x
    return z[:m] - z[m:]


def _tie_gaps(scores):
    """How far each row is from a tie of its maximising label set: the gap
    between its two best prefix averages, or between two sorted scores."""
    s = -np.sort(-scores, axis=1)
    vals = np.sort((np.cumsum(s, axis=1) - 1.0) / np.arange(1, s.shape[1] + 1), 1)
    return np.minimum(vals[:, -1] - vals[:, -2], np.min(s[:, :-1] - s[:, 1:], 1))


def _add_cuts(cuts, new_rows, rows, sets, masks):
    """Cuts of the new explicit rows (the base label sets, ``masks``) and,
    above 4 classes, each of ``rows``'s maximising set."""
    rows_j = [cuts[0], np.repeat(new_rows, masks.shape[0])]
    rows_mask = [cuts[1], np.tile(masks, (new_rows.size, 1))]
    if masks.shape[1] > 4:
        rows_j.append(rows)
        rows_mask.append(sets[rows])
    return np.concatenate(rows_j), np.vstack(rows_mask)


def _mrc_reduced(Pa, q, tau, lam, n_classes, max_rounds=50):
    """The minimax LP of :func:`_mrc_lp` on its reduced size: exact.

    Where a row's maximising label set ``S_j`` is known, ``phi_j`` is the
    linear function ``(sum_{y in S_j} Pa_j.mu_y - 1) / |S_j|`` of ``mu``,
    and all such rows add up to one linear term. Only the rows nearest a
    tie at a smoothed solution (:func:`_smooth_mrc`) keep their ``phi_j``
    and cuts. The reduced objective is below the true one, so its
    minimiser is the true minimiser once every aggregated row's set is
    still maximising there (and no cut is violated); rows where it is not
    become explicit, and the LP is solved again. A box around the start
    keeps the reduced LP bounded; it grows when it binds, and a solution on
    it is not accepted. Returns ``mu, phi, risk``.
    """
    t, d = Pa.shape
    m = n_classes * d
    mu0 = _smooth_mrc(Pa, q, tau, lam, n_classes)
    scores = Pa @ mu0.reshape(n_classes, d).T
    sets, _ = _max_sets(scores)
    explicit = np.zeros(t, bool)
    explicit[np.argsort(_tie_gaps(scores), kind="stable")[: _n_explicit(t)]] = True
    masks = _subset_masks(n_classes)
    E = np.flatnonzero(explicit)
    cuts = _add_cuts((np.zeros(0, int), masks[:0]), E, E, sets, masks)
    radius = max(1.0, 2.0 * np.max(np.abs(mu0)))
    for _ in range(max_rounds):
        agg = ~explicit
        w = np.where(sets[agg], (q[agg] / sets[agg].sum(1))[:, None], 0.0)
        g = (w.T @ Pa[agg]).ravel()
        upper = np.r_[np.maximum(mu0, 0) + radius, np.maximum(-mu0, 0) + radius]
        bounds = np.c_[
            np.r_[np.zeros(2 * m), np.full(E.size, -np.inf)],
            np.r_[upper, np.full(E.size, np.inf)],
        ]
        c = np.r_[-tau + lam + g, tau + lam - g, q[E]]
        rows_j = np.searchsorted(E, cuts[0])
        mu, phi_e, _ = _minimax_lp(Pa[E], c, rows_j, cuts[1], E.size, bounds, "highs")
        scores = Pa @ mu.reshape(n_classes, d).T
        cur, worst = _max_sets(scores)
        own = ((scores * sets).sum(1) - 1.0) / sets.sum(1)
        left = np.flatnonzero(agg & (worst > own + 1e-9))
        # up to 4 classes every label set is a cut of the explicit rows
        cut = E[worst[E] > phi_e + 1e-9] if n_classes > 4 else E[:0]
        boxed = np.any(np.r_[mu, -mu] > upper - 1e-6 * radius)
        if left.size == 0 and cut.size == 0 and not boxed:
            break
        explicit[left] = True
        cuts = _add_cuts(cuts, left, np.r_[left, cut], cur, masks)
        E = np.flatnonzero(explicit)
        radius *= 4.0 if boxed else 1.0
    else:
        _warn_rounds(max_rounds, stacklevel=5)
    risk, phi = _mrc_value(Pa, q, tau, lam, mu, n_classes)
    return mu, phi, risk


def _n_explicit(t):
    """Rows kept explicit at the start of :func:`_mrc_reduced`."""
    return min(t, max(200, t // 50))


def _mrc_log(Psi_t, alpha, q, tau, lam, n_classes, max_iter=1000):
    """Solve the log-loss minimax risk problem.

    ``min_mu -tau.mu + lambda.|mu| + sum_j q_j log sum_y exp(alpha_j
    Phi(x'_j, y).mu)``, smooth after splitting ``mu = u - v`` with
    ``u, v >= 0``; solved by L-BFGS-B. Returns ``mu, risk, converged``.
    """
    from scipy.optimize import minimize
    from scipy.special import logsumexp, softmax

    t, d = Psi_t.shape
    m = n_classes * d
    Pa = alpha[:, None] * Psi_t

    def fun(z):
        mu = (z[:m] - z[m:]).reshape(n_classes, d)
        scores = Pa @ mu.T
        g = (q[:, None] * softmax(scores, axis=1)).T @ Pa  # K x d
        g = g.ravel()
        val = -tau @ mu.ravel() + lam @ z[:m] + lam @ z[m:]
        val += q @ logsumexp(scores, axis=1)
        return val, np.r_[-tau + lam + g, tau + lam - g]

    res = minimize(
        fun,
        np.zeros(2 * m),
        jac=True,
        method="L-BFGS-B",
        bounds=[(0, None)] * (2 * m),
        options={"maxiter": max_iter, "ftol": 1e-12, "gtol": 1e-9},
    )
    return res.x[:m] - res.x[m:], float(res.fun), bool(res.success)


def _retraces(last, D, B):
    """Whether DW-KMM at ``D`` follows the last run's path, bit for bit.

    ``D`` enters DW-KMM only through the bound ``B / sqrt(D)`` on ``beta``
    and the radius ``(1 - 1 / sqrt(D)) sqrt(t)`` of the ball on ``alpha``
    (and whether ``alpha`` is free, ``D > 1``). If the last run, at a
    smaller ``D > 1``, never met its ball (a larger radius is not met
    either) and never had a ``beta`` above ``B / sqrt(D)`` before clipping,
    every projection, hence every iterate, is the same at ``D``.
    """
    if last is None:
        return False
    D_last, binding = last["fitted"][1], last["binding"]
    return (
        1.0 < D_last <= D
        and not binding["ball"]
        and binding["beta"] <= B / np.sqrt(float(D))
    )


@fill_doc
class DoubleWeightingClassifier(ClassifierMixin, BaseEstimator):
    """Double-weighting minimax risk classifier for covariate shift (DWGCS).

    The method of Segovia-Martin, Mazuelas and Liu (2023), in three steps:

    1. **Weights.** :class:`~skreweight.weighting.DoubleWeighting` (DW-KMM)
       gives the source rows weights ``beta`` and the target rows weights
       ``alpha`` in ``[0, 1]``.
    2. **Uncertainty set.** With the feature map
       ``Phi(x, y) = e_y (x) psi(x)`` (one-hot over classes times
       ``psi(x) = x``, or ``[1, x]`` with ``fit_intercept``), the mean vector is
       ``tau = (1/n) sum_i beta_i Phi(x_i, y_i)`` and the confidence vector
       ``lambda`` is the smallest one for which some conditional label
       distribution on the ``alpha``-weighted target rows has expectations
       within ``tau +- lambda`` (a linear program).
    3. **Minimax risk.** ``mu`` minimises the 0-1 minimax risk (``loss="0-1"``)
       ``-tau.mu + lambda.|mu| + (1/t) sum_j [1 + max_S (sum_{y in S}
       alpha_j Phi(x'_j, y).mu - 1) / |S|]``, solved exactly as a linear
       program (HiGHS, all label sets up to 4 classes, constraint generation
       above); with ``loss="log"`` the log-loss risk ``-tau.mu +
       lambda.|mu| + (1/t) sum_j log sum_y exp(alpha_j Phi(x'_j, y).mu)``,
       by L-BFGS-B. Its optimum ``R(U)`` bounds the target error; with ``D="auto"``
       it selects ``D`` over the paper's grid ``D = 1 / (1 - gamma)^2``,
       ``gamma = 0, 0.1, ..., 0.9``.

    Prediction: :meth:`predict` returns ``argmax_y Phi(x, y).mu`` (the
    paper's deterministic rule, which ``alpha > 0`` does not change);
    :meth:`predict_proba` returns the randomised MRC rule
    ``h(y|x) = max(alpha(x) Phi(x, y).mu - phi(x), 0) / c(x)`` (0-1 loss) or
    the softmax of ``alpha(x) Phi(x, y).mu`` (log loss). The method is
    transductive: ``alpha(x)`` is the fitted ``alpha`` for the target rows
    seen in ``fit`` and their kernel average for other rows. Without
    ``X_target`` the training rows act as the target (no shift).

    Read more in the :ref:`User Guide <covariate_shift>`.

    Parameters
    ----------
    D : float >= 1 or "auto", default=4.0
        Double-weighting trade-off (see
        :class:`~skreweight.weighting.DoubleWeighting`); ``"auto"`` picks the
        value of the paper's grid with the smallest minimax risk (the grid
        shares one bandwidth, kernel operator and step size, which do not
        depend on ``D``).
    B : float, default=1000.0
        Bound on the source weights (``B / sqrt(D)``).
    loss : {"0-1", "log"}, default="0-1"
        Loss of the minimax risk problem (the paper's experiments use 0-1).
    bandwidth : float, "knn" or "median", default="knn"
        Kernel bandwidth of DW-KMM; ``"knn"`` is the paper's rule.
    fit_intercept : bool, default=True
        Add a constant feature to ``psi``. The paper and MRCpy use ``False``
        on standardised data.
    approximation : {"auto", "exact", "nystroem"}, default="auto"
        Kernel representation of DW-KMM (Nystroem above 2,000 pooled rows).
    n_components : int, default=500
        Number of Nystroem landmarks.
    max_iter : int, default=1000
        Maximum number of DW-KMM solver iterations.
    tol : float, default=1e-4
        DW-KMM solver tolerance.
    random_state : int, RandomState instance or None, default=None
        Seeds the bandwidth subsample and the Nystroem landmarks.
    verbose : int, default=0
        Print progress when positive.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    weights_ : ndarray of shape (n_samples,)
        Source weights ``beta_`` scaled to average 1 under ``sample_weight``.
    beta_ : ndarray of shape (n_samples,)
        Source weights (the paper's scale).
    alpha_ : ndarray of shape (n_target,)
        Target weights in ``[0, 1]``.
    D_ : float
        The ``D`` used.
    tau_ : ndarray of shape (n_classes * n_psi,)
        Mean vector.
    lambda_ : ndarray of shape (n_classes * n_psi,)
        Confidence vector.
    coef_ : ndarray of shape (n_classes, n_psi)
        The minimax parameters ``mu``, one row per class (intercept first
        when ``fit_intercept``).
    minimax_risk_ : float
        The optimal minimax risk ``R(U)`` for ``D_``.
    risks_ : dict
        Minimax risk of every ``D`` tried.
    n_iter_ : int
        DW-KMM solver iterations for ``D_`` (1 without ``X_target``).
    bandwidth_ : float
        Kernel bandwidth of DW-KMM.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen in ``fit``, when X has string column names.

    See Also
    --------
    skreweight.weighting.DoubleWeighting : The weights alone, for any
        estimator's ``sample_weight``.

    References
    ----------
    .. [1] J. I. Segovia-Martin, S. Mazuelas and A. Liu, "Double-Weighting
       for Covariate Shift Adaptation", ICML 2023.

    Examples
    --------
    >>> from skreweight.covariate_shift import DoubleWeightingClassifier
    >>> from skreweight.datasets import make_covariate_shift
    >>> data = make_covariate_shift(n_source=200, n_target=200, random_state=0)
    >>> clf = DoubleWeightingClassifier(D=4).fit(
    ...     data.X_source, data.y_source, X_target=data.X_target)
    >>> clf.predict_proba(data.X_target).shape
    (200, 2)
    >>> bool(0 <= clf.minimax_risk_ <= 1)
    True
    """

    __metadata_request__fit = {"X_target": True}
    _setup_kernel = KernelMatchingMixin._setup_kernel

    _parameter_constraints = {
        **MATCHING_CONSTRAINTS,
        "D": [Interval(Real, 1, None, closed="left"), StrOptions({"auto"})],
        "loss": [StrOptions({"0-1", "log"})],
        "fit_intercept": ["boolean"],
    }

    def __init__(
        self,
        D=4.0,
        *,
        B=1000.0,
        loss="0-1",
        bandwidth="knn",
        fit_intercept=True,
        approximation="auto",
        n_components=500,
        max_iter=1000,
        tol=1e-4,
        random_state=None,
        verbose=0,
    ):
        self.D = D
        self.B = B
        self.loss = loss
        self.bandwidth = bandwidth
        self.fit_intercept = fit_intercept
        self.approximation = approximation
        self.n_components = n_components
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y, *, X_target=None, sample_weight=None):
        """Fit the weights, the uncertainty set and the minimax classifier.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Labelled source rows.
        y : array-like of shape (n_samples,)
            Labels.
        X_target : array-like of shape (n_target, n_features), or tuple
            Unlabelled target rows (the tuple form ``(X_target,)`` keeps
            cross-validation from slicing it). None: no shift.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the source rows (with ``X_target=None`` also of the
            rows acting as target).

        Returns
        -------
        self : object
            Fitted classifier.
        """
        self._validate_params()
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        sw = check_sample_weight(sample_weight, X)
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        K = self.classes_.shape[0]
        if K < 2:
            raise ValueError(
                "DoubleWeightingClassifier needs samples of at least 2 classes "
                f"in the data; got 1 class ({self.classes_[0]!r})."
            )
        Xt = check_X_target(self, X_target, n_samples=X.shape[0])
        if Xt is None:
            warn_missing_context(
                type(self).__name__,
                "X_target",
                "no shift: the training rows act as the target and every weight is 1",
            )
        p = sw / sw.sum()
        Psi = _psi(X, self.fit_intercept)
        shift = Xt is not None
        if shift:
            q = np.full(Xt.shape[0], 1.0 / Xt.shape[0])
            Psi_t = _psi(Xt, self.fit_intercept)
        else:
            keep = sw > 0
            q, Psi_t = p[keep], Psi[keep]
        grid = D_GRID if self.D == "auto" else (float(self.D),)
        best, self.risks_ = None, {}
        shared = {}  # bandwidth, kernel operator, step size: one for the grid
        for D in grid:
            fitted = self._fit_one_D(D, X, sw, Xt, q, (Psi, Psi_t, y_idx, p, K), shared)
            self.risks_[D] = fitted[0]
            if best is None or fitted[0] < best[0]:
                best = fitted
        risk, self.D_, self.beta_, self.alpha_, self.tau_, self.lambda_, mu = best[:7]
        self.n_iter_ = best[7]
        if shift:
            warn_uncovered(
                type(self).__name__, self.uncovered_target_share_, self.beta_, sw
            )
            warn_no_overlap(X[sw > 0], Xt, owner=type(self).__name__)
            self._X_target_fit = Xt.copy()
        else:
            self._X_target_fit = None
        self.minimax_risk_ = risk
        self.weights_ = (
            self.beta_ * sw.sum() / max(float(np.dot(self.beta_, sw)), 1e-300)
        )
        self.coef_ = mu.reshape(K, -1)
        return self

    def _fit_one_D(self, D, X, sw, Xt, q, design, shared):
        """Weights, uncertainty set and minimax rule for one ``D``.

        ``shared`` caches what every ``D`` of the grid has in common (the
        bandwidth, kernel operator, step size and coverage) and the last
        solution: a ``D`` whose DW-KMM run would retrace it (no bound that
        ``D`` moves was met, :func:`_retraces`) reuses it, bit for bit.
        Returns ``(risk, D, beta, alpha, tau, lambda, mu, n_iter)``.
        """
        Psi, Psi_t, y_idx, p, K = design
        last = shared.get("last")
        if Xt is not None and _retraces(last, D, self.B):
            fitted = (last["fitted"][0], D, *last["fitted"][2:])
            converged = last["converged"]
        elif Xt is not None:
            beta, alpha, _, n_iter, converged = double_weights(
                self, X, sw, Xt, q, D, cache=shared
            )
            tau = _tau(Psi, y_idx, p, beta, K)
            risk, lam, mu = self._minimax(D, Psi_t, alpha, q, tau, K, X)
            fitted = (risk, D, beta, alpha, tau, lam, mu, n_iter)
            shared["last"] = {
                "fitted": fitted,
                "converged": converged,
                "binding": shared["binding"],
            }
        else:
            beta, alpha, converged = np.ones(X.shape[0]), np.ones(q.shape[0]), True
            self.bandwidth_, self.uncovered_target_share_ = None, 0.0
            tau = _tau(Psi, y_idx, p, beta, K)
            risk, lam, mu = self._minimax(D, Psi_t, alpha, q, tau, K, X)
            fitted = (risk, D, beta, alpha, tau, lam, mu, 1)
        if not converged:
            warnings.warn(
                f"DW-KMM did not converge in max_iter={self.max_iter} "
                f"iterations for D={D:g}; increase max_iter or tol.",
                ConvergenceWarning,
                stacklevel=3,
            )
        if self.verbose:
            Progress(self, 1).message(f"D={D:g}: minimax risk {fitted[0]:.4f}")
        return fitted

    def _minimax(self, D, Psi_t, alpha, q, tau, K, X):
        """Confidence vector and minimax rule: ``risk, lambda, mu``."""
        try:
            lam = _lambda_lp(Psi_t, alpha, q, tau, K)
            if self.loss == "0-1":
                mu, _, risk = _mrc_lp(Psi_t, alpha, q, tau, lam, K)
        except RuntimeError as exc:
            raise ValueError(
                f"{type(self).__name__}: {exc}. The linear programs are badly "
                "conditioned when the features have very large or very "
                "different scales (largest |x| here: "
                f"{np.max(np.abs(X)):.3g}). Standardise X and X_target first, "
                "e.g. skreweight.compose.make_pipeline(StandardScaler(), "
                f"{type(self).__name__}())."
            ) from exc
        if self.loss != "0-1":
            mu, risk, ok = _mrc_log(Psi_t, alpha, q, tau, lam, K)
            if not ok:
                warnings.warn(
                    "L-BFGS-B did not converge on the log-loss minimax "
                    f"problem for D={D:g}.",
                    ConvergenceWarning,
                    stacklevel=4,
                )
        return risk, lam, mu

    def _scores(self, X):
        return _psi(X, self.fit_intercept) @ self.coef_.T

    def decision_function(self, X):
        """Class scores ``Phi(x, y).mu``; :meth:`predict` takes their argmax.

        %(decision_function_doc)s
            For two classes, the score of the second class minus the first's.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        s = self._scores(X)
        return s[:, 1] - s[:, 0] if s.shape[1] == 2 else s

    def predict(self, X):
        """Predict labels with the deterministic rule ``argmax_y Phi(x, y).mu``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predicted labels.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return self.classes_[np.argmax(self._scores(X), axis=1)]

    def predict_proba(self, X):
        """Probabilities of the randomised minimax rule.

        ``h(y|x) = max(alpha(x) Phi(x, y).mu - phi(x), 0) / c(x)`` with
        ``phi(x) = max_S (sum_{y in S} alpha(x) Phi(x, y).mu - 1) / |S|`` and
        ``c(x)`` the normaliser (uniform when it is 0); with ``loss="log"``,
        the softmax of ``alpha(x) Phi(x, y).mu``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Class probabilities.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        if self._X_target_fit is None:
            alpha = np.ones(X.shape[0])
        else:
            alpha = extend_alpha(X, self._X_target_fit, self.alpha_, self.bandwidth_)
        s = alpha[:, None] * self._scores(X)
        if self.loss == "log":
            from scipy.special import softmax

            return softmax(s, axis=1)
        phi, _, _ = _worst_subset_values(s)
        h = np.maximum(s - phi[:, None], 0.0)
        c = h.sum(axis=1, keepdims=True)
        uniform = np.full_like(h, 1.0 / h.shape[1])
        return np.where(c > 1e-12, h / np.where(c > 1e-12, c, 1.0), uniform)
