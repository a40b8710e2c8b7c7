"""Scorer of a policy by its estimated value on a validation log."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from ._scorers import _MetadataScorer

__all__ = ["PolicyValueScorer"]


class PolicyValueScorer(_MetadataScorer):
    """Score a policy by its off-policy value estimate on the validation fold.

    The candidate (a fitted classifier whose ``predict`` is the action, such
    as :class:`~skreweight.policy.OffPolicyClassifier`) is evaluated as a
    deterministic policy by :class:`~skreweight.policy.PolicyValueEstimator`
    on the rows of each validation fold, with their logged actions, rewards
    and propensities: higher is better. ``action`` and ``logging_proba`` are
    requested by default; enable metadata routing and pass them to the
    search's ``fit``. The scorer raises when ``action`` does not arrive.

    Parameters
    ----------
    method : str, default="snipw"
        Any ``method`` of :class:`~skreweight.policy.PolicyValueEstimator`.
    reward_model : estimator, default=None
        Its reward model (DM and DR family).
    propensity_model : classifier or weighter, default=None
        Its propensity model (used when ``logging_proba`` does not arrive).
    threshold : float, default=inf
        Its clipping, switching or shrinkage threshold.
    cv : int, cross-validation generator, iterable or None, default=None
        Cross-fitting of the nuisances inside each validation fold.
    random_state : int, RandomState instance or None, default=None
        Seeds the folds of an int ``cv``.

    Examples
    --------
    >>> from skreweight.datasets import make_bandit_feedback
    >>> from skreweight.model_selection import PolicyValueScorer
    >>> from skreweight.policy import OffPolicyClassifier
    >>> d = make_bandit_feedback(1000, random_state=0)
    >>> pol = OffPolicyClassifier(method="ips").fit(
    ...     d.X, d.reward, action=d.action, logging_proba=d.logging_proba)
    >>> v = PolicyValueScorer()(pol, d.X, d.reward, action=d.action,
    ...                         logging_proba=d.logging_proba)
    >>> bool(0 < v < 1)
    True
    """

    _requests = {"action": True, "logging_proba": True}

    def __init__(
        self,
        method="snipw",
        *,
        reward_model=None,
        propensity_model=None,
        threshold=float("inf"),
        cv=None,
        random_state=None,
    ):
        self.method = method
        self.reward_model = reward_model
        self.propensity_model = propensity_model
        self.threshold = threshold
        self.cv = cv
        self.random_state = random_state

    def __call__(self, estimator, X, y, action=None, logging_proba=None, **kwargs):
        from ..policy import PolicyValueEstimator

        if action is None:
            raise ValueError(
                "PolicyValueScorer needs action: enable metadata routing and pass "
                "action=... (and logging_proba=...) to fit of the search."
            )
        est = PolicyValueEstimator(
            self.method,
            reward_model=self.reward_model,
            propensity_model=self.propensity_model,
            threshold=self.threshold,
            cv=self.cv,
            random_state=self.random_state,
        )
        est.fit(
            X,
            y,
            action=action,
            target_proba=estimator,
            logging_proba=logging_proba,
            sample_weight=kwargs.get("sample_weight"),
        )
        return est.value_

    def __repr__(self):
        return f"PolicyValueScorer(method={self.method!r})"
