"""Off-policy value estimation: IPW, SNIPW, DM, DR, SNDR, Switch-DR, DR-os."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Real

import numpy as np
from scipy import stats
from sklearn.base import BaseEstimator
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.utils.validation import check_is_fitted

from ..base import ESS_WARNING_THRESHOLD
from ..exceptions import WeightDegeneracyWarning
from ..utils._sklearn_compat import HasMethods, StrOptions
from ..utils.validation import check_sample_weight
from ._common import (
    check_action,
    check_estimated_rewards,
    check_logging_proba,
    check_target_proba,
    code_actions,
    fit_propensity,
    fit_reward_model,
    folds,
    is_policy,
    policy_proba,
    validate_log,
    warn_small_propensity,
)
from ._summary import value_summary

__all__ = ["PolicyValueEstimator"]

METHODS = ("ipw", "snipw", "dm", "dr", "sndr", "switch-dr", "dr-os")
_NEEDS_REWARD = {"dm", "dr", "sndr", "switch-dr", "dr-os"}
_NEEDS_PROPENSITY = {"ipw", "snipw", "dr", "sndr", "switch-dr", "dr-os"}


def _wmean(x, s):
    return float(np.dot(s, x) / s.sum())


def policy_value(method, reward, iw, q_logged, direct, threshold=np.inf, s=None):
    """Value, influence values and applied weights of one estimator.

    ``iw`` are the importance weights ``pi(a_i | x_i) / pi_b(a_i | x_i)``,
    ``q_logged`` the estimated reward of each logged action and ``direct``
    the policy's expected estimated reward ``sum_a pi(a | x_i) q(x_i, a)``
    (None when unused). ``s`` are frequency weights; the influence values
    ``psi`` satisfy ``Var(value) ~ sum(s * psi**2) / sum(s)**2``.
    """
    n = reward.shape[0]
    s = np.ones(n) if s is None else s
    if direct is not None:
        resid = reward - q_logged
    if method == "ipw":
        w = iw if threshold == np.inf else np.minimum(iw, threshold)
        phi = reward * w
    elif method == "snipw":
        m = _wmean(iw, s)
        w = iw / m
        value = _wmean(reward * iw, s) / m
        return value, w * (reward - value), w
    elif method == "dm":
        w = np.zeros(n)
        phi = direct
    elif method == "dr":
        w = iw if threshold == np.inf else np.minimum(iw, threshold)
        phi = direct + w * resid
    elif method == "sndr":
        m = _wmean(iw, s)
        w = iw / m
        c = _wmean(w * resid, s)
        value = _wmean(direct, s) + c
        return value, direct - _wmean(direct, s) + w * resid - w * c, w
    elif method == "switch-dr":
        w = iw * (iw <= threshold)
        phi = direct + w * resid
    else:  # "dr-os"
        w = iw if not np.isfinite(threshold) else threshold * iw / (iw**2 + threshold)
        phi = direct + w * resid
    value = _wmean(phi, s)
    return value, phi - value, w


def _plainly_valid(est):
    """Whether the parameters are defaults-like values that are surely valid.

    A subset of ``_parameter_constraints`` checked in a few comparisons, so
    that a fit from given propensities does not pay for the generic
    validation; any other value goes through ``_validate_params``.
    """
    rs = est.random_state
    return (
        type(est.method) is str
        and est.method in METHODS
        and est.reward_model is None
        and est.propensity_model is None
        and type(est.threshold) in (float, int)
        and (est.cv is None or (type(est.cv) is int and est.cv >= 2))
        and (rs is None or (type(rs) is int and 0 <= rs < 2**32))
    )


class PolicyValueEstimator(BaseEstimator):
    """Value of an evaluation policy from logged bandit feedback.

    The log holds, for each row ``i``, a context ``x_i``, the action ``a_i``
    a logging policy ``pi_b`` chose, the reward ``r_i`` it earned and
    (optionally) the propensity ``pi_b(a_i | x_i)``. The value
    ``V(pi) = E[sum_a pi(a | x) q(x, a)]`` of another policy ``pi``, with
    ``q(x, a) = E[r | x, a]``, is estimated with the importance weight
    ``w_i = pi(a_i | x_i) / pi_b(a_i | x_i)`` and an estimated reward
    ``q_hat``; with ``qbar_i = sum_a pi(a | x_i) q_hat(x_i, a)`` and
    ``e_i = r_i - q_hat(x_i, a_i)``:

    - ``"ipw"``: ``mean(min(w, threshold) r)``;
    - ``"snipw"``: ``mean(w r) / mean(w)``;
    - ``"dm"``: ``mean(qbar)``;
    - ``"dr"``: ``mean(qbar + min(w, threshold) e)``;
    - ``"sndr"``: ``mean(qbar) + mean(w e) / mean(w)``;
    - ``"switch-dr"``: ``mean(qbar + w 1{w <= threshold} e)``;
    - ``"dr-os"``: ``mean(qbar + threshold w / (w^2 + threshold) e)`` (the
      optimistic shrinkage of Su et al. 2020; plain DR when
      ``threshold=inf``).

    These are the formulas of Open Bandit Pipeline 0.5.7, to which they agree
    to 1e-10 on the same inputs (see ``benchmarks/bench_policy.py``). Means
    are weighted by ``sample_weight`` (frequency weights).

    Standard error: ``sqrt(sum(s psi^2)) / sum(s)`` with ``psi`` the
    influence values of the estimator (the linearisation of the ratio for
    the self-normalised ones), holding the propensities and ``q_hat`` fixed.
    With known propensities and cross-fitted ``q_hat`` this is the usual
    asymptotic variance of IPW, SNIPW and DR; for ``"dm"`` it ignores the
    error of the reward model, and is too small whenever ``q_hat`` is
    biased.

    Nuisances: when ``logging_proba`` is not given it is estimated with
    ``propensity_model`` (a probabilistic classifier of the action, cross-
    fitted over ``cv`` folds, or :class:`BalancingPropensity`, fit once).
    The reward model is fit on the context and the one-hot logged action
    side by side (Open Bandit Pipeline's design) and predicts ``q_hat(x, a)``
    for every action; it is cross-fitted over ``cv`` folds. A classifier
    reward model (binary rewards) gives ``predict_proba[:, 1]``. Precomputed
    estimated rewards may be passed to ``fit`` instead.

    Read more in the :ref:`User Guide <policy>`.

    Parameters
    ----------
    method : {"ipw", "snipw", "dm", "dr", "sndr", "switch-dr", "dr-os"}, \
            default="dr"
        The estimator.
    reward_model : estimator, default=None
        Regressor (or binary classifier) of the reward on ``[x, onehot(a)]``;
        ``LinearRegression()`` when None. Unused by ``"ipw"`` and ``"snipw"``.
    propensity_model : classifier or weighter, default=None
        Model of the logging policy, used when ``logging_proba`` is None:
        a probabilistic classifier of the action (``LogisticRegression()``
        when None) or a :class:`BalancingPropensity`.
    threshold : float, default=inf
        Clipping threshold of the importance weight (``"ipw"``, ``"dr"``),
        switching threshold (``"switch-dr"``) or shrinkage (``"dr-os"``);
        ignored by the others.
    cv : int, cross-validation generator, iterable or None, default=5
        Cross-fitting of the nuisance models: None fits them on all rows
        (in-sample, as Open Bandit Pipeline's ``n_folds=1``); an int ``k``
        uses ``KFold(k, shuffle=True)`` for the reward model and
        ``StratifiedKFold`` by action for the propensity model, seeded by
        ``random_state``; a splitter or iterable is used as given.
    random_state : int, RandomState instance or None, default=None
        Seeds the folds of an int ``cv``.

    Attributes
    ----------
    value_ : float
        The estimated policy value.
    stderr_ : float
        Its standard error.
    actions_ : ndarray of shape (n_actions,)
        The action of each column of ``target_proba``.
    importance_weights_ : ndarray of shape (n_samples,)
        ``pi(a_i | x_i) / pi_b(a_i | x_i)`` (None for ``"dm"`` without
        propensities).
    weights_ : ndarray of shape (n_samples,)
        The weights the estimator applied to the reward (IPW) or the residual
        (DR family): clipped, normalised by their mean (self-normalised
        methods), switched or shrunk; zeros for ``"dm"``. The importance
        weights average 1 under the logging policy only in expectation, so
        they are not rescaled (that would turn IPW into SNIPW).
    logging_proba_ : ndarray of shape (n_samples,)
        Logging propensity of each logged action (given or estimated).
    estimated_rewards_ : ndarray of shape (n_samples, n_actions) or None
        Cross-fitted ``q_hat(x_i, a)``, or the ``estimated_rewards`` given
        to ``fit``.
    effective_sample_size_ : float
        Kish effective sample size ``(sum s w)^2 / sum s w^2`` of the
        importance weights.
    ess_ratio_ : float
        ``effective_sample_size_`` over the number of rows (``sum(s)``). A
        deterministic policy evaluated on a uniform log of ``K`` actions has
        ratio ``1 / K``; a :class:`~skreweight.exceptions.
        WeightDegeneracyWarning` is raised below a tenth of that,
        ``0.1 / K``, and when a logging propensity is below 1e-3.
    max_weight_share_ : float
        Largest share of the total importance weight held by one row.
    reward_models_, propensity_models_ : list of estimators
        The fitted nuisance models, one per fold.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen in ``fit``, when X has string column names.

    See Also
    --------
    BalancingPropensity : Logging propensities under kernel balance.
    OffPolicyClassifier : Learn a policy from the same log.

    References
    ----------
    .. [1] M. Dudik, D. Erhan, J. Langford and L. Li, "Doubly Robust Policy
       Evaluation and Optimization", Statistical Science 29(4), 2014.
    .. [2] A. Swaminathan and T. Joachims, "The Self-Normalized Estimator for
       Counterfactual Learning", NeurIPS 2015.
    .. [3] Y.-X. Wang, A. Agarwal and M. Dudik, "Optimal and Adaptive
       Off-policy Evaluation in Contextual Bandits", ICML 2017.
    .. [4] Y. Su, M. Dimakopoulou, A. Krishnamurthy and M. Dudik, "Doubly
       Robust Off-Policy Evaluation with Shrinkage", ICML 2020.
    .. [5] Y. Saito, S. Aihara, M. Matsutani and Y. Narita, "Open Bandit
       Dataset and Pipeline", NeurIPS Datasets and Benchmarks 2021.

    Examples
    --------
    >>> from skreweight.datasets import make_bandit_feedback
    >>> from skreweight.policy import PolicyValueEstimator
    >>> d = make_bandit_feedback(2000, random_state=0)
    >>> est = PolicyValueEstimator(method="ipw").fit(
    ...     d.X, d.reward, action=d.action, target_proba=d.target_proba,
    ...     logging_proba=d.logging_proba)
    >>> low, high = est.conf_int(0.05)
    >>> bool(low < d.target_value < high)
    True
    """

    __metadata_request__fit = {
        "action": True,
        "target_proba": True,
        "logging_proba": True,
        "estimated_rewards": True,
    }

    _parameter_constraints = {
        "method": [StrOptions(set(METHODS))],
        "reward_model": [HasMethods(["fit"]), None],
        "propensity_model": [HasMethods(["fit"]), None],
        "threshold": [Real],
        "cv": ["cv_object", None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        method="dr",
        *,
        reward_model=None,
        propensity_model=None,
        threshold=np.inf,
        cv=5,
        random_state=None,
    ):
        self.method = method
        self.reward_model = reward_model
        self.propensity_model = propensity_model
        self.threshold = threshold
        self.cv = cv
        self.random_state = random_state

    def fit(
        self,
        X,
        y,
        *,
        action=None,
        target_proba=None,
        logging_proba=None,
        estimated_rewards=None,
        sample_weight=None,
    ):
        """Estimate the value of the evaluation policy.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Logged contexts.
        y : array-like of shape (n_samples,)
            Logged rewards.
        action : array-like of shape (n_samples,)
            Logged actions (required): integers ``0..n_actions-1`` indexing
            the columns of ``target_proba``, or labels.
        target_proba : array-like of shape (n_samples, n_actions) or classifier
            The evaluation policy's action probabilities on the logged
            contexts (rows sum to 1), or a fitted classifier whose
            ``predict`` is the policy's action (a deterministic policy).
        logging_proba : array-like of shape (n_samples,) or \
                (n_samples, n_actions), default=None
            Logging propensity of each logged action (or the whole logging
            distribution); estimated with ``propensity_model`` when None.
        estimated_rewards : array-like of shape (n_samples, n_actions), \
                default=None
            Precomputed estimated rewards ``q_hat(x_i, a)`` of every action
            on every row (Open Bandit Pipeline's
            ``estimated_rewards_by_reg_model``); ``reward_model`` is then not
            fit. Unused by ``"ipw"`` and ``"snipw"``.
        sample_weight : array-like of shape (n_samples,), default=None
            Frequency weights of the rows.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        if not _plainly_valid(self):
            self._validate_params()
        owner = type(self).__name__
        if not self.threshold >= 0:  # also rejects NaN
            raise ValueError(f"threshold must be >= 0 (or inf); got {self.threshold}.")
        X, y = validate_log(self, X, y)
        n = X.shape[0]
        a = check_action(action, n, owner)
        if target_proba is not None and is_policy(target_proba):
            pi, codes, labels = policy_proba(target_proba, X, a, owner)
            sums = np.ones(n)
        else:
            pi, sums = check_target_proba(target_proba, n, owner)
            codes, labels = code_actions(a, pi.shape[1], owner)
        s_user = (
            None if sample_weight is None else check_sample_weight(sample_weight, X)
        )
        s = np.ones(n) if s_user is None else s_user
        self.actions_ = labels
        p = self._fit_propensity(X, codes, pi.shape[1], logging_proba, s_user)
        q = self._fit_rewards(X, y, codes, pi.shape[1], estimated_rewards, s_user)
        rows = np.arange(n)
        iw = None if p is None else pi[rows, codes] / p
        if q is None:
            q_logged = direct = None
        else:  # obp's np.average(q, weights=pi): the expected estimated reward
            q_logged, direct = q[rows, codes], np.einsum("ij,ij->i", q, pi) / sums
        self.logging_proba_ = p
        self.estimated_rewards_ = q
        self.value_, psi, self.weights_ = policy_value(
            self.method, y, iw, q_logged, direct, float(self.threshold), s
        )
        self.stderr_ = float(np.sqrt(np.dot(s, psi**2)) / s.sum())
        self.importance_weights_ = iw
        self._diagnostics(s)
        return self

    def _fit_propensity(self, X, codes, k, logging_proba, s_user):
        """The logging propensity of each logged action, given or estimated."""
        owner = type(self).__name__
        self.propensity_models_ = []
        if self.method not in _NEEDS_PROPENSITY and logging_proba is None:
            return None
        if logging_proba is not None:
            p = check_logging_proba(logging_proba, codes, owner)
        else:
            model = (
                LogisticRegression()
                if self.propensity_model is None
                else self.propensity_model
            )
            pairs = folds(self.cv, X.shape[0], codes, self.random_state, stratify=True)
            p, self.propensity_models_ = fit_propensity(
                model, X, codes, k, s_user, pairs, owner
            )
        warn_small_propensity(p, owner)
        return p

    def _fit_rewards(self, X, y, codes, k, estimated_rewards, s_user):
        """``q_hat(x_i, a)``, given or cross-fitted (None if unused)."""
        self.reward_models_ = []
        if self.method not in _NEEDS_REWARD:
            return None
        if estimated_rewards is not None:
            return check_estimated_rewards(
                estimated_rewards, X.shape[0], k, type(self).__name__
            )
        model = LinearRegression() if self.reward_model is None else self.reward_model
        pairs = folds(self.cv, X.shape[0], codes, self.random_state, stratify=False)
        q, self.reward_models_ = fit_reward_model(model, X, y, codes, k, s_user, pairs)
        return q

    def _diagnostics(self, s):
        iw = self.importance_weights_
        if iw is None:
            self.effective_sample_size_ = self.ess_ratio_ = np.nan
            self.max_weight_share_ = np.nan
            return
        total = float(np.dot(s, iw))
        sq = float(np.dot(s, iw**2))
        self.effective_sample_size_ = total**2 / sq if sq > 0 else 0.0
        self.ess_ratio_ = self.effective_sample_size_ / s.sum()
        self.max_weight_share_ = float(np.max(iw) / total) if total > 0 else 1.0
        n_actions = self.actions_.shape[0]
        if self.ess_ratio_ < ESS_WARNING_THRESHOLD / n_actions:
            import warnings

            warnings.warn(
                f"{type(self).__name__}: the importance weights are degenerate: "
                f"effective sample size {self.effective_sample_size_:.1f} of "
                f"{s.sum():.0f} rows (ratio {self.ess_ratio_:.4f} < "
                f"{ESS_WARNING_THRESHOLD} / {n_actions} actions). The evaluation "
                "policy puts its mass where the logging policy rarely acted; "
                "prefer a doubly robust method, clip (threshold), or collect "
                "more overlapping data.",
                WeightDegeneracyWarning,
                stacklevel=3,
            )

    def conf_int(self, alpha=0.05):
        """Two-sided ``1 - alpha`` normal confidence interval of the value.

        Parameters
        ----------
        alpha : float, default=0.05
            One minus the coverage.

        Returns
        -------
        (low, high) : tuple of float
        """
        check_is_fitted(self, "value_")
        if not 0 < alpha < 1:
            raise ValueError(f"alpha must be in (0, 1); got {alpha}.")
        z = stats.norm.ppf(1 - alpha / 2)
        return (
            float(self.value_ - z * self.stderr_),
            float(self.value_ + z * self.stderr_),
        )

    def summary(self, alpha=0.05):
        """The value, its inference and the weights' diagnostics in one table.

        Parameters
        ----------
        alpha : float, default=0.05
            One minus the confidence level of the interval.

        Returns
        -------
        summary : :class:`PolicyValueSummary`
            A DataFrame with one row (the policy value): estimate, standard
            error and how it was computed, z, p-value, confidence interval
            (that of :meth:`conf_int`), rows, ESS of the importance weights,
            the largest weight share and the smallest logging propensity;
            ``print`` it to read it.
        """
        return value_summary(self, alpha)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
