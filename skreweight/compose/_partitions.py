"""Score many rows out of core: a fitted estimator applied partition by partition."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = ["score_partitions"]

_METHODS = ("compute_weights", "predict", "predict_proba", "decision_function")


def _is_dask(obj, kind):
    module = type(obj).__module__
    return module.startswith("dask") and type(obj).__name__ == kind


def score_partitions(estimator, X, method="compute_weights", **params):
    """Apply a fitted estimator's method to a dask array or DataFrame, block-wise.

    A fitted weighter or meta-estimator holds everything it needs to score a
    row (a density-ratio model, a propensity model, a classifier), so its
    ``compute_weights``, ``predict``, ``predict_proba`` or
    ``decision_function`` can run on each partition of a dask collection
    independently: :meth:`dask.array.Array.map_blocks` on a dask array
    (chunked along the rows only), :meth:`dask.dataframe.DataFrame.map_partitions`
    on a dask DataFrame. The estimator is shipped once to every worker; no
    partition is ever gathered in one place, so a density ratio fitted on a
    sample can weight tens of millions of target rows on a cluster. The
    result is lazy (call ``.compute()``, or write it with ``to_parquet``).

    NumPy arrays and pandas DataFrames are passed to the method directly, so
    the same code runs in memory and out of core.

    Parameters
    ----------
    estimator : fitted estimator
        A fitted weighter (for ``"compute_weights"``) or any fitted estimator.
    X : dask.array.Array, dask.dataframe.DataFrame, ndarray or DataFrame
        Rows to score. A dask array is rechunked so that each block holds
        every column.
    method : {"compute_weights", "predict", "predict_proba", \
            "decision_function"}, default="compute_weights"
        The method to apply.
    **params : dict
        Keyword arguments passed to the method unchanged for every partition.
        They must not be row-aligned (a per-row ``treatment`` cannot be split
        with the partitions; add it as a column or score in memory).

    Returns
    -------
    scores : dask.array.Array, dask.dataframe.Series or DataFrame, or ndarray
        For a dask array, a dask array chunked like ``X``'s rows; for a dask
        DataFrame, a Series (1-D outputs) or a DataFrame (``predict_proba``,
        one column per class) with ``X``'s index; else the method's output.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from skreweight.compose import score_partitions
    >>> from skreweight.datasets import make_covariate_shift
    >>> from skreweight.weighting import ClassifierDensityRatio
    >>> d = make_covariate_shift(n_source=200, n_target=200, random_state=0)
    >>> ratio = ClassifierDensityRatio().fit(d.X_source, X_target=d.X_target)
    >>> big = da.from_array(d.X_source, chunks=(50, 2))  # 4 partitions
    >>> w = score_partitions(ratio, big)
    >>> w.numblocks
    (4,)
    >>> bool(np.allclose(w.compute(), ratio.compute_weights(d.X_source)))
    True
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {list(_METHODS)}; got {method!r}.")
    if not hasattr(estimator, method):
        raise AttributeError(
            f"{type(estimator).__name__} has no {method}; choose another method."
        )
    if method == "compute_weights":
        check_is_fitted(estimator, "weights_")
    else:
        check_is_fitted(estimator)
    for key, value in params.items():
        if type(value).__module__.startswith("dask"):
            raise TypeError(
                f"score_partitions cannot split the dask collection {key}= with "
                "the partitions of X; pass constant keyword arguments only."
            )
    func = getattr(estimator, method)
    if _is_dask(X, "Array"):
        return _score_array(func, X, method, params)
    if _is_dask(X, "DataFrame"):
        return _score_frame(estimator, func, X, method, params)
    return func(X, **params)


def _score_array(func, X, method, params):
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (rows, features); got {X.ndim} dimensions.")
    X = X.rechunk({1: -1})
    probe = np.asarray(func(X[:1].compute(), **params))
    dtype = probe.dtype

    def block(b):
        return np.asarray(func(b, **params))

    if probe.ndim == 1:
        return X.map_blocks(block, drop_axis=1, dtype=dtype, meta=np.empty(0, dtype))
    chunks = (X.chunks[0], (probe.shape[1],))
    return X.map_blocks(block, chunks=chunks, dtype=dtype, meta=np.empty((0, 0), dtype))


def _score_frame(estimator, func, X, method, params):
    import pandas as pd

    probe = np.asarray(func(X.head(1), **params))
    if probe.ndim == 1:

        def part(df):
            return pd.Series(np.asarray(func(df, **params)), index=df.index)

        meta = pd.Series(np.empty(0, dtype=probe.dtype), name=method)
        return X.map_partitions(part, meta=meta)
    columns = [str(c) for c in getattr(estimator, "classes_", range(probe.shape[1]))]

    def part(df):
        return pd.DataFrame(
            np.asarray(func(df, **params)), index=df.index, columns=columns
        )

    meta = pd.DataFrame({c: np.empty(0, dtype=probe.dtype) for c in columns})
    return X.map_partitions(part, meta=meta)
