import cvxpy as cp
import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.linear_model import LogisticRegression, Ridge

from skreweight.robust import (
    SpectralRiskClassifier,
    SpectralRiskRegressor,
    spectral_risk_weights,
    spectrum_cdf,
)


def _sigma(spectrum, n, level=None):
    return np.diff(spectrum_cdf(spectrum, level)(np.arange(n + 1) / n))


def _solve(prob, kl):
    if kl:  # Clarabel fails on these exponential-cone problems; SCS is exact here
        prob.solve(solver="SCS", eps=1e-10, max_iters=200_000)
    else:
        prob.solve(solver="CLARABEL")
    assert prob.status == "optimal"


@pytest.fixture(scope="module")
def reg_data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    y = X @ [1.0, -2.0, 0.5] + rng.standard_t(2, size=40)
    return X, y


def _cvxpy_spectral(X, y, spectrum, penalty, nu, alpha, loss="squared"):
    """The same problem through the conjugate of the penalised inner max.

    max_{q in P(sigma)} q.l - D(q) = min_u h_P(l - u) + D*(u), with h_P the
    support function of the permutahedron (a sum of sum_largest terms, which
    is nondecreasing, so composing it with convex losses is DCP).
    """
    n = X.shape[0]
    dsig = np.diff(np.r_[0.0, _sigma(spectrum, n)])
    w, b, u, r = cp.Variable(X.shape[1]), cp.Variable(), cp.Variable(n), cp.Variable(n)
    if loss == "squared":
        cons = [r >= 0.5 * cp.square(y - X @ w - b)]
    else:
        cons = [r >= cp.logistic(-cp.multiply(2.0 * y - 1.0, X @ w + b))]
    z = r - u
    h = sum(dsig[k] * cp.sum_largest(z, n - k) for k in range(n) if dsig[k] > 1e-15)
    if penalty == "chi2":
        conj = cp.sum(u) / n + cp.sum_squares(u) / (2 * n * nu)
    else:
        conj = cp.sum(cp.exp(u / nu - 1)) * nu / n
    prob = cp.Problem(cp.Minimize(h + conj + 0.5 * alpha * cp.sum_squares(w)), cons)
    _solve(prob, penalty == "kl")
    return prob.value, w.value, b.value


@pytest.mark.parametrize(
    "spectrum, penalty",
    [
        ("cvar", "chi2"),
        ("extremile", "chi2"),
        ("esrm", "chi2"),
        ("cvar", "kl"),
        ("esrm", "kl"),
    ],
)
def test_regressor_matches_cvxpy(reg_data, spectrum, penalty):
    X, y = reg_data
    reg = SpectralRiskRegressor(spectrum, penalty=penalty, alpha=0.1).fit(X, y)
    value, w, b = _cvxpy_spectral(X, y, spectrum, penalty, 1.0, 0.1)
    assert_allclose(reg.objective_, value, rtol=1e-6)
    assert_allclose(reg.coef_[0], w, atol=5e-5)
    assert_allclose(reg.intercept_[0], b, atol=5e-5)


@pytest.mark.parametrize("spectrum, penalty", [("cvar", "chi2"), ("esrm", "kl")])
def test_classifier_matches_cvxpy(reg_data, spectrum, penalty):
    X, y = reg_data
    yc = (y > 0).astype(int)
    clf = SpectralRiskClassifier(
        spectrum, penalty=penalty, shift_cost=0.5, alpha=0.1
    ).fit(X, yc)
    value, w, b = _cvxpy_spectral(X, yc, spectrum, penalty, 0.5, 0.1, loss="log")
    assert_allclose(clf.objective_, value, rtol=1e-6)
    assert_allclose(clf.coef_[0], w, atol=5e-5)


@pytest.mark.parametrize("penalty", ["chi2", "kl"])
def test_inner_max_matches_cvxpy_over_the_permutahedron(penalty):
    rng = np.random.RandomState(0)
    n, nu = 25, 0.3
    loss = rng.exponential(size=n)
    sigma = _sigma("extremile", n)
    q, value = spectral_risk_weights(
        loss, np.ones(n), spectrum_cdf("extremile"), penalty=penalty, shift_cost=nu
    )
    qv = cp.Variable(n)
    top = np.cumsum(np.sort(sigma)[::-1])
    cons = [cp.sum(qv) == 1, qv >= 0]
    cons += [cp.sum_largest(qv, k) <= top[k - 1] for k in range(1, n)]
    if penalty == "chi2":
        div = 0.5 * n * nu * cp.sum_squares(qv - 1.0 / n)
    else:
        div = nu * cp.sum(-cp.entr(qv)) + nu * np.log(n)
    prob = cp.Problem(cp.Maximize(qv @ loss - div), cons)
    _solve(prob, penalty == "kl")
    assert_allclose(value, prob.value, rtol=1e-7)
    # (the interior-point point is accurate to ~1e-5; ours is exact)
    assert_allclose(q, qv.value, atol=2e-5)
    # q is ordered like the losses
    order = np.argsort(loss)
    assert np.all(np.diff(q[order]) >= -1e-12)


def test_inner_max_limits():
    rng = np.random.RandomState(1)
    loss = rng.normal(size=30)
    cdf = spectrum_cdf("esrm", 2.0)
    sigma = _sigma("esrm", 30, 2.0)
    # vanishing shift cost: q is the spectrum placed by rank
    q, _ = spectral_risk_weights(loss, np.ones(30), cdf, shift_cost=1e-9)
    assert_allclose(q[np.argsort(loss)], sigma, atol=1e-12)
    # uniform spectrum: q = 1/n for any shift cost, value = mean loss
    for penalty in ("chi2", "kl"):
        q, value = spectral_risk_weights(
            loss, np.ones(30), spectrum_cdf("erm"), penalty=penalty
        )
        assert_allclose(q, 1 / 30)
        assert_allclose(value, loss.mean())


def test_cvar_with_vanishing_penalty_is_the_upper_tail_mean():
    loss = np.arange(10.0)
    q, value = spectral_risk_weights(
        loss, np.ones(10), spectrum_cdf("cvar", 0.75), shift_cost=1e-10
    )
    # top 25% of 10 rows: rows 9, 8 and half of row 7
    assert_allclose(value, (9 + 8 + 0.5 * 7) / 2.5, rtol=1e-8)


@pytest.mark.parametrize("penalty", ["chi2", "kl"])
def test_integer_sample_weight_is_repeated_rows(reg_data, penalty):
    X, y = reg_data
    sw = np.random.RandomState(2).randint(0, 4, size=X.shape[0])
    rep = np.repeat(np.arange(X.shape[0]), sw)
    params = dict(spectrum="cvar", level=0.7, penalty=penalty, alpha=0.1)
    a = SpectralRiskRegressor(**params).fit(X, y, sample_weight=sw.astype(float))
    b = SpectralRiskRegressor(**params).fit(X[rep], y[rep])
    assert_allclose(a.coef_, b.coef_, rtol=1e-6, atol=1e-8)
    assert_allclose(a.objective_, b.objective_, rtol=1e-9)
    assert_allclose(a.weights_[rep], b.weights_, rtol=1e-5, atol=1e-8)
    assert_allclose(np.average(a.weights_, weights=sw), 1.0)


def test_erm_spectrum_is_ridge_and_logistic_regression(reg_data):
    X, y = reg_data
    n, alpha = X.shape[0], 0.1
    reg = SpectralRiskRegressor("erm", alpha=alpha).fit(X, y)
    assert_allclose(reg.coef_[0], Ridge(alpha=alpha * n).fit(X, y).coef_, rtol=1e-6)
    assert_allclose(reg.weights_, 1.0)
    yc = (y > 0).astype(int)
    clf = SpectralRiskClassifier("erm", alpha=alpha).fit(X, yc)
    ref = LogisticRegression(C=1 / (alpha * n), tol=1e-10).fit(X, yc)
    assert_allclose(clf.coef_, ref.coef_, rtol=1e-5)


def test_weights_concentrate_on_large_losses(reg_data):
    X, y = reg_data
    reg = SpectralRiskRegressor("cvar", level=0.8, shift_cost=0.1).fit(X, y)
    resid = np.abs(y - reg.predict(X))
    top = resid >= np.quantile(resid, 0.8)
    assert reg.weights_[top].mean() > 3 * reg.weights_[~top].mean()


def test_bad_level_raises(reg_data):
    X, y = reg_data
    with pytest.raises(ValueError, match="CVaR level must be in"):
        SpectralRiskRegressor("cvar", level=1.0).fit(X, y)
