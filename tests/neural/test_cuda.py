"""The neural tier on a CUDA device gives what it gives on the CPU.

Skipped where torch sees no CUDA device (CI has none); run on a GPU machine
with ``python -m pytest tests/neural/test_cuda.py``. Modules are initialised
on the CPU and then moved, and the minibatch order is drawn on the CPU, so a
float64 run on the GPU follows the CPU run up to the order of floating-point
reductions.
"""

import pytest

torch = pytest.importorskip("torch")

import numpy as np  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402

from skreweight.neural import (  # noqa: E402
    LDAMClassifier,
    NeuralDensityRatio,
    NeuralGroupDROClassifier,
    NeuralIPMBalancing,
    WeightedNeuralNetClassifier,
    WeightedNeuralNetRegressor,
)

pytestmark = pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA device"
)

F64 = dict(module__dtype=torch.float64, random_state=0)


def _data(n=300, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4))
    y = (X[:, 0] - X[:, 1] + 0.5 * rng.normal(size=n) > 0.8).astype(int)
    sw = rng.uniform(0.2, 3.0, size=n)
    return X, y, sw


def _on_both(make, fit, predict):
    out = []
    for device in ("cpu", "cuda"):
        est = fit(make(device))
        out.append(np.asarray(predict(est)))
    return out


@pytest.mark.parametrize(
    "make",
    [
        lambda d: WeightedNeuralNetClassifier(
            module__hidden_units=(16,), max_epochs=20, batch_size=64, device=d, **F64
        ),
        lambda d: LDAMClassifier(max_epochs=20, batch_size=64, device=d, **F64),
        lambda d: LDAMClassifier(
            loss="focal", max_epochs=20, batch_size=64, device=d, **F64
        ),
    ],
    ids=["weighted-net", "ldam-drw", "focal"],
)
def test_classifiers_match_cpu(make):
    X, y, sw = _data()
    cpu, gpu = _on_both(
        make, lambda e: e.fit(X, y, sample_weight=sw), lambda e: e.predict_proba(X)
    )
    assert_allclose(gpu, cpu, rtol=1e-6, atol=1e-8)


def test_regressor_matches_cpu():
    X, _, sw = _data()
    y = X[:, 0] - 2 * X[:, 2]
    cpu, gpu = _on_both(
        lambda d: WeightedNeuralNetRegressor(
            module__hidden_units=(16,), max_epochs=20, batch_size=64, device=d, **F64
        ),
        lambda e: e.fit(X, y, sample_weight=sw),
        lambda e: e.predict(X),
    )
    assert_allclose(gpu, cpu, rtol=1e-6, atol=1e-8)


def test_group_dro_matches_cpu():
    X, y, sw = _data()
    g = (X[:, 3] > 0).astype(int) + 2 * y
    cpu, gpu = _on_both(
        lambda d: NeuralGroupDROClassifier(
            step_size=0.1, max_epochs=20, batch_size=64, device=d, **F64
        ),
        lambda e: e.fit(X, y, sample_group=g, sample_weight=sw),
        lambda e: np.r_[e.predict_proba(X).ravel(), e.group_weights_],
    )
    assert_allclose(gpu, cpu, rtol=1e-6, atol=1e-8)


def test_density_ratio_and_ipm_run_on_cuda_and_do_their_job():
    # float32 modules and on-device random draws (the IPM gradient penalty):
    # compare what the weights achieve, not the weights themselves
    rng = np.random.RandomState(0)
    Xs, Xt = rng.normal(size=(800, 2)), rng.normal(0.7, 1.0, size=(800, 2))
    for device in ("cpu", "cuda"):
        w = NeuralDensityRatio(max_epochs=100, random_state=0, device=device)
        w = w.fit(Xs, X_target=Xt).weights_
        shift = np.average(Xs, axis=0, weights=w) - Xt.mean(axis=0)
        assert np.abs(shift).max() < 0.15, (device, shift)

    X = rng.normal(size=(600, 2))
    t = (rng.uniform(size=600) < 1 / (1 + np.exp(-X[:, 0]))).astype(int)
    for device in ("cpu", "cuda"):
        ipm = NeuralIPMBalancing(
            estimand="ATT",
            hidden_units=(32,),
            max_iter=150,
            critic_steps=2,
            learning_rate=0.1,
            critic_clip=None,
            random_state=0,
            device=device,
        ).fit(X, treatment=t)
        w = ipm.weights_
        gap = np.average(X[t == 0], axis=0, weights=w[t == 0]) - X[t == 1].mean(0)
        raw = X[t == 0].mean(0) - X[t == 1].mean(0)
        assert np.abs(gap).max() < 0.5 * np.abs(raw).max(), (device, gap, raw)
