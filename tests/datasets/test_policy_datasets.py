"""Bandit feedback, MNAR ratings and the Open Bandit slice."""

import numpy as np
from numpy.testing import assert_allclose

from skreweight.datasets import (
    load_open_bandit,
    make_bandit_feedback,
    make_mnar_ratings,
)


def test_bandit_feedback_truth():
    d = make_bandit_feedback(50_000, random_state=0)
    assert_allclose(d.logging_policy.sum(axis=1), 1.0)
    assert_allclose(d.target_proba.sum(axis=1), 1.0)
    assert_allclose(d.logging_proba, d.logging_policy[np.arange(50_000), d.action])
    # the sample's own value is within 4 standard errors of target_value
    v = np.sum(d.target_proba * d.expected_reward, axis=1)
    assert abs(v.mean() - d.target_value) < 4 * v.std() / np.sqrt(50_000)
    # the actions follow the logging policy
    assert_allclose(
        np.bincount(d.action) / 50_000, d.logging_policy.mean(axis=0), atol=0.01
    )
    # the environment does not depend on random_state
    assert make_bandit_feedback(10, random_state=1).target_value == d.target_value


def test_mnar_ratings():
    r = make_mnar_ratings(80, 50, observation_rate=0.1, random_state=0)
    assert r.X.shape == (4000, 9)
    assert abs(r.observed.mean() - 0.1) < 0.03
    assert_allclose(r.propensity.mean(), 0.1, atol=1e-6)
    # users rate what they love or hate: observed ratings are more extreme
    dev = np.abs(r.expected_rating - 3)
    assert dev[r.observed].mean() > dev[~r.observed].mean()


def test_open_bandit():
    rnd, bts = load_open_bandit("random"), load_open_bandit("bts")
    assert rnd.data.shape == (10_000, 5) and bts.data.shape == (10_000, 5)
    assert_allclose(rnd.logging_proba, 1 / 34)  # uniform random over 34 items
    assert set(np.unique(rnd.position)) == {0, 1, 2}
    assert_allclose(rnd.bts_action_dist.sum(axis=0), 1.0, atol=1e-6)
    assert_allclose(rnd.target_proba.sum(axis=1), 1.0, atol=1e-6)
    assert rnd.bts_value == bts.reward.mean()
    assert 0 < rnd.reward.mean() < bts.reward.mean()
    frame = load_open_bandit("bts", as_frame=True)
    assert list(frame.data.columns) == frame.feature_names
