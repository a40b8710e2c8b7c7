"""Input validation shared by every skreweight estimator."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numbers

import numpy as np
from sklearn.utils import check_array
from sklearn.utils.validation import validate_data

from ..exceptions import MissingContextWarning
from ._sklearn_compat import _num_samples
from ._warnings import warn as warn_once

__all__ = [
    "check_sample_group",
    "check_sample_weight",
    "check_treatment",
    "check_weights",
    "check_X_target",
    "uncovered_share",
    "warn_missing_context",
    "warn_no_overlap",
]

_WHAT_TO_PASS = {
    "X_target": ("the unlabelled target covariates", "X_target=X_t", "(X_t,)"),
    "sample_group": ("one group label per row of X", "sample_group=g", "g"),
}


def warn_missing_context(owner, key, fallback, *, stacklevel=3):
    """Warn that ``key`` was not passed to ``owner.fit`` and what it fell back to.

    Parameters
    ----------
    owner : str
        Name of the estimator (``type(self).__name__``).
    key : {"X_target", "sample_group"}
        The missing keyword.
    fallback : str
        What the fit did instead, e.g. ``"no shift: every weight is 1"``.
    stacklevel : int, default=3
        Passed to :func:`warnings.warn`.

    Examples
    --------
    >>> import warnings
    >>> from skreweight.utils.validation import warn_missing_context
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_missing_context("MyWeighter", "X_target", "no shift")
    >>> print(str(caught[0].message)[:58])
    MyWeighter.fit got no `X_target`, so it fell back to no sh
    """
    what, direct, routed = _WHAT_TO_PASS.get(key, (f"`{key}`", f"{key}=...", "..."))
    tuple_note = (
        " (the tuple form keeps the CV splitter from slicing X_target)"
        if key == "X_target"
        else ""
    )
    warn_once(
        f"{owner}.fit got no `{key}`, so it fell back to {fallback}. Pass {what}: "
        f"directly, fit(X, y, {direct}); in a Pipeline or GridSearchCV, enable "
        "metadata routing with sklearn.set_config(enable_metadata_routing=True) "
        f"and pass it to the outer fit, e.g. search.fit(X, y, {key}={routed})"
        f"{tuple_note}; `{key}` is requested by default. If the fallback is what "
        "you want, silence this with warnings.filterwarnings('ignore', "
        "category=skreweight.exceptions.MissingContextWarning).",
        MissingContextWarning,
        stacklevel=stacklevel,
    )


def check_sample_weight(sample_weight, X, *, name="sample_weight"):
    """Validate user weights: finite, non-negative, one per row, not all zero.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,), float or None
        The weights. ``None`` means uniform weights; a scalar is broadcast.
    X : array-like of shape (n_samples, n_features)
        The rows the weights belong to.
    name : str, default="sample_weight"
        Name used in error messages.

    Returns
    -------
    sample_weight : ndarray of shape (n_samples,), dtype float64
        A new array; the input is never modified.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.utils.validation import check_sample_weight
    >>> check_sample_weight(None, np.zeros((3, 2)))
    array([1., 1., 1.])
    """
    n_samples = _num_samples(X)
    if sample_weight is None:
        return np.ones(n_samples, dtype=np.float64)
    if isinstance(sample_weight, numbers.Number):
        return np.full(n_samples, float(sample_weight), dtype=np.float64)
    sw = check_array(
        sample_weight,
        ensure_2d=False,
        dtype=np.float64,
        ensure_all_finite=False,
        input_name=name,
        copy=True,
    )
    if sw.ndim != 1:
        raise ValueError(f"{name} must be 1D array or scalar, got shape {sw.shape}.")
    if sw.shape[0] != n_samples:
        raise ValueError(
            f"{name}.shape == {sw.shape}, expected {(n_samples,)}: pass one weight "
            "per row of X."
        )
    if not np.all(np.isfinite(sw)):
        raise ValueError(
            f"{name} contains NaN or infinity; replace them (e.g. drop those rows) "
            "before fitting."
        )
    if np.any(sw < 0):
        raise ValueError(
            f"Negative values in {name} are not allowed: a weight is a row's "
            "multiplicity. Clip or drop negative weights."
        )
    if np.sum(sw) <= 0:
        raise ValueError(
            f"{name} sums to zero: at least one row must have a positive weight."
        )
    return sw


def check_weights(weights, n_samples, *, owner="the weighter"):
    """Check weights produced by a weighter: finite, non-negative, right shape.

    Parameters
    ----------
    weights : array-like of shape (n_samples,)
        Weights to check.
    n_samples : int
        Expected number of weights.
    owner : str, default="the weighter"
        Who produced the weights, for the error message.

    Returns
    -------
    weights : ndarray of shape (n_samples,), dtype float64

    Examples
    --------
    >>> from skreweight.utils.validation import check_weights
    >>> check_weights([1, 2], 2)
    array([1., 2.])
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n_samples,):
        raise ValueError(
            f"{owner} returned weights of shape {w.shape}, expected ({n_samples},)."
        )
    if not np.all(np.isfinite(w)):
        raise ValueError(
            f"{owner} produced non-finite weights ({np.sum(~np.isfinite(w))} of "
            f"{n_samples}); this usually means the density ratio or propensity hit "
            "0 or 1. Regularise the model or clip its probabilities."
        )
    if np.any(w < 0):
        raise ValueError(f"{owner} produced negative weights; weights must be >= 0.")
    return w


def check_X_target(
    estimator, X_target, *, ensure_all_finite=True, min_samples=1, n_samples=None
):
    """Validate target covariates against the features seen in ``fit``.

    Parameters
    ----------
    estimator : estimator instance
        Fitted on the source rows (``n_features_in_`` set).
    X_target : array-like of shape (n_target, n_features), or tuple of such
        Unlabelled target covariates: any array-like scikit-learn accepts as
        ``X`` (array, DataFrame, nested list). A *tuple* holds several target
        arrays, which are stacked; the tuple form ``(X_target,)`` also keeps
        cross-validation from slicing it when ``len(X_target) == len(X)``.
    ensure_all_finite : bool or "allow-nan", default=True
        Whether to reject NaN and infinity.
    min_samples : int, default=1
        Minimum number of target rows.
    n_samples : int, default=None
        Number of rows of ``X``. When given, an ``X_target`` that is not a
        tuple and has exactly ``n_samples`` rows draws a ``UserWarning``: a
        cross-validation splitter slices such metadata into each fold.

    Returns
    -------
    X_target : ndarray of shape (n_target, n_features)
        All target arrays stacked.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skreweight.utils.validation import check_X_target
    >>> est = StandardScaler().fit(np.zeros((3, 2)))
    >>> check_X_target(est, [[0, 1], [2, 3]]).shape
    (2, 2)
    >>> check_X_target(est, (np.ones((2, 2)), np.ones((1, 2)))).shape
    (3, 2)
    """
    if X_target is None:
        return None
    is_tuple = isinstance(X_target, tuple)
    parts = X_target if is_tuple else (X_target,)
    if len(parts) == 0:
        raise ValueError("X_target is an empty tuple; pass at least one array.")
    arrays = []
    for part in parts:
        if _num_samples(part) == 0:
            raise ValueError(
                "X_target has 0 rows: pass the unlabelled target covariates, or "
                "X_target=None for no shift."
            )
        array = check_array(
            part,
            dtype=np.float64,
            ensure_all_finite=ensure_all_finite,
            input_name="X_target",
            estimator=estimator,
        )
        try:
            # feature names are read from the original (a DataFrame keeps them)
            validate_data(estimator, part, reset=False, skip_check_array=True)
            arrays.append(array)
        except ValueError as exc:
            if "X_target" in str(exc):
                raise
            raise ValueError(
                f"X_target does not match the X seen in fit: {exc} Pass target "
                "covariates with the same columns as X."
            ) from exc
    Xt = np.vstack(arrays) if len(arrays) > 1 else arrays[0]
    if n_samples is not None and not is_tuple and Xt.shape[0] == n_samples:
        warn_once(
            f"{type(estimator).__name__}: X_target has as many rows as X "
            f"({n_samples}). If it went through a cross-validation splitter "
            "(GridSearchCV, cross_validate), the splitter sliced it into each "
            "fold like X. Pass it as a tuple, fit(X, y, X_target=(X_t,)), which "
            "no splitter slices; the tuple form also silences this warning.",
            UserWarning,
            stacklevel=4,
            record=False,  # a hint about the call, not about the weights
        )
    if Xt.shape[0] < min_samples:
        raise ValueError(
            f"X_target has {Xt.shape[0]} row(s); this method needs at least "
            f"{min_samples}."
        )
    return Xt


def check_sample_group(sample_group, n_samples, *, allow_none=True):
    """Validate per-row group labels.

    Parameters
    ----------
    sample_group : array-like of shape (n_samples,) or None
        Group label of each row (any hashable values).
    n_samples : int
        Number of rows of X.
    allow_none : bool, default=True
        Whether ``None`` (one group) is allowed.

    Returns
    -------
    sample_group : ndarray of shape (n_samples,) or None
    """
    if sample_group is None:
        if allow_none:
            return None
        raise ValueError("sample_group is required: pass one group label per row.")
    g = np.asarray(sample_group)
    if g.ndim != 1:
        g = np.ravel(g) if g.ndim == 2 and g.shape[1] == 1 else g
    if g.ndim != 1 or g.shape[0] != n_samples:
        raise ValueError(
            f"sample_group has shape {np.shape(sample_group)} but X has {n_samples} "
            "rows: pass one group label per row of X."
        )
    if g.dtype.kind == "f" and np.any(np.isnan(g)):
        raise ValueError("sample_group contains NaN; give every row a group label.")
    return g


def check_treatment(treatment, n_samples, *, binary=True):
    """Validate a treatment indicator.

    Parameters
    ----------
    treatment : array-like of shape (n_samples,)
        Treatment of each row: 0/1 (or two distinct values) when ``binary``.
    n_samples : int
        Number of rows of X.
    binary : bool, default=True
        Require a binary treatment and return it coded as 0/1.

    Returns
    -------
    treatment : ndarray of shape (n_samples,), dtype float64
    """
    if treatment is None:
        raise ValueError(
            "treatment is required: pass fit(X, y, treatment=t) with one treatment "
            "value per row. (With metadata routing on, request it.)"
        )
    t = np.asarray(treatment)
    if t.ndim == 2 and t.shape[1] == 1:
        t = t.ravel()
    if t.ndim != 1 or t.shape[0] != n_samples:
        raise ValueError(
            f"treatment has shape {np.shape(treatment)} but X has {n_samples} rows."
        )
    if t.dtype.kind in "fc" and not np.all(np.isfinite(t)):
        raise ValueError("treatment contains NaN or infinity.")
    if not binary:
        return t.astype(np.float64)
    values = np.unique(t)
    if values.shape[0] != 2:
        if values.shape[0] < 2:
            raise ValueError(
                f"treatment takes the single value {values.tolist()}: there are no "
                "treated or no control units, so no effect can be estimated."
            )
        raise ValueError(
            f"treatment must be binary, got {values.shape[0]} distinct values "
            f"({values[:5].tolist()}...). Dichotomise it or use an estimator for "
            "continuous treatments."
        )
    if set(values.tolist()) <= {0, 1} or set(values.tolist()) <= {False, True}:
        return t.astype(np.float64)
    return (t == values[1]).astype(np.float64)


#: ``warn_no_overlap`` warns when more than this share of the target rows lie
#: outside the source rows' support (see its docstring for the test).
NO_OVERLAP_SHARE = 0.2


def _subsample(A, k):
    if A.shape[0] <= k:
        return A
    return A[np.linspace(0, A.shape[0] - 1, k).astype(int)]


def uncovered_share(X_source, X_target, *, max_rows=2000):
    """Share of target rows outside the support of the source rows.

    Features are standardised by the pooled median absolute deviation (so the
    test is scale-free). A target row is *uncovered* when its distance to the
    nearest source row exceeds twice the largest nearest-neighbour distance
    among the source rows: no reweighting of the source rows can put mass
    there. At most ``max_rows`` evenly spaced rows of each set are used.

    Parameters
    ----------
    X_source, X_target : ndarray of shape (n, n_features) and (m, n_features)
        Rows with positive weight, and the rows to cover.
    max_rows : int, default=2000

    Returns
    -------
    share : float in [0, 1]

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.utils.validation import uncovered_share
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(100, 2))
    >>> uncovered_share(X, X[:50] + 0.1), uncovered_share(X, X[:50] + 50)
    (0.0, 1.0)
    """
    from sklearn.neighbors import NearestNeighbors

    S = _subsample(np.asarray(X_source, dtype=np.float64), max_rows)
    T = _subsample(np.asarray(X_target, dtype=np.float64), max_rows)
    if S.shape[0] < 2 or T.shape[0] == 0:
        return 0.0
    Z = np.vstack([S, T])
    center = np.median(Z, axis=0)
    scale = np.median(np.abs(Z - center), axis=0)
    spread = np.ptp(Z, axis=0)
    scale = np.where(scale > 0, scale, np.where(spread > 0, spread, 1.0))
    with np.errstate(all="ignore"):
        S, T = (S - center) / scale, (T - center) / scale
    if not (np.all(np.isfinite(S)) and np.all(np.isfinite(T))):
        return 0.0
    nn = NearestNeighbors(n_neighbors=2).fit(S)
    d_source = nn.kneighbors(S, return_distance=True)[0][:, 1]
    d_target = nn.kneighbors(T, n_neighbors=1, return_distance=True)[0][:, 0]
    radius = 2.0 * float(d_source.max())
    return float(np.mean(d_target > radius))


def warn_no_overlap(X_source, X_target, *, owner, source="X", target="X_target"):
    """Warn when most of ``X_target`` lies outside the support of ``X_source``.

    Parameters
    ----------
    X_source, X_target : ndarray
        The rows to reweight and the rows they should represent.
    owner : str
        Estimator name for the message.
    source, target : str
        How to call the two sets in the message.

    Returns
    -------
    share : float
        :func:`uncovered_share` of the target rows.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from skreweight.utils.validation import warn_no_overlap
    >>> X = np.random.RandomState(0).normal(size=(50, 2))
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     share = warn_no_overlap(X, X + 50, owner="MyWeighter")
    >>> share, caught[0].category.__name__
    (1.0, 'WeightDegeneracyWarning')
    """
    from ..exceptions import PositivityWarning, WeightDegeneracyWarning

    share = uncovered_share(X_source, X_target)
    if share > NO_OVERLAP_SHARE:
        category = (
            PositivityWarning if "treat" in source + target else WeightDegeneracyWarning
        )
        # names are arrays ("X_target") or groups of rows ("control rows")
        target_rows = target if target.endswith("rows") else f"{target} rows"
        source_row = source[:-1] if source.endswith("rows") else f"{source} row"
        warn_once(
            f"{owner}: the supports of {source} and {target} do not overlap: "
            f"{100 * share:.0f}% of the {target_rows} lie far from every "
            f"{source_row} (farther than twice the largest nearest-neighbour "
            f"distance within {source}, in standardised features). No reweighting "
            f"of {source} can represent them, and the weights are unreliable "
            f"there. Check that the population of {target} is one that {source} "
            "covers, or restrict both to the common support.",
            category,
            stacklevel=4,
        )
    return share
