import numpy as np
import pytest
from numpy.testing import assert_allclose

from skreweight.weighting import GroupBalance


def test_equal_total_weight_per_group():
    g = np.array(["a"] * 60 + ["b"] * 30 + ["c"] * 10)
    X = np.zeros((100, 1))
    w = GroupBalance().fit(X, sample_group=g).weights_
    assert_allclose([w[g == v].sum() for v in "abc"], [100 / 3] * 3)
    assert_allclose(w.mean(), 1.0)


def test_by_class_balances_cells():
    rng = np.random.RandomState(0)
    g = rng.randint(0, 2, 200)
    y = np.where(rng.uniform(size=200) < 0.8, g, 1 - g)  # spurious correlation
    w = GroupBalance(by_class=True).fit(np.zeros((200, 1)), y, sample_group=g).weights_
    totals = [w[(g == a) & (y == b)].sum() for a in (0, 1) for b in (0, 1)]
    assert_allclose(totals, [50.0] * 4)
    # after reweighting, label and group are independent
    p_y1 = [np.average(y[g == a] == 1, weights=w[g == a]) for a in (0, 1)]
    assert_allclose(p_y1, [0.5, 0.5])


def test_none_is_one_group_and_compute_weights():
    X = np.zeros((5, 1))
    assert_allclose(GroupBalance().fit(X).weights_, 1.0)
    g = np.array([0, 0, 0, 1, 1])
    est = GroupBalance().fit(X, sample_group=g)
    assert_allclose(
        est.compute_weights(X[:2], sample_group=[1, 0]), est.weights_[[3, 0]]
    )
    with pytest.raises(ValueError, match="not seen in fit"):
        est.compute_weights(X[:1], sample_group=[5])


def test_bad_input():
    X = np.zeros((5, 1))
    with pytest.raises(ValueError, match="fewer than min_group_size"):
        GroupBalance().fit(X, sample_group=[0, 0, 0, 0, 1])
    with pytest.raises(ValueError, match="one group label per row"):
        GroupBalance().fit(X, sample_group=[0, 1])
    with pytest.raises(ValueError, match="requires y"):
        GroupBalance(by_class=True).fit(X, sample_group=[0, 0, 1, 1, 1])
