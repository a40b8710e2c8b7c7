import pytest

torch = pytest.importorskip("torch")

import numpy as np  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402

from skreweight.neural import NeuralIPMBalancing  # noqa: E402


def _confounded(n, seed):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 2))
    e = 1 / (1 + np.exp(-(X[:, 0] + 0.5 * X[:, 1] ** 2 - 0.5)))
    t = (rng.uniform(size=n) < e).astype(int)
    return X, t


# a stronger critic (no weight clipping) and larger steps: fast on easy designs
FAST = dict(
    hidden_units=(32,),
    max_iter=150,
    critic_steps=2,
    learning_rate=0.1,
    critic_clip=None,
    random_state=0,
)


def _gap(X, w, rows, target):
    return np.abs(
        np.average(X[rows], axis=0, weights=w[rows]) - X[target].mean(axis=0)
    ).max()


def test_att_balances_controls_to_treated_and_keeps_treated():
    X, t = _confounded(300, 0)
    w = NeuralIPMBalancing("ATT", **FAST).fit(X, treatment=t).weights_
    assert_allclose(w[t == 1], 1.0)
    assert_allclose(w[t == 0].mean(), 1.0)
    ones = np.ones_like(w)
    assert _gap(X, w, t == 0, t == 1) < 0.1 * _gap(X, ones, t == 0, t == 1)


def test_atc_is_att_with_arms_swapped():
    X, t = _confounded(120, 1)
    att = NeuralIPMBalancing("ATT", **FAST).fit(X, treatment=t).weights_
    atc = NeuralIPMBalancing("ATC", **FAST).fit(X, treatment=1 - t).weights_
    assert_allclose(att, atc, rtol=1e-5)


def test_ate_balances_both_arms_to_full_sample():
    X, t = _confounded(300, 2)
    ipm = NeuralIPMBalancing("ATE", **FAST).fit(X, treatment=t)
    w = ipm.weights_
    everyone = np.ones_like(t, dtype=bool)
    for arm in (0, 1):
        assert_allclose(w[t == arm].mean(), 1.0)
        assert _gap(X, w, t == arm, everyone) < 0.5 * _gap(
            X, np.ones_like(w), t == arm, everyone
        )
    assert ipm.ipm_.shape == (2,)


def test_default_critic_is_clipped_as_in_the_paper():
    X, t = _confounded(200, 3)
    ipm = NeuralIPMBalancing(
        estimand="ATT", max_iter=100, critic_steps=2, random_state=0
    )
    w = ipm.fit(X, treatment=t).weights_
    assert ipm.critic_clip == 0.1
    ones = np.ones_like(w)
    assert _gap(X, w, t == 0, t == 1) < _gap(X, ones, t == 0, t == 1)


def test_errors():
    X, t = _confounded(40, 0)
    with pytest.raises(ValueError, match="requires `treatment`"):
        NeuralIPMBalancing(estimand="ATT", max_iter=1).fit(X)
    with pytest.raises(ValueError, match="no treated or no control"):
        NeuralIPMBalancing(estimand="ATT", max_iter=1).fit(X, treatment=np.ones(40))
    with pytest.raises(ValueError, match="estimand"):
        NeuralIPMBalancing("ATO", max_iter=1).fit(X, treatment=t)
    with pytest.raises(NotImplementedError, match="transductive"):
        NeuralIPMBalancing(estimand="ATT", max_iter=1).fit(
            X, treatment=t
        ).compute_weights(X)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            NeuralIPMBalancing(estimand="ATT", max_iter=1, device="cuda").fit(
                X, treatment=t
            )
