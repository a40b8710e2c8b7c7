"""Weight diagnostics: effective sample size, summaries, covariate balance."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from ..utils.validation import check_sample_weight

__all__ = [
    "balance_table",
    "effective_sample_size",
    "standardized_mean_difference",
    "weight_summary",
]


def effective_sample_size(weights):
    """Kish effective sample size ``(sum w)^2 / sum w^2``.

    It is the number of equally weighted rows that would give a weighted mean
    the same variance. It equals ``n`` for uniform weights and 1 when one row
    holds all the weight.

    Parameters
    ----------
    weights : array-like of shape (n_samples,)
        Non-negative weights.

    Returns
    -------
    ess : float

    Examples
    --------
    >>> from skreweight.metrics import effective_sample_size
    >>> effective_sample_size([1, 1, 1, 1])
    4.0
    >>> effective_sample_size([1, 0, 0, 0])
    1.0
    """
    w = check_sample_weight(weights, np.empty(np.shape(weights)[0]), name="weights")
    return float(w.sum() ** 2 / np.dot(w, w))


def weight_summary(weights):
    """Summary statistics of a weight vector.

    Parameters
    ----------
    weights : array-like of shape (n_samples,)
        Non-negative weights.

    Returns
    -------
    summary : dict
        ``n``, ``ess``, ``ess_ratio``, ``min``, ``max``, ``mean``, ``cv``
        (coefficient of variation), ``max_share`` (largest share of the total
        weight held by one row), ``n_zero`` (rows with zero weight) and
        ``top1pct_share`` (share of the total held by the heaviest 1% of rows).

    Examples
    --------
    >>> from skreweight.metrics import weight_summary
    >>> weight_summary([1, 1, 2])["max_share"]
    0.5
    """
    w = check_sample_weight(weights, np.empty(np.shape(weights)[0]), name="weights")
    n = w.shape[0]
    total = w.sum()
    k = max(1, int(np.ceil(0.01 * n)))
    ess = effective_sample_size(w)
    return {
        "n": n,
        "ess": ess,
        "ess_ratio": ess / n,
        "min": float(w.min()),
        "max": float(w.max()),
        "mean": float(w.mean()),
        "cv": float(w.std() / w.mean()),
        "max_share": float(w.max() / total),
        "n_zero": int(np.sum(w == 0)),
        "top1pct_share": float(np.sort(w)[-k:].sum() / total),
    }


def _weighted_moments(x, w):
    w = w / w.sum()
    mean = np.dot(w, x)
    var = np.dot(w, (x - mean) ** 2)
    return mean, var


def _weighted_ks(x0, w0, x1, w1):
    grid = np.unique(np.r_[x0, x1])
    o0, o1 = np.argsort(x0), np.argsort(x1)
    c0 = np.cumsum(w0[o0]) / w0.sum()
    c1 = np.cumsum(w1[o1]) / w1.sum()
    f0 = np.r_[0, c0][np.searchsorted(x0[o0], grid, side="right")]
    f1 = np.r_[0, c1][np.searchsorted(x1[o1], grid, side="right")]
    return float(np.max(np.abs(f0 - f1)))


def _check_indicator(indicator, n):
    ind = np.asarray(indicator)
    if ind.shape != (n,):
        raise ValueError(
            f"indicator has shape {ind.shape}; expected ({n},): one 0/1 per row."
        )
    values = np.unique(ind)
    if values.shape[0] != 2:
        raise ValueError(
            "indicator must take exactly two values (e.g. 0 = control/source, "
            f"1 = treated/target); got {values.tolist()[:5]}."
        )
    return ind == values[1]


def standardized_mean_difference(X, indicator, weights=None, *, pooled=True):
    """Weighted standardised mean difference of each covariate between two groups.

    ``SMD_j = (mean_1 - mean_0) / sd_j``, where the means are weighted and
    ``sd_j`` is the *unweighted* pooled standard deviation
    ``sqrt((var_1 + var_0) / 2)`` (as in cobalt and WeightIt, so that weighting
    cannot shrink the yardstick). ``|SMD| < 0.1`` is the usual balance
    threshold.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Covariates of both groups.
    indicator : array-like of shape (n_samples,)
        Two-valued group label: treated vs control, or target vs source (the
        larger value is group 1).
    weights : array-like of shape (n_samples,), default=None
        Row weights; None is unweighted.
    pooled : bool, default=True
        Standardise by the pooled standard deviation; False uses group 1's
        (the usual choice for the ATT).

    Returns
    -------
    smd : ndarray of shape (n_features,)

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.metrics import standardized_mean_difference
    >>> X = np.array([[0.0], [2.0], [1.0], [3.0]])
    >>> standardized_mean_difference(X, [0, 0, 1, 1])
    array([1.])
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = X[:, None]
    ind = _check_indicator(indicator, X.shape[0])
    w = check_sample_weight(weights, X, name="weights")
    out = np.empty(X.shape[1])
    for j in range(X.shape[1]):
        m1, _ = _weighted_moments(X[ind, j], w[ind])
        m0, _ = _weighted_moments(X[~ind, j], w[~ind])
        v1, v0 = np.var(X[ind, j]), np.var(X[~ind, j])
        sd = np.sqrt((v1 + v0) / 2) if pooled else np.sqrt(v1)
        out[j] = (m1 - m0) / sd if sd > 0 else 0.0
    return out


def balance_table(X, indicator, weights=None, *, feature_names=None):
    """Covariate balance before and after weighting, as a pandas DataFrame.

    For each covariate: the unweighted and weighted standardised mean
    difference (:func:`standardized_mean_difference`), variance ratio
    (group 1 over group 0) and Kolmogorov-Smirnov distance.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
        Covariates of both groups.
    indicator : array-like of shape (n_samples,)
        Two-valued group label (treated/control, target/source).
    weights : array-like of shape (n_samples,), default=None
        Row weights. None gives only the unweighted columns.
    feature_names : list of str, default=None
        Row labels; taken from a DataFrame's columns when None.

    Returns
    -------
    table : pandas.DataFrame
        Index: covariates. Columns ``smd_unweighted``, ``vr_unweighted``,
        ``ks_unweighted`` and, when ``weights`` is given, ``smd_weighted``,
        ``vr_weighted``, ``ks_weighted``.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.metrics import balance_table
    >>> X = np.array([[0.0], [2.0], [1.0], [3.0]])
    >>> balance_table(X, [0, 0, 1, 1], [1, 1, 1, 1]).shape
    (1, 6)
    """
    import pandas as pd

    if feature_names is None and hasattr(X, "columns"):
        feature_names = [str(c) for c in X.columns]
    Xa = np.asarray(X, dtype=np.float64)
    if Xa.ndim == 1:
        Xa = Xa[:, None]
    if feature_names is None:
        feature_names = [f"x{j}" for j in range(Xa.shape[1])]
    ind = _check_indicator(indicator, Xa.shape[0])
    columns = {}
    variants = [("unweighted", np.ones(Xa.shape[0]))]
    if weights is not None:
        variants.append(("weighted", check_sample_weight(weights, Xa, name="weights")))
    for label, w in variants:
        columns[f"smd_{label}"] = standardized_mean_difference(Xa, ind, w)
        vr, ks = [], []
        for j in range(Xa.shape[1]):
            _, v1 = _weighted_moments(Xa[ind, j], w[ind])
            _, v0 = _weighted_moments(Xa[~ind, j], w[~ind])
            vr.append(v1 / v0 if v0 > 0 else np.nan)
            ks.append(_weighted_ks(Xa[~ind, j], w[~ind], Xa[ind, j], w[ind]))
        columns[f"vr_{label}"] = vr
        columns[f"ks_{label}"] = ks
    order = [f"{s}_{lab}" for lab, _ in variants for s in ("smd", "vr", "ks")]
    return pd.DataFrame(columns, index=feature_names)[order]
