"""Property-based tests of the weight contract, for every weighter.

On generated data of varied shape (hypothesis): the weights are finite and
non-negative; they average 1 under ``sample_weight`` (per arm for causal
weighters, per action for the off-policy ones); they do not depend on the
order of the rows; an integer ``sample_weight`` equals repeated rows; and
``compute_weights`` on the training rows gives ``weights_`` wherever the
method defines it. The budget is small (a few examples per weighter,
derandomised) so that CI stays fast; the deterministic weighter checks in
tests/test_common.py cover the same rules on one fixed data set.
"""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.utils import get_tags

from skreweight.utils.discovery import all_estimators

from _test_common import (
    _construct_instances,
    _get_expected_failed_checks,
)


def _weighters():
    out = []
    for name, cls in all_estimators("weighter"):
        inst = next(_construct_instances(cls))
        expected = _get_expected_failed_checks(inst)
        public = inst if type(inst) is cls else cls(**inst.get_params(deep=False))
        out.append(pytest.param(public, expected, id=name))
    return out


# examples per weighter; weighters that solve a QP or train a net per fit get
# fewer
_EXAMPLES = 6
_FEWER = {
    "DoubleWeighting": 3,
    "IPMBalancing": 3,
    "NeuralDensityRatio": 3,
    "NeuralIPMBalancing": 3,
    "WeightProduct": 3,
}

# properties a weighter meets only up to its solver's accuracy, with the reason
KNOWN_GAPS = {
    "DoubleWeighting": {
        "sample_weight_equivalence": (
            "the DW-KMM objective is flat near its optimum on small problems: "
            "at tol=1e-8 integer weights and repeated rows stop at weights up "
            "to 5% apart (both objectives ~5e-7); they agree at tol=1e-12"
        ),
    },
}


@st.composite
def _problems(draw):
    n = draw(st.integers(12, 30))
    d = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d)) * draw(st.sampled_from([0.1, 1.0, 10.0]))
    y = np.tile([0, 1], n)[:n]
    rng.shuffle(y)
    t = np.tile([0.0, 1.0], n)[:n]
    rng.shuffle(t)
    g = np.tile([0, 1], n)[:n]
    rng.shuffle(g)
    m = draw(st.integers(5, 25))
    X_target = rng.normal(0.3, 1.0, size=(m, d)) * np.std(X, axis=0, ddof=0)
    sw = rng.randint(1, 4, size=n).astype(float)
    perm = rng.permutation(n)
    # logged actions 0..k-1 (k = 2 or 3, at least 4 rows each), drawn last so
    # that the other context is what it was before actions were added
    a = np.tile(np.arange(2 + seed % 2), n)[:n]
    rng.shuffle(a)
    ctx = {"X_target": X_target, "treatment": t, "sample_group": g, "action": a}
    return X, y, ctx, sw, perm


def _context(weighter, ctx):
    keys = get_tags(weighter).weighter_tags.context
    return {k: ctx[k] for k in keys}


def _fit(weighter, X, y, ctx, sw=None):
    est = clone(weighter)
    if "random_state" in est.get_params():
        est.set_params(random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y, sample_weight=sw, **ctx)


def _rows(ctx, idx):
    return {k: (v if k == "X_target" else v[idx]) for k, v in ctx.items()}


def _check_contract(weighter, expected, problem):
    X, y, ctx, sw, perm = problem
    ctx = _context(weighter, ctx)
    tags = get_tags(weighter).weighter_tags
    est = _fit(weighter, X, y, ctx, sw)
    w = est.weights_
    assert w.shape == (X.shape[0],) and w.dtype == np.float64
    assert np.all(np.isfinite(w)) and np.all(w >= 0)
    # "per_treatment", "per_action": the weights average 1 in each stratum
    strata = (
        np.zeros(X.shape[0])
        if tags.normalization == "global"
        else ctx[tags.normalization.removeprefix("per_")]
    )
    for s in np.unique(strata):
        m = strata == s
        assert_allclose(np.dot(w[m], sw[m]) / sw[m].sum(), 1.0, rtol=1e-8)
    if "check_weights_invariant_to_row_order" not in expected:
        wp = _fit(weighter, X[perm], y[perm], _rows(ctx, perm), sw[perm]).weights_
        assert_allclose(wp, w[perm], rtol=1e-3, atol=1e-6)
    gaps = KNOWN_GAPS.get(type(weighter).__name__, {})
    if (
        "check_weights_sample_weight_equivalence" not in expected
        and "sample_weight_equivalence" not in gaps
    ):
        rep = np.repeat(np.arange(X.shape[0]), sw.astype(int))
        wr = _fit(weighter, X[rep], y[rep], _rows(ctx, rep)).weights_
        assert_allclose(wr, w[rep], rtol=1e-3, atol=1e-6)
    if tags.out_of_sample:
        new_ctx = {k: v for k, v in ctx.items() if k != "X_target"}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert_allclose(est.compute_weights(X, y, **new_ctx), w, rtol=1e-6)


@pytest.mark.parametrize("weighter, expected", _weighters())
def test_weight_contract(weighter, expected):
    @settings(
        max_examples=_FEWER.get(type(weighter).__name__, _EXAMPLES),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(_problems())
    def run(problem):
        _check_contract(weighter, expected, problem)

    run()
