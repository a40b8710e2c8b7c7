"""Off-policy learning: IPS- or DR-weighted cost-sensitive classification."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ..utils._sklearn_compat import HasMethods, StrOptions
from ..utils.validation import check_sample_weight
from ._common import (
    check_action,
    check_logging_proba,
    fit_propensity,
    fit_reward_model,
    folds,
    warn_small_propensity,
)

__all__ = ["OffPolicyClassifier"]


def _pseudo_rewards(method, y, codes, k, p, q):
    """``G[i, a]``: IPS or DR estimate of the reward of action ``a`` at row ``i``."""
    n = y.shape[0]
    rows = np.arange(n)
    if method == "ips":
        gamma = np.zeros((n, k))
        gamma[rows, codes] = y / p
    else:
        gamma = q.copy()
        gamma[rows, codes] += (y - q[rows, codes]) / p
    return gamma


class OffPolicyClassifier(ClassifierMixin, BaseEstimator):
    """A policy learnt from logged bandit feedback; ``predict`` is the action.

    Each row ``i`` gives an estimate ``G[i, a]`` of the reward every action
    ``a`` would have earned: ``1{a = a_i} r_i / pi_b(a_i | x_i)``
    (``method="ips"``) or ``q_hat(x_i, a) + 1{a = a_i} (r_i - q_hat(x_i,
    a_i)) / pi_b(a_i | x_i)`` (``method="dr"``, with a cross-fitted reward
    model). Maximising ``sum_i G[i, pi(x_i)]`` over policies is cost-sensitive
    classification, which is reduced exactly to weighted classification:
    the row ``i`` is repeated once per action ``a`` with label ``a`` and
    weight ``G[i, a] - min_b G[i, b] >= 0``, so that the weighted 0-1 error
    of a classifier equals a constant minus its estimated value. The
    ``estimator`` is fit on that expanded data set (rows of weight 0 are
    dropped); ``predict`` returns its action. A negative reward thus pushes
    the classifier away from the logged action.

    Use :class:`~skreweight.model_selection.PolicyValueScorer` to tune it in
    ``GridSearchCV`` (it scores the policy's estimated value on each
    validation fold).

    Read more in the :ref:`User Guide <policy>`.

    Parameters
    ----------
    estimator : classifier, default=None
        Weighted classifier (must accept ``sample_weight``);
        ``LogisticRegression()`` when None.
    method : {"ips", "dr"}, default="dr"
        Pseudo-rewards by inverse propensity or doubly robust.
    reward_model : estimator, default=None
        Reward model of ``method="dr"`` on ``[x, onehot(a)]``;
        ``LinearRegression()`` when None.
    propensity_model : classifier or weighter, default=None
        Model of the logging policy when ``logging_proba`` is not given
        (``LogisticRegression()`` when None, or a
        :class:`BalancingPropensity`).
    cv : int, cross-validation generator, iterable or None, default=5
        Cross-fitting of the nuisance models (None: in-sample).
    random_state : int, RandomState instance or None, default=None
        Seeds the folds of an int ``cv``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_actions,)
        The logged actions.
    estimator_ : classifier or None
        The fitted weighted classifier (None when only one action has
        positive weight: the policy is then constant).
    pseudo_rewards_ : ndarray of shape (n_samples, n_actions)
        The estimates ``G``.
    weights_ : ndarray of shape (n_samples, n_actions)
        The weight of each (row, action) pair in the weighted classification:
        ``(G - min_a G) * sample_weight``; the pairs with weight 0 are not
        passed to the estimator.
    logging_proba_ : ndarray of shape (n_samples,)
        Logging propensity of each logged action (given or estimated).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen in ``fit``, when X has string column names.

    See Also
    --------
    PolicyValueEstimator : Estimate the value of the learnt policy.

    References
    ----------
    .. [1] A. Beygelzimer and J. Langford, "The Offset Tree for Learning with
       Partial Labels", KDD 2009.
    .. [2] M. Dudik, J. Langford and L. Li, "Doubly Robust Policy Evaluation
       and Learning", ICML 2011.
    .. [3] Y. Zhao, D. Zeng, A. J. Rush and M. R. Kosorok, "Estimating
       Individualized Treatment Rules Using Outcome Weighted Learning", JASA
       107(499), 2012.

    Examples
    --------
    >>> from skreweight.datasets import make_bandit_feedback
    >>> from skreweight.policy import OffPolicyClassifier
    >>> d = make_bandit_feedback(2000, random_state=0)
    >>> pol = OffPolicyClassifier(method="ips").fit(
    ...     d.X, d.reward, action=d.action, logging_proba=d.logging_proba)
    >>> learnt = d.expected_reward[range(2000), pol.predict(d.X)].mean()
    >>> bool(learnt > d.expected_reward.mean())  # beats the uniform policy
    True
    """

    __metadata_request__fit = {"action": True, "logging_proba": True}
    __metadata_request__score = {"action": True, "logging_proba": True}

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "method": [StrOptions({"ips", "dr"})],
        "reward_model": [HasMethods(["fit"]), None],
        "propensity_model": [HasMethods(["fit"]), None],
        "cv": ["cv_object", None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        method="dr",
        reward_model=None,
        propensity_model=None,
        cv=5,
        random_state=None,
    ):
        self.estimator = estimator
        self.method = method
        self.reward_model = reward_model
        self.propensity_model = propensity_model
        self.cv = cv
        self.random_state = random_state

    def fit(self, X, y, *, action=None, logging_proba=None, sample_weight=None):
        """Learn the policy from the log.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Logged contexts.
        y : array-like of shape (n_samples,)
            Logged rewards.
        action : array-like of shape (n_samples,)
            Logged actions (required); they become ``classes_``.
        logging_proba : array-like of shape (n_samples,), default=None
            Logging propensity of each logged action; estimated when None.
        sample_weight : array-like of shape (n_samples,), default=None
            Frequency weights of the rows.

        Returns
        -------
        self : object
            Fitted policy.
        """
        self._validate_params()
        owner = type(self).__name__
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        n = X.shape[0]
        if action is not None and np.ndim(action) == 2 and np.shape(action)[1] == 1:
            action = column_or_1d(action, warn=True)
        a = check_action(action, n, owner)
        check_classification_targets(a)
        self.classes_, codes = np.unique(a, return_inverse=True)
        k = self.classes_.shape[0]
        s_user = (
            None if sample_weight is None else check_sample_weight(sample_weight, X)
        )
        s = np.ones(n) if s_user is None else s_user
        if logging_proba is not None:
            p = check_logging_proba(logging_proba, codes, owner)
        else:
            model = (
                LogisticRegression()
                if self.propensity_model is None
                else self.propensity_model
            )
            pairs = folds(self.cv, n, codes, self.random_state, stratify=True)
            p, _ = fit_propensity(model, X, codes, k, s_user, pairs, owner)
        warn_small_propensity(p, owner)
        q = None
        if self.method == "dr":
            model = (
                LinearRegression() if self.reward_model is None else self.reward_model
            )
            pairs = folds(self.cv, n, codes, self.random_state, stratify=False)
            q, _ = fit_reward_model(model, X, y, codes, k, s_user, pairs)
        self.logging_proba_ = p
        gamma = _pseudo_rewards(self.method, y, codes, k, p, q)
        self.pseudo_rewards_ = gamma
        W = (gamma - gamma.min(axis=1, keepdims=True)) * s[:, None]
        self.weights_ = W
        rows, cols = np.nonzero(W > 0)
        labels = np.unique(cols)
        self.estimator_ = None
        if labels.shape[0] == 0:
            self._constant = self.classes_[int(np.argmax(gamma.T @ s))]
        elif labels.shape[0] == 1:
            self._constant = self.classes_[labels[0]]
        else:
            base = LogisticRegression() if self.estimator is None else self.estimator
            self.estimator_ = clone(base).fit(
                X[rows], self.classes_[cols], sample_weight=W[rows, cols]
            )
        return self

    def predict(self, X):
        """The action the learnt policy takes at each context.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Contexts.

        Returns
        -------
        action : ndarray of shape (n_samples,)
        """
        check_is_fitted(self, "classes_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        if self.estimator_ is None:
            return np.full(X.shape[0], self._constant)
        return self.estimator_.predict(X)

    def score(self, X, y, *, action=None, logging_proba=None, sample_weight=None):
        """Estimated value of the learnt policy on a log (self-normalised IPW).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Logged contexts.
        y : array-like of shape (n_samples,)
            Logged rewards.
        action : array-like of shape (n_samples,)
            Logged actions (required).
        logging_proba : array-like of shape (n_samples,), default=None
            Logging propensities; estimated (logistic, in-sample) when None.
        sample_weight : array-like of shape (n_samples,), default=None
            Frequency weights.

        Returns
        -------
        value : float
        """
        from ._value import PolicyValueEstimator

        est = PolicyValueEstimator(method="snipw", cv=None).fit(
            X,
            y,
            action=action,
            target_proba=self,
            logging_proba=logging_proba,
            sample_weight=sample_weight,
        )
        return est.value_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
