"""Tests of PropensityWeighting, EntropyBalancing and CBPS."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from skreweight.datasets import make_kang_schafer
from skreweight.exceptions import PositivityWarning
from skreweight.metrics import standardized_mean_difference
from skreweight.weighting import CBPS, EntropyBalancing, PropensityWeighting

ESTIMANDS = ["ATE", "ATT", "ATC"]


@pytest.fixture(scope="module")
def ks():
    return make_kang_schafer(400, random_state=0)


def _wmean(X, w):
    return np.average(X, axis=0, weights=w)


def _targets(estimand, X, t):
    """(rows reweighted, mean they must match) per estimand."""
    if estimand == "ATT":
        return [(t == 0, X[t == 1].mean(0))]
    if estimand == "ATC":
        return [(t == 1, X[t == 0].mean(0))]
    return [(t == 1, X.mean(0)), (t == 0, X.mean(0))]


# ------------------------------------------------------------ entropy balancing
@pytest.mark.parametrize("estimand", ESTIMANDS)
def test_entropy_balancing_exact_mean_balance(ks, estimand):
    t = ks.treatment
    eb = EntropyBalancing(estimand=estimand).fit(ks.X, treatment=t)
    assert eb.converged_
    for rows, target in _targets(estimand, ks.X, t):
        assert_allclose(_wmean(ks.X[rows], eb.weights_[rows]), target, atol=1e-7)
    # untouched arm keeps uniform weights
    if estimand == "ATT":
        assert_allclose(eb.weights_[t == 1], 1.0)


def test_entropy_balancing_second_moments(ks):
    t = ks.treatment
    eb = EntropyBalancing(estimand="ATT", moments=2).fit(ks.X, treatment=t)
    w = eb.weights_[t == 0]
    for power in (1, 2):
        assert_allclose(
            _wmean(ks.X[t == 0] ** power, w),
            (ks.X[t == 1] ** power).mean(0),
            atol=1e-6,
        )


def test_entropy_balancing_matches_cvxpy_reference():
    """The Newton dual gives the max-entropy solution of the primal (cvxpy)."""
    cp = pytest.importorskip("cvxpy")
    data = make_kang_schafer(120, random_state=3)
    X, t = data.X, data.treatment
    Xc, m = X[t == 0], X[t == 1].mean(0)
    w = cp.Variable(Xc.shape[0])
    prob = cp.Problem(
        cp.Maximize(cp.sum(cp.entr(w))),
        [cp.sum(w) == 1, Xc.T @ w == m, w >= 0],
    )
    prob.solve(solver="CLARABEL")
    ref = w.value / w.value.mean()
    eb = EntropyBalancing(estimand="ATT").fit(X, treatment=t)
    # Clarabel solves the exponential-cone program to about 1e-4
    assert_allclose(eb.weights_[t == 0], ref, rtol=2e-3, atol=1e-4)
    assert_allclose(_wmean(X[t == 0], eb.weights_[t == 0]), m, atol=1e-8)


def test_entropy_balancing_att_equals_exact_cbps(ks):
    """Zhao and Percival (2017): EB for the ATT is the just-identified CBPS."""
    eb = EntropyBalancing(estimand="ATT").fit(ks.X, treatment=ks.treatment)
    cbps = CBPS(estimand="ATT").fit(ks.X, treatment=ks.treatment)
    assert_allclose(eb.weights_, cbps.weights_, rtol=1e-5)


def test_entropy_balancing_compute_weights_out_of_sample(ks):
    eb = EntropyBalancing(estimand="ATE").fit(ks.X, treatment=ks.treatment)
    assert_allclose(eb.compute_weights(ks.X, treatment=ks.treatment), eb.weights_)
    # log-linear in x: the log weight ratio of two controls is lambda . dx
    new = ks.X[:6] + 0.1
    w = eb.compute_weights(new, treatment=np.array([0, 1, 0, 1, 0, 1.0]))
    assert np.all(np.isfinite(w)) and np.all(w > 0)


def test_entropy_balancing_infeasible_warns():
    """Perfect separation: the treated mean lies outside the controls' hull."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 2))
    t = (X[:, 0] > 0).astype(float)
    with pytest.warns(ConvergenceWarning, match="convex hull"):
        eb = EntropyBalancing(estimand="ATT", max_iter=30).fit(X, treatment=t)
    assert not eb.converged_
    assert eb.max_imbalance_ > 1e-3


def test_entropy_balancing_speed_is_a_few_newton_steps():
    data = make_kang_schafer(5000, random_state=1)
    eb = EntropyBalancing(estimand="ATT").fit(data.X, treatment=data.treatment)
    assert eb.converged_ and eb.n_iter_ <= 20


# --------------------------------------------------------------------- CBPS
@pytest.mark.parametrize("estimand", ESTIMANDS)
def test_cbps_exact_balances_means(ks, estimand):
    t = ks.treatment
    cbps = CBPS(estimand=estimand).fit(ks.X, treatment=t)
    assert cbps.converged_
    w = cbps.weights_
    if estimand == "ATE":
        # the ATE moments balance the two arms against each other (Horvitz-
        # Thompson form), not each arm against the full sample
        assert_allclose(
            _wmean(ks.X[t == 1], w[t == 1]), _wmean(ks.X[t == 0], w[t == 0]), atol=1e-6
        )
    else:
        for rows, target in _targets(estimand, ks.X, t):
            assert_allclose(_wmean(ks.X[rows], w[rows]), target, atol=1e-6)
    assert np.isnan(cbps.j_statistic_)


def test_cbps_weights_follow_logistic_model(ks):
    cbps = CBPS(estimand="ATE").fit(ks.X, treatment=ks.treatment)
    t = ks.treatment
    e = cbps.propensity_
    raw = np.where(t == 1, 1 / e, 1 / (1 - e))
    for arm in (0, 1):
        m = t == arm
        assert_allclose(cbps.weights_[m], raw[m] / raw[m].mean(), rtol=1e-8)
    assert_allclose(cbps.compute_weights(ks.X, treatment=t), cbps.weights_)


def test_cbps_over_identified_between_mle_and_balance():
    """Over-identified CBPS: J statistic is small on a correct logistic model,
    and its coefficients stay close to the MLE (the score moments hold)."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(2000, 3))
    t = (rng.uniform(size=2000) < expit(X @ [0.5, -0.5, 0.25])).astype(float)
    over = CBPS(method="over").fit(X, treatment=t)
    assert over.converged_
    # J ~ chi2 with 4 degrees of freedom under a correct model: 99.9% < 18.5
    assert 0 <= over.j_statistic_ < 18.5
    mle = LogisticRegression(C=1e8).fit((X - X.mean(0)) / X.std(0), t)
    assert_allclose(over.coef_, mle.coef_.ravel(), atol=0.1)


# --------------------------------------------------------- propensity weights
@pytest.mark.parametrize("estimand", ESTIMANDS + ["ATO"])
def test_propensity_weights_closed_form(ks, estimand):
    t = ks.treatment
    pw = PropensityWeighting(estimand=estimand).fit(ks.X, treatment=t)
    e = pw.propensity_
    raw = {
        "ATE": np.where(t == 1, 1 / e, 1 / (1 - e)),
        "ATT": np.where(t == 1, 1, e / (1 - e)),
        "ATC": np.where(t == 1, (1 - e) / e, 1),
        "ATO": np.where(t == 1, 1 - e, e),
    }[estimand]
    for arm in (0, 1):
        m = t == arm
        assert_allclose(pw.weights_[m], raw[m] / raw[m].mean(), rtol=1e-8)


def test_overlap_weights_balance_means_exactly(ks):
    """Li, Morgan and Zaslavsky (2018): overlap weights from an unpenalised
    logistic MLE balance every covariate mean exactly."""
    pw = PropensityWeighting(
        LogisticRegression(C=np.inf, tol=1e-10, max_iter=10_000),
        estimand="ATO",
    ).fit(ks.X, treatment=ks.treatment)
    smd = standardized_mean_difference(ks.X, ks.treatment, pw.weights_)
    assert np.abs(smd).max() < 1e-5


def test_propensity_trim_and_clip(ks):
    t = ks.treatment
    pw = PropensityWeighting(trim=0.1).fit(ks.X, treatment=t)
    e = pw.propensity_
    out = (e < 0.1) | (e > 0.9)
    assert out.any()
    assert_allclose(pw.weights_[out], 0.0)
    clipped = PropensityWeighting(clip=0.2).fit(ks.X, treatment=t)
    e_c = np.clip(e, 0.2, 0.8)
    raw = np.where(t == 1, 1 / e_c, 1 / (1 - e_c))
    assert_allclose(clipped.weights_[t == 1], raw[t == 1] / raw[t == 1].mean())


def test_propensity_perfect_separation_warns():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 2))
    t = (X[:, 0] > 0).astype(float)
    with pytest.warns(PositivityWarning, match="Positivity"):
        pw = PropensityWeighting().fit(X, treatment=t)
    assert pw.positivity_violation_share_ > 0.5


def test_propensity_needs_sample_weight_support(ks):
    from sklearn.neighbors import KNeighborsClassifier

    with pytest.raises(TypeError, match="sample_weight"):
        PropensityWeighting(KNeighborsClassifier()).fit(ks.X, treatment=ks.treatment)


# --------------------------------------------------------------- bad input
WEIGHTERS = [PropensityWeighting(), EntropyBalancing(estimand="ATT"), CBPS()]


@pytest.mark.parametrize("weighter", WEIGHTERS, ids=lambda w: type(w).__name__)
def test_treatment_is_required(ks, weighter):
    with pytest.raises(ValueError, match="requires `treatment`"):
        weighter.fit(ks.X)


@pytest.mark.parametrize("weighter", WEIGHTERS, ids=lambda w: type(w).__name__)
@pytest.mark.parametrize("value", [0.0, 1.0])
def test_single_arm_is_an_error(ks, weighter, value):
    with pytest.raises(ValueError, match="no treated or no control"):
        weighter.fit(ks.X, treatment=np.full(ks.X.shape[0], value))


@pytest.mark.parametrize("weighter", WEIGHTERS, ids=lambda w: type(w).__name__)
def test_non_binary_treatment_is_an_error(ks, weighter):
    t = np.arange(ks.X.shape[0]) % 3
    with pytest.raises(ValueError, match="must be binary"):
        weighter.fit(ks.X, treatment=t)


@pytest.mark.parametrize("weighter", WEIGHTERS, ids=lambda w: type(w).__name__)
def test_arm_with_zero_sample_weight_is_an_error(ks, weighter):
    sw = np.where(ks.treatment == 1, 0.0, 1.0)
    with pytest.raises(ValueError, match="no treated units"):
        weighter.fit(ks.X, treatment=ks.treatment, sample_weight=sw)


@pytest.mark.parametrize(
    "weighter",
    [EntropyBalancing(estimand="ATT"), CBPS()],
    ids=lambda w: type(w).__name__,
)
def test_constant_covariate_warns_and_is_dropped(ks, weighter):
    X = np.hstack([ks.X, np.full((ks.X.shape[0], 1), 3.0)])
    with pytest.warns(UserWarning, match=r"covariate\(s\) \[4\] are constant"):
        w = weighter.fit(X, treatment=ks.treatment).weights_
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PositivityWarning)
        ref = type(weighter)(**weighter.get_params()).fit(ks.X, treatment=ks.treatment)
    assert_allclose(w, ref.weights_, rtol=1e-6)


def test_string_treatment_labels(ks):
    t = np.where(ks.treatment == 1, "drug", "placebo")  # "placebo" > "drug"
    w = EntropyBalancing(estimand="ATT").fit(ks.X, treatment=t).weights_
    ref = (
        EntropyBalancing(estimand="ATT").fit(ks.X, treatment=1 - ks.treatment).weights_
    )
    assert_allclose(w, ref)
