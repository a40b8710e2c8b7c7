"""Average treatment effects from balancing weights, with standard errors."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import inspect
import logging
import warnings
from numbers import Integral

import numpy as np
from joblib import delayed
from scipy import linalg, stats
from sklearn.base import BaseEstimator, clone
from sklearn.linear_model import LinearRegression
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from .._core.crossfit import check_partition, fit_per_arm, get_splits
from ..base import is_weighter
from ..utils._progress import progress_parallel, track
from ..utils._sklearn_compat import HasMethods, Interval, StrOptions
from ..utils._warnings import warn as warn_once
from ..utils.validation import check_sample_weight, check_treatment
from ._summary import effect_diagnostics, weighting_summary

__all__ = ["WeightingEstimator"]

logger = logging.getLogger(__name__)


def _target_mask(estimand, t):
    if estimand == "ATT":
        return t == 1
    if estimand == "ATC":
        return t == 0
    return np.ones_like(t, dtype=bool)


def _effect_and_influence(y, t, w, s, estimand, mu1=None, mu0=None):
    """Hajek (``mu is None``) or augmented effect and its influence values.

    ``w`` are the balancing weights and ``s`` the user's frequency weights;
    the returned ``psi`` satisfies ``Var(effect) ~ sum(s * psi**2)``.
    """
    psi = np.zeros_like(y)
    if mu1 is None:
        direct, r1, r0 = 0.0, y, y
    else:
        tgt = _target_mask(estimand, t)
        d = mu1 - mu0
        direct = float(np.average(d[tgt], weights=s[tgt]))
        psi[tgt] += (d[tgt] - direct) / s[tgt].sum()
        r1, r0 = y - mu1, y - mu0
    effect = direct
    for arm, sign, r in ((1, 1.0, r1), (0, -1.0, r0)):
        m = t == arm
        total = float(np.dot(w[m], s[m]))
        mean = float(np.dot(w[m] * s[m], r[m]) / total)
        effect += sign * mean
        psi[m] += sign * w[m] * (r[m] - mean) / total
    return effect, psi


def _linear_outcome_model(model):
    """Whether ``model`` is an ordinary (weighted) least-squares fit."""
    return type(model) is LinearRegression and not model.positive


def _stacked_influence(mest, y, t, w, s, estimand, X=None, models=None):
    """Influence values of the effect from the stacked estimating equations.

    The weighter's estimating equations (``mest``, from its ``_m_estimation``
    hook: per-row functions ``g``, their Jacobian and the gradient of the log
    weights) are stacked with the effect's: the two weighted arm means
    (Hajek), or the two weighted least-squares outcome models, the mean
    predicted difference over the target and the weighted mean residuals
    (``models`` given: the DR form with linear outcome models). With ``A``
    the block lower-triangular Jacobian of the stack, the influence values
    are ``-A^-1 psi_i``; the contrast that gives the effect is returned, on
    the scale ``Var(effect) ~ sum(s * psi**2)``.
    """
    g, G, dlog_w = mest["g"], mest["jac"], mest["dlog_weight"]
    phi_beta = -linalg.solve(G, g.T).T  # (n, k)
    n = y.shape[0]
    if models is None:
        cols, A, B, c = [], np.zeros((2, 2)), np.zeros((2, G.shape[0])), [1, -1]
        for j, arm in enumerate((1, 0)):
            ws = w * s * (t == arm)
            res = y - np.dot(ws, y) / ws.sum()
            cols.append((t == arm) * w * res)
            A[j, j] = -ws.sum()
            B[j] = (ws * res) @ dlog_w
        psi = np.column_stack(cols)
    else:
        Xt = np.hstack([np.ones((n, 1)), X]) if models[0].fit_intercept else X
        q = Xt.shape[1]
        gams = [
            np.r_[m.intercept_, m.coef_] if m.fit_intercept else m.coef_ for m in models
        ]
        r = 2 * q + 3  # gamma1, gamma0, direct, residual means of arms 1 and 0
        psi, A, B = np.zeros((n, r)), np.zeros((r, r)), np.zeros((r, G.shape[0]))
        for j, (arm, gam) in enumerate(zip((1, 0), gams)):
            m = (t == arm) * w
            ws = m * s
            res = y - Xt @ gam
            sl, i = slice(j * q, (j + 1) * q), 2 * q + 1 + j
            psi[:, sl] = (m * res)[:, None] * Xt
            A[sl, sl] = -(Xt * ws[:, None]).T @ Xt
            B[sl] = (Xt * (ws * res)[:, None]).T @ dlog_w
            rho = np.dot(ws, res) / ws.sum()
            psi[:, i] = m * (res - rho)
            A[i, i], A[i, sl] = -ws.sum(), -(ws @ Xt)
            B[i] = (ws * (res - rho)) @ dlog_w
        tgt = _target_mask(estimand, t)
        st = s * tgt
        diff = Xt @ (gams[0] - gams[1])
        psi[:, 2 * q] = tgt * (diff - np.dot(st, diff) / st.sum())
        A[2 * q, 2 * q] = -st.sum()
        A[2 * q, :q], A[2 * q, q : 2 * q] = st @ Xt, -(st @ Xt)
        c = np.zeros(r)
        c[2 * q :] = [1, 1, -1]
    phi = -linalg.solve(A, (psi + phi_beta @ B.T).T).T
    return phi @ np.asarray(c, dtype=np.float64)


class WeightingEstimator(BaseEstimator):
    """Average treatment effect from balancing weights, with inference.

    Fits a weighter (any skreweight causal weighter: :class:`~skreweight.
    weighting.PropensityWeighting`, :class:`~skreweight.weighting.
    EntropyBalancing`, :class:`~skreweight.weighting.CBPS`,
    :class:`~skreweight.weighting.IPMBalancing`, ...) and estimates the
    effect of a binary treatment on ``y`` in the population of the estimand:

    - ``method="hajek"``: the difference of the weighted outcome means of the
      two arms, ``sum_T w y / sum_T w - sum_C w y / sum_C w``;
    - ``method="dr"``: weighted regression adjustment. An outcome model is fit
      in each arm (weighted by the balancing weights); the estimate is the
      mean of ``mu1(x) - mu0(x)`` over the target population plus the
      weighted mean residuals of each arm (the augmented, doubly robust
      form: consistent if either the weights or the outcome model is right).
      This is the augmentation of Kong et al. (2023) with both arms modelled.
      With ``cv`` the outcome models are cross-fitted: each row's
      ``mu1(x), mu0(x)`` come from models fit without its fold, so a flexible
      model (boosted trees, forests) cannot absorb the residuals it is meant
      to leave to the weights.

    Standard errors:

    - ``"sandwich"``: the M-estimation sandwich of the whole procedure when
      the weighter is itself an M-estimator: the estimating equations of the
      weight model are stacked with those of the effect, so the estimation
      of the weights is accounted for. This covers
      :class:`~skreweight.weighting.PropensityWeighting` with a logistic
      regression (unpenalised or L2-penalised, no trimming),
      :class:`~skreweight.weighting.EntropyBalancing` (its dual first-order
      conditions and the target moments) and :class:`~skreweight.weighting.
      CBPS` (balance conditions; the usual GMM linearisation for
      ``method="over"``), for ``method="hajek"`` and for ``method="dr"``
      with the default linear outcome model. For any other weighter or
      outcome model (e.g. :class:`~skreweight.weighting.IPMBalancing`, an
      arbitrary classifier) it falls back to ``"sandwich_fixed"``, and so it
      does, with a ``RuntimeWarning``, when the stacked form fails
      numerically; ``stderr_method_`` says which formula was used.
    - ``"sandwich_fixed"``: from the influence function of the estimator with
      the weights held fixed (the sandwich of the weighted means). For
      ``method="dr"`` it is the usual AIPW variance, valid when both models
      are right; for ``"hajek"`` with an estimated logistic propensity it is
      conservative for the ATE (Lunceford and Davidian 2004) and can be too
      small or too large for other estimands and weighters.
    - ``"bootstrap"``: ``n_bootstrap`` resamples, stratified by arm, each
      refitting the weights and the outcome models (joblib-parallel with
      ``n_jobs``; use ``joblib.parallel_backend("dask")`` to scale out).

    Read more in the :ref:`User Guide <causal_balancing>`.

    Parameters
    ----------
    weighter : weighter, default=None
        Causal weighter taking ``fit(X, treatment=...)``;
        :class:`~skreweight.weighting.EntropyBalancing` when None.
    estimand : {"ATE", "ATT", "ATC"} or None, default=None
        The estimand; set on the weighter (through its ``estimand``
        parameter) when given, else read from the weighter.
    method : {"hajek", "dr"}, default="hajek"
        Weighted difference in means, or augmented (doubly robust).
    model_y : regressor, default=None
        Outcome model for ``method="dr"``; ``LinearRegression()`` when None.
        It must accept ``sample_weight``.
    cv : int, cross-validation generator, iterable or None, default=None
        Cross-fitting of the outcome models (``method="dr"``): None fits them
        on all rows (in-sample); an int ``k`` uses ``StratifiedKFold(k,
        shuffle=True)`` stratified by treatment and seeded by
        ``random_state``; a splitter or an iterable of (train, test) index
        pairs is used as given. Every fold must hold rows of both arms.
        Cross-fitted fits use the fixed-weights sandwich for ``se``.
    se : {"sandwich", "sandwich_fixed", "bootstrap"} or None, \
            default="sandwich"
        How the standard error is computed (see above); None skips it.
    n_bootstrap : int, default=200
        Number of bootstrap resamples.
    n_jobs : int, default=None
        Parallel jobs of the bootstrap (joblib semantics).
    random_state : int, RandomState instance or None, default=None
        Seeds the bootstrap and the cross-fitting folds of an int ``cv``.
    verbose : int, default=0
        Log bootstrap progress (``logging``).

    Attributes
    ----------
    effect_ : float
        The estimated effect.
    stderr_ : float
        Its standard error (NaN when ``se=None``).
    stderr_method_ : {"sandwich_stacked", "sandwich_fixed", "bootstrap"} or None
        How ``stderr_`` was computed: ``"sandwich_stacked"`` when the weight
        estimation is accounted for, ``"sandwich_fixed"`` when the weights
        were held fixed (``se="sandwich_fixed"``, or the fallback of
        ``se="sandwich"``), None when ``se=None``.
    estimand_ : str
        The estimand used.
    weighter_ : weighter
        The fitted weighter.
    weights_ : ndarray of shape (n_samples,)
        The balancing weights of the rows (``weighter_.weights_``).
    potential_outcome_means_ : tuple of float
        Estimated means of ``Y(1)`` and ``Y(0)`` in the target population.
    models_y_ : tuple of regressors, or list of tuples, or None
        Fitted models of ``Y`` in the treated and the control arm
        (``method="dr"``); with ``cv``, one such pair per fold.
    effective_sample_size_ : float
        Kish effective sample size of all the weights (``weighter_``'s), a
        float as on every weighter.
    arm_effective_sample_size_ : tuple of float
        Kish effective sample size of the weights in the treated and the
        control arm.
    diagnostics_ : dict
        Rows and ESS per arm, ``ess_ratio``, ``max_weight_share`` and the
        worst weighted standardised mean difference (``max_abs_smd``,
        ``worst_covariate``); shown by :meth:`summary`.
    bootstrap_effects_ : ndarray of shape (n_bootstrap,)
        Effects of the bootstrap resamples (``se="bootstrap"``).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen in ``fit``, when X has string column names.

    See Also
    --------
    skreweight.weighting.IPMBalancing : Balancing by an integral probability metric.
    skreweight.metrics.balance_table : Balance before and after weighting.

    References
    ----------
    .. [1] J. K. Lunceford and M. Davidian, "Stratification and weighting via
       the propensity score in estimation of causal treatment effects",
       Statistics in Medicine 23(19), 2004.
    .. [2] I. Kong, Y. Park, J. Jung, K. Lee and Y. Kim, "Covariate balancing
       using the integral probability metric for causal inference", ICML 2023.
    .. [3] L. A. Stefanski and D. D. Boos, "The calculus of M-estimation",
       The American Statistician 56(1), 2002.

    Examples
    --------
    >>> from skreweight.causal import WeightingEstimator
    >>> from skreweight.datasets import make_kang_schafer
    >>> from skreweight.weighting import EntropyBalancing
    >>> data = make_kang_schafer(1000, propensity="correct", random_state=0)
    >>> est = WeightingEstimator(EntropyBalancing(), estimand="ATT", method="dr")
    >>> est = est.fit(data.X, data.y, treatment=data.treatment)
    >>> low, high = est.conf_int(0.05)
    >>> bool(low < 0.0 < high)  # the true ATT is 0
    True
    """

    __metadata_request__fit = {"treatment": True}

    _parameter_constraints = {
        "weighter": [HasMethods(["fit"]), None],
        "estimand": [StrOptions({"ATE", "ATT", "ATC"}), None],
        "method": [StrOptions({"hajek", "dr"})],
        "model_y": [HasMethods(["fit", "predict"]), None],
        "cv": ["cv_object", None],
        "se": [StrOptions({"sandwich", "sandwich_fixed", "bootstrap"}), None],
        "n_bootstrap": [Interval(Integral, 2, None, closed="left")],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        weighter=None,
        *,
        estimand=None,
        method="hajek",
        model_y=None,
        cv=None,
        se="sandwich",
        n_bootstrap=200,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.weighter = weighter
        self.estimand = estimand
        self.method = method
        self.model_y = model_y
        self.cv = cv
        self.se = se
        self.n_bootstrap = n_bootstrap
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def _get_weighter(self):
        from ..weighting import EntropyBalancing

        weighter = EntropyBalancing() if self.weighter is None else self.weighter
        if not is_weighter(weighter):
            raise TypeError(
                "weighter must be a skreweight weighter; got "
                f"{type(weighter).__name__}."
            )
        weighter = clone(weighter)
        params = weighter.get_params(deep=False)
        if self.estimand is not None:
            if "estimand" not in params:
                raise ValueError(
                    f"{type(weighter).__name__} has no estimand parameter; leave "
                    "estimand=None."
                )
            default = inspect.signature(type(weighter)).parameters["estimand"].default
            if params["estimand"] not in (self.estimand, default):
                # the user set the weighter's estimand, and this one differs
                warnings.warn(
                    f"{type(self).__name__}(estimand={self.estimand!r}) replaces "
                    f"the weighter's own estimand={params['estimand']!r}: "
                    f"{type(weighter).__name__} is fitted for "
                    f"{self.estimand!r}. Set the estimand in one place only: on "
                    "the weighter, leaving estimand=None here, or here.",
                    UserWarning,
                    stacklevel=4,
                )
            weighter.set_params(estimand=self.estimand)
        return weighter

    def _estimand(self, weighter):
        return weighter.get_params(deep=False).get("estimand", "ATE")

    def fit(self, X, y, *, treatment=None, sample_weight=None):
        """Estimate the treatment effect.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Covariates (confounders).
        y : array-like of shape (n_samples,)
            Outcome.
        treatment : array-like of shape (n_samples,)
            Binary treatment indicator (required).
        sample_weight : array-like of shape (n_samples,), default=None
            Frequency or survey weights of the rows.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        self._validate_params()
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if treatment is None:
            raise ValueError(
                "WeightingEstimator requires `treatment`: pass fit(X, y, "
                "treatment=t) with one 0/1 value per row. With metadata routing "
                "enabled, make sure it is requested and routed."
            )
        t = check_treatment(treatment, X.shape[0])
        s = check_sample_weight(sample_weight, X)
        weighter = self._get_weighter()
        self.estimand_ = self._estimand(weighter)
        self.effect_, psi, parts = self._estimate(weighter, X, y, t, s)
        self.weighter_, self.weights_ = parts["weighter"], parts["weights"]
        self.models_y_ = parts["models"]
        # kept for summary(robustness=True), which refits the bound models
        self._fit_data = (X, y, t, s, parts["folds"])
        self.potential_outcome_means_ = parts["means"]
        self.effective_sample_size_ = self.weighter_.effective_sample_size_
        self.arm_effective_sample_size_ = tuple(
            float(np.dot(self.weights_[t == a], s[t == a]) ** 2)
            / float(np.dot(self.weights_[t == a] ** 2, s[t == a]))
            for a in (1, 0)
        )
        self.diagnostics_ = effect_diagnostics(
            X, t, self.weights_, s, getattr(self, "feature_names_in_", None)
        )
        self.stderr_, self.stderr_method_ = np.nan, None
        if self.se in ("sandwich", "sandwich_fixed"):
            self.stderr_method_ = "sandwich_fixed"
            if self.se == "sandwich":
                stacked = self._stacked_influence(X, y, t, s)
                if stacked is not None:
                    psi, self.stderr_method_ = stacked, "sandwich_stacked"
            self.stderr_ = float(np.sqrt(np.dot(s, psi**2)))
        elif self.se == "bootstrap":
            self.stderr_method_ = "bootstrap"
            self.bootstrap_effects_ = self._bootstrap(weighter, X, y, t, s)
            self.stderr_ = float(np.std(self.bootstrap_effects_, ddof=1))
        return self

    def _stacked_influence(self, X, y, t, s):
        """Influence values with the weight estimation stacked in, or None."""
        hook = getattr(self.weighter_, "_m_estimation", None)
        models = self.models_y_
        if self.method == "dr" and self.cv is not None:
            return None  # cross-fitted models: no joint estimating equations
        if hook is None or (
            models is not None and not all(map(_linear_outcome_model, models))
        ):
            return None
        try:
            with warnings.catch_warnings():
                # an ill-conditioned Jacobian gives an SE not to trust: fall back
                warnings.simplefilter("error", linalg.LinAlgWarning)
                mest = hook(X, t, s)
                if mest is None:  # e.g. a weight model that did not converge
                    return None
                psi = _stacked_influence(
                    mest, y, t, self.weights_, s, self.estimand_, X, models
                )
            if not np.all(np.isfinite(psi)):
                raise ValueError("non-finite influence values")
        except (linalg.LinAlgError, linalg.LinAlgWarning, ValueError) as exc:
            warn_once(
                f"{type(self).__name__}: the stacked sandwich standard error of "
                f"{type(self.weighter_).__name__} could not be computed ({exc}); "
                "fell back to the fixed-weights sandwich, which ignores the "
                "estimation of the weights. Use se='bootstrap' for a standard "
                "error that refits the weights.",
                RuntimeWarning,
            )
            return None
        return psi

    def _estimate(self, weighter, X, y, t, s):
        weighter = clone(weighter).fit(X, sample_weight=s, treatment=t)
        w = weighter.weights_
        models, mu1, mu0, folds = None, None, None, None
        if self.method == "dr":
            base = LinearRegression() if self.model_y is None else self.model_y
            if self.cv is None:
                folds = [(np.arange(X.shape[0]), np.arange(X.shape[0]))]
            else:
                folds = self._folds(X, t)
            mu1, mu0, models = np.empty_like(y), np.empty_like(y), []
            for train, test in folds:
                pos = train[w[train] * s[train] > 0]
                pair, (mu1[test], mu0[test]) = fit_per_arm(
                    base, X, y, t, pos, test, sample_weight=w * s, arms=(1, 0)
                )
                models.append(tuple(pair))
            models = models[0] if self.cv is None else models
        effect, psi = _effect_and_influence(y, t, w, s, self.estimand_, mu1, mu0)
        tgt = _target_mask(self.estimand_, t)
        if mu1 is None:
            means = tuple(
                float(np.average(y[t == a], weights=(w * s)[t == a])) for a in (1, 0)
            )
        else:
            means = tuple(
                float(
                    np.average(mu[tgt], weights=s[tgt])
                    + np.average((y - mu)[t == a], weights=(w * s)[t == a])
                )
                for a, mu in ((1, mu1), (0, mu0))
            )
        parts = {"weighter": weighter, "weights": w, "models": models, "means": means}
        parts["folds"] = folds
        return effect, psi, parts

    def _folds(self, X, t):
        folds = get_splits(self.cv, X, t, stratify=True, random_state=self.random_state)
        check_partition(folds, X.shape[0])
        return folds

    def _bootstrap(self, weighter, X, y, t, s):
        rng = check_random_state(self.random_state)
        arms = [np.flatnonzero(t == a) for a in (1, 0)]
        draws = [
            np.concatenate([rng.choice(a, size=a.shape[0], replace=True) for a in arms])
            for _ in range(self.n_bootstrap)
        ]

        def one(idx):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                effect, _, _ = self._estimate(weighter, X[idx], y[idx], t[idx], s[idx])
            return effect

        parallel = progress_parallel(self.n_jobs)
        every = max(1, self.n_bootstrap // 10)
        effects = track(
            parallel(delayed(one)(idx) for idx in draws),
            self,
            self.verbose,
            total=self.n_bootstrap,
            unit="bootstrap refit",
            every=every,
        )
        return np.asarray(effects)

    def conf_int(self, alpha=0.05):
        """Two-sided ``1 - alpha`` confidence interval of the effect.

        A normal interval ``effect_ -/+ z_{1 - alpha / 2} stderr_`` (with the
        bootstrap standard error when ``se="bootstrap"``).

        Parameters
        ----------
        alpha : float, default=0.05
            One minus the coverage.

        Returns
        -------
        (low, high) : tuple of float
        """
        check_is_fitted(self, "effect_")
        if not 0 < alpha < 1:
            raise ValueError(f"alpha must be in (0, 1); got {alpha}.")
        if not np.isfinite(self.stderr_):
            raise ValueError(
                "No standard error was computed (se=None); refit with "
                "se='sandwich' or se='bootstrap'."
            )
        z = stats.norm.ppf(1 - alpha / 2)
        return (
            float(self.effect_ - z * self.stderr_),
            float(self.effect_ + z * self.stderr_),
        )

    def summary(self, alpha=0.05, *, robustness=False):
        """The effect, its inference and the weights' diagnostics in one table.

        Parameters
        ----------
        alpha : float, default=0.05
            One minus the confidence level of the interval.
        robustness : bool, default=False
            Add the robustness value (column ``robustness_value``): the
            smallest odds ratio ``gamma`` of hidden confounding at which the
            ``1 - alpha`` interval of the sensitivity bounds contains 0
            (:func:`~skreweight.causal.robustness_value` of an
            :class:`~skreweight.causal.ATEBounds` with this estimator's
            weights, outcome model and folds). Needs ``method="dr"``. It
            refits the expectile and normaliser models at each ``gamma`` of a
            root search (about a dozen), so it costs several fits; the
            default summary fits nothing.

        Returns
        -------
        summary : :class:`~skreweight.causal.EffectSummary`
            A DataFrame with one row (the estimand): estimate, standard error
            and how it was computed, z, p-value, confidence interval, rows
            per arm, ESS per arm and the worst weighted SMD; ``print`` it to
            read it.
        """
        return weighting_summary(self, alpha, robustness=robustness)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
