"""Closed-form checks of the weight diagnostics and balance metrics."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy.stats import ks_2samp

from skreweight.metrics import (
    balance_table,
    effective_sample_size,
    standardized_mean_difference,
    weight_summary,
)


# ---------------------------------------------------------------- ESS
@pytest.mark.parametrize(
    "weights, expected",
    [
        ([1.0] * 7, 7.0),  # uniform: n
        ([0.0, 0.0, 5.0, 0.0], 1.0),  # one row holds everything
        ([1.0, 2.0, 3.0], 36.0 / 14.0),  # (1+2+3)^2 / (1+4+9)
        ([1.0, 1.0, 0.0, 0.0], 2.0),  # zero weights drop rows
        ([2.0, 2.0, 2.0, 2.0, 4.0], 144.0 / 32.0),
    ],
)
def test_effective_sample_size_known_vectors(weights, expected):
    assert effective_sample_size(weights) == pytest.approx(expected, rel=1e-12)


def test_effective_sample_size_scale_invariant(rng):
    w = rng.exponential(size=50)
    assert effective_sample_size(3.7 * w) == pytest.approx(effective_sample_size(w))
    assert 1.0 <= effective_sample_size(w) <= 50.0


@pytest.mark.parametrize(
    "weights, match",
    [([1.0, -1.0], "Negative"), ([1.0, np.nan], "NaN"), ([0.0, 0.0], "sums to zero")],
)
def test_effective_sample_size_bad_weights(weights, match):
    with pytest.raises(ValueError, match=match):
        effective_sample_size(weights)


# ------------------------------------------------------- weight summary
def test_weight_summary_hand_computed():
    s = weight_summary([1.0, 1.0, 2.0, 0.0])
    mean = 1.0
    std = np.sqrt(((1 - 1) ** 2 * 2 + (2 - 1) ** 2 + (0 - 1) ** 2) / 4)
    assert s["n"] == 4
    assert s["ess"] == pytest.approx(16.0 / 6.0)
    assert s["ess_ratio"] == pytest.approx(16.0 / 6.0 / 4)
    assert (s["min"], s["max"], s["mean"]) == (0.0, 2.0, mean)
    assert s["cv"] == pytest.approx(std / mean)
    assert s["max_share"] == pytest.approx(0.5)
    assert s["n_zero"] == 1
    # 1% of 4 rows rounds up to the single heaviest row.
    assert s["top1pct_share"] == pytest.approx(0.5)


def test_weight_summary_top_one_percent():
    w = np.ones(200)
    w[:2] = 50.0  # the heaviest 1% = 2 rows
    s = weight_summary(w)
    assert s["top1pct_share"] == pytest.approx(100.0 / 298.0)
    assert s["max_share"] == pytest.approx(50.0 / 298.0)


# ------------------------------------------------------------------ SMD
def test_smd_unweighted_hand_computed():
    x0 = np.array([0.0, 1.0, 2.0])
    x1 = np.array([2.0, 4.0])
    X = np.r_[x0, x1][:, None]
    ind = np.array([0, 0, 0, 1, 1])
    pooled = np.sqrt((np.var(x1) + np.var(x0)) / 2)
    assert_allclose(
        standardized_mean_difference(X, ind), [(x1.mean() - x0.mean()) / pooled]
    )
    assert_allclose(
        standardized_mean_difference(X, ind, pooled=False),
        [(x1.mean() - x0.mean()) / np.std(x1)],
    )


def test_smd_weighted_means_unweighted_scale():
    # Weights move the means but not the yardstick (cobalt's convention).
    x0 = np.array([0.0, 1.0, 2.0])
    x1 = np.array([2.0, 4.0])
    w0 = np.array([1.0, 1.0, 6.0])
    w1 = np.array([3.0, 1.0])
    X = np.r_[x0, x1][:, None]
    ind = np.array([0, 0, 0, 1, 1])
    m0 = np.sum(w0 * x0) / w0.sum()  # 13/8
    m1 = np.sum(w1 * x1) / w1.sum()  # 10/4
    sd = np.sqrt((np.var(x1) + np.var(x0)) / 2)
    assert_allclose(
        standardized_mean_difference(X, ind, np.r_[w0, w1]), [(m1 - m0) / sd]
    )


def test_smd_uniform_weights_equal_unweighted(rng):
    X = rng.normal(size=(40, 3))
    ind = rng.randint(2, size=40)
    assert_allclose(
        standardized_mean_difference(X, ind, np.full(40, 2.5)),
        standardized_mean_difference(X, ind),
    )


def test_smd_labels_and_constant_column():
    X = np.array([[1.0, 0.0], [1.0, 2.0], [1.0, 1.0], [1.0, 3.0]])
    # String labels: the larger value ("t") is group 1.
    smd = standardized_mean_difference(X, ["c", "c", "t", "t"])
    assert_allclose(smd, [0.0, 1.0])
    # Swapping the labels flips the sign.
    assert_allclose(standardized_mean_difference(X, [1, 1, 0, 0]), [0.0, -1.0])


@pytest.mark.parametrize(
    "indicator, match",
    [([0, 1, 2, 1], "exactly two values"), ([0, 1], "expected \\(4,\\)")],
)
def test_smd_bad_indicator(indicator, match):
    with pytest.raises(ValueError, match=match):
        standardized_mean_difference(np.zeros((4, 1)), indicator)


# --------------------------------------------------------- balance table
def test_balance_table_unweighted_matches_scipy(rng):
    X = np.c_[rng.normal(size=60), rng.exponential(size=60)]
    ind = np.r_[np.zeros(25), np.ones(35)]
    X[ind == 1, 0] += 0.5
    table = balance_table(X, ind)
    assert list(table.columns) == ["smd_unweighted", "vr_unweighted", "ks_unweighted"]
    assert list(table.index) == ["x0", "x1"]
    g0, g1 = X[ind == 0], X[ind == 1]
    for j in range(2):
        assert table["vr_unweighted"].iloc[j] == pytest.approx(
            np.var(g1[:, j]) / np.var(g0[:, j])
        )
        assert table["ks_unweighted"].iloc[j] == pytest.approx(
            ks_2samp(g0[:, j], g1[:, j]).statistic
        )
    assert_allclose(table["smd_unweighted"], standardized_mean_difference(X, ind))


def test_balance_table_integer_weights_equal_repeated_rows(rng):
    # Weighted variance ratio and KS distance with integer weights are the
    # unweighted statistics of the data with rows repeated.
    X = rng.normal(size=(30, 2))
    ind = np.r_[np.zeros(12, dtype=int), np.ones(18, dtype=int)]
    w = rng.randint(0, 4, size=30).astype(float)
    w[[0, 12]] = 1.0  # keep both groups non-empty
    table = balance_table(X, ind, w)
    Xr, indr = np.repeat(X, w.astype(int), axis=0), np.repeat(ind, w.astype(int))
    g0, g1 = Xr[indr == 0], Xr[indr == 1]
    for j in range(2):
        assert table["vr_weighted"].iloc[j] == pytest.approx(
            np.var(g1[:, j]) / np.var(g0[:, j])
        )
        assert table["ks_weighted"].iloc[j] == pytest.approx(
            ks_2samp(g0[:, j], g1[:, j]).statistic
        )
    assert_allclose(table["smd_weighted"], standardized_mean_difference(X, ind, w))


def test_balance_table_dataframe_names_and_weighting_helps():
    # Weighting group 0 towards group 1's mean reduces every imbalance measure.
    x0 = np.array([0.0, 1.0, 2.0, 3.0])
    x1 = np.array([2.0, 3.0, 2.5, 3.5])
    X = pd.DataFrame({"age": np.r_[x0, x1]})
    ind = np.r_[np.zeros(4), np.ones(4)]
    w = np.r_[0.1, 0.1, 1.0, 1.0, np.ones(4)]
    table = balance_table(X, ind, w)
    assert list(table.index) == ["age"]
    assert table.shape == (1, 6)
    assert abs(table["smd_weighted"].iloc[0]) < abs(table["smd_unweighted"].iloc[0])
    assert table["ks_weighted"].iloc[0] < table["ks_unweighted"].iloc[0]


def test_balance_table_explicit_feature_names():
    table = balance_table(
        np.zeros((4, 2)) + [[0, 1]], [0, 0, 1, 1], feature_names=["a", "b"]
    )
    assert list(table.index) == ["a", "b"]
    # Constant columns: no imbalance, undefined variance ratio.
    assert_allclose(table["smd_unweighted"], [0.0, 0.0])
    assert np.isnan(table["vr_unweighted"]).all()
