"""The loss of the sensitivity bounds of Yadlowsky et al. (shared by the bounds
estimators in :mod:`skreweight.causal` and the scorer in
:mod:`skreweight.model_selection`)."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Real

import numpy as np
from sklearn.utils import check_consistent_length

from ..utils.validation import check_sample_weight

__all__ = ["sensitivity_loss"]


def check_gamma(gamma, owner):
    if not isinstance(gamma, Real) or isinstance(gamma, bool) or not np.isfinite(gamma):
        raise TypeError(f"{owner}: gamma must be a finite real number; got {gamma!r}.")
    if gamma < 1:
        raise ValueError(
            f"{owner}: gamma must be >= 1, got {gamma}. gamma is the largest "
            "factor by which a hidden confounder can move the odds of treatment "
            "between two units with the same covariates; gamma=1 means no hidden "
            "confounding, and the odds ratio is symmetric, so a value below 1 "
            "says the same as its inverse: pass 1 / gamma."
        )
    return float(gamma)


def asymmetric_weight(residual, gamma, upper):
    """``gamma`` on the side of the residual the bound leans to, 1 elsewhere."""
    above = residual > 0
    return np.where(above if upper else ~above, gamma, 1.0)


def sensitivity_loss(y_true, y_pred, *, gamma, side="upper", sample_weight=None):
    """The expectile loss whose minimiser is a sensitivity bound.

    ``l(theta, y) = gamma (y - theta)_+^2 + (y - theta)_-^2`` for the upper
    bound and ``(y - theta)_+^2 + gamma (y - theta)_-^2`` for the lower one
    (Yadlowsky et al., 2022). Its minimiser over functions of ``x`` is the
    conditional expectile of ``Y`` at level ``gamma / (1 + gamma)`` (upper)
    or ``1 / (1 + gamma)`` (lower), the sharp bound of the counterfactual mean
    ``E[Y(a) | T = 1 - a, x]`` when a hidden confounder moves the odds of
    treatment by at most ``gamma``. It is a proper scoring function for that
    expectile, so lower held-out values mean better bound models. At
    ``gamma=1`` it is the squared error.

    Read more in the :ref:`User Guide <sensitivity>`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Observed outcomes (of one treatment arm).
    y_pred : array-like of shape (n_samples,)
        Predicted bounds ``theta(x)``.
    gamma : float >= 1
        The sensitivity parameter.
    side : {"upper", "lower"}, default="upper"
        Which bound ``y_pred`` estimates.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.

    Returns
    -------
    loss : float
        Weighted mean of the loss (non-negative).

    See Also
    --------
    sensitivity_loss_scorer : The scorer of :class:`~skreweight.causal.CATEBounds`.

    References
    ----------
    .. [1] S. Yadlowsky, H. Namkoong, S. Basu, J. Duchi and L. Tian, "Bounds on
       the conditional and average treatment effect with unobserved
       confounding factors", Annals of Statistics 50(5), 2022.

    Examples
    --------
    >>> from skreweight.model_selection import sensitivity_loss
    >>> sensitivity_loss([2.0, -1.0], [0.0, 0.0], gamma=3.0)
    6.5
    >>> sensitivity_loss([2.0, -1.0], [0.0, 0.0], gamma=3.0, side="lower")
    3.5
    """
    gamma = check_gamma(gamma, "sensitivity_loss")
    if side not in ("upper", "lower"):
        raise ValueError(f"side must be 'upper' or 'lower'; got {side!r}.")
    y = np.asarray(y_true, dtype=np.float64).ravel()
    theta = np.asarray(y_pred, dtype=np.float64).ravel()
    check_consistent_length(y, theta)
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(theta))):
        raise ValueError("y_true and y_pred must be finite (no NaN or infinity).")
    sw = check_sample_weight(sample_weight, y)
    r = y - theta
    loss = asymmetric_weight(r, gamma, side == "upper") * r**2
    return float(np.average(loss, weights=sw))
