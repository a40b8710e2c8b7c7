"""Tests of the LR-QR conformal regressor and classifier."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone

from skreweight.covariate_shift import (
    LRQRConformalClassifier,
    LRQRConformalRegressor,
    WeightedConformalRegressor,
)
from skreweight.covariate_shift._conformal import _calibration_split
from skreweight.covariate_shift._lrqr import (
    _gradient_norm,
    lambda_star,
    lrqr_threshold,
)
from skreweight.datasets import make_covariate_shift
from skreweight.exceptions import MissingContextWarning


def _draw(rng, n, shift, d=5):
    X = rng.normal(size=(n, d))
    X[:, 0] += shift
    y = X @ (np.ones(d) / np.sqrt(d)) + rng.normal(size=n) * (0.3 + np.abs(X[:, 0]))
    return X, y


def test_lam_zero_is_quantile_regression_of_the_scores():
    """With lam=0 and an intercept only, the threshold is the 1-alpha quantile."""
    rng = np.random.RandomState(0)
    s = rng.exponential(size=2000)
    s = s / np.quantile(s, 0.9)
    ones = np.ones((2000, 1))
    theta, _ = lrqr_threshold(ones, s, np.ones(2000), ones, alpha=0.1, lam=0.0)
    assert abs(np.mean(s <= theta[0]) - 0.9) < 0.005


def test_beta_matches_first_order_condition():
    """At the optimum, beta = mean_t[h] / mean_s[h^2] (stationarity in beta)."""
    rng = np.random.RandomState(0)
    X, y = _draw(rng, 600, 0.0)
    Xt, _ = _draw(rng, 400, 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        est = LRQRConformalRegressor(lam=0.5, random_state=0).fit(X, y, X_target=Xt)
    h_t = est._phi(Xt) @ est.coef_
    # E_s[h^2] is taken over every source row (the unlabelled source sample)
    h_s = est._phi(X) @ est.coef_
    assert est.beta_ == pytest.approx(h_t.mean() / np.mean(h_s**2), rel=1e-3)


def test_lambda_star_closed_form():
    """lambda* = (n_1 (1/n_2 + 1/n_3))^(-1/3) (Joshi et al. 2025, eq. 3)."""
    assert lambda_star(500, 1000, 1000) == pytest.approx(1.0)
    assert lambda_star(1000, 125, 1e15) == pytest.approx(0.5)
    # more unlabelled rows per labelled row: a stronger regulariser
    assert lambda_star(100, 10_000, 10_000) > lambda_star(1000, 1000, 1000)


def test_gradient_norm_is_small_at_the_in_sample_optimum():
    """The validation measure is the LR-QR gradient: on the rows it was fitted
    on it is (nearly) zero, on perturbed coefficients it is not."""
    rng = np.random.RandomState(1)
    n, m = 800, 600
    Phi = np.column_stack([np.ones(n), rng.normal(size=(n, 2))])
    Phi_t = np.column_stack([np.ones(m), rng.normal(0.5, 1.0, size=(m, 2))])
    s = rng.exponential(size=n) * (1 + 0.3 * np.abs(Phi[:, 1]))
    s /= np.quantile(s, 0.9)
    w = np.ones(n)
    theta, beta = lrqr_threshold(Phi, s, w, Phi_t, alpha=0.1, lam=0.3)
    data = (Phi, s, w, Phi_t, Phi, w)
    at_opt = _gradient_norm(theta, beta, data, tau=0.9, lam=0.3)
    off = _gradient_norm(theta + 0.2, beta, data, tau=0.9, lam=0.3)
    assert at_opt < 3 * 3 / n + 1e-3  # ties of the pinball subgradient only
    assert off > 10 * at_opt


def test_auto_lambda_is_the_papers_cross_validated_choice():
    """lam="auto": a ten-point grid from lambda*/10 to lambda*, the value with
    the smallest held-out gradient norm, then the fixed-lam refit."""
    rng = np.random.RandomState(3)
    X, y = _draw(rng, 600, 0.0)
    Xt, _ = _draw(rng, 300, 1.0)
    est = LRQRConformalRegressor(random_state=0).fit(X, y, X_target=Xt)
    top = lambda_star(300, 300, 600)  # 300 calibration, 300 target, 600 source
    np.testing.assert_allclose(est.lam_grid_, np.linspace(top / 10, top, 10))
    assert est.lam_ == est.lam_grid_[np.argmin(est.lam_scores_)]
    fixed = LRQRConformalRegressor(lam=est.lam_, random_state=0).fit(X, y, X_target=Xt)
    np.testing.assert_allclose(fixed.coef_, est.coef_)


def test_intervals_and_attributes():
    rng = np.random.RandomState(0)
    X, y = _draw(rng, 400, 0.0)
    Xt, _ = _draw(rng, 300, 1.0)
    est = LRQRConformalRegressor(random_state=0).fit(X, y, X_target=Xt)
    lo, hi = est.predict_interval(Xt).T
    assert np.all(hi >= lo)
    np.testing.assert_allclose((lo + hi) / 2, est.predict(Xt))
    assert 0.0 <= est.calibration_coverage_ <= 1.0
    assert est.coef_.shape == (6,)


def test_sample_weight_zero_equals_dropping_calibration_rows():
    """A zero weight on a calibration row is the same as removing its score."""
    rng = np.random.RandomState(0)
    X, y = _draw(rng, 300, 0.0)
    Xt, _ = _draw(rng, 200, 1.0)
    sw = np.ones(300)
    est = LRQRConformalRegressor(lam=0.1, random_state=0)
    cal, _ = _calibration_split(est, X, y, sw, calibration_size=0.5, random_state=0)
    sw[cal[:10]] = 0.0
    a = clone(est).fit(X, y, X_target=Xt, sample_weight=sw)
    # zero-weight rows leave the split: the same as fitting without them
    keep = sw > 0
    b = clone(est).fit(X[keep], y[keep], X_target=Xt)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(a.calibration_scores_, b.calibration_scores_)
    c = clone(est).fit(X, y, X_target=Xt)
    assert not np.allclose(a.coef_, c.coef_)


def test_calibration_coverage_is_reported():
    """The attribute is the weighted share of calibration rows inside their
    interval; a share below nominal by more than 2/sqrt(n) warns."""
    rng = np.random.RandomState(0)
    X, y = _draw(rng, 400, 0.0)
    Xt, _ = _draw(rng, 400, 1.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        est = LRQRConformalRegressor(random_state=0).fit(X, y, X_target=(Xt,))
    cal, _ = _calibration_split(
        est, X, y, np.ones(400), calibration_size=0.5, random_state=0
    )
    lo, hi = est.predict_interval(X[cal]).T
    inside = (y[cal] >= lo) & (y[cal] <= hi)
    assert est.calibration_coverage_ == pytest.approx(inside.mean())
    assert est.shifted_
    # without shift, in-sample coverage is at least nominal (stationarity in
    # the intercept), so no warning; a low value does warn
    with pytest.warns(MissingContextWarning, match="X_target"):
        plain = LRQRConformalRegressor(random_state=0).fit(X, y)
    assert plain.calibration_coverage_ >= 0.9 - 2 / np.sqrt(200)
    plain.calibration_coverage_ = 0.7
    with pytest.warns(UserWarning, match="below the nominal 90%"):
        plain._warn_coverage(np.ones(200))


def test_classifier_sets():
    d = make_covariate_shift(n_source=400, n_target=200, random_state=0)
    clf = LRQRConformalClassifier(random_state=0).fit(
        d.X_source, d.y_source, X_target=d.X_target
    )
    sets = clf.predict_set(d.X_target)
    assert sets.shape == (200, 2) and sets.dtype == bool
    with pytest.raises(ValueError, match="at least 2 classes"):
        LRQRConformalClassifier().fit(d.X_source, np.zeros(400))


@pytest.mark.slow
def test_target_coverage_monte_carlo():
    """40 seeded replications, n=1000 source, 1000 target rows, d=5: the mean
    target coverage of LR-QR is within 0.03 of 0.90 (its Monte-Carlo standard
    error is about 0.005), while unweighted split conformal undercovers
    (mean below 0.85)."""
    cov, cov_split = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for rep in range(40):
            rng = np.random.RandomState(rep)
            X, y = _draw(rng, 1000, 0.0)
            Xt, yt = _draw(rng, 1000, 1.0)
            for est, out in (
                (LRQRConformalRegressor(random_state=rep).fit(X, y, X_target=Xt), cov),
                (WeightedConformalRegressor(random_state=rep).fit(X, y), cov_split),
            ):
                lo, hi = est.predict_interval(Xt).T
                out.append(np.mean((yt >= lo) & (yt <= hi)))
    assert abs(np.mean(cov) - 0.90) < 0.03
    assert np.mean(cov_split) < 0.85


@pytest.mark.slow
def test_classifier_target_coverage_monte_carlo():
    """20 seeded replications of make_covariate_shift (1000 + 1000 rows): the
    LR-QR sets cover at least 0.88 of the target labels on average (nominal
    0.90, Monte-Carlo SE about 0.005; measured 0.94 over 30 reps, so they are
    conservative here), unweighted split conformal below 0.85."""
    from skreweight.covariate_shift import WeightedConformalClassifier

    cov, cov_plain = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for rep in range(20):
            d = make_covariate_shift(n_source=1000, n_target=1000, random_state=rep)
            for est, out in (
                (
                    LRQRConformalClassifier(random_state=rep).fit(
                        d.X_source, d.y_source, X_target=d.X_target
                    ),
                    cov,
                ),
                (
                    WeightedConformalClassifier(random_state=rep).fit(
                        d.X_source, d.y_source
                    ),
                    cov_plain,
                ),
            ):
                sets = est.predict_set(d.X_target)
                idx = np.searchsorted(est.classes_, d.y_target)
                out.append(sets[np.arange(idx.shape[0]), idx].mean())
    assert np.mean(cov) >= 0.88
    assert np.mean(cov_plain) < 0.85


def test_empty_target_sets_are_reported():
    """A threshold negative on more than alpha of the target rows gives empty
    sets there, so coverage below nominal: the share is stored and warns."""
    rng = np.random.RandomState(0)
    X, y = _draw(rng, 400, 0.0)
    Xt, _ = _draw(rng, 200, 1.0)
    est = LRQRConformalRegressor(lam=0.1, random_state=0).fit(X, y, X_target=Xt)
    assert est.target_empty_share_ <= est.alpha
    est.coef_ = est.coef_.copy()
    est.coef_[0] = -100.0  # a threshold below zero everywhere
    with pytest.warns(UserWarning, match="negative on 100.0% of the X_target"):
        est._warn_empty(Xt)
    assert est.target_empty_share_ == 1.0
    lo, hi = est.predict_interval(Xt).T
    np.testing.assert_array_equal(lo, hi)
