"""Warnings and errors raised by skreweight."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from sklearn.exceptions import ConvergenceWarning

__all__ = [
    "ConvergenceWarning",
    "MissingContextWarning",
    "PositivityWarning",
    "WeightDegeneracyWarning",
]


class WeightDegeneracyWarning(UserWarning):
    """Warn that the weights concentrate on few rows.

    Raised when the Kish effective sample size of a weight vector falls below
    :data:`skreweight.base.ESS_WARNING_THRESHOLD` times the number of rows, or
    when a large share of the target distribution is not covered by the source
    rows (the supports do not overlap). Estimates computed with such weights
    have a high variance.
    """


class PositivityWarning(UserWarning):
    """Warn that treatment or group probabilities reach 0 or 1 (overlap fails)."""


class MissingContextWarning(UserWarning):
    """Warn that a context keyword was not passed and the fit fell back.

    Raised once per ``fit`` when an estimator that accepts ``X_target`` or
    ``sample_group`` receives ``None``: the fit then assumes no shift (uniform
    weights, a plain unweighted fit) or a single group. The message names the
    keyword, the fallback, and how to pass it directly, in a
    :class:`~sklearn.pipeline.Pipeline`, and in
    :class:`~sklearn.model_selection.GridSearchCV` with metadata routing.
    Where no fallback is meaningful (``treatment``, ``action``) the estimators
    raise :class:`ValueError` instead.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from skreweight.exceptions import MissingContextWarning
    >>> from skreweight.weighting import ClassifierDensityRatio
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     w = ClassifierDensityRatio().fit(np.zeros((4, 1))).weights_
    >>> [issubclass(c.category, MissingContextWarning) for c in caught]
    [True]
    """
