"""Stacked M-estimation sandwich of WeightingEstimator and CBPS's GMM gradient."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import integrate, stats
from scipy.special import expit
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge

from skreweight.causal import WeightingEstimator
from skreweight.datasets import load_lalonde, make_kang_schafer
from skreweight.weighting import (
    CBPS,
    EntropyBalancing,
    IPMBalancing,
    PropensityWeighting,
)

PROPENSITY_COEF = np.array([0.5, -0.5, 0.25])


def _sim(n, seed, hetero=0.5):
    """Logistic propensity, outcome linear in X with a T * X1 interaction."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 3))
    t = (rng.uniform(size=n) < expit(X @ PROPENSITY_COEF)).astype(float)
    y = 1.0 + X @ [1.0, 2.0, -1.0] + t * (1.0 + hetero * X[:, 0])
    return X, y + rng.normal(size=n), t


def _true_att(hetero=0.5):
    """Population ATT of ``_sim``: ``1 + hetero * E[X1 | T = 1]``.

    With ``u = a . X ~ N(0, |a|^2)``, Stein's lemma gives ``E[X1 e(X)] =
    a_1 E[e'(u)]``, and ``E[e(u)] = 1/2`` by symmetry.
    """
    a = PROPENSITY_COEF
    dens = stats.norm(scale=np.linalg.norm(a)).pdf
    slope = integrate.quad(lambda u: expit(u) * expit(-u) * dens(u), -np.inf, np.inf)
    return 1.0 + hetero * a[0] * slope[0] / 0.5


MESTIMATORS = [
    PropensityWeighting(estimand="ATE"),
    PropensityWeighting(estimand="ATT"),
    PropensityWeighting(estimand="ATO", clip=0.05),
    PropensityWeighting(LogisticRegression(C=0.5), estimand="ATC"),
    PropensityWeighting(LogisticRegression(C=np.inf), estimand="ATE"),
    EntropyBalancing(estimand="ATT"),
    EntropyBalancing(estimand="ATE", moments=2),
    EntropyBalancing(estimand="ATC"),
    CBPS(estimand="ATE"),
    CBPS(estimand="ATT"),
    CBPS(estimand="ATC"),
]


def _id(w):
    return f"{type(w).__name__}-{w.estimand}"


@pytest.mark.parametrize("weighter", MESTIMATORS, ids=_id)
def test_m_estimation_jacobian_by_finite_differences(weighter):
    """``jac`` and ``dlog_weight`` are the derivatives of ``g`` and ``log_weight``.

    Checked by central differences at the fitted parameters, with
    non-uniform sample weights; the equations also hold at the fit.
    """
    X, _, t = _sim(300, 0)
    s = np.random.RandomState(1).uniform(0.5, 2.0, size=300)
    weighter.fit(X, treatment=t, sample_weight=s)
    mest = weighter._m_estimation(X, t, s)
    theta = mest["theta"]
    k = theta.shape[0]
    assert mest["g"].shape == (300, k) and mest["jac"].shape == (k, k)
    # the estimating equations hold at the fit (up to the solver's tolerance)
    scale = np.abs(s @ np.abs(mest["g"])).max()
    assert np.abs(s @ mest["g"]).max() < 1e-3 * scale
    num_jac, num_dlog = np.empty((k, k)), np.empty((300, k))
    for j in range(k):
        step = 1e-6 * max(1.0, abs(theta[j]))
        up, down = theta.copy(), theta.copy()
        up[j] += step
        down[j] -= step
        mu, md = (weighter._m_estimation(X, t, s, theta=v) for v in (up, down))
        num_jac[:, j] = s @ (mu["g"] - md["g"]) / (2 * step)
        num_dlog[:, j] = (mu["log_weight"] - md["log_weight"]) / (2 * step)
    assert_allclose(mest["jac"], num_jac, rtol=1e-5, atol=1e-5 * np.abs(num_jac).max())
    assert_allclose(mest["dlog_weight"], num_dlog, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("weighter", MESTIMATORS[:3] + MESTIMATORS[5:8], ids=_id)
def test_log_weight_gives_the_weights(weighter):
    """The hook's log weights are the fitted weights, up to a constant per arm."""
    X, _, t = _sim(300, 2)
    weighter.fit(X, treatment=t)
    log_w = weighter._m_estimation(X, t, np.ones(300))["log_weight"]
    for arm in (0, 1):
        m = t == arm
        ratio = weighter.weights_[m] / np.exp(log_w[m])
        assert_allclose(ratio, ratio[0], rtol=1e-8)


@pytest.mark.parametrize(
    "weighter, estimand, method",
    [
        (EntropyBalancing(), "ATT", "hajek"),
        (PropensityWeighting(), "ATE", "hajek"),
        (CBPS(), "ATE", "hajek"),
        (CBPS(method="over"), "ATT", "hajek"),
        (PropensityWeighting(), "ATT", "dr"),
        (EntropyBalancing(), "ATE", "dr"),
    ],
    ids=lambda p: p if isinstance(p, str) else type(p).__name__,
)
def test_stacked_sandwich_agrees_with_bootstrap(weighter, estimand, method):
    """The stacked SE matches the bootstrap SE; the fixed-weights one need not.

    200 resamples estimate an SE to about 1 / sqrt(2 * 200) = 5 %; the
    tolerance is 15 % (3 of them). Measured on this design (n = 1000):
    ratios 0.98-1.03 for every weighter, estimand and form.
    """
    X, y, t = _sim(1000, 5)
    kw = dict(estimand=estimand, method=method)
    sand = WeightingEstimator(weighter, **kw).fit(X, y, treatment=t)
    assert sand.stderr_method_ == "sandwich_stacked"
    boot = WeightingEstimator(
        weighter, se="bootstrap", n_bootstrap=200, random_state=0, **kw
    ).fit(X, y, treatment=t)
    assert boot.stderr_method_ == "bootstrap"
    assert 0.85 < sand.stderr_ / boot.stderr_ < 1.15


@pytest.mark.parametrize("seed", range(5))
def test_estimated_propensity_sandwich_below_fixed_for_ate(seed):
    """Lunceford and Davidian (2004): with a correctly specified logistic
    propensity, estimating it does not increase the variance of the IPW ATE,
    so the stacked sandwich is at most the fixed-weights (known-propensity)
    one. Here the fixed one is about 2.5 times larger.
    """
    X, y, t = _sim(800, 10 + seed)
    kw = dict(estimand="ATE", method="hajek")
    stacked = WeightingEstimator(PropensityWeighting(), **kw).fit(X, y, treatment=t)
    fixed = WeightingEstimator(PropensityWeighting(), se="sandwich_fixed", **kw)
    fixed.fit(X, y, treatment=t)
    assert stacked.stderr_method_ == "sandwich_stacked"
    assert_allclose(stacked.effect_, fixed.effect_)
    assert stacked.stderr_ <= fixed.stderr_


def test_stacked_equals_fixed_when_the_outcome_model_is_right_for_eb_att():
    """EB's ATT with a linear DR model: the weights' estimation has no
    first-order effect (Zhao and Percival 2017), and exact balance makes the
    two sandwiches equal up to rounding."""
    X, y, t = _sim(500, 3)
    kw = dict(estimand="ATT", method="dr")
    a = WeightingEstimator(EntropyBalancing(), **kw).fit(X, y, treatment=t)
    b = WeightingEstimator(EntropyBalancing(), se="sandwich_fixed", **kw)
    b.fit(X, y, treatment=t)
    assert a.stderr_method_ == "sandwich_stacked"
    assert_allclose(a.stderr_, b.stderr_, rtol=1e-4)


@pytest.mark.parametrize("method", ["hajek", "dr"])
def test_entropy_balancing_and_exact_cbps_att_share_their_sandwich(method):
    """For the ATT, EB and the just-identified CBPS are one estimator in two
    parametrisations (the dual multipliers and the target moments, or the
    logistic coefficients): the stacked sandwich, the derivative of the same
    functional at the empirical distribution, must be the same."""
    X, y, t = _sim(600, 8)
    eb = WeightingEstimator(EntropyBalancing(), estimand="ATT", method=method)
    cbps = WeightingEstimator(CBPS(), estimand="ATT", method=method)
    eb.fit(X, y, treatment=t)
    cbps.fit(X, y, treatment=t)
    assert eb.stderr_method_ == cbps.stderr_method_ == "sandwich_stacked"
    assert_allclose(eb.effect_, cbps.effect_, rtol=1e-6)
    assert_allclose(eb.stderr_, cbps.stderr_, rtol=1e-5)


def test_stacked_sandwich_sample_weight_equals_repeated_rows():
    X, y, t = _sim(150, 4)
    sw = np.random.RandomState(0).randint(1, 4, size=150)
    rep = np.repeat(np.arange(150), sw)
    for weighter in (PropensityWeighting(), CBPS(estimand="ATT")):
        for method in ("hajek", "dr"):
            est = WeightingEstimator(weighter, method=method)
            a = est.fit(X, y, treatment=t, sample_weight=sw.astype(float))
            a_se = a.stderr_
            assert a.stderr_method_ == "sandwich_stacked"
            b = est.fit(X[rep], y[rep], treatment=t[rep])
            assert_allclose(a_se, b.stderr_, rtol=1e-4)


@pytest.mark.parametrize(
    "weighter, model_y",
    [
        (IPMBalancing(max_iter=50), None),
        (PropensityWeighting(RandomForestClassifier(5, random_state=0)), None),
        (
            PropensityWeighting(
                LogisticRegression(l1_ratio=1, solver="saga", random_state=0)
            ),
            None,
        ),
        (PropensityWeighting(trim=0.05), None),
        (EntropyBalancing(), Ridge()),
    ],
    ids=["ipm", "forest", "l1", "trim", "ridge-outcome"],
)
def test_fallback_to_fixed_weights(weighter, model_y):
    X, y, t = _sim(200, 6)
    method = "hajek" if model_y is None else "dr"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = WeightingEstimator(
            weighter, estimand="ATT", method=method, model_y=model_y
        ).fit(X, y, treatment=t)
        fixed = WeightingEstimator(
            weighter,
            estimand="ATT",
            method=method,
            model_y=model_y,
            se="sandwich_fixed",
        ).fit(X, y, treatment=t)
    assert est.stderr_method_ == "sandwich_fixed"
    assert_allclose(est.stderr_, fixed.stderr_, rtol=1e-5)


def test_no_stderr_method_without_se():
    X, y, t = _sim(100, 0)
    est = WeightingEstimator(se=None).fit(X, y, treatment=t)
    assert est.stderr_method_ is None


# ------------------------------------------------------------------ CBPS
def _cbps_mean_moments(cbps, beta, Z, t, s):
    e = expit(Z @ beta)
    r = (t - e) * s
    return np.r_[Z.T @ r, Z.T @ (r * cbps._h(e))] / s.sum()


@pytest.mark.parametrize("estimand", ["ATE", "ATT", "ATC"])
def test_cbps_gmm_gradient_by_finite_differences(estimand):
    """The analytic gradient of the GMM criterion and the moment Jacobian."""
    data = make_kang_schafer(400, random_state=0)
    t = data.treatment
    cbps = CBPS(estimand=estimand, method="over").fit(data.X, treatment=t)
    Z = np.hstack([np.ones((400, 1)), cbps._transform(data.X)])
    s = np.random.RandomState(0).uniform(0.5, 2.0, size=400)
    rng = np.random.RandomState(1)
    for _ in range(3):  # away from the optimum, where the gradient is large
        beta = np.r_[cbps.intercept_, cbps.coef_] + 0.2 * rng.normal(size=Z.shape[1])
        _, grad, G, _ = cbps._gmm(beta, Z, t, s)
        num, num_G = np.empty_like(grad), np.empty_like(G)
        for j in range(beta.shape[0]):
            up, down = beta.copy(), beta.copy()
            up[j] += 1e-6
            down[j] -= 1e-6
            num[j] = (cbps._gmm(up, Z, t, s)[0] - cbps._gmm(down, Z, t, s)[0]) / 2e-6
            num_G[:, j] = (
                _cbps_mean_moments(cbps, up, Z, t, s)
                - _cbps_mean_moments(cbps, down, Z, t, s)
            ) / 2e-6
        assert_allclose(grad, num, rtol=1e-4, atol=1e-6 * np.abs(num).max())
        assert_allclose(G, num_G, rtol=1e-4, atol=1e-6 * np.abs(num_G).max())


def test_cbps_over_reaches_a_stationary_point():
    data = make_kang_schafer(1000, random_state=0)
    cbps = CBPS(estimand="ATT", method="over").fit(data.X, treatment=data.treatment)
    Z = np.hstack([np.ones((1000, 1)), cbps._transform(data.X)])
    beta = np.r_[cbps.intercept_, cbps.coef_]
    value, grad, _, _ = cbps._gmm(beta, Z, data.treatment, np.ones(1000))
    assert cbps.converged_
    assert np.abs(grad).max() < 1e-6
    assert_allclose(cbps.j_statistic_, 1000 * value)


# -------------------------------------------------------------- coverage
@pytest.mark.slow
def test_entropy_balancing_att_coverage_monte_carlo():
    """95% intervals of EB's ATT (Hajek, stacked sandwich) cover in [0.93, 0.97].

    Well-specified design (logistic propensity, outcome linear in X, effect
    1 + 0.5 X1, population ATT from ``_true_att``), n = 400, 2000 seeded
    replications: the Monte-Carlo standard error of a 0.95 coverage is
    0.005, so the band is about +-4 of them (measured: 0.9405). Runs in
    about 15 s on one core.
    """
    truth = _true_att()
    est = WeightingEstimator(EntropyBalancing(), estimand="ATT")
    hits = 0
    for seed in range(2000):
        X, y, t = _sim(400, seed)
        low, high = est.fit(X, y, treatment=t).conf_int(0.05)
        hits += low <= truth <= high
    assert est.stderr_method_ == "sandwich_stacked"
    coverage = hits / 2000
    assert 0.93 <= coverage <= 0.97, coverage


def test_singular_stacked_sandwich_warns_and_falls_back():
    # 50 treated and 150 PSID controls: CBPS's over-identified moment
    # covariance is singular on this subset (a regression found by the
    # Lalonde benchmark's warm-up fit)
    data = load_lalonde("psid1")
    t = data.treatment
    rows = np.r_[np.flatnonzero(t == 1)[:50], np.flatnonzero(t == 0)[:150]]
    X = np.column_stack([data.data, data.data[:, 6:8] == 0])[rows].astype(float)
    X = (X - X.mean(0)) / X.std(0)
    est = WeightingEstimator(CBPS(method="over"), estimand="ATT")
    with pytest.warns(RuntimeWarning, match="fell back to the fixed-weights"):
        est.fit(X, data.target[rows], treatment=t[rows])
    assert est.stderr_method_ == "sandwich_fixed"
    assert np.isfinite(est.stderr_)
