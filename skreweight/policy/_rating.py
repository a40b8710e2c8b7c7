"""Debiased rating prediction for missing-not-at-random feedback."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.utils.validation import check_is_fitted, validate_data

from ..base import is_weighter
from ..utils._sklearn_compat import HasMethods, Interval, StrOptions
from ..utils.validation import (
    check_sample_weight,
    check_X_target,
    warn_missing_context,
    warn_no_overlap,
)
from ._common import fit_propensity, folds, warn_small_propensity

__all__ = ["DebiasedRatingRegressor"]


class DebiasedRatingRegressor(RegressorMixin, BaseEstimator):
    """Rating prediction over all user-item pairs from the observed ones.

    Ratings are observed with a probability ``p(x)`` that depends on the
    features ``x`` of the user-item pair, so the observed pairs are a biased
    sample of all pairs: rating prediction is a shift from the observed
    pairs (``X``, ``y``) to all pairs (the observed ones and ``X_target``,
    the pairs whose rating is missing). The propensity ``p(x)`` of being
    observed is estimated on all pairs with ``propensity_model``: a
    probabilistic classifier (cross-fitted) or :class:`BalancingPropensity`
    (observed pairs balanced against all pairs in a kernel space, after Li
    et al. 2024). Then, for a squared loss over all ``N`` pairs:

    - ``method="naive"``: the estimator is fit on the observed pairs alone;
    - ``method="ips"``: fit on the observed pairs with weights ``1 / p``
      (scaled to average 1), the IPS estimate of the full-information loss;
    - ``method="dr"``: an imputation model ``m`` is fit on the observed pairs,
      and the doubly robust loss ``sum_all (f - m)^2 + sum_obs ((f - y)^2 -
      (f - m)^2) / p`` is minimised. For each observed pair its two terms
      are ``(1 - 1/p)(f - m)^2 + (1/p)(f - y)^2``, which equals
      ``(f - z)^2`` up to a constant with ``z = m + (y - m) / p``: the
      estimator is fit, unweighted, on the pseudo-ratings ``z`` of the
      observed pairs and the imputed ``m`` of the missing ones (an exact
      reduction of the DR squared loss to ordinary least squares).

    Read more in the :ref:`User Guide <policy>`.

    Parameters
    ----------
    estimator : regressor, default=None
        The rating model; ``Ridge()`` when None. It must accept
        ``sample_weight`` for ``method="ips"``.
    method : {"naive", "ips", "dr"}, default="dr"
        How the missing ratings are accounted for.
    propensity_model : classifier or weighter, default=None
        Model of the observation indicator on all pairs;
        ``LogisticRegression()`` when None, or a :class:`BalancingPropensity`.
    imputation_model : regressor, default=None
        Imputation model ``m`` of ``method="dr"``; ``Ridge()`` when None.
    clip : float, default=0.01
        Lower bound on the estimated propensity. There is no upper bound: the
        propensity implied by balancing weights may exceed 1 (a pair the
        balance down-weights below the observed share), and capping it would
        break the weights' balance and their sum over all pairs.
    cv : int, cross-validation generator, iterable or None, default=None
        Cross-fitting of a classifier ``propensity_model`` (None:
        in-sample).
    random_state : int, RandomState instance or None, default=None
        Seeds the folds of an int ``cv``.

    Attributes
    ----------
    estimator_ : regressor
        The fitted rating model.
    propensity_ : ndarray of shape (n_observed,)
        Estimated observation propensity of each observed pair (bounded
        below by ``clip``; ``inf`` for a pair the balancing drops).
    weights_ : ndarray of shape (n_observed,)
        ``1 / propensity_`` scaled to average 1 (the IPS weights).
    imputation_model_ : regressor or None
        The fitted imputation model (``method="dr"``).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen in ``fit``, when X has string column names.

    See Also
    --------
    BalancingPropensity : Propensities under kernel balance.
    skreweight.compose.ReweightedRegressor : Generic weighted regression.

    References
    ----------
    .. [1] T. Schnabel, A. Swaminathan, A. Singh, N. Chandak and T. Joachims,
       "Recommendations as Treatments: Debiasing Learning and Evaluation",
       ICML 2016.
    .. [2] X. Wang, R. Zhang, Y. Sun and J. Qi, "Doubly Robust Joint Learning
       for Recommendation on Data Missing Not at Random", ICML 2019.
    .. [3] H. Li, C. Zheng, Y. Xiao, P. Wu, Z. Geng, X. Chen and P. Cui,
       "Debiased Collaborative Filtering with Kernel-Based Causal Balancing",
       ICLR 2024.

    Examples
    --------
    >>> from skreweight.datasets import make_mnar_ratings
    >>> from skreweight.policy import DebiasedRatingRegressor
    >>> d = make_mnar_ratings(n_users=60, n_items=40, random_state=0)
    >>> obs = d.observed
    >>> reg = DebiasedRatingRegressor(method="dr").fit(
    ...     d.X[obs], d.y[obs], X_target=d.X[~obs])
    >>> reg.predict(d.X).shape
    (2400,)
    """

    __metadata_request__fit = {"X_target": True}

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "method": [StrOptions({"naive", "ips", "dr"})],
        "propensity_model": [HasMethods(["fit"]), None],
        "imputation_model": [HasMethods(["fit", "predict"]), None],
        "clip": [Interval(Real, 0, 1, closed="both")],
        "cv": ["cv_object", None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        method="dr",
        propensity_model=None,
        imputation_model=None,
        clip=0.01,
        cv=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.method = method
        self.propensity_model = propensity_model
        self.imputation_model = imputation_model
        self.clip = clip
        self.cv = cv
        self.random_state = random_state

    def fit(self, X, y, *, X_target=None, sample_weight=None):
        """Fit the rating model.

        Parameters
        ----------
        X : array-like of shape (n_observed, n_features)
            Features of the observed user-item pairs.
        y : array-like of shape (n_observed,)
            Their ratings.
        X_target : array-like of shape (n_missing, n_features)
            Features of the pairs whose rating is missing (required unless
            ``method="naive"``).
        sample_weight : array-like of shape (n_observed,), default=None
            Frequency weights of the observed pairs.

        Returns
        -------
        self : object
            Fitted regressor.
        """
        self._validate_params()
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        s = check_sample_weight(sample_weight, X)
        base = Ridge() if self.estimator is None else self.estimator
        self.imputation_model_ = None
        if X_target is None and self.method != "naive":
            warn_missing_context(
                type(self).__name__,
                "X_target",
                "no missing pairs: every pair counts as observed, an unweighted "
                "fit (method='naive')",
            )
        if self.method == "naive" or X_target is None:
            self.propensity_ = np.ones(X.shape[0])
            self.weights_ = np.ones(X.shape[0])
            self.estimator_ = clone(base).fit(X, y, sample_weight=s)
            return self
        Xt = check_X_target(self, X_target)
        warn_no_overlap(X[s > 0], Xt, owner=type(self).__name__)
        n, m = X.shape[0], Xt.shape[0]
        Z = np.vstack([X, Xt])
        observed = np.r_[np.ones(n, dtype=int), np.zeros(m, dtype=int)]
        sz = np.r_[s, np.ones(m)]
        model = (
            LogisticRegression()
            if self.propensity_model is None
            else self.propensity_model
        )
        if is_weighter(model):
            balancer = clone(model)
            balancer._balance_only = (1,)  # the observed pairs against all pairs
            balancer.fit(Z, action=observed, sample_weight=sz)
            p_logged = balancer.propensities_
        else:
            pairs = folds(self.cv, n + m, observed, self.random_state, stratify=True)
            p_logged, _ = fit_propensity(
                model, Z, observed, 2, sz, pairs, type(self).__name__
            )
        # bounded below only: a balancing propensity above 1 (a weight below
        # the observed share) is kept, so the weights still sum to all pairs
        p = np.maximum(p_logged[:n], self.clip)
        warn_small_propensity(p, type(self).__name__)
        self.propensity_ = p
        inv = 1.0 / p
        self.weights_ = inv / np.average(inv, weights=s)
        if self.method == "ips":
            self.estimator_ = clone(base).fit(X, y, sample_weight=s * self.weights_)
            return self
        imp = Ridge() if self.imputation_model is None else self.imputation_model
        self.imputation_model_ = clone(imp).fit(X, y, sample_weight=s)
        mz = self.imputation_model_.predict(Z)
        target = mz.copy()
        target[:n] += (y - mz[:n]) * inv
        self.estimator_ = clone(base).fit(Z, target, sample_weight=sz)
        return self

    def predict(self, X):
        """Predicted ratings.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            User-item pairs.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self, "estimator_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return self.estimator_.predict(X)
