"""Tests of WeightingEstimator."""

import warnings

import numpy as np
import pytest
from joblib import parallel_config
from numpy.testing import assert_allclose
from scipy.special import expit
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression

from skreweight.causal import WeightingEstimator
from skreweight.datasets import make_kang_schafer
from skreweight.weighting import (
    CBPS,
    ClassifierDensityRatio,
    EntropyBalancing,
    IPMBalancing,
    PropensityWeighting,
)


def _linear_sim(n, seed, tau=1.0, noise=1.0, hetero=0.5):
    """Well-specified design: logistic propensity, outcome linear in X and T*X."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 3))
    t = (rng.uniform(size=n) < expit(X @ [0.5, -0.5, 0.25])).astype(float)
    y = 1.0 + X @ [1.0, 2.0, -1.0] + t * (tau + hetero * X[:, 0])
    return X, y + noise * rng.normal(size=n), t


def test_hajek_closed_form():
    X, y, t = _linear_sim(300, 0)
    est = WeightingEstimator(
        PropensityWeighting(), estimand="ATE", se="sandwich_fixed"
    ).fit(X, y, treatment=t)
    assert est.stderr_method_ == "sandwich_fixed"
    w = est.weights_
    m1 = np.average(y[t == 1], weights=w[t == 1])
    m0 = np.average(y[t == 0], weights=w[t == 0])
    assert_allclose(est.effect_, m1 - m0)
    assert_allclose(est.potential_outcome_means_, (m1, m0))
    var = sum(
        np.sum(w[t == a] ** 2 * (y[t == a] - m) ** 2) / np.sum(w[t == a]) ** 2
        for a, m in ((1, m1), (0, m0))
    )
    assert_allclose(est.stderr_, np.sqrt(var))
    z = 1.959963984540054
    assert_allclose(
        est.conf_int(0.05),
        (est.effect_ - z * est.stderr_, est.effect_ + z * est.stderr_),
    )


@pytest.mark.parametrize("estimand", ["ATE", "ATT", "ATC"])
def test_dr_exact_for_noiseless_linear_outcome(estimand):
    """With a correct outcome model and no noise the DR estimate is exact."""
    X, y, t = _linear_sim(400, 1, noise=0.0, hetero=0.5)
    est = WeightingEstimator(PropensityWeighting(), estimand=estimand, method="dr").fit(
        X, y, treatment=t
    )
    target = {"ATE": np.ones_like(t, bool), "ATT": t == 1, "ATC": t == 0}[estimand]
    truth = 1.0 + 0.5 * X[target, 0].mean()
    assert_allclose(est.effect_, truth, atol=1e-8)


def test_att_treated_mean_is_untouched():
    X, y, t = _linear_sim(300, 2)
    est = WeightingEstimator(EntropyBalancing(), estimand="ATT").fit(X, y, treatment=t)
    assert_allclose(est.potential_outcome_means_[0], y[t == 1].mean())
    assert_allclose(est.weights_[t == 1], 1.0)


def test_integer_sample_weight_equals_repeated_rows():
    X, y, t = _linear_sim(150, 3)
    sw = np.random.RandomState(0).randint(1, 4, size=150)
    rep = np.repeat(np.arange(150), sw)
    for method in ("hajek", "dr"):
        est = WeightingEstimator(EntropyBalancing(estimand="ATE"), method=method)
        a = est.fit(X, y, treatment=t, sample_weight=sw.astype(float))
        a_eff, a_se = a.effect_, a.stderr_
        b = est.fit(X[rep], y[rep], treatment=t[rep])
        assert_allclose(a_eff, b.effect_, rtol=1e-6)
        assert_allclose(a_se, b.stderr_, rtol=1e-6)


def test_bootstrap_is_seeded_and_parallel_safe():
    X, y, t = _linear_sim(200, 4)
    kw = dict(estimand="ATE", se="bootstrap", n_bootstrap=20, random_state=0)
    a = WeightingEstimator(EntropyBalancing(), **kw).fit(X, y, treatment=t)
    with parallel_config(backend="threading"):  # no process start-up in CI
        b = WeightingEstimator(EntropyBalancing(), n_jobs=2, **kw)
        b.fit(X, y, treatment=t)
    assert a.bootstrap_effects_.shape == (20,)
    assert_allclose(a.bootstrap_effects_, b.bootstrap_effects_)
    assert_allclose(a.stderr_, np.std(a.bootstrap_effects_, ddof=1))


def test_bootstrap_and_sandwich_agree_for_dr():
    """Both SEs estimate the same sampling spread under a correct model."""
    X, y, t = _linear_sim(600, 5)
    common = dict(estimand="ATE", method="dr")
    sand = WeightingEstimator(EntropyBalancing(), **common).fit(X, y, treatment=t)
    boot = WeightingEstimator(
        EntropyBalancing(), se="bootstrap", n_bootstrap=100, random_state=0, **common
    ).fit(X, y, treatment=t)
    # 100 resamples estimate an SE to about +-7% (1 / sqrt(2 * 100)); allow 30%
    assert 0.7 < boot.stderr_ / sand.stderr_ < 1.3


@pytest.mark.parametrize(
    "weighter",
    [PropensityWeighting(), EntropyBalancing(), CBPS(), IPMBalancing()],
    ids=lambda w: type(w).__name__,
)
def test_every_weighter_recovers_the_effect(weighter):
    X, y, t = _linear_sim(500, 6, tau=2.0, hetero=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        est = WeightingEstimator(weighter, estimand="ATT", method="dr").fit(
            X, y, treatment=t
        )
    low, high = est.conf_int(0.001)
    assert low < 2.0 < high


def test_default_weighter_and_estimand_from_weighter():
    X, y, t = _linear_sim(200, 7)
    est = WeightingEstimator().fit(X, y, treatment=t)
    assert isinstance(est.weighter_, EntropyBalancing)
    assert est.estimand_ == "ATE"  # the one default of every causal weighter
    est = WeightingEstimator(EntropyBalancing(estimand="ATT")).fit(X, y, treatment=t)
    assert est.estimand_ == "ATT"
    est = WeightingEstimator(CBPS()).fit(X, y, treatment=t)
    assert est.estimand_ == "ATE"


def test_kang_schafer_dr_beats_naive():
    data = make_kang_schafer(1000, random_state=0)
    naive = data.y[data.treatment == 1].mean() - data.y[data.treatment == 0].mean()
    est = WeightingEstimator(IPMBalancing(), estimand="ATT", method="dr").fit(
        data.X, data.y, treatment=data.treatment
    )
    assert abs(est.effect_) < abs(naive) / 3


# ----------------------------------------------------------------- errors
def test_treatment_required():
    X, y, t = _linear_sim(50, 0)
    with pytest.raises(ValueError, match="requires `treatment`"):
        WeightingEstimator().fit(X, y)


def test_single_arm_and_non_binary():
    X, y, t = _linear_sim(50, 0)
    with pytest.raises(ValueError, match="no treated or no control"):
        WeightingEstimator().fit(X, y, treatment=np.ones(50))
    with pytest.raises(ValueError, match="must be binary"):
        WeightingEstimator().fit(X, y, treatment=np.arange(50) % 3)


def test_weighter_without_estimand_and_non_weighter():
    X, y, t = _linear_sim(50, 0)
    with pytest.raises(ValueError, match="no estimand parameter"):
        WeightingEstimator(ClassifierDensityRatio(), estimand="ATT").fit(
            X, y, treatment=t
        )
    with pytest.raises(TypeError, match="skreweight weighter"):
        WeightingEstimator(LinearRegression()).fit(X, y, treatment=t)


def test_conf_int_errors():
    X, y, t = _linear_sim(50, 0)
    with pytest.raises(NotFittedError):
        WeightingEstimator().conf_int()
    est = WeightingEstimator(se=None).fit(X, y, treatment=t)
    assert np.isnan(est.stderr_)
    with pytest.raises(ValueError, match="No standard error"):
        est.conf_int()
    with pytest.raises(ValueError, match="alpha"):
        WeightingEstimator().fit(X, y, treatment=t).conf_int(1.5)


# ------------------------------------------------------------- coverage
@pytest.mark.slow
def test_confidence_interval_coverage_monte_carlo():
    """95% intervals cover the true ATE in [0.93, 0.97] of 500 replications.

    Well-specified design (logistic propensity, outcome linear in X with a
    T * X1 interaction, true ATE = 1), entropy balancing + DR + sandwich SE.
    With 500 replications the Monte-Carlo standard error of a 0.95 coverage
    is 0.0097, so [0.93, 0.97] is about +-2 of them. Seeds are fixed.
    """
    hits = 0
    est = WeightingEstimator(EntropyBalancing(), estimand="ATE", method="dr")
    for seed in range(500):
        X, y, t = _linear_sim(400, 1000 + seed)
        low, high = est.fit(X, y, treatment=t).conf_int(0.05)
        hits += low <= 1.0 <= high
    coverage = hits / 500
    assert 0.93 <= coverage <= 0.97, coverage


# ----------------------------------------------------------------- plots
def test_love_and_overlap_plots():
    pytest.importorskip("matplotlib")
    from skreweight.causal import love_plot, overlap_plot

    X, y, t = _linear_sim(200, 0)
    w = EntropyBalancing().fit(X, treatment=t).weights_
    ax = love_plot(X, t, {"EB": w, "uniform": np.ones_like(w)}, threshold=0.1)
    assert [tick.get_text() for tick in ax.get_yticklabels()] == ["x0", "x1", "x2"]
    # EB balances exactly: its points sit at 0
    eb = ax.collections[1].get_offsets()[:, 0]
    assert_allclose(eb, 0.0, atol=1e-6)
    pw = PropensityWeighting().fit(X, treatment=t)
    ax = overlap_plot(pw.propensity_, t)
    assert len(ax.patches) > 0
    with pytest.raises(ValueError, match="two values"):
        overlap_plot(pw.propensity_, np.zeros_like(t))


# ------------------------------------------------------------- cross-fitting
def test_cross_fitted_dr_matches_hand_computation():
    from sklearn.model_selection import StratifiedKFold

    X, y, t = _linear_sim(300, 1)
    s = np.random.RandomState(0).randint(1, 3, size=300).astype(float)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    est = WeightingEstimator(
        EntropyBalancing(), estimand="ATT", method="dr", cv=cv
    ).fit(X, y, treatment=t, sample_weight=s)
    w = est.weights_
    mu = {1: np.empty(300), 0: np.empty(300)}
    for train, test in cv.split(X, t):
        for arm in (1, 0):
            m = train[t[train] == arm]
            model = LinearRegression().fit(X[m], y[m], sample_weight=(w * s)[m])
            mu[arm][test] = model.predict(X[test])
    tr = t == 1
    expected = np.average(mu[1][tr] - mu[0][tr], weights=s[tr])
    for arm, sign in ((1, 1), (0, -1)):
        rows = t == arm
        resid = (y - mu[arm])[rows]
        expected += sign * np.average(resid, weights=(w * s)[rows])
    assert_allclose(est.effect_, expected, rtol=1e-12)
    assert len(est.models_y_) == 3
    assert est.stderr_method_ == "sandwich_fixed"  # no stacked form across folds


def test_cross_fitting_keeps_the_residual_correction_of_flexible_models():
    # A fully grown tree interpolates its training rows: in-sample, every
    # residual is 0 and the augmented estimate collapses to the outcome
    # model's; cross-fitted, the weights correct its out-of-fold errors.
    from sklearn.tree import DecisionTreeRegressor

    X, y, t = _linear_sim(400, 2)
    tree = DecisionTreeRegressor(random_state=0)
    kw = dict(estimand="ATT", method="dr", model_y=tree)
    inside = WeightingEstimator(EntropyBalancing(), **kw).fit(X, y, treatment=t)
    m1, m0 = inside.models_y_
    tr = t == 1
    direct = np.mean(m1.predict(X[tr]) - m0.predict(X[tr]))
    assert_allclose(inside.effect_, direct, atol=1e-10)
    assert_allclose(inside.potential_outcome_means_[1], m0.predict(X[tr]).mean())

    crossed = WeightingEstimator(EntropyBalancing(), cv=5, random_state=0, **kw)
    crossed.fit(X, y, treatment=t)
    again = WeightingEstimator(EntropyBalancing(), cv=5, random_state=0, **kw)
    assert again.fit(X, y, treatment=t).effect_ == crossed.effect_  # seeded folds
    assert abs(crossed.effect_ - inside.effect_) > 1e-3


def test_cross_fitting_bad_folds():
    X, y, t = _linear_sim(100, 3)
    treated, control = np.flatnonzero(t == 1), np.flatnonzero(t == 0)
    # a fold whose training rows hold no treated unit
    folds = [(control, treated), (treated, control)]
    est = WeightingEstimator(EntropyBalancing(), method="dr", cv=folds)
    with pytest.raises(ValueError, match="no treated rows"):
        est.fit(X, y, treatment=t)
    overlapping = [(np.arange(50), np.arange(50, 100)), (np.arange(60), np.arange(60))]
    est = WeightingEstimator(EntropyBalancing(), method="dr", cv=overlapping)
    with pytest.raises(ValueError, match="partition the rows"):
        est.fit(X, y, treatment=t)
