"""Simulators with known weights, for tests, examples and benchmarks."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils import Bunch, check_random_state

__all__ = ["biased_split", "make_covariate_shift"]


def make_covariate_shift(
    n_source=1000,
    n_target=1000,
    n_features=2,
    *,
    shift=1.0,
    noise=0.1,
    random_state=None,
):
    """Classification data under a Gaussian covariate shift with a known ratio.

    Source covariates are ``N(0, I)``, target covariates ``N(mu, I)`` with
    ``mu = (shift, 0, ..., 0)``, so the density ratio is known in closed form:
    ``p_t(x) / p_s(x) = exp(mu . x - |mu|^2 / 2)``. The label follows the same
    nonlinear rule in both domains, ``P(y=1|x) = sigmoid(4 (x_0^2 / 2 - x_0 +
    x_1 / 2)) `` flipped with probability ``noise``, so a linear model is
    misspecified and where it is fitted matters.

    Parameters
    ----------
    n_source, n_target : int, default=1000
        Number of source and target rows.
    n_features : int, default=2
        Number of covariates (>= 2).
    shift : float, default=1.0
        Length of the mean shift along the first axis.
    noise : float, default=0.1
        Probability of flipping a label.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``X_source``, ``y_source``, ``X_target``, ``y_target`` and
        ``ratio_source`` (the true ratio at the source rows, scaled to mean 1
        over them), ``ratio`` (callable giving the unscaled true ratio).

    Examples
    --------
    >>> from skreweight.datasets import make_covariate_shift
    >>> d = make_covariate_shift(n_source=100, n_target=50, random_state=0)
    >>> d.X_source.shape, d.X_target.shape, float(d.ratio_source.mean())
    ((100, 2), (50, 2), 1.0)
    """
    if n_features < 2:
        raise ValueError("n_features must be >= 2.")
    rng = check_random_state(random_state)
    mu = np.zeros(n_features)
    mu[0] = shift
    Xs = rng.normal(size=(n_source, n_features))
    Xt = rng.normal(size=(n_target, n_features)) + mu

    def label(X):
        logit = 4 * (0.5 * X[:, 0] ** 2 - X[:, 0] + 0.5 * X[:, 1])
        y = (rng.uniform(size=X.shape[0]) < 1 / (1 + np.exp(-logit))).astype(int)
        flip = rng.uniform(size=X.shape[0]) < noise
        return np.where(flip, 1 - y, y)

    def ratio(X):
        X = np.asarray(X, dtype=float)
        return np.exp(X @ mu - 0.5 * mu @ mu)

    r = ratio(Xs)
    return Bunch(
        X_source=Xs,
        y_source=label(Xs),
        X_target=Xt,
        y_target=label(Xt),
        ratio_source=r / r.mean(),
        ratio=ratio,
    )


def biased_split(
    X,
    y,
    *,
    method="pca",
    feature=0,
    p_source=0.7,
    n_source=None,
    n_target=None,
    random_state=None,
):
    """Split real data into a shifted source and target, as in the DWGCS paper.

    Rows are scored by a feature (``method="feature"``) or by their projection
    on the first principal direction of the standardised data (``"pca"``).
    A row at or above the median goes to the source pool with probability
    ``p_source`` (else to the target pool); a row below it with probability
    ``1 - p_source``. Each pool is then subsampled to ``n_source`` and
    ``n_target`` rows (default: 500 when the pool holds at least 1,000 rows,
    else half the data). This is the feature-dependent biased sampling of
    Segovia-Martin et al. (2023).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Covariates.
    y : array-like of shape (n_samples,)
        Labels.
    method : {"pca", "feature"}, default="pca"
        How rows are scored.
    feature : int, default=0
        Column used when ``method="feature"``.
    p_source : float, default=0.7
        Probability that a row above the median goes to the source pool.
    n_source, n_target : int, default=None
        Sizes after subsampling.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X_source, y_source, X_target, y_target : ndarrays, or pandas objects
        Rows of ``X`` and ``y``; a pandas DataFrame or Series comes back as
        one, with its column names and index.

    Examples
    --------
    >>> from skreweight.datasets import biased_split, load_dataset
    >>> X, y = load_dataset("diabetes", return_X_y=True)
    >>> Xs, ys, Xt, yt = biased_split(X, y, random_state=0)
    >>> Xs.shape[1] == Xt.shape[1] == 8
    True
    """
    rng = check_random_state(random_state)
    X_in, y_in = X, y
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    if method == "pca":
        Z = np.nan_to_num((X - np.nanmean(X, 0)) / (np.nanstd(X, 0) + 1e-12))
        _, _, vt = np.linalg.svd(Z, full_matrices=False)
        score = Z @ vt[0]
    elif method == "feature":
        score = X[:, feature]
    else:
        raise ValueError(f"method must be 'pca' or 'feature', got {method!r}.")
    high = score >= np.nanmedian(score)
    to_source = rng.uniform(size=X.shape[0]) < np.where(high, p_source, 1 - p_source)
    src, tgt = np.flatnonzero(to_source), np.flatnonzero(~to_source)

    def size(pool, n):
        if n is not None:
            return min(n, pool.shape[0])
        return 500 if pool.shape[0] >= 1000 else min(pool.shape[0], X.shape[0] // 2)

    src = rng.choice(src, size(src, n_source), replace=False)
    tgt = rng.choice(tgt, size(tgt, n_target), replace=False)

    def rows(a, a_in, idx):  # keep pandas containers (names, index, dtypes)
        return a_in.iloc[idx] if hasattr(a_in, "iloc") else a[idx]

    return (
        rows(X, X_in, src),
        rows(y, y_in, src),
        rows(X, X_in, tgt),
        rows(y, y_in, tgt),
    )
