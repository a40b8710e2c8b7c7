import cvxpy as cp
import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import minimize
from scipy.special import expit

from skreweight.imbalance import PRESTOClassifier


def _ordinal_data(n=800, seed=0):
    """Cumulative-logit data, 4 classes, the last one rare; the 2nd feature's
    slope differs across boundaries, the others are proportional odds."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 3)) * [1.0, 2.0, 0.5] + [0.0, 1.0, 0.0]
    B = np.array([[0.8, 0.8, 0.8], [0.3, 0.6, 1.0], [0.5, 0.5, 0.5]])  # (d, J)
    E = np.array([-1.0, 0.8, 2.5]) - 0.6 + X @ B
    y = (rng.uniform(size=(n, 1)) > expit(E)).sum(axis=1)
    return X, y


def _negloglik(a, B, X, y):
    """Mean negative log-likelihood of P(y <= k) = sigmoid(a_k + x b_k)."""
    F = expit(a + X @ B)
    F = np.c_[np.zeros(len(y)), F, np.ones(len(y))]
    p = F[np.arange(len(y)), y + 1] - F[np.arange(len(y)), y]
    return -np.mean(np.log(p)) if np.all(p > 0) else np.inf


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # BFGS probes outside
def test_alpha_zero_is_the_unpenalised_mle():
    X, y = _ordinal_data()
    clf = PRESTOClassifier(alpha=0.0, tol=1e-10).fit(X, y)
    d, J = X.shape[1], 3

    def fun(theta):
        return _negloglik(theta[:J], theta[J:].reshape(d, J), X, y)

    counts = np.cumsum(np.bincount(y))[:-1] / len(y)
    start = np.r_[np.log(counts / (1 - counts)), np.zeros(d * J)]
    res = minimize(fun, start, method="BFGS", options={"gtol": 1e-9, "maxiter": 10000})
    ours = np.r_[clf.intercept_, clf.coef_.T.ravel()]
    assert fun(ours) <= res.fun + 1e-10
    assert_allclose(ours, res.x, atol=2e-5)


def _cvxpy_reference(Xs, y, K, alpha):
    """The spec's exponential-cone program in (a, B), written independently."""
    n, d = Xs.shape
    J = K - 1
    a, B = cp.Variable(J), cp.Variable((d, J))
    E = np.ones((n, 1)) @ cp.reshape(a, (1, J), order="C") + Xs @ B
    ll = [-cp.sum(cp.logistic(-E[y == 0, 0])), -cp.sum(cp.logistic(E[y == J, J - 1]))]
    cons = []
    for k in range(1, J):  # middle classes, grouped
        u, v = E[y == k, k], E[y == k, k - 1]
        s = cp.Variable(int(np.sum(y == k)))
        ll.append(cp.sum(u + s - cp.logistic(u) - cp.logistic(v)))
        cons.append(cp.exp(s) + cp.exp(v - u) <= 1)
    pen = cp.sum(cp.abs(B[:, 0])) + cp.sum(cp.abs(B[:, 1:] - B[:, :-1]))
    prob = cp.Problem(cp.Minimize(-cp.sum(cp.hstack(ll)) / n + alpha * pen), cons)
    prob.solve(solver=cp.CLARABEL)
    return a.value, B.value


@pytest.mark.parametrize("alpha", [0.005, 0.03])
def test_penalised_fit_matches_cvxpy(alpha):
    X, y = _ordinal_data(n=250, seed=1)
    clf = PRESTOClassifier(alpha=alpha).fit(X, y)
    mean, std = X.mean(axis=0), X.std(axis=0)
    a, B = _cvxpy_reference((X - mean) / std, y, 4, alpha)
    coef_std = clf.coef_ * std  # back to the standardised scale
    assert_allclose(coef_std, B.T, atol=2e-5)
    assert_allclose(clf.intercept_ + clf.coef_ @ mean, a, atol=2e-5)
    # the package's own cvxpy solver agrees too
    clf_cp = PRESTOClassifier(alpha=alpha, solver="cvxpy").fit(X, y)
    assert_allclose(clf_cp.coef_, clf.coef_, atol=2e-5)


def test_fusion_towards_proportional_odds():
    X, y = _ordinal_data(n=1500, seed=2)
    clf = PRESTOClassifier(alpha=0.02).fit(X, y)
    # features 0 and 2 have common slopes in truth: fused exactly
    assert_allclose(np.ptp(clf.coef_[:, [0, 2]], axis=0), 0.0, atol=1e-10)
    # feature 1's slopes really differ and stay apart
    assert np.ptp(clf.coef_[:, 1]) > 0.1
    # the unpenalised fit has no exact ties
    free = PRESTOClassifier(alpha=0.0).fit(X, y)
    assert np.all(np.ptp(free.coef_, axis=0) > 1e-6)


def test_large_alpha_gives_the_intercept_only_fit():
    X, y = _ordinal_data(n=400)
    clf = PRESTOClassifier(alpha=10.0).fit(X, y)
    assert_allclose(clf.coef_, 0.0)
    cum = np.cumsum(np.bincount(y))[:-1] / len(y)
    assert_allclose(clf.intercept_, np.log(cum / (1 - cum)), rtol=1e-6)


def test_cross_validation_picks_largest_alpha_at_min_brier():
    X, y = _ordinal_data(n=600, seed=3)
    clf = PRESTOClassifier(alphas=6, cv=3).fit(X, y)
    assert clf.cv_brier_.shape == (6, 3)
    mean = clf.cv_brier_.mean(axis=1)
    assert clf.alpha_ == clf.alphas_[np.argmin(mean)]
    assert np.all(np.diff(clf.alphas_) < 0)
    # alpha_max sets every slope to zero
    top = PRESTOClassifier(alpha=clf.alphas_[0] * (1 + 1e-6)).fit(X, y)
    assert_allclose(top.coef_, 0.0, atol=1e-10)
    below = PRESTOClassifier(alpha=clf.alphas_[0] * 0.9).fit(X, y)
    assert np.any(below.coef_ != 0)


def test_sample_weight_is_repetition():
    X, y = _ordinal_data(n=200, seed=4)
    sw = np.random.RandomState(0).randint(1, 4, size=200)
    a = PRESTOClassifier(alpha=0.01).fit(X, y, sample_weight=sw.astype(float))
    b = PRESTOClassifier(alpha=0.01).fit(np.repeat(X, sw, 0), np.repeat(y, sw))
    assert_allclose(a.coef_, b.coef_, atol=1e-7)


def test_probabilities_valid_out_of_sample_and_rare_class():
    X, y = _ordinal_data(n=600, seed=5)
    clf = PRESTOClassifier(alpha=0.0).fit(X, y)
    far = np.random.RandomState(0).normal(scale=20, size=(200, 3))
    P = clf.predict_proba(far)
    assert np.all(P >= 0)
    assert_allclose(P.sum(axis=1), 1.0)
    labels = np.array(["low", "mid", "high", "top"])[y]
    clf = PRESTOClassifier(alpha=0.01).fit(X, labels)
    assert list(clf.classes_) == sorted(set(labels))


def test_two_classes_is_lasso_logistic():
    X, y = _ordinal_data(n=400, seed=6)
    yb = (y == 3).astype(int)
    clf = PRESTOClassifier(alpha=0.0).fit(X, yb)
    from sklearn.linear_model import LogisticRegression

    ref = LogisticRegression(C=1e10, tol=1e-12, max_iter=10000).fit(X, yb)
    # P(y <= 0) = sigmoid(a + xb)  <=>  P(y = 1) = sigmoid(-a - xb)
    assert_allclose(-clf.coef_[0], ref.coef_[0], rtol=1e-4)
    assert_allclose(clf.predict_proba(X), ref.predict_proba(X), atol=1e-6)


def test_single_class():
    X = np.random.RandomState(0).normal(size=(20, 2))
    with pytest.raises(ValueError, match="at least 2 classes in y, got 1 class"):
        PRESTOClassifier(alpha=0.1).fit(X, np.zeros(20))


def test_nonconvergence_warns_on_separable_data():
    X = np.r_[np.linspace(-3, -1, 20), np.linspace(1, 3, 20), np.linspace(5, 7, 20)]
    y = np.repeat([0, 1, 2], 20)
    with pytest.warns(Warning, match="did not converge"):
        PRESTOClassifier(alpha=0.0, max_iter=5).fit(X[:, None], y)
