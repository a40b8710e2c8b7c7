"""OptimallyWeightedRegressor: exact convex weights over out-of-fold predictions."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn import config_context
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Lasso, LinearRegression, Ridge
from sklearn.model_selection import GroupKFold, KFold, cross_val_predict
from sklearn.neighbors import KNeighborsRegressor
from sklearn.tree import DecisionTreeRegressor

from skreweight.ensemble import OptimallyWeightedRegressor
from skreweight.ensemble._simplex import (
    _cvxpy_simplex_qp,
    _gram,
    simplex_least_squares,
    simplex_linear_loss,
)


@pytest.fixture(scope="module")
def data():
    X, y = load_diabetes(return_X_y=True)
    return X[:300], y[:300]


def _members():
    return [
        ("ridge", Ridge(1.0)),
        ("lasso", Lasso(0.5)),
        ("knn", KNeighborsRegressor(15)),
        ("tree", DecisionTreeRegressor(max_depth=4, random_state=0)),
    ]


def _sw_members():
    from sklearn.svm import SVR

    return [m for m in _members() if m[0] != "knn"] + [("svr", SVR(C=100.0))]


def test_active_set_equals_cvxpy_to_1e8(data):
    X, y = data
    sw = np.random.RandomState(0).uniform(0.2, 3.0, size=y.shape[0])
    for weights in (None, sw):
        fast = OptimallyWeightedRegressor(_sw_members(), cv=KFold(5)).fit(
            X, y, sample_weight=weights
        )
        ref = OptimallyWeightedRegressor(
            _sw_members(), cv=KFold(5), solver="cvxpy"
        ).fit(X, y, sample_weight=weights)
        assert fast.solver_info_["solver"] == "active_set"
        assert ref.solver_info_["solver"] == "cvxpy"
        assert_allclose(fast.weights_, ref.weights_, rtol=0, atol=1e-8)
        # more than one model carries weight: the optimum is interior
        assert np.sum(fast.weights_ > 1e-6) >= 2


def test_simplex_qp_on_random_problems_matches_cvxpy():
    rng = np.random.RandomState(0)
    for K, scale in [(2, 1.0), (3, 1e4), (6, 1.0), (10, 1e-3), (5, 1e4)]:
        y = rng.normal(size=200) * scale
        noise = rng.normal(size=(200, K)) * rng.uniform(0.3, 2.0, size=K)
        noise += rng.normal(size=(200, 1)) * 0.5  # correlated errors
        P = y[:, None] + noise * scale
        w, info = simplex_least_squares(P, y)
        G, b, _ = _gram(P, y, np.ones(200))
        assert info["solver"] == "active_set" and info["unique"]
        assert_allclose(w, _cvxpy_simplex_qp(G, b), rtol=0, atol=1e-8)
        assert w.min() >= 0 and abs(w.sum() - 1) < 1e-12


def test_two_models_closed_form():
    # for K = 2 the optimum is the projection of the least-squares mixing
    # coefficient onto [0, 1]
    rng = np.random.RandomState(1)
    y = rng.normal(size=100)
    p1, p2 = y + rng.normal(size=100), 0.5 * y + rng.normal(size=100) * 0.8
    d = p1 - p2
    a = np.clip(np.dot(y - p2, d) / np.dot(d, d), 0, 1)
    w, _ = simplex_least_squares(np.c_[p1, p2], y)
    assert_allclose(w, [a, 1 - a], rtol=1e-12)
    # a dominated model gets weight exactly 0 (a vertex)
    w, _ = simplex_least_squares(np.c_[y + 0.01 * p1, y + p2 * 3], y)
    assert w[1] == 0.0 and w[0] == 1.0


@pytest.mark.parametrize("quantile", [0.5, 0.2, 0.9])
def test_linear_programs_against_a_fine_grid(quantile):
    rng = np.random.RandomState(2)
    y = rng.standard_t(3, size=150)
    P = np.c_[y + rng.normal(size=150), y + rng.standard_t(2, size=150) - 0.3]
    w, _ = simplex_linear_loss(P, y, quantile=quantile)

    def pinball(a):
        r = y - P @ np.array([a, 1 - a])
        return np.mean(np.maximum(quantile * r, (quantile - 1) * r))

    grid = min(pinball(a) for a in np.linspace(0, 1, 20001))
    # the LP optimum is at least as good as every grid point, and close to it
    assert pinball(w[0]) <= grid + 1e-12
    assert pinball(w[0]) >= grid - 1e-4


def test_out_of_fold_predictions_losses_and_predict(data):
    X, y = data
    cv = KFold(5, shuffle=True, random_state=0)
    reg = OptimallyWeightedRegressor(_members(), cv=cv).fit(X, y)
    for k, (_, est) in enumerate(_members()):
        assert_allclose(reg.cv_predictions_[:, k], cross_val_predict(est, X, y, cv=cv))
        full = est.fit(X, y).predict(X)
        assert_allclose(reg.train_loss_[k], np.mean((y - full) ** 2))
    assert_allclose(reg.cv_loss_, np.mean((y[:, None] - reg.cv_predictions_) ** 2, 0))
    # the simplex holds every vertex: the ensemble is never worse out of fold
    assert reg.ensemble_cv_loss_ <= reg.cv_loss_.min() + 1e-9
    members = np.column_stack([e.predict(X[:7]) for e in reg.estimators_])
    assert_allclose(reg.predict(X[:7]), members @ reg.weights_)
    assert set(reg.named_estimators_) == {"ridge", "lasso", "knn", "tree"}


@pytest.mark.parametrize("loss", ["absolute_error", "quantile"])
def test_linear_losses_end_to_end(data, loss):
    X, y = data
    reg = OptimallyWeightedRegressor(_members(), loss=loss, quantile=0.8).fit(X, y)
    assert reg.ensemble_cv_loss_ <= reg.cv_loss_.min() + 1e-9
    q = 0.5 if loss == "absolute_error" else 0.8
    w, _ = simplex_linear_loss(reg.cv_predictions_, y, quantile=q)
    assert_allclose(reg.weights_, w, atol=1e-9)
    r = y[:, None] - reg.cv_predictions_
    expected = np.abs(r) if loss == "absolute_error" else np.maximum(q * r, (q - 1) * r)
    assert_allclose(reg.cv_loss_, expected.mean(0))


def test_sample_weight_reaches_base_fits_and_the_qp(data):
    X, y = data
    sw = np.r_[np.zeros(60), np.ones(240) * 2.0]
    cv = KFold(4)
    reg = OptimallyWeightedRegressor(_members()[:2], cv=cv).fit(X, y, sample_weight=sw)
    ridge = Ridge(1.0).fit(X, y, sample_weight=sw)
    assert_allclose(reg.estimators_[0].coef_, ridge.coef_)
    w, _ = simplex_least_squares(reg.cv_predictions_, y, sw)
    assert_allclose(reg.weights_, w)
    # a zero weight drops the row from the loss
    assert_allclose(
        reg.cv_loss_[0], np.mean((y[60:] - reg.cv_predictions_[60:, 0]) ** 2)
    )


def test_metadata_routing_to_members_and_splitter(data):
    X, y = data
    sw = np.random.RandomState(3).uniform(0.5, 2, size=y.shape[0])
    groups = np.arange(y.shape[0]) % 6
    with config_context(enable_metadata_routing=True):
        members = [
            ("ridge", Ridge().set_fit_request(sample_weight=True)),
            ("lr", LinearRegression().set_fit_request(sample_weight=False)),
        ]
        reg = OptimallyWeightedRegressor(members, cv=GroupKFold(3))
        reg.fit(X, y, sample_weight=sw, groups=groups)
    assert_allclose(reg.estimators_[0].coef_, Ridge().fit(X, y, sample_weight=sw).coef_)
    assert_allclose(reg.estimators_[1].coef_, LinearRegression().fit(X, y).coef_)
    oof = cross_val_predict(LinearRegression(), X, y, cv=GroupKFold(3), groups=groups)
    assert_allclose(reg.cv_predictions_[:, 1], oof)
    assert_allclose(reg.weights_, simplex_least_squares(reg.cv_predictions_, y, sw)[0])


def test_extra_fit_params_need_routing(data):
    X, y = data
    with pytest.raises(TypeError, match="enable metadata routing"):
        OptimallyWeightedRegressor(_members()).fit(X, y, groups=np.zeros(300))


def test_one_model_gets_weight_one_and_a_note(data):
    X, y = data
    with pytest.warns(UserWarning, match="single estimator 'ridge'.*weight is 1"):
        reg = OptimallyWeightedRegressor([("ridge", Ridge())]).fit(X, y)
    assert_allclose(reg.weights_, [1.0])
    assert_allclose(reg.predict(X), Ridge().fit(X, y).predict(X))


def test_identical_models_warn_not_unique(data):
    X, y = data
    members = [
        ("a", Ridge()),
        ("b", Ridge()),
        ("tree", DecisionTreeRegressor(max_depth=3, random_state=0)),
    ]
    with pytest.warns(UserWarning, match=r"\('a', 'b'\).*not unique"):
        reg = OptimallyWeightedRegressor(members).fit(X, y)
    assert abs(reg.weights_.sum() - 1) < 1e-12


def test_linearly_dependent_models_warn_not_unique(data):
    X, y = data

    class Scaled(RegressorMixin, BaseEstimator):
        def __init__(self, shift=0.0):
            self.shift = shift

        def fit(self, X, y):
            self.m_ = Ridge().fit(X, y)
            return self

        def predict(self, X):
            return self.m_.predict(X) + self.shift

    # a + c = 2 b: mixing a and c equals b, so the weights are not unique
    members = [("a", Scaled(-10.0)), ("b", Scaled(0.0)), ("c", Scaled(10.0))]
    with pytest.warns(UserWarning, match="linearly dependent"):
        OptimallyWeightedRegressor(members).fit(X, y)


class _NaNRegressor(RegressorMixin, BaseEstimator):
    def fit(self, X, y):
        return self

    def predict(self, X):
        return np.full(len(X), np.nan)


def test_non_finite_out_of_fold_predictions_raise(data):
    X, y = data
    members = [("ridge", Ridge()), ("broken", _NaNRegressor())]
    with pytest.raises(ValueError, match=r"\['broken'\] made non-finite"):
        OptimallyWeightedRegressor(members).fit(X, y)


def test_bad_input(data):
    X, y = data
    with pytest.raises(ValueError, match="at least one"):
        OptimallyWeightedRegressor([]).fit(X, y)
    with pytest.raises(TypeError, match="must implement fit and predict"):
        OptimallyWeightedRegressor([("x", object())]).fit(X, y)
    with pytest.raises(TypeError, match="does not accept sample_weight"):
        OptimallyWeightedRegressor([("knn", KNeighborsRegressor())]).fit(
            X, y, sample_weight=np.ones(300)
        )
    with pytest.raises(ValueError, match="fewer than the 5"):
        OptimallyWeightedRegressor(_members()).fit(X[:3], y[:3])
    with pytest.raises(ValueError, match="Input y contains NaN|y contains NaN"):
        OptimallyWeightedRegressor(_members()).fit(X, np.r_[np.nan, y[1:]])


def test_parallel_equals_sequential_and_inputs_not_mutated(data):
    X, y = data
    X0, y0 = X.copy(), y.copy()
    from joblib import parallel_backend

    with parallel_backend("threading", n_jobs=2):
        a = OptimallyWeightedRegressor(_members(), n_jobs=2).fit(X, y)
    b = OptimallyWeightedRegressor(_members()).fit(X, y)
    assert_allclose(a.weights_, b.weights_)
    assert_allclose(a.cv_predictions_, b.cv_predictions_)
    assert_allclose(X, X0)
    assert_allclose(y, y0)
