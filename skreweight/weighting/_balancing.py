"""Causal balancing weights: IPW, entropy balancing and CBPS."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import itertools
import warnings
from numbers import Integral, Real

import numpy as np
from scipy import linalg, optimize
from scipy.special import expit
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import has_fit_parameter

from .._core.docstrings import fill_doc
from .._core.encoding import propensity_weights, warn_positivity
from ..base import WeighterMixin
from ..utils._progress import Progress
from ..utils._sklearn_compat import HasMethods, Interval, StrOptions

__all__ = ["CBPS", "EntropyBalancing", "PropensityWeighting"]


def _arm_problems(estimand, t):
    """Pairs ``(rows to reweight, target rows)`` of an estimand."""
    treated, control = t == 1, t == 0
    everyone = np.ones_like(treated)
    if estimand == "ATT":
        return [(control, treated)]
    if estimand == "ATC":
        return [(treated, control)]
    return [(treated, everyone), (control, everyone)]


def _standardize(X, sw, *, owner):
    """Weighted standardisation; constant columns are dropped with a warning."""
    mean = np.average(X, axis=0, weights=sw)
    std = np.sqrt(np.average((X - mean) ** 2, axis=0, weights=sw))
    keep = std > 1e-12 * np.maximum(1.0, np.abs(mean))
    if not np.all(keep):
        warnings.warn(
            f"{owner}: covariate(s) {np.flatnonzero(~keep).tolist()} are constant; "
            "they carry no information about treatment and are left out of the "
            "balance constraints.",
            UserWarning,
            stacklevel=4,
        )
    return mean, np.where(keep, std, 1.0), keep


class _BaseCausalWeighter(WeighterMixin, BaseEstimator):
    """Shared plumbing of the weighters that balance treatment arms."""

    _context = ("treatment",)
    _required_context = ("treatment",)
    _normalize_by = "treatment"
    __metadata_request__fit = {"treatment": True}

    def _check_arms(self, t, sw):
        for arm, name in ((1, "treated"), (0, "control")):
            if np.sum(sw[t == arm]) <= 0:
                raise ValueError(
                    f"{type(self).__name__}: there are no {name} units with "
                    "positive sample_weight; both arms are needed to balance."
                )

    def _design(self, X, sw):
        self._center, self._scale, self._keep = _standardize(
            X, sw, owner=type(self).__name__
        )
        return self._transform(X)

    def _transform(self, X):
        return ((X - self._center) / self._scale)[:, self._keep]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


def _log_propensity_weights(e, t, estimand):
    """Log of the raw weights of :func:`propensity_weights` and their slope.

    Returns ``(log_w, d log_w / d logit(e))``, both of shape (n_samples,).
    """
    with np.errstate(divide="ignore"):
        if estimand == "ATE":
            log_w = np.where(t == 1, -np.log(e), -np.log1p(-e))
            slope = np.where(t == 1, -(1.0 - e), e)
        elif estimand == "ATT":
            log_w = np.where(t == 1, 0.0, np.log(e) - np.log1p(-e))
            slope = np.where(t == 1, 0.0, 1.0)
        elif estimand == "ATC":
            log_w = np.where(t == 1, np.log1p(-e) - np.log(e), 0.0)
            slope = np.where(t == 1, -1.0, 0.0)
        else:  # ATO
            log_w = np.where(t == 1, np.log1p(-e), np.log(e))
            slope = np.where(t == 1, -e, 1.0 - e)
    return log_w, slope


def _m_estimates(theta, g, jac, log_weight, dlog_weight):
    """What the ``_m_estimation`` hooks return (see ``WeightingEstimator``)."""
    return {
        "theta": theta,
        "g": g,
        "jac": jac,
        "log_weight": log_weight,
        "dlog_weight": dlog_weight,
    }


def _l2_logistic_penalty(est):
    """Inverse L2 strength ``1 / C`` of a smooth LogisticRegression, else None.

    None when ``est`` is not a binary :class:`~sklearn.linear_model.
    LogisticRegression` whose fit solves smooth estimating equations (an L1 or
    elastic-net penalty, class weights or liblinear's penalised intercept).
    """
    if type(est) is not LogisticRegression or est.class_weight is not None:
        return None
    if est.solver == "liblinear" or list(est.classes_) != [0.0, 1.0]:
        return None
    penalty, l1_ratio, C = est.penalty, est.l1_ratio, est.C
    if penalty is None or C == np.inf:
        return 0.0
    if penalty == "l2" or (penalty == "deprecated" and l1_ratio in (0, 0.0, None)):
        return 1.0 / C
    return None


@fill_doc
class PropensityWeighting(_BaseCausalWeighter):
    """Inverse-propensity weights from any probabilistic classifier.

    A classifier learns the propensity ``e(x) = P(T = 1 | x)``; the weights
    are those of the estimand: ``1 / e`` (treated) and ``1 / (1 - e)``
    (controls) for the ATE, ``1`` and ``e / (1 - e)`` for the ATT, ``(1 - e) /
    e`` and ``1`` for the ATC, and the overlap weights ``1 - e`` and ``e``
    (Li, Morgan and Zaslavsky 2018) for ``"ATO"``, the effect in the
    population of best overlap. The weights average 1 in each arm, so they are
    the stabilised (Hajek) weights.

    Propensities can be clipped to ``[clip, 1 - clip]``, and units whose
    propensity falls outside ``[trim, 1 - trim]`` can be dropped (weight 0,
    Crump et al. 2009), which changes the estimand to the trimmed population.
    A :class:`~skreweight.exceptions.PositivityWarning` is raised when more
    than 1 % of the propensities fall outside ``[0.01, 0.99]``.

    Read more in the :ref:`User Guide <causal_balancing>`.

    Parameters
    ----------
    estimator : classifier, default=None
        Probabilistic classifier with ``predict_proba`` that accepts
        ``sample_weight``. When None, ``LogisticRegression(C=1e6)`` (nearly
        unpenalised) on standardised covariates.
    estimand : {"ATE", "ATT", "ATC", "ATO"}, default="ATE"
        Population the weights target.
    clip : float in [0, 0.5), default=0.0
        Clip the propensity to ``[clip, 1 - clip]``.
    trim : float in [0, 0.5) or None, default=None
        Give weight 0 to units whose propensity is outside
        ``[trim, 1 - trim]``.

    Attributes
    ----------
    weights_ : ndarray of shape (n_samples,)
        Weights of the rows passed to ``fit``, averaging 1 in each arm.
    estimator_ : classifier
        The fitted propensity model.
    propensity_ : ndarray of shape (n_samples,)
        In-sample propensity scores (before clipping).
    positivity_violation_share_ : float
        Share of units with propensity outside ``[0.01, 0.99]``.
    %(weighter_diagnostics)s

    See Also
    --------
    EntropyBalancing : Weights that balance the means exactly.
    CBPS : Logistic propensity fitted to balance the covariates.
    skreweight.causal.WeightingEstimator : Effect estimate from these weights.

    References
    ----------
    .. [1] P. R. Rosenbaum and D. B. Rubin, "The central role of the
       propensity score in observational studies for causal effects",
       Biometrika 70(1), 1983.
    .. [2] F. Li, K. L. Morgan and A. M. Zaslavsky, "Balancing covariates via
       propensity score weighting", JASA 113(521), 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.datasets import make_kang_schafer
    >>> from skreweight.weighting import PropensityWeighting
    >>> data = make_kang_schafer(500, propensity="correct", random_state=0)
    >>> pw = PropensityWeighting(estimand="ATT")
    >>> w = pw.fit(data.X, treatment=data.treatment).weights_
    >>> float(w[data.treatment == 0].mean())
    1.0...
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "estimand": [StrOptions({"ATE", "ATT", "ATC", "ATO"})],
        "clip": [Interval(Real, 0, 0.5, closed="left")],
        "trim": [Interval(Real, 0, 0.5, closed="left"), None],
    }

    def __init__(self, estimator=None, *, estimand="ATE", clip=0.0, trim=None):
        self.estimator = estimator
        self.estimand = estimand
        self.clip = clip
        self.trim = trim

    def _fit(self, X, y, sample_weight, treatment=None):
        self._check_arms(treatment, sample_weight)
        est = (
            LogisticRegression(C=1e6, max_iter=1000)
            if self.estimator is None
            else clone(self.estimator)
        )
        if not has_fit_parameter(est, "sample_weight"):
            raise TypeError(
                f"{type(est).__name__} does not accept sample_weight; the "
                "propensity model needs it. Use a classifier that does."
            )
        if self.estimator is None:  # standardise for the default logistic model
            X = self._design(X, sample_weight)
        self.estimator_ = est.fit(X, treatment, sample_weight=sample_weight)
        self.propensity_ = self._propensity(X, clip=False)
        self.positivity_violation_share_ = warn_positivity(
            type(self).__name__, self.propensity_, treatment
        )
        return self._raw_weights(X, treatment)

    def _propensity(self, X, clip=True):
        classes = list(self.estimator_.classes_)
        e = self.estimator_.predict_proba(X)[:, classes.index(1.0)]
        return np.clip(e, self.clip, 1 - self.clip) if clip else e

    def _raw_weights(self, X, t):
        e = self._propensity(X)
        w = propensity_weights(e, t, self.estimand)
        if self.trim is not None:
            w = np.where((e < self.trim) | (e > 1 - self.trim), 0.0, w)
        # a propensity of exactly 0 or 1 leaves a unit unrepresentable
        return np.where(np.isfinite(w), w, np.finfo(np.float64).max / 1e10)

    def _compute_weights(self, X, y, treatment=None):
        if self.estimator is None:
            X = self._transform(X)
        return self._raw_weights(X, treatment)

    def _m_estimation(self, X, treatment, sample_weight, theta=None):
        """Estimating equations of the propensity model, for stacked sandwiches.

        Available for a logistic regression without penalty or with an L2
        penalty (the default model included) and no trimming; None otherwise.
        Returns a dict with ``theta`` (intercept and coefficients), ``g``
        (per-row estimating functions, shape (n_samples, k); ``sum_i s_i g_i``
        is 0 at the fit), ``jac`` (``sum_i s_i dg_i / dtheta``), ``log_weight``
        (log raw weights) and ``dlog_weight`` (their gradient in ``theta``),
        evaluated at ``theta`` (the fitted parameters when None).
        """
        inv_c = _l2_logistic_penalty(self.estimator_)
        if inv_c is None or self.trim is not None:
            return None
        est = self.estimator_
        Z = self._transform(X) if self.estimator is None else X
        if est.fit_intercept:
            Z = np.hstack([np.ones((Z.shape[0], 1)), Z])
        if theta is None:
            coef = est.coef_.ravel()
            theta = np.r_[est.intercept_, coef] if est.fit_intercept else coef
        t, sw = treatment, sample_weight
        e = expit(Z @ theta)
        pen = np.full(theta.shape[0], inv_c)
        if est.fit_intercept:
            pen[0] = 0.0  # the intercept is not penalised
        g = (t - e)[:, None] * Z - pen * theta / sw.sum()
        jac = -(Z * (sw * e * (1 - e))[:, None]).T @ Z - np.diag(pen)
        clipped = (e < self.clip) | (e > 1 - self.clip)
        log_w, slope = _log_propensity_weights(
            np.clip(e, self.clip, 1 - self.clip), t, self.estimand
        )
        slope = np.where(clipped, 0.0, slope)
        return _m_estimates(theta, g, jac, log_w, slope[:, None] * Z)


def _logsumexp(a):
    m = a.max()
    return m + np.log(np.exp(a - m).sum())


def _eb_dual(C, q, *, tol, max_iter):
    """Minimise ``log sum_i q_i exp(C_i . lam)`` by damped Newton.

    ``C`` holds the constraint functions minus their targets. The minimiser
    gives weights ``q_i exp(C_i . lam)`` whose weighted mean of ``C`` is 0.
    Returns ``(lam, n_iter, converged, max_abs_gradient)``.
    """
    n, p = C.shape
    lam = np.zeros(p)
    logq = np.log(q)

    def objective(lam):
        return _logsumexp(logq + C @ lam)

    f = objective(lam)
    for it in range(1, max_iter + 1):
        a = logq + C @ lam
        pi = np.exp(a - _logsumexp(a))
        grad = C.T @ pi
        gmax = float(np.max(np.abs(grad))) if p else 0.0
        if gmax < tol:
            return lam, it - 1, True, gmax
        Cc = C - grad
        H = (Cc * pi[:, None]).T @ Cc
        H.flat[:: p + 1] += 1e-12 * max(1.0, np.trace(H) / p)
        try:
            step = -linalg.solve(H, grad, assume_a="pos")
        except (linalg.LinAlgError, ValueError):
            step = -np.linalg.lstsq(H, grad, rcond=None)[0]
        slope = float(grad @ step)
        if slope >= 0:  # not a descent direction: fall back to the gradient
            step, slope = -grad, -float(grad @ grad)
        t = 1.0
        while t > 1e-12:
            f_new = objective(lam + t * step)
            if f_new <= f + 1e-4 * t * slope:
                break
            t *= 0.5
        else:
            return lam, it, False, gmax
        lam, f = lam + t * step, f_new
    a = logq + C @ lam
    pi = np.exp(a - _logsumexp(a))
    gmax = float(np.max(np.abs(C.T @ pi))) if p else 0.0
    return lam, max_iter, gmax < tol, gmax


@fill_doc
class EntropyBalancing(_BaseCausalWeighter):
    """Entropy balancing weights (Hainmueller 2012).

    For each arm to be reweighted, the weights ``w`` closest to uniform in
    Kullback-Leibler divergence whose weighted covariate means (and, with
    ``moments=2``, variances) equal those of the target population exactly:
    the controls are matched to the treated for the ATT, the treated to the
    controls for the ATC, and each arm to the full sample for the ATE.

    The dual is a smooth convex problem in one multiplier per constraint; it
    is solved by Newton's method with a backtracking line search on
    standardised covariates, so a fit costs a handful of ``O(n p^2)``
    iterations. The weights are ``w_i ∝ exp(lambda . c(x_i))``, a log-linear
    function of the covariates, so they extend to new rows. When the target
    means lie outside the convex hull of the arm's covariates (for instance
    with perfect separation) no solution exists; the solver then stops with a
    :class:`~sklearn.exceptions.ConvergenceWarning` that reports the remaining
    imbalance.

    Read more in the :ref:`User Guide <causal_balancing>`.

    Parameters
    ----------
    estimand : {"ATE", "ATT", "ATC"}, default="ATE"
        Population the weights target.
    moments : {1, 2}, default=1
        Balance the means (1), or the means and the second moments of every
        covariate (2).
    tol : float, default=1e-8
        Stop when the largest remaining imbalance, in standard deviations of
        the covariate, is below ``tol``.
    max_iter : int, default=100
        Maximum number of Newton iterations per arm.

    Attributes
    ----------
    weights_ : ndarray of shape (n_samples,)
        Weights of the rows passed to ``fit``, averaging 1 in each arm.
    dual_coef_ : ndarray of shape (n_problems, n_constraints)
        Lagrange multipliers, one row per reweighted arm (two for the ATE:
        treated, then control).
    n_iter_ : int
        Largest number of Newton iterations over the arms.
    converged_ : bool
        Whether every arm reached ``tol``.
    max_imbalance_ : float
        Largest absolute standardised mean difference left after weighting.
    %(weighter_diagnostics)s

    See Also
    --------
    CBPS : Logistic propensity fitted to balance the covariates.
    IPMBalancing : Balance whole distributions, not only moments.

    Notes
    -----
    For the ATT, entropy balancing equals the just-identified CBPS and is the
    logistic propensity model fitted by moment matching (Zhao and Percival
    2017), which makes it doubly robust for a linear outcome model.

    References
    ----------
    .. [1] J. Hainmueller, "Entropy Balancing for Causal Effects: A
       Multivariate Reweighting Method to Produce Balanced Samples in
       Observational Studies", Political Analysis 20(1), 2012.
    .. [2] Q. Zhao and D. Percival, "Entropy balancing is doubly robust",
       Journal of Causal Inference 5(1), 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.datasets import make_kang_schafer
    >>> from skreweight.weighting import EntropyBalancing
    >>> data = make_kang_schafer(500, random_state=0)
    >>> eb = EntropyBalancing(estimand="ATT").fit(data.X, treatment=data.treatment)
    >>> t = data.treatment == 1
    >>> w = eb.weights_
    >>> bool(np.allclose(np.average(data.X[~t], axis=0, weights=w[~t]),
    ...                  data.X[t].mean(axis=0)))
    True
    """

    _parameter_constraints = {
        "estimand": [StrOptions({"ATE", "ATT", "ATC"})],
        "moments": [Interval(Integral, 1, 2, closed="both")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, *, estimand="ATE", moments=1, tol=1e-8, max_iter=100):
        self.estimand = estimand
        self.moments = moments
        self.tol = tol
        self.max_iter = max_iter

    def _features(self, X):
        Z = self._transform(X)
        return np.hstack([Z, Z**2]) if self.moments == 2 else Z

    def _fit(self, X, y, sample_weight, treatment=None):
        t, sw = treatment, sample_weight
        self._check_arms(t, sw)
        self._design(X, sw)
        C = self._features(X)
        raw = np.ones(X.shape[0])
        self._targets, self._offsets, duals = [], [], []
        self.n_iter_, self.converged_, self.max_imbalance_ = 0, True, 0.0
        for arm, target in _arm_problems(self.estimand, t):
            rows = arm & (sw > 0)
            m = np.average(C[target], axis=0, weights=sw[target])
            lam, n_iter, ok, gmax = _eb_dual(
                C[rows] - m, sw[rows], tol=self.tol, max_iter=self.max_iter
            )
            logits = (C[arm] - m) @ lam
            offset = float(logits[sw[arm] > 0].max())
            raw[arm] = np.exp(np.minimum(logits - offset, 300.0))
            self._targets.append(m)
            self._offsets.append(offset)
            duals.append(lam)
            self.n_iter_ = max(self.n_iter_, n_iter)
            self.converged_ &= ok
            self.max_imbalance_ = max(self.max_imbalance_, gmax)
        self.dual_coef_ = np.vstack(duals)
        if not self.converged_:
            warnings.warn(
                f"EntropyBalancing did not converge in {self.max_iter} Newton "
                f"iterations: the largest remaining standardised imbalance is "
                f"{self.max_imbalance_:.2g} (tol={self.tol}). The target moments "
                "may lie outside the convex hull of the reweighted arm (e.g. "
                "perfect separation, or no overlap): exact balance is "
                "impossible. Drop or coarsen the offending covariates, use "
                "moments=1, or restrict the population.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return raw

    def _compute_weights(self, X, y, treatment=None):
        C = self._features(X)
        raw = np.ones(X.shape[0])
        problems = _arm_problems(self.estimand, treatment)
        for (rows, _), m, lam, off in zip(
            problems, self._targets, self.dual_coef_, self._offsets
        ):
            raw[rows] = np.exp(np.minimum((C[rows] - m) @ lam - off, 300.0))
        return raw

    def _m_estimation(self, X, treatment, sample_weight, theta=None):
        """Estimating equations of the balancing problems, for stacked sandwiches.

        Entropy balancing is an M-estimator: per reweighted arm, the target
        moments ``m`` solve ``sum_target s_i (c_i - m) = 0`` and the dual
        multipliers ``lambda`` solve ``sum_arm s_i w_i (c_i - m) = 0`` with
        ``w_i = exp((c_i - m) . lambda)``. ``theta`` stacks ``(m, lambda)`` of
        each problem. Returns None when the fit did not converge; otherwise a
        dict with ``theta``, ``g`` (per-row estimating functions, shape
        (n_samples, k)), ``jac`` (``sum_i s_i dg_i / dtheta``), ``log_weight``
        and ``dlog_weight`` (log raw weights and their gradient in ``theta``),
        evaluated at ``theta`` (the fitted parameters when None).
        """
        if not self.converged_:
            return None
        C = self._features(X)
        t, sw = treatment, sample_weight
        n, q = C.shape
        problems = _arm_problems(self.estimand, t)
        if theta is None:
            theta = np.concatenate(
                [np.r_[m, lam] for m, lam in zip(self._targets, self.dual_coef_)]
            )
        k = 2 * q * len(problems)
        g, jac = np.zeros((n, k)), np.zeros((k, k))
        log_w, dlog_w = np.zeros(n), np.zeros((n, k))
        eye = np.eye(q)
        for j, ((arm, target), off) in enumerate(zip(problems, self._offsets)):
            im, il = (
                slice(2 * q * j, 2 * q * j + q),
                slice(2 * q * j + q, 2 * q * (j + 1)),
            )
            m, lam = theta[im], theta[il]
            D = C - m
            g[target, im] = D[target]
            jac[im, im] = -sw[target].sum() * eye
            lw = D[arm] @ lam - off
            swa = sw[arm] * np.exp(lw)
            g[arm, il] = np.exp(lw)[:, None] * D[arm]
            jac[il, im] = -swa.sum() * eye - np.outer(swa @ D[arm], lam)
            jac[il, il] = (D[arm] * swa[:, None]).T @ D[arm]
            log_w[arm] = lw
            dlog_w[np.ix_(arm, np.arange(k)[im])] = -lam
            dlog_w[np.ix_(arm, np.arange(k)[il])] = D[arm]
        return _m_estimates(theta, g, jac, log_w, dlog_w)


@fill_doc
class CBPS(_BaseCausalWeighter):
    """Covariate balancing propensity score (Imai and Ratkovic 2014).

    A logistic propensity model ``e(x) = expit(beta_0 + x . beta)`` whose
    coefficients are chosen so that the implied inverse-propensity weights
    balance the covariate means, instead of by maximum likelihood:

    - ``method="exact"`` (just-identified) solves the balance equations
      ``sum_i (T_i - e_i) h(e_i) x_i = 0`` with ``h = 1 / (e (1 - e))``
      (ATE), ``1 / (1 - e)`` (ATT) or ``1 / e`` (ATC);
    - ``method="over"`` (over-identified) adds the score equations of the
      logistic likelihood ``sum_i (T_i - e_i) x_i = 0`` and minimises the
      continuously-updated GMM criterion with the model-based covariance of
      the moments, starting from the maximum-likelihood fit, by BFGS with
      the criterion's analytic gradient (one pass over the data per step).

    Weights then follow from ``e`` as for :class:`PropensityWeighting`.

    Read more in the :ref:`User Guide <causal_balancing>`.

    Parameters
    ----------
    estimand : {"ATE", "ATT", "ATC"}, default="ATE"
        Population the weights target.
    method : {"exact", "over"}, default="exact"
        Just-identified (balance only) or over-identified (balance and score).
    max_iter : int, default=200
        Maximum number of solver iterations.
    tol : float, default=1e-8
        Tolerance of the solver on the moment conditions.
    verbose : int, default=0
        0 prints nothing; 1 prints the solver's objective every 10
        evaluations and the outcome; 2 and above every evaluation.

    Attributes
    ----------
    weights_ : ndarray of shape (n_samples,)
        Weights of the rows passed to ``fit``, averaging 1 in each arm.
    coef_ : ndarray of shape (n_features_used,)
        Coefficients of the standardised covariates in the propensity logit.
    intercept_ : float
        Intercept of the logit.
    propensity_ : ndarray of shape (n_samples,)
        In-sample propensity scores.
    converged_ : bool
        Whether the solver met ``tol``.
    j_statistic_ : float
        Hansen's J statistic of the over-identified fit (``n`` times the GMM
        criterion); NaN for ``method="exact"``.
    %(weighter_diagnostics)s

    See Also
    --------
    PropensityWeighting : Maximum-likelihood propensity weights.
    EntropyBalancing : Exact balance without a propensity model.

    References
    ----------
    .. [1] K. Imai and M. Ratkovic, "Covariate balancing propensity score",
       JRSS-B 76(1), 2014.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.datasets import make_kang_schafer
    >>> from skreweight.metrics import standardized_mean_difference
    >>> from skreweight.weighting import CBPS
    >>> data = make_kang_schafer(500, random_state=0)
    >>> cbps = CBPS(estimand="ATE").fit(data.X, treatment=data.treatment)
    >>> smd = standardized_mean_difference(data.X, data.treatment, cbps.weights_)
    >>> bool(np.abs(smd).max() < 1e-4)
    True
    """

    _parameter_constraints = {
        "estimand": [StrOptions({"ATE", "ATT", "ATC"})],
        "method": [StrOptions({"exact", "over"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "verbose": ["verbose"],
    }

    def __init__(
        self, *, estimand="ATE", method="exact", max_iter=200, tol=1e-8, verbose=0
    ):
        self.estimand = estimand
        self.method = method
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose

    def _progress(self):
        """Report every 10th objective evaluation (see ``verbose``)."""
        progress = Progress(self, self.verbose, unit="evaluation", every=10)
        calls = itertools.count(1)
        return lambda **value: progress(next(calls), **value)

    def _h(self, e):
        if self.estimand == "ATE":
            return 1.0 / (e * (1.0 - e))
        if self.estimand == "ATT":
            return 1.0 / (1.0 - e)
        return 1.0 / e

    def _moments(self, beta, Z, t, sw):
        """Mean moment vector and model-based covariance (scaled by sw)."""
        e = np.clip(expit(Z @ beta), 1e-10, 1 - 1e-10)
        r = (t - e) * sw
        h = self._h(e)
        bal = Z.T @ (r * h) / sw.sum()
        if self.method == "exact":
            return bal, None
        score = Z.T @ r / sw.sum()
        v = e * (1 - e) * sw / sw.sum()
        A = np.hstack([Z, Z * h[:, None]])
        S = (A * v[:, None]).T @ A
        return np.r_[score, bal], S

    def _fit(self, X, y, sample_weight, treatment=None):
        t, sw = treatment, sample_weight
        self._check_arms(t, sw)
        Z = self._design(X, sw)
        Z = np.hstack([np.ones((Z.shape[0], 1)), Z])
        start = self._mle(Z, t, sw)
        if self.method == "exact":
            beta, ok = self._solve_exact(start, Z, t, sw)
            self.j_statistic_ = np.nan
        else:
            beta, ok = self._solve_gmm(start, Z, t, sw)
        self.converged_ = ok
        g, _ = self._moments(beta, Z, t, sw)
        Progress(self, self.verbose).message(
            f"method={self.method!r}: converged={ok}, largest moment condition "
            f"{np.max(np.abs(g)):.2g}"
        )
        if not ok:
            warnings.warn(
                f"CBPS did not converge in {self.max_iter} iterations: the "
                f"largest moment condition is {np.max(np.abs(g)):.2g}. The "
                "covariates may separate the arms perfectly (no overlap); check "
                "the propensity model or restrict the population.",
                ConvergenceWarning,
                stacklevel=3,
            )
        self.intercept_, self.coef_ = float(beta[0]), beta[1:]
        self.propensity_ = expit(Z @ beta)
        warn_positivity(
            "CBPS",
            self.propensity_,
            t,
            overlap_weights="PropensityWeighting(estimand='ATO'); CBPS itself "
            "offers ATE, ATT and ATC",
        )
        return propensity_weights(self._clipped(Z @ beta), t, self.estimand)

    @staticmethod
    def _clipped(logit):
        return np.clip(expit(logit), 1e-12, 1 - 1e-12)

    def _mle(self, Z, t, sw):
        lr = LogisticRegression(C=1e4, fit_intercept=False, max_iter=1000)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return lr.fit(Z, t, sample_weight=sw).coef_.ravel().copy()

    def _solve_exact(self, start, Z, t, sw):
        report = self._progress()

        def fun(beta):
            g = self._moments(beta, Z, t, sw)[0]
            report(largest_moment=float(np.max(np.abs(g))))
            return g

        def jac(beta):
            e = np.clip(expit(Z @ beta), 1e-10, 1 - 1e-10)
            d = self._eta_terms(e, t)[1]  # d/d eta of (t - e) h(e)
            return (Z * (d * sw)[:, None]).T @ Z / sw.sum()

        sol = optimize.root(
            fun, start, jac=jac, method="hybr", options={"maxfev": self.max_iter}
        )
        beta = sol.x
        ok = bool(np.all(np.isfinite(beta))) and np.max(np.abs(fun(beta))) < np.sqrt(
            self.tol
        )
        if not np.all(np.isfinite(beta)):
            beta = start
        return beta, ok

    def _eta_terms(self, e, t):
        """``h(e)``, ``d[(t - e) h(e)] / d eta`` and ``dh / d eta`` (eta = logit)."""
        if self.estimand == "ATE":
            h = 1.0 / (e * (1.0 - e))
            d = -(t * (1 - e) / e + (1 - t) * e / (1 - e))
            dh = -(1 - 2 * e) / (e * (1 - e))
        elif self.estimand == "ATT":
            h = 1.0 / (1.0 - e)
            d = -(1 - t) * e / (1 - e)
            dh = e / (1 - e)
        else:
            h = 1.0 / e
            d = -t * (1 - e) / e
            dh = -(1 - e) / e
        return h, d, dh

    def _gmm(self, beta, Z, t, sw):
        """GMM criterion, its analytic gradient and the moment Jacobian.

        The criterion is ``Q = g' S^-1 g`` with ``g`` the mean of the score and
        balance moments and ``S`` their model-based covariance (both depend on
        ``beta``). With ``u = S^-1 g`` its gradient is ``2 G' u - u' (dS /
        dbeta) u``, where ``G = dg / dbeta``; the second term is a sum over
        rows, so the gradient costs one pass over the data instead of the
        ``k + 1`` passes of a finite-difference gradient.
        """
        total = sw.sum()
        e = np.clip(expit(Z @ beta), 1e-10, 1 - 1e-10)
        h, d, dh = self._eta_terms(e, t)
        r = (t - e) * sw
        g = np.r_[Z.T @ r, Z.T @ (r * h)] / total
        v = e * (1 - e) * sw / total
        A = np.hstack([Z, Z * h[:, None]])
        S = (A * v[:, None]).T @ A
        try:
            u = linalg.cho_solve(linalg.cho_factor(S), g)
        except (linalg.LinAlgError, ValueError):
            u = np.linalg.pinv(S) @ g
        k = Z.shape[1]
        G = (
            np.vstack(
                [
                    -(Z * (sw * e * (1 - e))[:, None]).T @ Z,
                    (Z * (sw * d)[:, None]).T @ Z,
                ]
            )
            / total
        )
        a, b = Z @ u[:k], Z @ u[k:]
        ab = a + h * b
        dv = v * (1 - 2 * e)
        grad = 2 * G.T @ u - Z.T @ (dv * ab**2 + 2 * v * ab * dh * b)
        return float(g @ u), grad, G, S

    def _solve_gmm(self, start, Z, t, sw):
        report = self._progress()

        def crit(beta):
            value, grad = self._gmm(beta, Z, t, sw)[:2]
            report(gmm_criterion=float(value))
            if not np.isfinite(value):
                return np.inf, np.zeros_like(beta)
            return value, grad

        sol = optimize.minimize(
            crit,
            start,
            jac=True,
            method="BFGS",
            options={"maxiter": self.max_iter, "gtol": self.tol},
        )
        beta = sol.x if np.isfinite(sol.fun) else start
        self.j_statistic_ = float(sw.sum() * crit(beta)[0])
        # BFGS often stops on precision loss at the optimum; judge by the
        # gradient instead of its flag
        ok = bool(sol.success or np.max(np.abs(sol.jac)) < 1e-4)
        return beta, ok

    def _m_estimation(self, X, treatment, sample_weight, theta=None):
        """Estimating equations of the propensity model, for stacked sandwiches.

        ``theta`` is ``(intercept_, coef_)``. For ``method="exact"`` the
        equations are the balance conditions ``(t_i - e_i) h(e_i) z_i``; for
        ``method="over"`` they are the usual linearisation of the GMM
        estimator, ``G' S^-1 m_i`` with ``m_i`` the stacked score and balance
        moments, and ``jac = G' S^-1 G`` (terms in the mean moment, which
        vanish at the root-n rate, are dropped). Returns None when the fit did
        not converge; otherwise a dict with ``theta``, ``g`` (per-row
        estimating functions, shape (n_samples, k)), ``jac`` (``sum_i s_i
        dg_i / dtheta``), ``log_weight`` and ``dlog_weight`` (log raw weights
        and their gradient in ``theta``).
        """
        if not self.converged_:
            return None
        Z = self._transform(X)
        Z = np.hstack([np.ones((Z.shape[0], 1)), Z])
        t, sw = treatment, sample_weight
        if theta is None:
            theta = np.r_[self.intercept_, self.coef_]
        e = np.clip(expit(Z @ theta), 1e-10, 1 - 1e-10)
        h, d, _ = self._eta_terms(e, t)
        if self.method == "exact":
            g = ((t - e) * h)[:, None] * Z
            jac = (Z * (d * sw)[:, None]).T @ Z
        else:
            _, _, G, S = self._gmm(theta, Z, t, sw)
            GW = linalg.solve(S, G, assume_a="pos").T  # G' S^-1
            g = np.hstack([Z, Z * h[:, None]]) * (t - e)[:, None] @ GW.T
            jac = sw.sum() * GW @ G
        log_w, slope = _log_propensity_weights(e, t, self.estimand)
        return _m_estimates(theta, g, jac, log_w, slope[:, None] * Z)

    def _compute_weights(self, X, y, treatment=None):
        logit = self._transform(X) @ self.coef_ + self.intercept_
        return propensity_weights(self._clipped(logit), treatment, self.estimand)
