import pytest

torch = pytest.importorskip("torch")

import numpy as np  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402

from skreweight.compose import ReweightedRegressor  # noqa: E402
from skreweight.neural import NeuralDensityRatio  # noqa: E402
from skreweight.weighting import ClassifierDensityRatio  # noqa: E402


def _scale_shift(n, sigma, seed):
    """Source N(0, 1), target N(0, sigma^2): the log-ratio is quadratic."""
    rng = np.random.RandomState(seed)
    Xs = rng.normal(size=(n, 1))
    Xt = rng.normal(scale=sigma, size=(n, 1))
    x = Xs[:, 0]
    ratio = np.exp(-(x**2) / (2 * sigma**2) + x**2 / 2) / sigma
    return Xs, Xt, ratio / ratio.mean()


def test_recovers_nonlinear_ratio_where_logistic_cannot():
    Xs, Xt, true = _scale_shift(1000, 0.6, 0)
    nn = NeuralDensityRatio(random_state=0).fit(Xs, X_target=Xt)
    lin = ClassifierDensityRatio().fit(Xs, X_target=Xt)
    corr_nn = np.corrcoef(nn.weights_, true)[0, 1]
    corr_lin = np.corrcoef(lin.weights_, true)[0, 1]
    assert corr_nn > 0.95, corr_nn
    assert corr_lin < 0.5, corr_lin
    assert_allclose(nn.compute_weights(Xs), nn.weights_, rtol=1e-6)


def test_no_target_means_uniform_weights():
    Xs, _, _ = _scale_shift(50, 0.6, 0)
    w = NeuralDensityRatio(max_epochs=2).fit(Xs).weights_
    assert_allclose(w, 1.0)


def test_feature_mismatch_is_an_error():
    Xs, Xt, _ = _scale_shift(50, 0.6, 0)
    with pytest.raises(ValueError, match="features"):
        NeuralDensityRatio(max_epochs=2).fit(Xs, X_target=np.c_[Xt, Xt])


def test_reweighted_regression_on_shifted_target():
    # y = x^2 fitted by a linear model: importance weights move the fit
    # towards the target region, lowering the target error.
    Xs, Xt, _ = _scale_shift(800, 0.5, 1)
    ys = Xs[:, 0] ** 2
    yt = Xt[:, 0] ** 2
    from sklearn.linear_model import LinearRegression

    plain = LinearRegression().fit(Xs, ys)
    rw = ReweightedRegressor(NeuralDensityRatio(random_state=0), LinearRegression())
    rw.fit(Xs, ys, X_target=Xt)
    mse = lambda m: np.mean((m.predict(Xt) - yt) ** 2)  # noqa: E731
    assert mse(rw) < 0.7 * mse(plain)
