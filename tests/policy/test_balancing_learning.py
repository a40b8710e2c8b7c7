"""Balancing propensities, policy learning and its scorer, debiased ratings."""

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV

from skreweight.datasets import make_bandit_feedback, make_mnar_ratings
from skreweight.exceptions import MissingContextWarning
from skreweight.metrics import standardized_mean_difference
from skreweight.model_selection import PolicyValueScorer
from skreweight.policy import (
    BalancingPropensity,
    DebiasedRatingRegressor,
    OffPolicyClassifier,
    PolicyValueEstimator,
)


@pytest.fixture(scope="module")
def d():
    return make_bandit_feedback(450, n_actions=3, random_state=0)


@pytest.fixture(scope="module")
def bp(d):
    return BalancingPropensity().fit(d.X, action=d.action)


# ------------------------------------------------------------ balancing
def test_balancing_weights_average_one_per_action(d, bp):
    for a in range(3):
        assert_allclose(bp.weights_[d.action == a].mean(), 1.0)
    assert_allclose(bp.action_share_, np.bincount(d.action) / len(d.action))
    finite = np.isfinite(bp.propensities_)
    assert_allclose(
        bp.propensities_[finite],
        bp.action_share_[d.action[finite]] / bp.weights_[finite],
    )


def test_balancing_balances_each_action(d, bp):
    # every reweighted action matches the population's covariate means better
    for a in range(3):
        arm = d.action == a
        Xs = np.vstack([d.X[arm], d.X])
        ind = np.r_[np.zeros(arm.sum()), np.ones(len(d.X))]
        raw = np.abs(standardized_mean_difference(Xs, ind)).max()
        w = np.r_[bp.weights_[arm], np.ones(len(d.X))]
        bal = np.abs(standardized_mean_difference(Xs, ind, w)).max()
        assert bal < 0.5 * raw


def test_balancing_tracks_true_propensity(d, bp):
    corr = np.corrcoef(1 / bp.propensities_, 1 / d.logging_proba)[0, 1]
    assert corr > 0.5


def test_balancing_requires_action(d):
    with pytest.raises(ValueError, match="requires `action`"):
        BalancingPropensity().fit(d.X)


def test_balancing_as_propensity_model(d, bp):
    est = PolicyValueEstimator("snipw", propensity_model=BalancingPropensity()).fit(
        d.X, d.reward, action=d.action, target_proba=d.target_proba
    )
    w = d.target_proba[np.arange(len(d.X)), d.action] / bp.propensities_
    # the solver reruns: equal up to its tolerance
    assert_allclose(est.value_, np.sum(w * d.reward) / np.sum(w), rtol=1e-4)


# ------------------------------------------------------------- learning
def test_ips_reduction_weights(d):
    pol = OffPolicyClassifier(method="ips").fit(
        d.X, d.reward, action=d.action, logging_proba=d.logging_proba
    )
    G = pol.pseudo_rewards_
    rows = np.arange(len(d.X))
    assert_allclose(G[rows, d.action], d.reward / d.logging_proba)
    G[rows, d.action] = 0.0
    assert_allclose(G, 0.0)


def test_learnt_policy_beats_logging_policy():
    d = make_bandit_feedback(2000, random_state=1)
    test = make_bandit_feedback(5000, random_state=2)
    logging_value = np.mean(np.sum(test.logging_policy * test.expected_reward, axis=1))
    for method in ("ips", "dr"):
        pol = OffPolicyClassifier(method=method, random_state=0).fit(
            d.X, d.reward, action=d.action, logging_proba=d.logging_proba
        )
        value = test.expected_reward[np.arange(5000), pol.predict(test.X)].mean()
        assert value > logging_value + 0.1, method


def test_negative_reward_pushes_away(d):
    # rewards of -1 on action 0 and 0 elsewhere: the policy avoids action 0
    r = -(d.action == 0).astype(float)
    pol = OffPolicyClassifier(method="ips").fit(
        d.X, r, action=d.action, logging_proba=d.logging_proba
    )
    assert np.mean(pol.predict(d.X) == 0) < 0.05


def test_learning_requires_action(d):
    with pytest.raises(ValueError, match="requires `action`"):
        OffPolicyClassifier().fit(d.X, d.reward)


def test_grid_search_with_policy_scorer(d):
    with sklearn.config_context(enable_metadata_routing=True):
        gs = GridSearchCV(
            OffPolicyClassifier(LogisticRegression(), method="ips"),
            {"estimator__C": [1e-4, 1.0]},
            scoring=PolicyValueScorer("dr"),
            cv=3,
        )
        gs.fit(d.X, d.reward, action=d.action, logging_proba=d.logging_proba)
    # the scorer got each fold's action and logging_proba (it raises otherwise)
    scores = gs.cv_results_["mean_test_score"]
    assert np.all((scores > 0) & (scores < 1)) and scores[0] != scores[1]
    assert gs.best_score_ == scores.max()


def test_scorer_matches_estimator(d):
    pol = OffPolicyClassifier(method="ips").fit(
        d.X, d.reward, action=d.action, logging_proba=d.logging_proba
    )
    v = PolicyValueScorer("ipw")(
        pol, d.X, d.reward, action=d.action, logging_proba=d.logging_proba
    )
    pi = np.eye(3)[pol.predict(d.X)]
    est = PolicyValueEstimator("ipw", cv=None).fit(
        d.X, d.reward, action=d.action, target_proba=pi, logging_proba=d.logging_proba
    )
    assert_allclose(v, est.value_)
    assert_allclose(
        pol.score(d.X, d.reward, action=d.action, logging_proba=d.logging_proba),
        PolicyValueScorer("snipw")(
            pol, d.X, d.reward, action=d.action, logging_proba=d.logging_proba
        ),
    )


def test_scorer_requires_action(d):
    pol = OffPolicyClassifier(method="ips").fit(
        d.X, d.reward, action=d.action, logging_proba=d.logging_proba
    )
    with pytest.raises(ValueError, match="PolicyValueScorer needs action"):
        PolicyValueScorer()(pol, d.X, d.reward)


# --------------------------------------------------------------- ratings
@pytest.fixture(scope="module")
def r():
    return make_mnar_ratings(40, 30, observation_rate=0.15, random_state=0)


def test_dr_rating_is_the_dr_loss_minimiser(r):
    # with OLS, the DR fit solves the normal equations of the DR squared loss
    o = r.observed
    reg = DebiasedRatingRegressor(
        LinearRegression(), method="dr", imputation_model=LinearRegression()
    ).fit(r.X[o], r.y[o], X_target=r.X[~o])
    p, m = reg.propensity_, reg.imputation_model_
    Z1 = np.c_[np.ones(len(r.X)), r.X]
    beta = np.r_[reg.estimator_.intercept_, reg.estimator_.coef_]
    f = Z1 @ beta
    mz = m.predict(r.X)
    inv = np.zeros(len(r.X))
    inv[o] = 1 / p
    # gradient of sum_all (f-m)^2 + sum_obs ((f-y)^2 - (f-m)^2) / p
    g = 2 * Z1.T @ ((f - mz) + inv * ((f - r.y) - (f - mz)))
    assert_allclose(g, 0.0, atol=1e-6 * len(r.X))


def test_ips_rating_weights(r):
    o = r.observed
    reg = DebiasedRatingRegressor(method="ips").fit(r.X[o], r.y[o], X_target=r.X[~o])
    assert_allclose(reg.weights_.mean(), 1.0)
    assert_allclose(reg.weights_, (1 / reg.propensity_) / np.mean(1 / reg.propensity_))


def test_debiasing_with_balancing_propensity_lowers_error():
    # seeded: the debiased fits beat the naive one on all pairs
    r = make_mnar_ratings(60, 40, random_state=1)
    o = r.observed

    errors = {}
    for method in ("naive", "ips", "dr"):
        reg = DebiasedRatingRegressor(
            method=method, propensity_model=BalancingPropensity()
        )
        reg.fit(r.X[o], r.y[o], X_target=r.X[~o])
        errors[method] = np.mean((reg.predict(r.X) - r.y) ** 2)
    assert errors["ips"] < errors["naive"]
    assert errors["dr"] < errors["naive"]


def test_rating_without_X_target_warns_and_fits_naive(r):
    o = r.observed
    with pytest.warns(MissingContextWarning, match="X_target"):
        fallback = DebiasedRatingRegressor().fit(r.X[o], r.y[o])
    naive = DebiasedRatingRegressor(method="naive").fit(r.X[o], r.y[o])
    assert_allclose(fallback.weights_, 1.0)
    assert_allclose(fallback.predict(r.X), naive.predict(r.X))


def test_dummy_reward_model_dr_equals_ips_terms(d):
    pol = OffPolicyClassifier(
        method="dr",
        cv=None,
        reward_model=DummyRegressor(strategy="constant", constant=0.0),
    ).fit(d.X, d.reward, action=d.action, logging_proba=d.logging_proba)
    ips = OffPolicyClassifier(method="ips").fit(
        d.X, d.reward, action=d.action, logging_proba=d.logging_proba
    )
    assert_allclose(pol.pseudo_rewards_, ips.pseudo_rewards_)


def test_policy_with_string_actions(d):
    labels = np.array(["shoes", "hat", "bag"])
    pol = OffPolicyClassifier(method="ips").fit(
        d.X, d.reward, action=labels[d.action], logging_proba=d.logging_proba
    )
    assert set(pol.classes_) == set(labels)
    assert set(pol.predict(d.X)) <= set(labels)
    ref = OffPolicyClassifier(method="ips").fit(
        d.X, d.reward, action=d.action, logging_proba=d.logging_proba
    )
    # the same policy, up to the labels (classes_ are sorted: bag, hat, shoes)
    code = {"bag": 2, "hat": 1, "shoes": 0}
    assert np.mean([code[p] for p in pol.predict(d.X)] == ref.predict(d.X)) > 0.95


def test_balancing_in_parallel_is_the_same(d, bp):
    # the exact-kernel solve uses no randomness: joblib workers (whose global
    # RNG differs from the parent's) and other seeds give the same weights,
    # up to the order of BLAS sums. (The power method that sets the solver's
    # step size used to start from the global RNG, which moved the weights
    # at which tol=1e-4 stops by up to 1.5%.)
    np.random.seed(12345)  # the global state the old code drew from
    par = BalancingPropensity(n_jobs=2).fit(d.X, action=d.action)
    assert_allclose(par.weights_, bp.weights_, rtol=1e-7, atol=1e-10)
    seeded = BalancingPropensity(random_state=1).fit(d.X, action=d.action)
    assert_allclose(seeded.weights_, bp.weights_, rtol=1e-7, atol=1e-10)


def test_balancing_bandwidth_median_heuristic(d):
    from skreweight._core.kernels import median_bandwidth

    bp = BalancingPropensity(random_state=0).fit(d.X, action=d.action)
    Z = (d.X - d.X.mean(axis=0)) / d.X.std(axis=0)
    assert bp.bandwidth_ == pytest.approx(median_bandwidth(Z, random_state=0))
    fixed = BalancingPropensity(bandwidth=bp.bandwidth_).fit(d.X, action=d.action)
    assert fixed.bandwidth_ == bp.bandwidth_
    assert_allclose(fixed.weights_, bp.weights_)
    knn = BalancingPropensity(bandwidth="knn").fit(d.X, action=d.action)
    assert 0 < knn.bandwidth_ < bp.bandwidth_  # 50 neighbours of 600: nearer
    with pytest.raises(ValueError, match="bandwidth"):
        BalancingPropensity(bandwidth="scott").fit(d.X, action=d.action)


def test_balancing_rating_weights_represent_all_pairs(r):
    # no upper clip: the inverse balancing propensities sum to the number of
    # pairs and balance the kernel mean of the observed against all pairs
    o = r.observed
    reg = DebiasedRatingRegressor(
        method="ips", propensity_model=BalancingPropensity(), clip=0.0
    ).fit(r.X[o], r.y[o], X_target=r.X[~o])
    inv = 1 / reg.propensity_
    assert_allclose(inv.sum(), len(r.y), rtol=1e-8)
    assert np.any(reg.propensity_ > 1)  # kept, not capped at 1
    Z = (r.X - r.X.mean(0)) / r.X.std(0)
    raw = np.mean(Z[o], axis=0) - np.mean(Z, axis=0)
    bal = inv @ Z[o] / inv.sum() - np.mean(Z, axis=0)
    assert np.max(np.abs(bal)) < 0.2 * np.max(np.abs(raw))
