"""Heterogeneous treatment effects by weighted pseudo-outcome regression.

A pseudo-outcome ``phi`` has conditional mean ``tau(x)`` (given the true
nuisances), so any regressor fitted on ``(X, phi)`` estimates the CATE. Fisher
(2024) shows that the R-learner of Nie & Wager is the regression of the "U"
pseudo-outcome ``(Y - m) / (A - e)`` with weights ``(A - e)^2``, and that
these weights act as inverse-variance weights; the same weighting,
``e (1 - e)``, stabilises the DR and covariance pseudo-outcomes.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings
from numbers import Integral, Real

import numpy as np
from scipy import stats
from sklearn.base import BaseEstimator, RegressorMixin, clone, is_classifier
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.utils.validation import check_is_fitted, has_fit_parameter, validate_data

from .._core.crossfit import get_splits, r_loss_value
from .._core.docstrings import fill_doc
from .._core.encoding import clip_propensity
from ..utils._sklearn_compat import HasMethods, Interval, StrOptions
from ..utils.validation import check_sample_weight, check_treatment
from ._cross_fit import _cross_fit, _propensity
from ._summary import effect_diagnostics, pseudo_outcome_summary

__all__ = ["DRLearner", "PseudoOutcomeRegressor", "RLearner"]


def _hc_wls(Z, phi, w, *, hc="HC1"):
    """Weighted least squares with a heteroskedasticity-robust covariance."""
    sw = np.sqrt(w)
    Zw = Z * sw[:, None]
    beta, *_ = np.linalg.lstsq(Zw, phi * sw, rcond=None)
    resid = phi - Z @ beta
    bread = np.linalg.pinv(Zw.T @ Zw)
    score = Z * (w * resid)[:, None]
    cov = bread @ (score.T @ score) @ bread
    n, p = Z.shape
    if hc == "HC1" and n > p:
        cov *= n / (n - p)
    return beta, cov


def _inference_frame(names, beta, cov, alpha):
    import pandas as pd

    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = beta / se
    q = stats.norm.ppf(1 - alpha / 2)
    return pd.DataFrame(
        {
            "coef": beta,
            "std_err": se,
            "z": z,
            "p_value": 2 * stats.norm.sf(np.abs(z)),
            f"ci_lower_{1 - alpha:g}": beta - q * se,
            f"ci_upper_{1 - alpha:g}": beta + q * se,
        },
        index=names,
    )


class PseudoOutcomeRegressor(RegressorMixin, BaseEstimator):
    """Conditional average treatment effects by weighted pseudo-outcome regression.

    ``fit`` cross-fits the nuisance models -- the propensity ``e(x)`` and the
    outcome regression ``m(x) = E[Y | x]`` or the per-arm outcomes
    ``mu_a(x)`` as the pseudo-outcome needs -- builds a pseudo-outcome
    ``phi`` whose conditional mean is the CATE ``tau(x)``, and fits
    ``model_final`` on ``(X, phi)`` with ``sample_weight`` set to the chosen
    weights. ``predict(X)`` returns the estimated CATE.

    - ``"U"``: ``phi = (Y - m) / (A - e)``, IVW weight ``(A - e)^2``;
    - ``"DR"``: ``phi = mu1 - mu0 + A (Y - mu1) / e - (1 - A) (Y - mu0) /
      (1 - e)``, IVW weight ``e (1 - e)``;
    - ``"Cov"``: ``phi = (Y - m) (A - e) / (e (1 - e))``, IVW weight
      ``e (1 - e)``.

    With ``weighting="ivw"`` the rows get the inverse-variance weights listed
    above (Fisher, 2024); ``"U"`` with them is exactly the R-learner of
    Nie & Wager (2021), see :class:`RLearner`. ``weighting="none"`` fits the
    pseudo-outcome unweighted. The weights are scaled to average 1 (under
    ``sample_weight``) and stored in ``weights_``.

    Read more in the :ref:`User Guide <cate>`.

    Parameters
    ----------
    model_y : regressor, default=None
        Outcome model, fitted per fold for ``E[Y | X]`` ("U", "Cov") or per
        arm for ``E[Y | X, A = a]`` ("DR"). ``Ridge()`` when None.
    model_t : classifier or regressor, default=None
        Treatment model. A classifier (with ``predict_proba``) means a binary
        treatment and gives the propensity; a regressor gives ``E[T | X]``
        and, for ``pseudo_outcome="U"`` only, allows a continuous treatment.
        ``LogisticRegression()`` when None.
    model_final : regressor, default=None
        Any regressor whose ``fit`` takes ``sample_weight``, fitted on the
        pseudo-outcome; ``LinearRegression()`` when None (then
        :meth:`effect_interval` gives robust confidence intervals).
        As in scikit-learn, None stands for a default built in ``fit``: to
        tune its parameters in a search (``model_final__fit_intercept``),
        pass the estimator, ``model_final=LinearRegression()``.
    pseudo_outcome : {"U", "DR", "Cov"}, default="U"
        Which pseudo-outcome to regress.
    weighting : {"ivw", "none"}, default="ivw"
        Inverse-variance weights (``(A - e)^2`` for "U", ``e (1 - e)`` for
        "DR" and "Cov") or none.
    cv : int, cross-validation generator or iterable, default=5
        Cross-fitting folds. An int means ``StratifiedKFold`` on the
        treatment (``KFold`` for a continuous one), shuffled with
        ``random_state``.
    clip : float in [0, 0.5), default=0.01
        Propensities of a binary treatment are clipped to ``[clip, 1 -
        clip]``. When this changes any row, a
        :class:`~skreweight.exceptions.PositivityWarning` reports how many.
    n_jobs : int, default=None
        Folds fitted in parallel through joblib; use
        ``joblib.parallel_backend("dask")`` to run them on a cluster.
    random_state : int, RandomState instance or None, default=None
        Seed of the fold shuffle. The nuisance and final models keep their
        own ``random_state``.
    verbose : int, default=0
        Above 0, joblib reports the progress of the cross-fitting.

    Attributes
    ----------
    model_final_ : regressor
        The final model fitted on the pseudo-outcome.
    models_y_ : list of regressors or list of [regressor, regressor]
        Fitted outcome models, one per fold (a pair per fold for "DR").
    models_t_ : list of estimators
        Fitted treatment models, one per fold.
    outcome_ : ndarray of shape (n_samples,)
        Cross-fitted ``E[Y | X]`` (for "DR": ``e mu1 + (1 - e) mu0``).
    propensity_ : ndarray of shape (n_samples,)
        Cross-fitted propensity (clipped) or ``E[T | X]``.
    pseudo_outcomes_ : ndarray of shape (n_samples,)
        The pseudo-outcome regressed by ``model_final_``.
    weights_ : ndarray of shape (n_samples,)
        Its weights, averaging 1 under ``sample_weight``.
    n_clipped_ : int
        Number of rows whose propensity was clipped.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen in ``fit``, when X has string column names.

    See Also
    --------
    RLearner : The "U" pseudo-outcome with ``(A - e)^2`` weights.
    DRLearner : The "DR" pseudo-outcome.
    skreweight.model_selection.r_loss_scorer : Tune ``model_final`` by R-loss.

    Notes
    -----
    ``fit`` needs ``treatment``; it raises ``ValueError`` without it. Under
    metadata routing ``treatment`` is requested by default in ``fit`` and
    ``score``. ``score`` returns ``-R-loss`` computed with the fold-averaged
    nuisance models, so ``GridSearchCV(..., scoring=None)`` selects by R-loss;
    prefer :data:`~skreweight.model_selection.r_loss_scorer` with fixed
    cross-fitted nuisances when the nuisance models vary across candidates.

    References
    ----------
    .. [1] A. Fisher, "The connection between R-learning and inverse-variance
       weighting for estimation of heterogeneous treatment effects",
       arXiv:2307.09700, 2024.
    .. [2] X. Nie and S. Wager, "Quasi-oracle estimation of heterogeneous
       treatment effects", Biometrika 108(2), 2021.
    .. [3] E. H. Kennedy, "Towards optimal doubly robust estimation of
       heterogeneous causal effects", Electronic Journal of Statistics
       17(2), 2023.

    Examples
    --------
    >>> from skreweight.causal import PseudoOutcomeRegressor
    >>> from skreweight.datasets import make_heterogeneous_effects
    >>> d = make_heterogeneous_effects("A", n_samples=500, random_state=0)
    >>> est = PseudoOutcomeRegressor(pseudo_outcome="DR", random_state=0)
    >>> est = est.fit(d.X, d.y, treatment=d.treatment)
    >>> est.predict(d.X[:3]).shape
    (3,)
    """

    __metadata_request__fit = {"treatment": True}
    __metadata_request__score = {"treatment": True}

    _parameter_constraints: dict = {
        "model_y": [HasMethods(["fit", "predict"]), None],
        "model_t": [HasMethods(["fit"]), None],
        "model_final": [HasMethods(["fit", "predict"]), None],
        "pseudo_outcome": [StrOptions({"U", "DR", "Cov"})],
        "weighting": [StrOptions({"ivw", "none"})],
        "cv": ["cv_object"],
        "clip": [Interval(Real, 0, 0.5, closed="left")],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        model_y=None,
        model_t=None,
        model_final=None,
        *,
        pseudo_outcome="U",
        weighting="ivw",
        cv=5,
        clip=0.01,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.model_y = model_y
        self.model_t = model_t
        self.model_final = model_final
        self.pseudo_outcome = pseudo_outcome
        self.weighting = weighting
        self.cv = cv
        self.clip = clip
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------ sub-models
    def _get_model_y(self):
        return Ridge() if self.model_y is None else self.model_y

    def _get_model_t(self):
        return LogisticRegression() if self.model_t is None else self.model_t

    def _get_model_final(self):
        return LinearRegression() if self.model_final is None else self.model_final

    # ------------------------------------------------------------------- fit
    def fit(self, X, y, *, treatment=None, sample_weight=None):
        """Cross-fit the nuisances, then regress the weighted pseudo-outcome.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Covariates.
        y : array-like of shape (n_samples,)
            Outcomes.
        treatment : array-like of shape (n_samples,)
            Treatment of each row: binary (two distinct values, the larger
            one is "treated") when ``model_t`` is a classifier; any real
            dose when it is a regressor and ``pseudo_outcome="U"``.
            Required.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, passed to the nuisance models and multiplied into
            the final model's weights.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        self._validate_params()
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        if X.shape[0] < 4:
            raise ValueError(
                "Cross-fitting needs at least 4 rows (two per treatment arm), got "
                f"n_samples={X.shape[0]}."
            )
        model_y, model_t = self._get_model_y(), self._get_model_t()
        model_final = self._get_model_final()
        discrete = is_classifier(model_t)
        if discrete and not hasattr(model_t, "predict_proba"):
            raise TypeError(
                f"model_t={type(model_t).__name__} is a classifier without "
                "predict_proba; the propensity needs class probabilities."
            )
        t = self._check_treatment(treatment, X.shape[0], discrete)
        sw = None if sample_weight is None else check_sample_weight(sample_weight, X)
        splits = get_splits(
            self.cv, X, t, stratify=discrete, random_state=self.random_state
        )
        dr = self.pseudo_outcome == "DR"
        nuis = _cross_fit(
            X,
            y,
            t,
            model_y,
            model_t,
            splits,
            sample_weight=sw,
            marginal=not dr,
            arms=dr,
            n_jobs=self.n_jobs,
            verbose=self.verbose,
        )
        if self._binary:
            e = self._clip_propensity(nuis.e, warn=True)
        else:
            e, self.n_clipped_ = nuis.e, 0
        phi, omega = self._pseudo_and_weights(y, t, e, nuis)
        sw_or_one = np.ones_like(y) if sw is None else sw
        self.weights_ = omega / np.average(omega, weights=sw_or_one)
        self.pseudo_outcomes_ = phi
        self.propensity_ = e
        self.outcome_ = e * nuis.mu1 + (1 - e) * nuis.mu0 if dr else nuis.m
        self.models_y_ = nuis.models_arms if dr else nuis.models_y
        self.models_t_ = nuis.models_t
        self.model_final_ = self._fit_final(model_final, X, phi, sw)
        self._X_fit, self._sw_fit = X, sw_or_one
        self.diagnostics_ = effect_diagnostics(
            X, t, self.weights_, sw, getattr(self, "feature_names_in_", None)
        )
        return self

    def _check_treatment(self, treatment, n_samples, discrete):
        binary = discrete or self.pseudo_outcome != "U"
        t = check_treatment(treatment, n_samples, binary=binary)
        if not binary and np.ptp(t) == 0:
            raise ValueError(
                f"treatment is constant ({t[0]:g}): no effect can be estimated "
                "without variation in the treatment."
            )
        if not discrete and self.pseudo_outcome != "U":
            warnings.warn(
                f"model_t={type(self._get_model_t()).__name__} is a regressor: its "
                "predictions are used as propensities (clipped to [clip, 1 - "
                "clip]). Prefer a classifier with predict_proba.",
                UserWarning,
                stacklevel=3,
            )
        self._binary = binary
        return t

    def _clip_propensity(self, e, *, warn):
        clipped, n_clipped = clip_propensity(e, self.clip, warn=warn)
        if warn:
            self.n_clipped_ = n_clipped
        return clipped

    def _pseudo_and_weights(self, y, t, e, nuis):
        """Pseudo-outcome and inverse-variance weights (before scaling)."""
        if self.pseudo_outcome == "U":
            r = t - e
            tiny = np.finfo(np.float64).eps * max(1.0, float(np.std(t)))
            r = np.where(np.abs(r) < tiny, np.where(r < 0, -tiny, tiny), r)
            phi, omega = (y - nuis.m) / r, r**2
        elif self.pseudo_outcome == "Cov":
            v = e * (1 - e)
            phi, omega = (y - nuis.m) * (t - e) / v, v
        else:
            mu0, mu1 = nuis.mu0, nuis.mu1
            phi = t * (y - mu1) / e - (1 - t) * (y - mu0) / (1 - e) + mu1 - mu0
            omega = e * (1 - e)
        if self.weighting == "none":
            omega = np.ones_like(phi)
        return phi, omega

    def _fit_final(self, model_final, X, phi, sw):
        model = clone(model_final)
        weights = self.weights_ if sw is None else self.weights_ * sw
        if self.weighting == "none" and sw is None:
            return model.fit(X, phi)
        if not has_fit_parameter(model, "sample_weight"):
            raise TypeError(
                f"model_final={type(model).__name__} does not accept sample_weight "
                "in fit, so it cannot use the inverse-variance weights. Pick a "
                "regressor that does, or set weighting='none'."
            )
        return model.fit(X, phi, sample_weight=weights)

    # --------------------------------------------------------------- predict
    def predict(self, X):
        """Estimated conditional average treatment effect.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Covariates.

        Returns
        -------
        tau : ndarray of shape (n_samples,)
            ``E[Y(1) - Y(0) | X]`` for a binary treatment; the effect of one
            unit of dose (a constant slope in ``t`` given ``X``) for a
            continuous one.
        """
        check_is_fitted(self, "model_final_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return np.asarray(self.model_final_.predict(X), dtype=np.float64).ravel()

    def _nuisances(self, X):
        """Fold-averaged nuisance predictions ``(m(X), e(X))`` on new rows."""
        e = np.mean([_propensity(m, X) for m in self.models_t_], axis=0)
        if self._binary:
            e = self._clip_propensity(e, warn=False)
        if self.pseudo_outcome == "DR":
            mu0 = np.mean([pair[0].predict(X) for pair in self.models_y_], axis=0)
            mu1 = np.mean([pair[1].predict(X) for pair in self.models_y_], axis=0)
            return e * mu1 + (1 - e) * mu0, e
        return np.mean([m.predict(X) for m in self.models_y_], axis=0), e

    def score(self, X, y, *, treatment=None, sample_weight=None):
        """Minus the R-loss of the predicted effects (greater is better).

        The nuisances ``m(X)`` and ``e(X)`` are the averages of the fitted
        fold models. Use
        :data:`~skreweight.model_selection.r_loss_scorer` to score against
        fixed cross-fitted nuisances instead.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Covariates.
        y : array-like of shape (n_samples,)
            Outcomes.
        treatment : array-like of shape (n_samples,)
            Treatment of each row. Required.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.

        Returns
        -------
        score : float
            ``-r_loss(y, predict(X), treatment=treatment, m_hat=m(X),
            e_hat=e(X))``.
        """
        check_is_fitted(self, "model_final_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        t = check_treatment(treatment, X.shape[0], binary=self._binary)
        m, e = self._nuisances(X)
        return -r_loss_value(
            y,
            self.predict(X),
            treatment=t,
            m_hat=m,
            e_hat=e,
            sample_weight=sample_weight,
        )

    # ------------------------------------------------------------- inference
    def best_linear_projection(self, alpha=0.05, feature_names=None):
        """Best linear projection of the CATE on the covariates, with robust CIs.

        Regresses the training pseudo-outcomes on ``[1, X]`` by weighted
        least squares with the estimator's weights (``weights_`` times
        ``sample_weight``), and reports heteroskedasticity-robust (HC1)
        standard errors, z-statistics, p-values and normal confidence
        intervals. This summarises any final model: it estimates the linear
        function closest to ``tau(x)`` in the weighted mean-square sense
        (Semenova & Chernozhukov, 2021). With ``model_final=LinearRegression()``
        its coefficients are the final model's.

        Parameters
        ----------
        alpha : float, default=0.05
            One minus the confidence level.
        feature_names : list of str, default=None
            Row labels; ``feature_names_in_`` or ``x0, x1, ...`` when None.

        Returns
        -------
        table : pandas.DataFrame
            One row per coefficient (``intercept`` first) with columns
            ``coef``, ``std_err``, ``z``, ``p_value`` and the CI bounds.
        """
        check_is_fitted(self, "model_final_")
        if feature_names is None:
            feature_names = getattr(
                self, "feature_names_in_", [f"x{i}" for i in range(self.n_features_in_)]
            )
        names = ["intercept", *[str(f) for f in feature_names]]
        beta, cov = self._blp_fit()
        return _inference_frame(names, beta, cov, alpha)

    def _blp_fit(self):
        X = self._X_fit_for_inference()
        Z = np.column_stack([np.ones(X.shape[0]), X])
        w = self.weights_ * self._sw_fit
        return _hc_wls(Z, self.pseudo_outcomes_, w)

    def _X_fit_for_inference(self):
        if getattr(self, "_X_fit", None) is None:
            raise AttributeError(
                "Inference needs the training covariates, which this estimator "
                "does not keep; refit it."
            )
        return self._X_fit

    def effect_interval(self, X, alpha=0.05):
        """Robust (HC1) confidence intervals of the CATE at ``X``.

        Available when ``model_final`` is a
        :class:`~sklearn.linear_model.LinearRegression`: its coefficients are
        then a weighted least-squares fit of the pseudo-outcome, and their
        sandwich covariance gives ``tau(x) = x' beta`` a standard error.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Covariates.
        alpha : float, default=0.05
            One minus the confidence level.

        Returns
        -------
        lower, upper : ndarray of shape (n_samples,)
            Bounds of the ``1 - alpha`` intervals of ``tau(X)``.
        """
        check_is_fitted(self, "model_final_")
        if not isinstance(self.model_final_, LinearRegression):
            raise TypeError(
                "effect_interval needs model_final=LinearRegression(); got "
                f"{type(self.model_final_).__name__}. Use best_linear_projection() "
                "for inference on a linear summary of any final model."
            )
        X = validate_data(self, X, reset=False, dtype=np.float64)
        Xf = self._X_fit_for_inference()
        fit_intercept = self.model_final_.fit_intercept
        Z = np.column_stack([np.ones(Xf.shape[0]), Xf]) if fit_intercept else Xf
        _, cov = _hc_wls(Z, self.pseudo_outcomes_, self.weights_ * self._sw_fit)
        Zn = np.column_stack([np.ones(X.shape[0]), X]) if fit_intercept else X
        tau = self.predict(X)
        se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", Zn, cov, Zn), 0, None))
        q = stats.norm.ppf(1 - alpha / 2)
        return tau - q * se, tau + q * se

    def summary(self, alpha=0.05):
        """Average effects, their inference and the weights' diagnostics.

        One row per average effect the pseudo-outcome estimates: ``"ATE"``
        (the mean pseudo-outcome; "DR" and "Cov", or ``weighting="none"``) and
        ``"ATO"`` (its mean under the inverse-variance weights, the
        overlap-weighted effect; ``weighting="ivw"``). Standard errors are
        HC1 sandwiches with the cross-fitted nuisances held fixed.

        Parameters
        ----------
        alpha : float, default=0.05
            One minus the confidence level of the intervals.

        Returns
        -------
        summary : :class:`~skreweight.causal.EffectSummary`
            A DataFrame, one row per estimand; ``print`` it to read it.
        """
        return pseudo_outcome_summary(self, alpha)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        return tags


_PARAMS_DOC = """\
n_jobs : int, default=None
    Folds fitted in parallel through joblib.
random_state : int, RandomState instance or None, default=None
    Seed of the fold shuffle.
verbose : int, default=0
    Above 0, joblib reports the cross-fitting progress."""


_ATTRIBUTES_DOC = """\
n_clipped_ : int
    Number of rows whose propensity was clipped.
n_features_in_ : int
    Number of features seen in ``fit``.
feature_names_in_ : ndarray of shape (n_features_in_,)
    Names of features seen in ``fit``, when X has string column names."""


@fill_doc(cate_params=_PARAMS_DOC, cate_attributes=_ATTRIBUTES_DOC)
class RLearner(PseudoOutcomeRegressor):
    """R-learner: the "U" pseudo-outcome regressed with ``(A - e)^2`` weights.

    Minimises the R-loss of Nie & Wager (2021),
    ``sum_i ((Y_i - m(X_i)) - (A_i - e(X_i)) tau(X_i))^2``, with cross-fitted
    ``m`` and ``e``, by fitting ``model_final`` on the pseudo-outcome
    ``(Y - m) / (A - e)`` with ``sample_weight = (A - e)^2`` -- the identity
    behind Fisher's (2024) reading of the R-learner as inverse-variance
    weighting. Any regressor that takes ``sample_weight`` can be the final
    model. A :class:`PseudoOutcomeRegressor` with ``pseudo_outcome="U"`` and
    ``weighting="ivw"``.

    With a regressor as ``model_t`` the treatment may be continuous: ``e``
    is then ``E[T | X]`` and ``tau(x)`` the effect of one unit of dose.

    Read more in the :ref:`User Guide <cate>`.

    Parameters
    ----------
    model_y : regressor, default=None
        Model of ``E[Y | X]``; ``Ridge()`` when None.
    model_t : classifier or regressor, default=None
        Model of the treatment: a classifier with ``predict_proba`` (binary
        treatment) or a regressor (continuous treatment).
        ``LogisticRegression()`` when None.
    model_final : regressor, default=None
        Regressor of the CATE, fitted with ``sample_weight``;
        ``LinearRegression()`` when None.
        As in scikit-learn, None stands for a default built in ``fit``: to
        tune its parameters in a search (``model_final__fit_intercept``),
        pass the estimator, ``model_final=LinearRegression()``.
    cv : int, cross-validation generator or iterable, default=5
        Cross-fitting folds (an int: shuffled, stratified on a binary
        treatment, seeded by ``random_state``).
    clip : float in [0, 0.5), default=0.01
        Clip binary-treatment propensities to ``[clip, 1 - clip]``, warning
        with the number of rows clipped.
    %(cate_params)s

    Attributes
    ----------
    model_final_ : regressor
        The fitted CATE model.
    models_y_ : list of regressors
        Fitted outcome models, one per fold.
    models_t_ : list of estimators
        Fitted treatment models, one per fold.
    outcome_ : ndarray of shape (n_samples,)
        Cross-fitted ``E[Y | X]``.
    propensity_ : ndarray of shape (n_samples,)
        Cross-fitted (clipped) propensity, or ``E[T | X]``.
    pseudo_outcomes_ : ndarray of shape (n_samples,)
        ``(Y - m) / (A - e)``.
    weights_ : ndarray of shape (n_samples,)
        ``(A - e)^2``, scaled to average 1 under ``sample_weight``.
    %(cate_attributes)s

    See Also
    --------
    PseudoOutcomeRegressor : Every pseudo-outcome and weighting.
    DRLearner : The doubly robust pseudo-outcome.

    References
    ----------
    .. [1] X. Nie and S. Wager, "Quasi-oracle estimation of heterogeneous
       treatment effects", Biometrika 108(2), 2021.
    .. [2] A. Fisher, "The connection between R-learning and inverse-variance
       weighting for estimation of heterogeneous treatment effects",
       arXiv:2307.09700, 2024.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression, Ridge
    >>> from skreweight.causal import RLearner
    >>> from skreweight.datasets import make_heterogeneous_effects
    >>> d = make_heterogeneous_effects("A", n_samples=500, random_state=0)
    >>> rl = RLearner(Ridge(), LogisticRegression(), random_state=0)
    >>> rl = rl.fit(d.X, d.y, treatment=d.treatment)
    >>> rl.predict(d.X[:3]).shape
    (3,)
    """

    pseudo_outcome = "U"
    weighting = "ivw"

    def __init__(
        self,
        model_y=None,
        model_t=None,
        model_final=None,
        *,
        cv=5,
        clip=0.01,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.model_y = model_y
        self.model_t = model_t
        self.model_final = model_final
        self.cv = cv
        self.clip = clip
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose


@fill_doc(cate_params=_PARAMS_DOC, cate_attributes=_ATTRIBUTES_DOC)
class DRLearner(PseudoOutcomeRegressor):
    """DR-learner: the doubly robust pseudo-outcome, by default IVW-weighted.

    Regresses ``A (Y - mu1) / e - (1 - A) (Y - mu0) / (1 - e) + mu1 - mu0``
    (cross-fitted per-arm outcome models ``mu_a`` and propensity ``e``) on
    ``X``. With ``weighting="ivw"`` (the default) the rows are weighted by
    ``e (1 - e)``, the inverse of the pseudo-outcome's variance under
    homoscedastic noise: Fisher's (2024) IVW-DR, which tames the
    inverse-propensity factors. ``weighting="none"`` is Kennedy's (2023)
    unweighted DR-learner. A :class:`PseudoOutcomeRegressor` with
    ``pseudo_outcome="DR"``.

    Read more in the :ref:`User Guide <cate>`.

    Parameters
    ----------
    model_y : regressor, default=None
        Outcome model, fitted separately on each arm; ``Ridge()`` when None.
    model_t : classifier, default=None
        Propensity model with ``predict_proba``; ``LogisticRegression()``
        when None.
    model_final : regressor, default=None
        Regressor of the CATE; ``LinearRegression()`` when None.
        As in scikit-learn, None stands for a default built in ``fit``: to
        tune its parameters in a search (``model_final__fit_intercept``),
        pass the estimator, ``model_final=LinearRegression()``.
    weighting : {"ivw", "none"}, default="ivw"
        ``e (1 - e)`` weights, or none.
    cv : int, cross-validation generator or iterable, default=5
        Cross-fitting folds.
    clip : float in [0, 0.5), default=0.01
        Clip propensities to ``[clip, 1 - clip]``, warning with a count.
    %(cate_params)s

    Attributes
    ----------
    model_final_ : regressor
        The fitted CATE model.
    models_y_ : list of [regressor, regressor]
        Fitted control and treated outcome models, one pair per fold.
    models_t_ : list of classifiers
        Fitted propensity models, one per fold.
    outcome_ : ndarray of shape (n_samples,)
        Cross-fitted ``e mu1 + (1 - e) mu0``.
    propensity_ : ndarray of shape (n_samples,)
        Cross-fitted, clipped propensity.
    pseudo_outcomes_ : ndarray of shape (n_samples,)
        The DR pseudo-outcome.
    weights_ : ndarray of shape (n_samples,)
        ``e (1 - e)`` (or ones), averaging 1 under ``sample_weight``.
    %(cate_attributes)s

    See Also
    --------
    PseudoOutcomeRegressor : Every pseudo-outcome and weighting.
    RLearner : The R-learner.

    References
    ----------
    .. [1] E. H. Kennedy, "Towards optimal doubly robust estimation of
       heterogeneous causal effects", Electronic Journal of Statistics
       17(2), 2023.
    .. [2] A. Fisher, "The connection between R-learning and inverse-variance
       weighting for estimation of heterogeneous treatment effects",
       arXiv:2307.09700, 2024.

    Examples
    --------
    >>> from skreweight.causal import DRLearner
    >>> from skreweight.datasets import make_heterogeneous_effects
    >>> d = make_heterogeneous_effects("A", n_samples=500, random_state=0)
    >>> dr = DRLearner(random_state=0).fit(d.X, d.y, treatment=d.treatment)
    >>> dr.predict(d.X[:3]).shape
    (3,)
    """

    pseudo_outcome = "DR"

    def __init__(
        self,
        model_y=None,
        model_t=None,
        model_final=None,
        *,
        weighting="ivw",
        cv=5,
        clip=0.01,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.model_y = model_y
        self.model_t = model_t
        self.model_final = model_final
        self.weighting = weighting
        self.cv = cv
        self.clip = clip
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose
