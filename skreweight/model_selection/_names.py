"""Scorers by name: skreweight's, then scikit-learn's."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from sklearn import metrics

from ._r_loss import r_loss_scorer
from ._scorers import WorstGroupScorer, importance_weighted_scorer

__all__ = ["get_scorer", "get_scorer_names"]

_PREFIXES = {
    "worst_group_": "WorstGroupScorer(<metric>): worst score over sample_group",
    "iw_": "importance_weighted_scorer(<metric>, alias='iw'): weights routed as iw",
}


def get_scorer(scoring):
    """Get a scorer from its name, skreweight's names first.

    scikit-learn's ``scoring=`` strings only know scikit-learn's metrics, and
    skreweight does not write into scikit-learn's private registry. This
    function resolves skreweight's names and hands everything else to
    :func:`sklearn.metrics.get_scorer`; pass its result as ``scoring=``.

    - ``"r_loss"`` (or ``"neg_r_loss"``): :data:`r_loss_scorer`, minus the
      R-loss (greater is better);
    - ``"worst_group_<metric>"``: :class:`WorstGroupScorer` with a
      scikit-learn metric, e.g. ``"worst_group_roc_auc"``;
    - ``"iw_<metric>"``: :func:`importance_weighted_scorer` with that metric
      and ``alias="iw"``, e.g. ``"iw_neg_log_loss"``;
    - any other string: scikit-learn's scorer of that name; a callable is
      returned unchanged.

    Parameters
    ----------
    scoring : str or callable
        Scoring name, or a scorer.

    Returns
    -------
    scorer : callable

    Examples
    --------
    >>> from skreweight.model_selection import get_scorer
    >>> get_scorer("r_loss")
    r_loss_scorer
    >>> get_scorer("worst_group_roc_auc")
    WorstGroupScorer(scoring='roc_auc')
    >>> get_scorer("roc_auc")
    make_scorer(roc_auc_score, ...)
    """
    if callable(scoring):
        return scoring
    if not isinstance(scoring, str):
        raise TypeError(
            f"scoring must be a string or a callable; got {type(scoring).__name__}."
        )
    if scoring in ("r_loss", "neg_r_loss"):
        return r_loss_scorer
    for prefix in _PREFIXES:
        if scoring.startswith(prefix):
            metric = scoring[len(prefix) :]
            metrics.get_scorer(metric)  # a clear error for an unknown metric
            if prefix == "worst_group_":
                return WorstGroupScorer(metric)
            return importance_weighted_scorer(metric, alias="iw")
    return metrics.get_scorer(scoring)


def get_scorer_names():
    """Names :func:`get_scorer` accepts besides the prefixed forms.

    Returns
    -------
    names : list of str
        ``"r_loss"``, ``"neg_r_loss"`` and scikit-learn's scorer names; any
        of scikit-learn's names can also follow ``"worst_group_"`` or
        ``"iw_"``.

    Examples
    --------
    >>> from skreweight.model_selection import get_scorer_names
    >>> "r_loss" in get_scorer_names()
    True
    """
    return sorted(["r_loss", "neg_r_loss", *metrics.get_scorer_names()])
