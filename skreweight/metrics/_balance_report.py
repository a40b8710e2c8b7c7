"""One call from a fitted weighter to a balance table and its love plot."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import textwrap

import numpy as np
from sklearn.utils import get_tags

from ._diagnostics import _check_indicator, balance_table, effective_sample_size
from ._plot import SMD_THRESHOLD, LovePlotDisplay, _resolve_weighter, _weights_of

__all__ = ["BalanceReport", "balance_report"]

#: Column labels of the printed table (the DataFrame keeps the long names).
_SHORT = {
    "smd_unweighted": "SMD before",
    "smd_weighted": "after",
    "vr_unweighted": "VR before",
    "vr_weighted": "after ",
    "ks_unweighted": "KS before",
    "ks_weighted": "after  ",
    "balanced": "balanced",
}


class BalanceReport:
    """Covariate balance of a weighting, before and after, with its love plot.

    Returned by :func:`balance_report`; all parameters are stored as
    attributes. ``print(report)`` shows the table with a one-line verdict.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per covariate: ``smd_unweighted``, ``vr_unweighted``,
        ``ks_unweighted``, ``smd_weighted``, ``vr_weighted``, ``ks_weighted``
        (as :func:`~skreweight.metrics.balance_table`) and ``balanced``
        (``|smd_weighted| < threshold``).
    weights : ndarray of shape (n_samples,)
        The weights of the compared rows (1 for target rows under covariate
        shift).
    indicator : ndarray of shape (n_samples,)
        Group of each row (True for group 1: treated, or target).
    threshold : float
        Balance threshold on the absolute SMD.
    name : str
        The weighter's class name.
    groups : tuple of str
        Labels of group 0 and group 1 (e.g. ``("control", "treated")``).
    display : LovePlotDisplay or None
        The love plot, when ``plot=True``.

    Attributes
    ----------
    max_abs_smd : tuple of float
        Largest absolute SMD before and after weighting.
    n_balanced : int
        Covariates with ``|smd_weighted| < threshold``.
    effective_sample_size : float
        Kish ESS of the weights of group 0 (the reweighted rows under
        covariate shift; the control arm for causal weights).
    """

    def __init__(self, *, table, weights, indicator, threshold, name, groups, display):
        self.table = table
        self.weights = weights
        self.indicator = indicator
        self.threshold = threshold
        self.name = name
        self.groups = groups
        self.display = display

    @property
    def max_abs_smd(self):
        return (
            float(np.max(np.abs(self.table["smd_unweighted"]))),
            float(np.max(np.abs(self.table["smd_weighted"]))),
        )

    @property
    def n_balanced(self):
        return int(self.table["balanced"].sum())

    @property
    def effective_sample_size(self):
        return effective_sample_size(self.weights[~self.indicator])

    def __str__(self):
        before, after = self.max_abs_smd
        n0 = int(np.sum(~self.indicator))
        head = (
            f"Balance of {self.groups[0]} vs {self.groups[1]} under {self.name} "
            f"weights (|SMD| threshold {self.threshold:g})"
        )
        short = self.table.rename(columns=_SHORT)[list(_SHORT.values())]
        table = short.to_string(
            float_format=lambda v: f"{v:.3f}" if abs(v) >= 5e-4 else "0.000"
        )
        width = max(len(head), *(len(line) for line in table.splitlines()))
        verdict = (
            f"{self.n_balanced} of {len(self.table)} covariates balanced; max |SMD| "
            f"{before:.3f} -> {after:.3f}; ESS of the {self.groups[0]} rows "
            f"{self.effective_sample_size:.1f} of {n0}."
        )
        verdict = textwrap.fill(verdict, width=max(width, 60))
        return "\n".join([head, "=" * width, table, "-" * width, verdict])

    def __repr__(self):
        return self.__str__()

    def _repr_html_(self):
        return f"<p><b>{str(self).splitlines()[0]}</b></p>" + self.table._repr_html_()


def _shift_groups(weighter, X, X_target, n):
    """Rows, group flags, weights and names for a covariate-shift weighter.

    The weighted source rows ``X`` (group 0) stacked over the unweighted
    target rows ``X_target`` (group 1).
    """
    Xs = np.asarray(X, dtype=np.float64)
    Xt = np.asarray(X_target, dtype=np.float64)
    if Xt.ndim != 2 or Xt.shape[1] != Xs.shape[1]:
        raise ValueError(
            f"X_target has shape {Xt.shape}; expected (n_target, {Xs.shape[1]}) like X."
        )
    w_source = _weights_of(weighter, X, n)
    Xa = np.vstack([Xs, Xt])
    group1 = np.r_[np.zeros(n, dtype=bool), np.ones(Xt.shape[0], dtype=bool)]
    weights = np.r_[w_source, np.ones(Xt.shape[0])]
    groups = ("source", "target")
    return Xa, group1, weights, groups


def _indicator_groups(weighter, X, indicator, n):
    """Group flags, weights and names from ``indicator``, for other weighters."""
    if indicator is None:
        raise ValueError(
            f"{type(weighter).__name__} has no X_target or treatment context: pass "
            "indicator=..., a two-valued label of the groups whose balance to "
            "report."
        )
    group1 = _check_indicator(indicator, n)
    if weighter.weights_.shape[0] == n:
        weights = weighter.weights_
    else:
        weights = _weights_of(weighter, X, n)
    values = np.unique(np.asarray(indicator))
    return group1, weights, (str(values[0]), str(values[1]))


def balance_report(
    weighter,
    X,
    indicator=None,
    *,
    X_target=None,
    treatment=None,
    feature_names=None,
    threshold=SMD_THRESHOLD,
    plot=True,
    ax=None,
):
    """Balance table (SMD, variance ratio, KS) and love plot of a fitted weighter.

    One call for any weighter, of any family, or a fitted meta-estimator
    holding one in ``weighter_``. Which rows are compared depends on the
    context the weighter was fitted with:

    - covariate shift (``X_target``): the source rows ``X``, weighted by
      ``compute_weights(X)`` (or ``weights_`` for a transductive weighter),
      against the target rows ``X_target``, unweighted;
    - causal (``treatment``): treated against control rows of ``X``, both
      weighted (``compute_weights(X, treatment=...)``, or ``weights_``);
    - any other weighter (class or group weights): the two groups given by
      ``indicator``, every row weighted by ``weights_`` when ``X`` holds the
      rows it was fitted on, else by ``compute_weights(X)``.

    Parameters
    ----------
    weighter : fitted weighter or meta-estimator
        A fitted skreweight weighter, or a fitted meta-estimator with a
        ``weighter_`` (e.g. :class:`~skreweight.causal.WeightingEstimator`,
        :class:`~skreweight.compose.ReweightedClassifier`).
    X : array-like or DataFrame of shape (n_samples, n_features)
        Covariates of the rows to compare (the source rows under covariate
        shift).
    indicator : array-like of shape (n_samples,), default=None
        Two-valued group label, for weighters with neither ``X_target`` nor
        ``treatment`` (the larger value is group 1).
    X_target : array-like of shape (n_target, n_features), default=None
        Target covariates; required for a covariate-shift weighter.
    treatment : array-like of shape (n_samples,), default=None
        Treatment of the rows of ``X``; required for a causal weighter.
    feature_names : list of str, default=None
        Covariate names; a DataFrame's columns, or ``x0, x1, ...``, when None.
    threshold : float, default=0.1
        Balance threshold on the absolute SMD.
    plot : bool, default=True
        Draw the love plot (needs matplotlib).
    ax : matplotlib Axes, default=None
        Axes of the love plot; a new figure when None.

    Returns
    -------
    report : BalanceReport
        ``report.table`` is the DataFrame, ``report.display`` the
        :class:`LovePlotDisplay`; ``print(report)`` reads both numbers and
        verdict.

    See Also
    --------
    balance_table : The table from a plain weight vector.
    LovePlotDisplay : The plot alone.

    Examples
    --------
    >>> from skreweight.datasets import make_kang_schafer
    >>> from skreweight.metrics import balance_report
    >>> from skreweight.weighting import EntropyBalancing
    >>> data = make_kang_schafer(300, random_state=0)
    >>> eb = EntropyBalancing(estimand="ATT").fit(data.X, treatment=data.treatment)
    >>> report = balance_report(eb, data.X, treatment=data.treatment, plot=False)
    >>> report.max_abs_smd[1] < 1e-3  # entropy balancing matches the means
    True
    """
    import pandas as pd

    weighter = _resolve_weighter(weighter, "balance_report")
    name = type(weighter).__name__
    context = get_tags(weighter).weighter_tags.context
    if feature_names is None and hasattr(X, "columns"):
        feature_names = [str(c) for c in X.columns]
    n = X.shape[0] if hasattr(X, "shape") else len(X)
    if hasattr(X, "columns") and not hasattr(weighter, "feature_names_in_"):
        X = np.asarray(X)  # a meta-estimator fitted its weighter on an array
    if "X_target" in context:
        if X_target is None:
            raise ValueError(
                f"{name} corrects covariate shift: pass X_target=..., the target "
                "rows to compare the weighted source rows X with."
            )
        Xa, group1, weights, groups = _shift_groups(weighter, X, X_target, n)
    elif "treatment" in context:
        if treatment is None:
            raise ValueError(
                f"{name} is a causal weighter: pass treatment=..., one 0/1 value "
                "per row of X."
            )
        group1 = _check_indicator(treatment, n)
        weights = _weights_of(weighter, X, n, treatment=np.asarray(treatment))
        Xa, groups = X, ("control", "treated")
    else:
        group1, weights, groups = _indicator_groups(weighter, X, indicator, n)
        Xa = X
    table = balance_table(Xa, group1.astype(int), weights, feature_names=feature_names)
    table["balanced"] = np.abs(table["smd_weighted"]) < threshold
    display = None
    if plot:
        display = LovePlotDisplay.from_weights(
            Xa,
            group1.astype(int),
            weights,
            feature_names=list(table.index),
            threshold=threshold,
            name=name,
            ax=ax,
        )
    return BalanceReport(
        table=pd.DataFrame(table),
        weights=np.asarray(weights, dtype=np.float64),
        indicator=group1,
        threshold=threshold,
        name=name,
        groups=groups,
        display=display,
    )
