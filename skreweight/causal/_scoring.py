"""A scorer that rates causal weighters by the covariate balance they reach."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.base import clone
from sklearn.utils import get_tags
from sklearn.utils.metadata_routing import MetadataRequest

from ..metrics import effective_sample_size, standardized_mean_difference
from ..utils.validation import check_treatment

__all__ = ["BalanceScorer"]


class BalanceScorer:
    """Score a causal weighter by the covariate balance of its weights.

    For model selection of weighters (bandwidths, discriminators, moments)
    with :class:`~sklearn.model_selection.GridSearchCV`. On each validation
    fold the weighter's weights are computed -- with ``compute_weights`` when
    the weighter extends to new rows, otherwise by refitting a clone of it on
    the fold (balancing weights use no outcome, so in-sample balance does not
    overfit the effect) -- and the score is minus the imbalance:

    - ``metric="max_smd"``: the largest absolute standardised mean
      difference over the covariates and, with ``squares=True``, their
      squares (balance of means and variances);
    - ``metric="mean_smd"``: the average absolute standardised difference.

    With ``min_ess_ratio`` a candidate whose effective sample size in the
    reweighted arm falls below that share of the arm scores ``-inf``, so that
    balance bought with degenerate weights is not chosen.

    The scorer requests ``treatment`` through metadata routing; enable
    routing (``sklearn.set_config(enable_metadata_routing=True)``) and pass
    ``treatment=`` to the search's ``fit``.

    Parameters
    ----------
    metric : {"max_smd", "mean_smd"}, default="max_smd"
        Imbalance measure.
    squares : bool, default=True
        Also balance the squared (standardised) covariates.
    min_ess_ratio : float, default=0.0
        Smallest acceptable Kish ESS of the reweighted rows over their
        number.

    Examples
    --------
    >>> import sklearn
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skreweight.causal import BalanceScorer
    >>> from skreweight.datasets import make_kang_schafer
    >>> from skreweight.weighting import IPMBalancing
    >>> data = make_kang_schafer(200, random_state=0)
    >>> with sklearn.config_context(enable_metadata_routing=True):
    ...     search = GridSearchCV(
    ...         IPMBalancing(estimand="ATT"), {"bandwidth": [1.0, 10.0]},
    ...         scoring=BalanceScorer(), cv=2, error_score="raise",
    ...     ).fit(data.X, treatment=data.treatment)
    >>> search.best_params_["bandwidth"] in (1.0, 10.0)
    True
    """

    def __init__(self, metric="max_smd", *, squares=True, min_ess_ratio=0.0):
        self.metric = metric
        self.squares = squares
        self.min_ess_ratio = min_ess_ratio

    def get_metadata_routing(self):
        """Request ``treatment`` in ``score`` (metadata routing).

        Returns
        -------
        routing : MetadataRequest
        """
        request = MetadataRequest(owner=self)
        request.score.add_request(param="treatment", alias=True)
        return request

    def __call__(self, estimator, X, y=None, treatment=None, **kwargs):
        """Minus the imbalance of the weights ``estimator`` gives ``X``.

        Parameters
        ----------
        estimator : fitted causal weighter
            The candidate.
        X : array-like of shape (n_samples, n_features)
            Validation rows.
        y : None
            Ignored.
        treatment : array-like of shape (n_samples,)
            Treatment of the validation rows (required).
        **kwargs : dict
            Ignored.

        Returns
        -------
        score : float
        """
        if self.metric not in ("max_smd", "mean_smd"):
            raise ValueError(
                f"metric must be 'max_smd' or 'mean_smd'; got {self.metric!r}."
            )
        X = np.asarray(X, dtype=np.float64)
        if treatment is None:
            raise ValueError(
                "BalanceScorer needs `treatment`: enable metadata routing and "
                "pass treatment=... to the search's fit."
            )
        t = check_treatment(treatment, X.shape[0])
        if get_tags(estimator).weighter_tags.out_of_sample:
            w = estimator.compute_weights(X, treatment=t)
        else:
            w = clone(estimator).fit(X, treatment=t).weights_
        Z = (X - X.mean(0)) / np.where(X.std(0) > 0, X.std(0), 1.0)
        if self.squares:
            Z = np.hstack([Z, Z**2])
        smd = np.abs(standardized_mean_difference(Z, t, w))
        for arm in (0, 1):
            m = t == arm
            if effective_sample_size(w[m]) < self.min_ess_ratio * m.sum():
                return -np.inf
        return -float(smd.max() if self.metric == "max_smd" else smd.mean())
