"""Public checks that every skreweight weighter must pass.

:func:`check_weighter` runs them all; :func:`_yield_weighter_checks` yields
them one by one for ``pytest.mark.parametrize``. They complement scikit-learn's
``parametrize_with_checks``, which knows nothing of weights.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import pickle

import numpy as np
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import set_random_state

__all__ = [
    "check_compute_weights_matches_fit",
    "check_weighter",
    "check_weighter_clone_pickle",
    "check_weights_invariant_to_row_order",
    "check_weights_mean_one",
    "check_weights_nonnegative_finite",
    "check_weights_not_overwritten",
    "check_weights_sample_weight_equivalence",
    "check_weights_shape_dtype",
    "check_weights_uniform_without_shift",
]


def _data(weighter, *, shift=True, n=60, seed=0):
    """Rows, labels and context for a weighter; balanced unless ``shift``."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 3))
    y = np.tile([0, 1], n // 2)
    context = {}
    keys = get_tags(weighter).weighter_tags.context
    if "X_target" in keys:
        context["X_target"] = rng.normal(0.5, 1.0, size=(40, 3)) if shift else None
    if "treatment" in keys:
        t = (rng.uniform(size=n) < 1 / (1 + np.exp(-X[:, 0]))).astype(float)
        t[:4] = [0, 1, 0, 1]
        context["treatment"] = t
    if "sample_group" in keys:
        g = np.repeat([0, 1], n // 2)
        if shift:
            g = np.where(rng.uniform(size=n) < 0.3, 1, 0)
            g[:4] = [0, 1, 0, 1]
        context["sample_group"] = g
    if shift and not keys:
        y = np.r_[np.zeros(n - n // 4, dtype=int), np.ones(n // 4, dtype=int)]
    return X, y, context


def _fit(weighter, X, y, context, sample_weight=None):
    w = clone(weighter)
    set_random_state(w, 0)
    return w.fit(X, y, sample_weight=sample_weight, **context)


def _strata(weighter, context, n):
    tags = get_tags(weighter).weighter_tags
    if tags.normalization == "per_treatment" and "treatment" in context:
        return np.asarray(context["treatment"])
    return np.zeros(n)


def check_weights_shape_dtype(name, weighter):
    """``weights_`` and ``fit_compute_weights`` return float64 of shape (n,)."""
    X, y, ctx = _data(weighter)
    w = _fit(weighter, X, y, ctx).weights_
    assert w.shape == (X.shape[0],), f"{name}: weights_ has shape {w.shape}"
    assert w.dtype == np.float64, f"{name}: weights_ has dtype {w.dtype}"
    w2 = clone(weighter)
    set_random_state(w2, 0)
    assert w2.fit_compute_weights(X, y, **ctx).shape == (X.shape[0],)


def check_weights_nonnegative_finite(name, weighter):
    """Weights are finite and non-negative."""
    X, y, ctx = _data(weighter)
    w = _fit(weighter, X, y, ctx).weights_
    assert np.all(np.isfinite(w)), f"{name}: non-finite weights"
    assert np.all(w >= 0), f"{name}: negative weights"


def check_weights_mean_one(name, weighter):
    """Weights average 1 (per treatment arm for causal weighters), also under
    ``sample_weight``."""
    X, y, ctx = _data(weighter)
    sw = np.random.RandomState(1).randint(1, 4, size=X.shape[0]).astype(float)
    for s in (None, sw):
        w = _fit(weighter, X, y, ctx, sample_weight=s).weights_
        s_ = np.ones_like(w) if s is None else s
        strata = _strata(weighter, ctx, X.shape[0])
        for v in np.unique(strata):
            m = strata == v
            assert_allclose(np.dot(w[m], s_[m]) / s_[m].sum(), 1.0, rtol=1e-10)


def check_weights_uniform_without_shift(name, weighter):
    """No shift, balanced classes or equal groups give uniform weights."""
    if "treatment" in get_tags(weighter).weighter_tags.context:
        return  # balance across arms is never exactly uniform
    X, y, ctx = _data(weighter, shift=False)
    w = _fit(weighter, X, y, ctx).weights_
    assert_allclose(w, np.ones_like(w), rtol=1e-6, err_msg=name)


def check_weights_invariant_to_row_order(name, weighter):
    """Permuting the rows permutes the weights."""
    X, y, ctx = _data(weighter)
    perm = np.random.RandomState(3).permutation(X.shape[0])
    w = _fit(weighter, X, y, ctx).weights_
    ctx_p = {
        k: (v[perm] if k in ("treatment", "sample_group") else v)
        for k, v in ctx.items()
    }
    wp = _fit(weighter, X[perm], y[perm], ctx_p).weights_
    assert_allclose(wp, w[perm], rtol=1e-3, atol=1e-6, err_msg=name)


def check_weights_not_overwritten(name, weighter):
    """``fit`` and ``compute_weights`` leave their inputs unchanged."""
    X, y, ctx = _data(weighter)
    sw = np.ones(X.shape[0]) * 2.0
    copies = (X.copy(), y.copy(), sw.copy(), {k: np.copy(v) for k, v in ctx.items()})
    est = _fit(weighter, X, y, ctx, sample_weight=sw)
    if get_tags(weighter).weighter_tags.out_of_sample:
        est.compute_weights(X, y, **ctx)
    assert_allclose(X, copies[0])
    np.testing.assert_array_equal(y, copies[1])
    assert_allclose(sw, copies[2])
    for k, v in ctx.items():
        if v is not None:
            np.testing.assert_array_equal(v, copies[3][k], err_msg=f"{name}: {k}")


def check_weights_sample_weight_equivalence(name, weighter):
    """Integer ``sample_weight`` gives the weights of repeated rows."""
    X, y, ctx = _data(weighter)
    rng = np.random.RandomState(7)
    sw = rng.randint(1, 4, size=X.shape[0])
    rep = np.repeat(np.arange(X.shape[0]), sw)
    ctx_r = {
        k: (v[rep] if k in ("treatment", "sample_group") else v)
        for k, v in ctx.items()
    }
    w = _fit(weighter, X, y, ctx, sample_weight=sw.astype(float)).weights_
    wr = _fit(weighter, X[rep], y[rep], ctx_r).weights_
    assert_allclose(wr, w[rep], rtol=1e-3, atol=1e-6, err_msg=name)


def check_compute_weights_matches_fit(name, weighter):
    """``compute_weights`` on the training rows reproduces ``weights_``."""
    if not get_tags(weighter).weighter_tags.out_of_sample:
        return
    X, y, ctx = _data(weighter)
    est = _fit(weighter, X, y, ctx)
    ctx_new = {k: v for k, v in ctx.items() if k != "X_target"}
    assert_allclose(est.compute_weights(X, y, **ctx_new), est.weights_, rtol=1e-6)


def check_weighter_clone_pickle(name, weighter):
    """A fitted weighter survives pickling; a clone is unfitted and equal."""
    X, y, ctx = _data(weighter)
    est = _fit(weighter, X, y, ctx)
    back = pickle.loads(pickle.dumps(est))
    assert_allclose(back.weights_, est.weights_)
    assert not hasattr(clone(est), "weights_")
    assert clone(est).get_params().keys() == est.get_params().keys()


def _yield_weighter_checks(weighter):
    """Yield every weighter check."""
    yield check_weights_shape_dtype
    yield check_weights_nonnegative_finite
    yield check_weights_mean_one
    yield check_weights_uniform_without_shift
    yield check_weights_invariant_to_row_order
    yield check_weights_not_overwritten
    yield check_weights_sample_weight_equivalence
    yield check_compute_weights_matches_fit
    yield check_weighter_clone_pickle


def check_weighter(weighter):
    """Run every weighter check on ``weighter``; raise on the first failure.

    Parameters
    ----------
    weighter : weighter instance
        The weighter to check.

    Examples
    --------
    >>> from skreweight.utils.estimator_checks import check_weighter
    >>> from skreweight.weighting import ClassBalance
    >>> check_weighter(ClassBalance())
    """
    name = type(weighter).__name__
    for check in _yield_weighter_checks(weighter):
        check(name, weighter)
