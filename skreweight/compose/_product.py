"""Compose weighters whose weights multiply."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.utils import get_tags

from ..base import _CONTEXT_KEYS, WeighterMixin
from ..utils._sklearn_compat import _BaseComposition

__all__ = ["WeightProduct"]


class WeightProduct(WeighterMixin, _BaseComposition, BaseEstimator):
    """Multiply the weights of independent weighters (class x shift x group).

    Each factor is fitted on the same rows with the context it accepts, is
    normalised to average 1 on its own, and the product is normalised again to
    average 1. The factors are kept (``factors_``) so the provenance of every
    weight is known.

    Read more in the :ref:`User Guide <contract>`.

    Parameters
    ----------
    weighters : list of (str, weighter) tuples
        Named factors. Parameters are reachable as ``<name>__<param>``.

    Attributes
    ----------
    weighters_ : list of (str, weighter) tuples
        The fitted factors.
    factors_ : dict of str to ndarray of shape (n_samples,)
        Each factor's in-sample weights.
    weights_ : ndarray of shape (n_samples,)
        The normalised product.
    effective_sample_size_ : float
        Kish effective sample size of the product.
    ess_ratio_ : float
        ``effective_sample_size_`` over the number of rows.
    max_weight_share_ : float
        Largest share of the total weight held by one row.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen in ``fit``, when X has string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.compose import WeightProduct
    >>> from skreweight.weighting import ClassBalance, GroupBalance
    >>> X = np.zeros((4, 1)); y = np.array([0, 0, 0, 1])
    >>> g = np.array([0, 0, 1, 1])
    >>> wp = WeightProduct([("cls", ClassBalance()), ("grp", GroupBalance())])
    >>> wp.fit(X, y, sample_group=g).factors_["cls"]
    array([0.666..., 0.666..., 0.666..., 2. ])
    """

    __metadata_request__fit = {key: True for key in _CONTEXT_KEYS}
    _X_dtype = None
    _context_fallbacks = None  # each factor warns about its own context
    _check_overlap = False  # and checks its own overlap

    _parameter_constraints = {"weighters": [list, tuple]}

    def __init__(self, weighters):
        self.weighters = weighters

    def get_params(self, deep=True):
        """Get parameters, including those of the factors.

        Parameters
        ----------
        deep : bool, default=True
            Include the factors' parameters as ``<name>__<param>``.

        Returns
        -------
        params : dict
        """
        return self._get_params("weighters", deep=deep)

    def set_params(self, **params):
        """Set parameters, including those of the factors.

        Parameters
        ----------
        **params : dict
            Parameters, ``<name>__<param>`` for the factors.

        Returns
        -------
        self : object
        """
        self._set_params("weighters", **params)
        return self

    @property
    def _context(self):
        keys = set()
        for _, w in self.weighters:
            keys.update(get_tags(w).weighter_tags.context)
        return tuple(k for k in _CONTEXT_KEYS if k in keys)

    @property
    def _requires_y(self):
        return any(get_tags(w).weighter_tags.requires_y for _, w in self.weighters)

    @property
    def _out_of_sample(self):
        return all(get_tags(w).weighter_tags.out_of_sample for _, w in self.weighters)

    def _own_context(self, weighter, context):
        accepted = get_tags(weighter).weighter_tags.context
        return {k: v for k, v in context.items() if k in accepted}

    def _fit(self, X, y, sample_weight, **context):
        if not self.weighters:
            raise ValueError("WeightProduct needs at least one weighter.")
        self._validate_names([name for name, _ in self.weighters])
        self.weighters_, self.factors_ = [], {}
        product = np.ones(X.shape[0])
        for name, weighter in self.weighters:
            fitted = clone(weighter).fit(
                X,
                y,
                sample_weight=sample_weight,
                **self._own_context(weighter, context),
            )
            self.weighters_.append((name, fitted))
            self.factors_[name] = fitted.weights_
            product = product * fitted.weights_
        return product

    def _compute_weights(self, X, y, **context):
        product = np.ones(X.shape[0])
        for _, fitted in self.weighters_:
            product = product * fitted.compute_weights(
                X, y, **self._own_context(fitted, context)
            )
        return product

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = all(
            get_tags(w).input_tags.allow_nan for _, w in self.weighters
        )
        return tags
