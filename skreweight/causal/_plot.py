"""Balance and overlap plots for causal weights (matplotlib imported lazily)."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from ..metrics import balance_table

__all__ = ["love_plot", "overlap_plot"]


def _axes(ax):
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - matplotlib is a test dep
        raise ImportError("Plotting needs matplotlib: pip install matplotlib.") from exc
    if ax is None:
        _, ax = plt.subplots()
    return ax


def love_plot(
    X, treatment, weights, *, feature_names=None, threshold=0.1, absolute=True, ax=None
):
    """Love plot: standardised mean differences before and after weighting.

    One row per covariate, with the unweighted and the weighted standardised
    mean difference (pooled unweighted standard deviation, as
    :func:`~skreweight.metrics.standardized_mean_difference`), and dashed
    lines at ``+-threshold`` (0.1 is the usual balance threshold).

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
        Covariates.
    treatment : array-like of shape (n_samples,)
        Binary treatment.
    weights : array-like of shape (n_samples,) or dict of str to array-like
        Balancing weights; a dict plots several weightings (label -> weights).
    feature_names : list of str, default=None
        Covariate names; taken from a DataFrame's columns when None.
    threshold : float, default=0.1
        Balance threshold drawn as dashed lines.
    absolute : bool, default=True
        Plot absolute differences.
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure when None.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> from skreweight.causal import love_plot
    >>> from skreweight.datasets import make_kang_schafer
    >>> from skreweight.weighting import EntropyBalancing
    >>> data = make_kang_schafer(200, random_state=0)
    >>> eb = EntropyBalancing(estimand="ATT")
    >>> w = eb.fit(data.X, treatment=data.treatment).weights_
    >>> ax = love_plot(data.X, data.treatment, w)
    """
    ax = _axes(ax)
    named = weights if isinstance(weights, dict) else {"weighted": weights}
    table = None
    points = {}
    for label, w in named.items():
        tab = balance_table(X, treatment, w, feature_names=feature_names)
        table = tab if table is None else table
        points[label] = tab["smd_weighted"].to_numpy()
    points = {"unweighted": table["smd_unweighted"].to_numpy(), **points}
    names = list(table.index)
    pos = np.arange(len(names))
    markers = ["o", "s", "^", "D", "v", "P", "X"]
    for i, (label, smd) in enumerate(points.items()):
        vals = np.abs(smd) if absolute else smd
        ax.scatter(vals, pos, marker=markers[i % len(markers)], label=label)
    for sign in (1, -1) if not absolute else (1,):
        ax.axvline(sign * threshold, color="grey", linestyle="--", linewidth=1)
    ax.axvline(0, color="black", linewidth=0.5)
    ax.set_yticks(pos)
    ax.set_yticklabels(names)
    ax.set_xlabel(("absolute " if absolute else "") + "standardised mean difference")
    ax.legend(loc="best")
    return ax


def overlap_plot(propensity, treatment, *, weights=None, bins=30, ax=None):
    """Histograms of the propensity score in each arm (overlap check).

    Mass of one arm where the other has none signals a positivity
    violation: weights there are extreme, or the effect is extrapolated.

    Parameters
    ----------
    propensity : array-like of shape (n_samples,)
        Estimated ``P(T = 1 | x)``, e.g. ``PropensityWeighting().propensity_``.
    treatment : array-like of shape (n_samples,)
        Binary treatment.
    weights : array-like of shape (n_samples,), default=None
        Weight the histograms (e.g. to show the weighted overlap).
    bins : int, default=30
        Number of histogram bins on [0, 1].
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure when None.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> from skreweight.causal import overlap_plot
    >>> from skreweight.datasets import make_kang_schafer
    >>> data = make_kang_schafer(200, random_state=0)
    >>> ax = overlap_plot(data.propensity, data.treatment)
    """
    ax = _axes(ax)
    e = np.asarray(propensity, dtype=float)
    t = np.asarray(treatment)
    if e.shape != t.shape:
        raise ValueError(
            f"propensity has shape {e.shape} but treatment has shape {t.shape}."
        )
    values = np.unique(t)
    if values.shape[0] != 2:
        raise ValueError(f"treatment must take two values; got {values.tolist()}.")
    w = np.ones_like(e) if weights is None else np.asarray(weights, dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    for value, label in zip(values[::-1], ("treated", "control")):
        m = t == value
        ax.hist(e[m], bins=edges, weights=w[m], alpha=0.5, density=True, label=label)
    ax.set_xlabel("propensity score")
    ax.set_ylabel("density")
    ax.legend(loc="best")
    return ax
