"""Array API support of the kernel weighters: torch and array-api-strict on CPU.

Under ``sklearn.config_context(array_api_dispatch=True)`` a torch (or
array-api-strict) ``X`` and ``X_target`` give weights in that namespace and
on that device, equal to the NumPy weights on the same data and seeds:

- float64: to 1e-6 (KLIEP: 1e-3, see ``F64_ATOL``);
- float32: to ``F32_SHARE`` times the largest NumPy weight (the float32
  computation against the float64 one; the weights average 1).
"""

import warnings
from functools import partial

import numpy as np
import pytest
import sklearn
from sklearn.utils import get_tags
from sklearn.utils._array_api import yield_namespace_device_dtype_combinations
from sklearn.utils.estimator_checks import check_array_api_input

from skreweight.datasets import make_covariate_shift
from skreweight.weighting import (
    KLIEP,
    ULSIF,
    DoubleWeighting,
    KernelMeanMatching,
    RuLSIF,
)

torch = pytest.importorskip("torch")
xps = pytest.importorskip("array_api_strict")

ESTIMATORS = {
    "kmm-exact": partial(KernelMeanMatching, approximation="exact"),
    "kmm-nystroem": partial(
        KernelMeanMatching, approximation="nystroem", n_components=60
    ),
    "ulsif": ULSIF,
    "rulsif": RuLSIF,
    "kliep": KLIEP,
    "double-weighting": partial(DoubleWeighting, D=4.0),
}

#: float64 agreement. KLIEP's EM with SQUAREM extrapolation keeps or drops an
#: extrapolated step by comparing two likelihoods; rounding differences of
#: the matrix products (torch and NumPy sum in different orders) flip some of
#: those choices on its flat optimum, which moves the weights by about 1e-4.
F64_ATOL = {"kliep": 1e-3}
#: float32 agreement with the float64 NumPy weights, as a share of the
#: largest weight. KMM's box-constrained QP is ill-conditioned and the
#: Nystroem factor ``C L^-T`` amplifies the float32 rounding of ``C`` by the
#: inverse Cholesky factor of the landmarks' Gram matrix (jitter 1e-8): its
#: weights move by up to 2 % of the largest (correlation 0.9998, measured at
#: 50, 60 and 200 landmarks); the exact KMM, (Ru)LSIF and KLIEP stay within
#: 1e-4, 1e-6 and 2e-3 of it.
F32_SHARE = {
    "kmm-exact": 1e-3,
    "kmm-nystroem": 5e-2,
    "ulsif": 1e-5,
    "rulsif": 1e-5,
    "kliep": 1e-2,
    "double-weighting": 1e-3,
}


SUPPORTED = [KernelMeanMatching(), ULSIF(), RuLSIF(), KLIEP(), DoubleWeighting()]


@pytest.fixture(scope="module")
def data():
    d = make_covariate_shift(n_source=200, n_target=150, random_state=0)
    X_new = np.random.RandomState(1).normal(size=(40, d.X_source.shape[1]))
    return d.X_source, d.X_target, X_new


def _fit(make, X, Xt, X_new):
    est = make(random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, X_target=Xt)
        return est, est.weights_, est.compute_weights(X_new)


def _np(a):
    return np.from_dlpack(a) if not isinstance(a, np.ndarray) else a


@pytest.mark.parametrize("name", list(ESTIMATORS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_torch_weights_equal_numpy_weights(data, name, dtype):
    X, Xt, X_new = data
    _, w, w_new = _fit(ESTIMATORS[name], X, Xt, X_new)
    dt = getattr(torch, dtype)
    with sklearn.config_context(array_api_dispatch=True):
        est, w_t, w_new_t = _fit(
            ESTIMATORS[name],
            torch.asarray(X, dtype=dt),
            torch.asarray(Xt, dtype=dt),
            torch.asarray(X_new, dtype=dt),
        )
    for got in (w_t, w_new_t):
        assert isinstance(got, torch.Tensor) and got.device.type == "cpu"
        assert got.dtype == torch.float64  # weights are float64 (the contract)
    if dtype == "float64":
        atol = F64_ATOL.get(name, 1e-6)
    else:
        atol = F32_SHARE[name] * float(np.max(w))
    np.testing.assert_allclose(w_t.numpy(), w, rtol=0, atol=atol)
    np.testing.assert_allclose(w_new_t.numpy(), w_new, rtol=0, atol=atol)
    # the fitted arrays live in the input's namespace
    for attr in ("centers_", "coef_", "_X_fit", "_beta_fit"):
        if getattr(est, attr, None) is not None:
            assert isinstance(getattr(est, attr), torch.Tensor), attr


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_array_api_strict_weights_equal_numpy_weights(data, name):
    X, Xt, X_new = data
    _, w, w_new = _fit(ESTIMATORS[name], X, Xt, X_new)
    with sklearn.config_context(array_api_dispatch=True):
        _, w_s, w_new_s = _fit(
            ESTIMATORS[name], xps.asarray(X), xps.asarray(Xt), xps.asarray(X_new)
        )
    assert isinstance(w_s, type(xps.asarray(1.0)))
    atol = F64_ATOL.get(name, 1e-6)
    np.testing.assert_allclose(_np(w_s), w, rtol=0, atol=atol)
    np.testing.assert_allclose(_np(w_new_s), w_new, rtol=0, atol=atol)


def test_without_dispatch_torch_input_gives_numpy_weights(data):
    X, Xt, _ = data
    w = KernelMeanMatching(random_state=0).fit(X, X_target=Xt).weights_
    w_t = (
        KernelMeanMatching(random_state=0)
        .fit(torch.asarray(X), X_target=torch.asarray(Xt))
        .weights_
    )
    assert isinstance(w_t, np.ndarray)
    np.testing.assert_array_equal(w_t, w)


@pytest.mark.parametrize("est", SUPPORTED)
def test_tags_declare_array_api_support(est):
    assert get_tags(est).array_api_support is True


@pytest.mark.parametrize(
    "X_kind, Xt_kind",
    [("torch", "numpy"), ("numpy", "torch"), ("strict", "torch"), ("torch", "list")],
)
def test_mixed_namespaces_raise(data, X_kind, Xt_kind):
    X, Xt, _ = data
    make = {
        "torch": torch.asarray,
        "numpy": np.asarray,
        "strict": xps.asarray,
        "list": lambda a: a.tolist(),
    }
    with sklearn.config_context(array_api_dispatch=True):
        with pytest.raises(TypeError, match="same namespace"):
            ULSIF().fit(make[X_kind](X), X_target=make[Xt_kind](Xt))


def test_mixed_devices_raise(data):
    X, Xt, _ = data
    other = xps.Device("device1")
    with sklearn.config_context(array_api_dispatch=True):
        with pytest.raises(TypeError, match="same device"):
            KernelMeanMatching().fit(
                xps.asarray(X), X_target=xps.asarray(Xt, device=other)
            )


def test_float16_raises(data):
    X, Xt, _ = data
    with sklearn.config_context(array_api_dispatch=True):
        with pytest.raises(TypeError, match="float16"):
            KLIEP().fit(
                torch.asarray(X, dtype=torch.float16),
                X_target=torch.asarray(Xt, dtype=torch.float16),
            )


def test_compute_weights_in_another_namespace_raises(data):
    X, Xt, X_new = data
    with sklearn.config_context(array_api_dispatch=True):
        est = ULSIF(random_state=0).fit(torch.asarray(X), X_target=torch.asarray(Xt))
        with pytest.raises(TypeError, match="fitted on torch"):
            est.compute_weights(X_new)
    est = ULSIF(random_state=0).fit(X, X_target=Xt)
    with sklearn.config_context(array_api_dispatch=True):
        with pytest.raises(TypeError, match="fitted on NumPy"):
            est.compute_weights(torch.asarray(X_new))


def test_double_weighting_target_weights_follow_the_input(data):
    X, Xt, _ = data
    est = DoubleWeighting(D=4.0, random_state=0).fit(X, X_target=Xt)
    alpha = est.compute_target_weights(Xt[:30] + 0.01)
    with sklearn.config_context(array_api_dispatch=True):
        est_t = DoubleWeighting(D=4.0, random_state=0)
        est_t.fit(torch.asarray(X), X_target=torch.asarray(Xt))
        alpha_t = est_t.compute_target_weights(torch.asarray(Xt[:30] + 0.01))
    assert isinstance(est_t.alpha_, torch.Tensor)
    assert isinstance(alpha_t, torch.Tensor)
    np.testing.assert_allclose(alpha_t.numpy(), alpha, rtol=0, atol=1e-6)


def _namespaces():
    for ns, device, dtype in yield_namespace_device_dtype_combinations():
        if ns in ("torch", "array_api_strict") and device in (None, "cpu"):
            yield ns, device, dtype


@pytest.mark.parametrize("ns, device, dtype", list(_namespaces()))
@pytest.mark.parametrize("est", SUPPORTED)
def test_sklearn_array_api_input_check(est, ns, device, dtype):
    # scikit-learn's own check, with value comparison (it fits without
    # X_target: the no-shift fallback, whose fitted arrays must still follow X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_array_api_input(
            type(est).__name__,
            est,
            array_namespace=ns,
            device_name=device,
            dtype_name=dtype,
            check_values=dtype == "float64",
        )
