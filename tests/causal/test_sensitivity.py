"""Sensitivity bounds under hidden confounding (Yadlowsky et al., 2022)."""

import warnings

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose
from scipy import optimize, stats
from scipy.special import expit
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.tree import DecisionTreeRegressor

from skreweight.causal import (
    ATEBounds,
    CATEBounds,
    WeightingEstimator,
    robustness_value,
    sensitivity_plot,
)
from skreweight.causal._sensitivity import _expectile_fit, _scalar_expectile
from skreweight.datasets import make_kang_schafer
from skreweight.exceptions import PositivityWarning
from skreweight.model_selection import sensitivity_loss, sensitivity_loss_scorer
from skreweight.weighting import (
    CBPS,
    EntropyBalancing,
    IPMBalancing,
    PropensityWeighting,
)


def _hidden_confounding(n, gamma0, rng, effect=1.0):
    """A hidden U = 1{eps > 0} moves the treatment odds by exactly gamma0."""
    X = rng.normal(size=(n, 2))
    eps = rng.normal(size=n)
    u = (eps > 0).astype(float)
    e = expit(0.5 * X[:, 0] - 0.5 * X[:, 1] + np.log(gamma0) * (u - 0.5))
    t = (rng.uniform(size=n) < e).astype(float)
    return X, X[:, 0] + eps + effect * t, t


def _normal_expectile(gamma):
    """Closed-form sharp bound of E[Y | T = 0] for Y | T = 1 ~ N(0, 1).

    The worst-case density ratio is gamma above a threshold c and 1 below;
    the bound is the largest such weighted mean over c (computed here by
    maximising over c, not by solving the expectile equation).
    """

    def neg(c):
        up = stats.norm.sf(c)
        num = gamma * stats.norm.pdf(c) - stats.norm.pdf(c)
        return -num / (gamma * up + (1 - up))

    return -optimize.minimize_scalar(neg, bounds=(-5, 5), method="bounded").fun


@pytest.fixture(scope="module")
def ks():
    return make_kang_schafer(400, propensity="correct", random_state=0)


# ------------------------------------------------------------------ numerics
def test_expectile_fit_with_an_intercept_only_model_is_the_sample_expectile():
    rng = np.random.default_rng(0)
    y = rng.exponential(size=300)
    X = np.zeros((300, 1))
    b = np.ones(300)
    for upper in (True, False):
        model, n_iter, converged, _ = _expectile_fit(
            LinearRegression(),
            X,
            y,
            b,
            3.0,
            upper,
            np.full(300, y.mean()),
            max_iter=50,
            tol=0.0,
        )
        assert converged
        c = model.predict(X[:1])[0]
        assert_allclose(c, _scalar_expectile(y, b, 3.0, upper), rtol=1e-10)
        r = y - c
        weight = np.where((r > 0) == upper, 3.0, 1.0)
        assert abs(np.sum(weight * r)) < 1e-8 * y.size  # first-order condition


def test_closed_form_normal_expectile_matches_the_scalar_root():
    rng = np.random.default_rng(1)
    y = rng.normal(size=200_000)
    for gamma in (1.5, 2.0, 4.0):
        sample = _scalar_expectile(y, np.ones_like(y), gamma, True)
        assert abs(sample - _normal_expectile(gamma)) < 0.01


def test_sensitivity_loss_is_the_squared_error_at_gamma_one():
    y, p = np.array([1.0, -2.0, 0.5]), np.array([0.0, 0.0, 1.0])
    assert_allclose(sensitivity_loss(y, p, gamma=1.0), np.mean((y - p) ** 2))
    assert sensitivity_loss(y, p, gamma=2.0) > sensitivity_loss(y, p, gamma=1.0)


# ----------------------------------------------------------- gamma = 1: AIPW
@pytest.mark.parametrize("estimand", ["ATE", "ATT"])
@pytest.mark.parametrize("weighter", [PropensityWeighting(), EntropyBalancing()])
def test_gamma_one_is_the_weighting_estimator_dr_form(ks, estimand, weighter):
    ref = WeightingEstimator(
        weighter, estimand=estimand, method="dr", cv=3, random_state=0
    ).fit(ks.X, ks.y, treatment=ks.treatment)
    est = ATEBounds(weighter, gamma=1.0, estimand=estimand, cv=3, random_state=0).fit(
        ks.X, ks.y, treatment=ks.treatment
    )
    assert_allclose(est.bounds_, [ref.effect_] * 2, rtol=1e-10)
    assert_allclose(est.bounds_stderr_, [ref.stderr_] * 2, rtol=1e-10)
    assert_allclose(est.conf_int(0.1), ref.conf_int(0.1), rtol=1e-10)
    assert_allclose(est.effect_, ref.effect_, rtol=1e-10)
    assert not est.crossed_


def test_bounds_widen_with_gamma_and_contain_the_aipw_estimate(ks):
    widths = []
    for gamma in (1.0, 1.5, 3.0):
        est = ATEBounds(gamma=gamma, random_state=0).fit(
            ks.X, ks.y, treatment=ks.treatment
        )
        lo, hi = est.bounds_
        assert lo <= est.effect_ <= hi
        widths.append(hi - lo)
    assert widths[0] == pytest.approx(0.0, abs=1e-9)
    assert widths[0] < widths[1] < widths[2]


@pytest.mark.parametrize(
    "weighter", [EntropyBalancing(), CBPS(), IPMBalancing(max_iter=50)]
)
def test_balancing_weighters_are_weight_sources(ks, weighter):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = ATEBounds(weighter, gamma=2.0, estimand="ATT", cv=2, random_state=0)
        est.fit(ks.X, ks.y, treatment=ks.treatment)
    lo, hi = est.bounds_
    assert lo < est.effect_ < hi
    assert type(est.weighter_) is type(weighter)
    assert est.weighter_.get_params()["estimand"] == "ATT"


# ------------------------------------------------------------------ validity
def test_closed_form_bounds_in_a_gaussian_design():
    # Y | T=a ~ N(a, 1), no confounding by X: the sharp ATE bounds are
    # 1 -/+ k(gamma) with k the N(0, 1) expectile at gamma / (1 + gamma)
    rng = np.random.default_rng(0)
    n = 6000
    X = rng.normal(size=(n, 2))
    t = (rng.uniform(size=n) < 0.4).astype(float)
    y = t + rng.normal(size=n)
    gamma = 2.0
    est = ATEBounds(
        gamma=gamma, model_t=LogisticRegression(), cv=2, random_state=0
    ).fit(X, y, treatment=t)
    k = _normal_expectile(gamma)
    lo, hi = est.bounds_
    # tolerance: 4 standard errors of each bound
    assert abs(lo - (1 - k)) < 4 * est.bounds_stderr_[0]
    assert abs(hi - (1 + k)) < 4 * est.bounds_stderr_[1]
    # sharpness: no wider than the closed form beyond the same tolerance
    assert hi - lo < 2 * k + 4 * max(est.bounds_stderr_)


@pytest.mark.slow
def test_identified_set_interval_covers_the_true_ate_under_gamma0_confounding():
    # the hidden confounder moves the odds by exactly gamma0; the true ATE (1)
    # sits at the lower end of the gamma0-bounds, where the nominal coverage
    # of the set interval is 97.5 %. Stated tolerance: >= 90 % of 40 seeded
    # replications (the benchmark runs 200 replications for the 95 % claim).
    rng = np.random.default_rng(0)
    gamma0, reps, cover, lows, naive = 2.0, 40, 0, [], []
    for r in range(reps):
        X, y, t = _hidden_confounding(400, gamma0, rng)
        est = ATEBounds(
            gamma=gamma0, model_t=LogisticRegression(), cv=2, random_state=r
        ).fit(X, y, treatment=t)
        lo, hi = est.conf_int(0.05)
        cover += lo <= 1.0 <= hi
        lows.append(est.bounds_[0])
        naive.append(est.effect_)
    assert cover / reps >= 0.9
    assert np.mean(naive) > 1.15  # the AIPW estimate is biased upwards
    assert abs(np.mean(lows) - 1.0) < 0.1  # and the lower bound is near-sharp


def test_robustness_value_is_where_the_interval_reaches_zero():
    rng = np.random.default_rng(3)
    X, y, t = _hidden_confounding(800, 1.0, rng, effect=0.6)
    est = ATEBounds(gamma=1.0, model_t=LogisticRegression(), cv=2, random_state=0).fit(
        X, y, treatment=t
    )
    assert est.conf_int()[0] > 0
    rv = robustness_value(est, rtol=1e-3)
    assert 1.0 < rv < 20.0
    path = est.sensitivity_path([rv / (1 + 5e-3), rv])
    assert path["ci_lower"].iloc[0] > 0 >= path["ci_lower"].iloc[1]
    # already insignificant: 1.0; never insignificant: inf
    est0 = ATEBounds(gamma=1.0, model_t=LogisticRegression(), cv=2, random_state=0).fit(
        X, y - 0.6 * t, treatment=t
    )
    assert robustness_value(est0) == 1.0
    big = ATEBounds(gamma=1.0, model_t=LogisticRegression(), cv=2, random_state=0).fit(
        X, y + 50 * t, treatment=t
    )
    assert robustness_value(big, gamma_max=1.5) == float("inf")


# ------------------------------------------------------------------ CATE
def test_cate_bounds_match_the_closed_form_in_a_homoskedastic_design():
    rng = np.random.default_rng(0)
    n = 6000
    X = rng.uniform(-1, 1, size=(n, 1))
    t = (rng.uniform(size=n) < expit(X[:, 0])).astype(float)
    y = X[:, 0] + t * (1 + X[:, 0]) + rng.normal(size=n)
    gamma = 3.0
    est = CATEBounds(gamma=gamma).fit(X, y, treatment=t)
    grid = np.linspace(-0.8, 0.8, 5)[:, None]
    k = _normal_expectile(gamma)
    bounds = est.predict_bounds(grid)
    tau = 1 + grid[:, 0]
    assert_allclose(bounds[:, 0], tau - k, atol=0.12)
    assert_allclose(bounds[:, 1], tau + k, atol=0.12)
    assert_allclose(est.predict(grid), tau, atol=0.12)
    assert est.n_crossed_ == 0


def test_cate_bounds_at_gamma_one_are_the_t_learner():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3))
    t = (rng.uniform(size=300) < 0.5).astype(float)
    y = X @ [1.0, -1.0, 0.5] + t + rng.normal(size=300)
    est = CATEBounds(gamma=1.0).fit(X, y, treatment=t)
    b = est.predict_bounds(X)
    assert_allclose(b[:, 0], b[:, 1])
    assert_allclose(b[:, 0], est.predict(X))


def test_cate_bounds_tunable_in_grid_search_with_the_scorer():
    rng = np.random.default_rng(2)
    n = 400
    X = rng.uniform(-2, 2, size=(n, 1))
    t = (rng.uniform(size=n) < 0.5).astype(float)
    y = np.sin(2 * X[:, 0]) + t + 0.3 * rng.normal(size=n)
    base = CATEBounds(DecisionTreeRegressor(random_state=0), gamma=2.0)
    grid = {"model_y__max_depth": [1, 4]}
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(
            base,
            grid,
            cv=KFold(3, shuffle=True, random_state=0),
            scoring=sensitivity_loss_scorer,
        )
        search.fit(X, y, treatment=t)
    # a sine needs more than one split: depth 4 has the lower held-out loss
    assert search.best_params_ == {"model_y__max_depth": 4}
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    with pytest.raises(ValueError, match="needs treatment"):
        sensitivity_loss_scorer(search.best_estimator_, X, y)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("cls", [ATEBounds, CATEBounds])
def test_gamma_below_one_is_a_clear_error(ks, cls):
    with pytest.raises(ValueError, match="gamma must be >= 1"):
        cls(gamma=0.5).fit(ks.X, ks.y, treatment=ks.treatment)
    with pytest.raises(ValueError, match="gamma must be >= 1"):
        sensitivity_loss([1.0], [0.0], gamma=0.9)


@pytest.mark.parametrize("cls", [ATEBounds, CATEBounds])
def test_missing_treatment_is_a_clear_error(ks, cls):
    with pytest.raises(ValueError, match="requires `treatment`"):
        cls().fit(ks.X, ks.y)


def test_propensities_at_zero_or_one_raise_the_positivity_warning():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 1))
    t = (X[:, 0] > 0).astype(float)  # perfect separation
    y = X[:, 0] + t + rng.normal(size=200)
    with pytest.warns(PositivityWarning):
        ATEBounds(cv=2, random_state=0).fit(X, y, treatment=t)
    with pytest.warns(PositivityWarning):
        CATEBounds().fit(X, y, treatment=t)


def test_crossing_bounds_are_reported_not_swapped():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    t = (rng.uniform(size=60) < 0.5).astype(float)
    y = rng.normal(size=60)
    est = CATEBounds(
        RandomForestRegressor(n_estimators=5, random_state=0), gamma=1.01, max_iter=3
    )
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        est.fit(X, y, treatment=t)
    if est.n_crossed_ == 0:
        pytest.skip("no crossing in this draw")
    assert any("exceeds the upper bound" in str(w.message) for w in rec)
    with pytest.warns(UserWarning, match="exceeds the upper bound"):
        b = est.predict_bounds(X)
    assert np.sum(b[:, 0] > b[:, 1]) == est.n_crossed_  # kept as estimated


def test_inputs_are_not_mutated(ks):
    X, y, t = ks.X.copy(), ks.y.copy(), ks.treatment.copy()
    sw = np.ones_like(y)
    ATEBounds(cv=2, random_state=0).fit(X, y, treatment=t, sample_weight=sw)
    assert_allclose(X, ks.X)
    assert_allclose(y, ks.y)
    assert_allclose(t, ks.treatment)
    assert_allclose(sw, 1.0)


def test_both_weight_sources_is_an_error(ks):
    with pytest.raises(ValueError, match="either weighter or model_t"):
        ATEBounds(PropensityWeighting(), model_t=LogisticRegression()).fit(
            ks.X, ks.y, treatment=ks.treatment
        )


def test_outcome_model_without_sample_weight_is_a_type_error(ks):
    from sklearn.neighbors import KNeighborsRegressor

    with pytest.raises(TypeError, match="sample_weight"):
        CATEBounds(KNeighborsRegressor()).fit(ks.X, ks.y, treatment=ks.treatment)


def test_integer_sample_weight_is_repeated_rows_without_cross_fitting(ks):
    rng = np.random.default_rng(0)
    sw = rng.integers(0, 3, size=ks.y.shape[0])
    rep = np.repeat(np.arange(ks.y.shape[0]), sw)
    kw = dict(gamma=2.0, model_t=LogisticRegression(), cv=None, tol=0.0, max_iter=50)
    a = ATEBounds(**kw).fit(ks.X, ks.y, treatment=ks.treatment, sample_weight=sw)
    b = ATEBounds(**kw).fit(ks.X[rep], ks.y[rep], treatment=ks.treatment[rep])
    assert_allclose(a.bounds_, b.bounds_, rtol=1e-6)
    assert_allclose(a.bounds_stderr_, b.bounds_stderr_, rtol=1e-6)


def test_sensitivity_plot_draws_the_bands(ks):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    est = ATEBounds(cv=2, random_state=0).fit(ks.X, ks.y, treatment=ks.treatment)
    ax = sensitivity_plot(est, [1.0, 2.0], robustness=1.5)
    assert len(ax.collections) == 2  # the set and its confidence band
    assert "gamma" in ax.get_xlabel()
    with pytest.raises(TypeError, match="fitted ATEBounds"):
        sensitivity_plot(CATEBounds(), [1.0])


def test_ridge_outcome_model_runs_and_reports_iterations(ks):
    est = ATEBounds(model_y=Ridge(), gamma=1.5, cv=2, random_state=0)
    est.fit(ks.X, ks.y, treatment=ks.treatment)
    assert est.n_iter_ >= 1
    assert est.propensity_.shape == ks.y.shape
    assert_allclose([np.mean(est.weights_[ks.treatment == a]) for a in (0, 1)], 1.0)


def test_linear_fast_path_is_the_weighted_least_squares_of_linear_regression():
    from skreweight.causal._sensitivity import _WeightedLeastSquares

    rng = np.random.default_rng(0)
    X, y, w = rng.normal(size=(50, 3)), rng.normal(size=50), rng.uniform(size=50)
    ref = LinearRegression().fit(X, y, sample_weight=w)
    fast = _WeightedLeastSquares(fit_intercept=True).fit(X, y, w)
    assert_allclose(fast.predict(X), ref.predict(X), rtol=1e-10)


def test_a_cheap_normalizer_model_changes_the_bounds_little(ks):
    kw = dict(
        gamma=2.0,
        cv=2,
        random_state=0,
        max_iter=1,
        model_y=RandomForestRegressor(
            n_estimators=10, random_state=0, min_samples_leaf=20
        ),
    )
    own = ATEBounds(**kw).fit(ks.X, ks.y, treatment=ks.treatment)
    cheap = ATEBounds(normalizer_model=LinearRegression(), **kw).fit(
        ks.X, ks.y, treatment=ks.treatment
    )
    assert own.effect_ == cheap.effect_
    # first-order insensitive to D: within a standard error of each other
    assert_allclose(own.bounds_, cheap.bounds_, atol=own.bounds_stderr_[0])
    assert own.bounds_ != cheap.bounds_


# ------------------------------------------------- WeightingEstimator.summary


@pytest.mark.parametrize("estimand", ["ATE", "ATT"])
def test_summary_robustness_is_robustness_value_of_the_bounds(ks, estimand):
    y = ks.y + 12 * ks.treatment
    kw = dict(estimand=estimand, cv=3, random_state=0)
    est = WeightingEstimator(PropensityWeighting(), method="dr", **kw)
    table = est.fit(ks.X, y, treatment=ks.treatment).summary(robustness=True)
    bounds = ATEBounds(PropensityWeighting(), **kw).fit(ks.X, y, treatment=ks.treatment)
    assert_allclose(bounds.effect_, est.effect_, rtol=1e-10)
    expected = robustness_value(bounds)
    assert 1.0 < expected < 20.0
    assert_allclose(table.loc[estimand, "robustness_value"], expected, rtol=1e-6)
    assert "robust. gamma" in str(table)
    assert any(note.startswith("Robustness value") for note in table.notes)


def test_summary_robustness_of_an_atc_is_that_of_the_flipped_att(ks):
    y, t = ks.y + 12 * ks.treatment, ks.treatment
    folds = list(KFold(3, shuffle=True, random_state=0).split(ks.X))
    est = WeightingEstimator(
        EntropyBalancing(), estimand="ATC", method="dr", cv=folds
    ).fit(ks.X, y, treatment=t)
    rv = est.summary(robustness=True).loc["ATC", "robustness_value"]
    flipped = ATEBounds(EntropyBalancing(), estimand="ATT", cv=folds).fit(
        ks.X, y, treatment=1 - t
    )
    assert_allclose(flipped.effect_, -est.effect_, rtol=1e-8)
    assert rv > 1.0
    assert_allclose(rv, robustness_value(flipped), rtol=1e-6)


def test_default_summary_fits_no_bounds_and_hajek_cannot_have_them(ks, monkeypatch):
    import skreweight.causal._sensitivity as sens

    def fail(*args, **kwargs):
        raise AssertionError("the default summary must not fit bounds")

    monkeypatch.setattr(sens, "weighting_robustness_value", fail)
    y = ks.y + 12 * ks.treatment
    dr = WeightingEstimator(method="dr").fit(ks.X, y, treatment=ks.treatment)
    assert "robustness_value" not in dr.summary().columns
    monkeypatch.undo()
    hajek = WeightingEstimator().fit(ks.X, ks.y, treatment=ks.treatment)
    with pytest.raises(ValueError, match="needs method='dr'"):
        hajek.summary(robustness=True)
    # in-sample DR (cv=None): the bounds are fitted on the same rows
    rv = dr.summary(robustness=True).loc["ATE", "robustness_value"]
    bounds = ATEBounds(EntropyBalancing(), cv=None).fit(ks.X, y, treatment=ks.treatment)
    assert rv > 1.0
    assert_allclose(rv, robustness_value(bounds), rtol=1e-6)
