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


def _kang_schafer(n, seed):
    """Kang-Schafer (2007), Kong et al. (2023) variant; true ATT = 0."""
    rng = np.random.RandomState(seed)
    Z = rng.normal(size=(n, 4))
    X = np.c_[
        np.exp(Z[:, 0] / 2),
        Z[:, 1] / (1 + np.exp(Z[:, 0])) + 10,
        (Z[:, 0] * Z[:, 2] / 25 + 0.6) ** 3,
        (Z[:, 1] + Z[:, 3] + 20) ** 2,
    ]
    X = (X - X.mean(0)) / X.std(0, ddof=1)
    logit = -Z[:, 0] + 0.5 * Z[:, 1] - 0.25 * Z[:, 2] - 0.1 * Z[:, 3]
    t = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    y = 210 + 27.4 * Z[:, 0] + 13.7 * Z[:, 1:].sum(1) + rng.normal(size=n)
    return X, t, y


FAST = dict(
    hidden_units=(32,), max_iter=150, critic_steps=2, learning_rate=0.1, random_state=0
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


@pytest.mark.slow
def test_kang_schafer_misspecified_bias_reduction():
    # true ATT = 0: the naive difference is about -20; seeded, 2 draws
    for seed in range(2):
        X, t, y = _kang_schafer(200, seed)
        w = NeuralIPMBalancing("ATT", critic_steps=2, max_iter=300, random_state=seed)
        w = w.fit(X, treatment=t).weights_
        naive = y[t == 1].mean() - y[t == 0].mean()
        att = y[t == 1].mean() - np.average(y[t == 0], weights=w[t == 0])
        assert abs(att) < 0.4 * abs(naive), (naive, att)


def test_errors():
    X, t = _confounded(40, 0)
    with pytest.raises(ValueError, match="requires `treatment`"):
        NeuralIPMBalancing(max_iter=1).fit(X)
    with pytest.raises(ValueError, match="no treated or no control"):
        NeuralIPMBalancing(max_iter=1).fit(X, treatment=np.ones(40))
    with pytest.raises(ValueError, match="estimand"):
        NeuralIPMBalancing("ATO", max_iter=1).fit(X, treatment=t)
    with pytest.raises(NotImplementedError, match="transductive"):
        NeuralIPMBalancing(max_iter=1).fit(X, treatment=t).compute_weights(X)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            NeuralIPMBalancing(max_iter=1, device="cuda").fit(X, treatment=t)
