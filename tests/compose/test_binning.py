"""PrebinnedRegressor / PrebinnedClassifier: unweighted bins before a weighted fit."""

import numpy as np
import pytest
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.linear_model import LinearRegression
from sklearn.neighbors import KNeighborsRegressor

from skreweight.compose import PrebinnedClassifier, PrebinnedRegressor


def _data(n=400, n_distinct=None, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4))
    if n_distinct is not None:
        X = np.round(X * n_distinct / 8) / (n_distinct / 8)
    y = X[:, 0] ** 2 + np.sin(3 * X[:, 1]) + rng.normal(scale=0.3, size=n)
    return X, y, rng.lognormal(size=n)


def test_same_trees_as_the_model_when_features_have_few_distinct_values():
    # with at most max_bins distinct values both bin on the distinct values:
    # the same partitions of the rows, hence the same predictions, weighted
    X, y, w = _data(n_distinct=40)
    assert max(np.unique(c).size for c in X.T) <= 255
    hgb = HistGradientBoostingRegressor(max_iter=30, random_state=0)
    direct = hgb.fit(X, y, sample_weight=w).predict(X)
    binned = PrebinnedRegressor(hgb).fit(X, y, sample_weight=w).predict(X)
    np.testing.assert_allclose(binned, direct, rtol=1e-12, atol=1e-12)


def test_classifier_matches_the_model_on_few_distinct_values():
    X, y, w = _data(n_distinct=40)
    y = (y > np.median(y)).astype(int)
    hgb = HistGradientBoostingClassifier(max_iter=20, random_state=0)
    direct = hgb.fit(X, y, sample_weight=w).predict_proba(X)
    clf = PrebinnedClassifier(hgb).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(clf.predict_proba(X), direct, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(clf.classes_, [0, 1])


def test_bin_edges_are_unweighted_quantiles():
    X, y, w = _data(n=3000)
    plain = PrebinnedRegressor(HistGradientBoostingRegressor(max_iter=5)).fit(X, y)
    weighted = PrebinnedRegressor(HistGradientBoostingRegressor(max_iter=5)).fit(
        X, y, sample_weight=w
    )
    for a, b in zip(plain.bin_thresholds_, weighted.bin_thresholds_):
        np.testing.assert_array_equal(a, b)
    col = np.sort(X[:, 0])
    expected = np.percentile(col, np.linspace(0, 100, 256)[1:-1], method="midpoint")
    np.testing.assert_array_equal(plain.bin_thresholds_[0], np.unique(expected))
    codes = plain.bin_codes(X)
    assert codes.max() <= 254 and codes.min() == 0
    # codes are monotone in the feature
    order = np.argsort(X[:, 0])
    assert np.all(np.diff(codes[order, 0]) >= 0)


def test_missing_values_stay_missing_and_max_bins_follows_the_model():
    X, y, _ = _data()
    X[::7, 2] = np.nan
    model = PrebinnedRegressor(HistGradientBoostingRegressor(max_bins=16, max_iter=5))
    codes = model.fit(X, y).bin_codes(X)
    assert np.isnan(codes[::7, 2]).all() and not np.isnan(codes[1::7, 2]).any()
    assert all(t.size <= 15 for t in model.bin_thresholds_)
    assert np.isfinite(model.predict(X)).all()


def test_subsample_is_seeded():
    X, y, _ = _data(n=2000)
    a = PrebinnedRegressor(subsample=500, random_state=0).fit(X, y)
    b = PrebinnedRegressor(subsample=500, random_state=0).fit(X, y)
    c = PrebinnedRegressor(subsample=500, random_state=1).fit(X, y)
    np.testing.assert_array_equal(a.bin_thresholds_[0], b.bin_thresholds_[0])
    assert not np.array_equal(a.bin_thresholds_[0], c.bin_thresholds_[0])


def test_estimator_without_sample_weight_is_refused_clearly():
    X, y, w = _data()
    with pytest.raises(TypeError, match="does not accept sample_weight"):
        PrebinnedRegressor(KNeighborsRegressor()).fit(X, y, sample_weight=w)
    # without weights any regressor works
    PrebinnedRegressor(LinearRegression()).fit(X, y)


def test_inputs_are_not_mutated():
    X, y, w = _data()
    X[0, 0] = np.nan
    copies = X.copy(), y.copy(), w.copy()
    PrebinnedRegressor(HistGradientBoostingRegressor(max_iter=5)).fit(
        X, y, sample_weight=w
    )
    for a, b in zip((X, y, w), copies):
        np.testing.assert_array_equal(a, b)
