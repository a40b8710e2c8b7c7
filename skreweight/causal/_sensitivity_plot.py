"""Sensitivity plot: effect bounds against the strength of hidden confounding."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._plot import _axes

__all__ = ["sensitivity_plot"]


def sensitivity_plot(estimator, gammas=None, *, alpha=0.05, robustness=None, ax=None):
    """Plot the bounds of a fitted ATEBounds and their confidence band against gamma.

    The estimated identified set ``[lower, upper]`` is drawn as a dark band
    and the ``1 - alpha`` confidence interval of the set as a light one, with
    the AIPW estimate at ``gamma=1`` as their common start and a line at 0.

    Read more in the :ref:`User Guide <sensitivity>`.

    Parameters
    ----------
    estimator : ATEBounds
        A fitted estimator.
    gammas : array-like of float >= 1, default=None
        Grid of the sensitivity parameter; 15 values from 1 to 3 when None.
    alpha : float, default=0.05
        One minus the coverage of the confidence band.
    robustness : float, default=None
        A robustness value (from :func:`robustness_value`) to mark with a
        vertical line.
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure when None.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> from skreweight.causal import ATEBounds, sensitivity_plot
    >>> from skreweight.datasets import make_kang_schafer
    >>> data = make_kang_schafer(300, propensity="correct", random_state=0)
    >>> est = ATEBounds(random_state=0).fit(data.X, data.y, treatment=data.treatment)
    >>> ax = sensitivity_plot(est, [1.0, 1.5, 2.0])
    """
    from ._sensitivity import ATEBounds

    if not isinstance(estimator, ATEBounds):
        raise TypeError(
            f"sensitivity_plot needs a fitted ATEBounds; got "
            f"{type(estimator).__name__}."
        )
    check_is_fitted(estimator, "bounds_")
    gammas = np.linspace(1.0, 3.0, 15) if gammas is None else np.asarray(gammas)
    path = estimator.sensitivity_path(gammas, alpha=alpha)
    ax = _axes(ax)
    g = path["gamma"].to_numpy()
    ax.fill_between(
        g,
        path["ci_lower"],
        path["ci_upper"],
        alpha=0.25,
        color="C0",
        label=f"{100 * (1 - alpha):g}% confidence interval",
    )
    ax.fill_between(
        g, path["lower"], path["upper"], alpha=0.6, color="C0", label="bounds"
    )
    ax.axhline(0.0, color="black", linewidth=0.8)
    if robustness is not None and np.isfinite(robustness):
        ax.axvline(
            robustness,
            color="C3",
            linestyle="--",
            linewidth=1,
            label=f"robustness value {robustness:.3g}",
        )
    ax.set_xlabel("gamma (odds ratio of hidden confounding)")
    ax.set_ylabel(f"{estimator.estimand_} bounds")
    ax.legend(loc="best")
    return ax
