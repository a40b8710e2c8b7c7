"""Density-ratio weighters: known answers, reference solvers, bad input."""

import cvxpy as cp
import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.linalg import solve

from skreweight._core.kernels import rbf
from skreweight.datasets import make_covariate_shift
from skreweight.exceptions import ConvergenceWarning, WeightDegeneracyWarning
from skreweight.weighting import (
    KLIEP,
    ULSIF,
    KernelMeanMatching,
    NearestNeighborsDensityRatio,
    RuLSIF,
)
from skreweight.weighting._kliep import _kliep_solve
from skreweight.weighting._lsif import _loo_scores


@pytest.fixture(scope="module")
def shift500():
    return make_covariate_shift(n_source=500, n_target=500, random_state=0)


def _nmse(w, r):
    return float(np.mean((w - r) ** 2) / np.mean(r**2))


# Stated tolerances: correlation with the true ratio exp(x0 - 1/2) and its
# normalised mean squared error, at 500 source and 500 target rows (2,000 for
# the nearest-neighbour counts, which are noisier by construction).
@pytest.mark.parametrize(
    "weighter, min_corr, max_nmse, n",
    [
        (KernelMeanMatching(random_state=0), 0.9, 0.15, 500),
        (KLIEP(random_state=0), 0.9, 0.15, 500),
        (ULSIF(random_state=0), 0.7, 0.3, 500),
        (RuLSIF(alpha=0.01, random_state=0), 0.75, 0.3, 500),
        (NearestNeighborsDensityRatio(), 0.6, 0.45, 2000),
    ],
    ids=lambda v: type(v).__name__ if hasattr(v, "fit") else None,
)
def test_recovers_true_ratio(weighter, min_corr, max_nmse, n):
    d = make_covariate_shift(n_source=n, n_target=n, random_state=0)
    w = weighter.fit(d.X_source, X_target=d.X_target).weights_
    assert_allclose(w.mean(), 1.0)
    assert np.corrcoef(w, d.ratio_source)[0, 1] > min_corr
    assert _nmse(w, d.ratio_source) < max_nmse


def test_kmm_matches_cvxpy_reference(shift500):
    n = t = 150
    Xs, Xt = shift500.X_source[:n], shift500.X_target[:t]
    kmm = KernelMeanMatching(bandwidth=1.5, tol=1e-6, max_iter=5000).fit(
        Xs, X_target=Xt
    )
    K = rbf(np.vstack([Xs, Xt]), np.vstack([Xs, Xt]), 1.5)
    beta = cp.Variable(n)
    v = cp.hstack([beta / n, -np.ones(t) / t])
    eps = 1 - 1 / np.sqrt(n)
    cons = [beta >= 0, beta <= 1000, cp.abs(cp.sum(beta) / n - 1) <= eps]
    prob = cp.Problem(cp.Minimize(cp.quad_form(v, cp.psd_wrap(K))), cons)
    prob.solve(solver="CLARABEL")
    u = np.r_[np.ones(n) / n, -np.ones(t) / t]
    f_uniform = u @ K @ u
    # relative optimality gap: (ours - optimum) / (uniform - optimum)
    gap = (kmm.objective_ - prob.value) / (f_uniform - prob.value)
    assert gap < 1e-3
    # objective_ is the MMD^2 of the returned weights
    b = kmm._beta_fit
    vb = np.r_[b / n, -np.ones(t) / t]
    assert_allclose(kmm.objective_, vb @ K @ vb, rtol=1e-8)
    assert b.min() >= 0 and b.max() <= 1000
    assert abs(b.mean() - 1) <= eps + 1e-9


def test_kmm_nystroem_close_to_exact(shift500):
    X, Xt = shift500.X_source[:300], shift500.X_target[:300]
    exact = KernelMeanMatching(approximation="exact").fit(X, X_target=Xt)
    approx = KernelMeanMatching(
        approximation="nystroem", n_components=300, random_state=0
    ).fit(X, X_target=Xt)
    assert approx.approximation_ == "nystroem"
    assert np.corrcoef(exact.weights_, approx.weights_)[0, 1] > 0.99


def test_kmm_out_of_sample_rule(shift500):
    kmm = KernelMeanMatching().fit(shift500.X_source, X_target=shift500.X_target)
    assert_allclose(kmm.compute_weights(shift500.X_source), kmm.weights_)
    new = kmm.compute_weights(shift500.X_target[:50] + 1e-3)
    assert np.all(new >= kmm.weights_.min() - 1e-12)
    assert np.all(new <= kmm.weights_.max() + 1e-12)


@pytest.mark.parametrize("relative", [0.0, 0.3])
@pytest.mark.parametrize("reg", [0.01, 0.5])
def test_lsif_loo_equals_brute_force(relative, reg):
    rng = np.random.RandomState(0)
    Xd, Xn = rng.normal(size=(30, 2)), rng.normal(size=(25, 2)) + 0.5
    C = Xn[:10]
    Pd, Pn = rbf(Xd, C, 1.0), rbf(Xn, C, 1.0)
    scores = []
    for i in range(25):  # leave out source row i and target row i
        pd_, pn = np.delete(Pd, i, 0), np.delete(Pn, i, 0)
        H = relative * pn.T @ pn / len(pn) + (1 - relative) * pd_.T @ pd_ / len(pd_)
        theta = np.maximum(solve(H + reg * np.eye(10), pn.mean(0)), 0)
        rn, rd = Pn[i] @ theta, Pd[i] @ theta
        scores.append(relative / 2 * rn**2 + (1 - relative) / 2 * rd**2 - rn)
    assert_allclose(_loo_scores(Pd, Pn, relative, [reg])[0], np.mean(scores))


def test_ulsif_closed_form(shift500):
    u = ULSIF(bandwidth=1.0, reg=0.1, random_state=0).fit(
        shift500.X_source, X_target=shift500.X_target
    )
    Pd = rbf(shift500.X_source, u.centers_, 1.0)
    Pn = rbf(shift500.X_target, u.centers_, 1.0)
    H = Pd.T @ Pd / len(Pd) + 0.1 * np.eye(len(u.centers_))
    assert_allclose(u.coef_, np.maximum(solve(H, Pn.mean(0)), 0), rtol=1e-8)


def test_rulsif_is_bounded(shift500):
    for alpha in (0.2, 0.5):
        r = RuLSIF(alpha=alpha, random_state=0).fit(
            shift500.X_source, X_target=shift500.X_target
        )
        raw = rbf(shift500.X_source, r.centers_, r.bandwidth_) @ r.coef_
        assert raw.max() < 1.2 / alpha


def test_kliep_em_matches_cvxpy():
    rng = np.random.RandomState(0)
    A = rng.uniform(0.05, 1, size=(40, 8))
    b = rng.uniform(0.1, 1, size=8)
    a, _, converged = _kliep_solve(A, b, max_iter=5000, tol=1e-12)
    assert converged
    x = cp.Variable(8)
    prob = cp.Problem(cp.Maximize(cp.sum(cp.log(A @ x))), [b @ x == 1, x >= 0])
    prob.solve(solver="CLARABEL")
    assert_allclose(np.sum(np.log(A @ a)), prob.value, rtol=1e-6)


def test_nn_counts_cells():
    X = np.array([[0.0], [1.0], [2.0]])
    Xt = np.array([[0.1], [0.2], [1.9], [2.2]])
    nn = NearestNeighborsDensityRatio(laplace_smoothing=0).fit(X, X_target=Xt)
    assert_allclose(nn.cell_counts_, [2, 0, 2])
    assert_allclose(nn.weights_, [1.5, 0, 1.5])
    assert_allclose(nn.compute_weights([[0.4], [5.0]]), [1.5, 1.5])


# ---------------------------------------------------------------- bad input
def test_one_target_row():
    d = make_covariate_shift(n_source=50, n_target=1, random_state=0)
    with pytest.warns(WeightDegeneracyWarning):  # all mass near one point
        w = KernelMeanMatching().fit(d.X_source, X_target=d.X_target).weights_
    assert np.all(np.isfinite(w))
    for est in (ULSIF(), KLIEP()):
        with pytest.raises(ValueError, match="at least 2"):
            est.fit(d.X_source, X_target=d.X_target)
    ULSIF(bandwidth=1.0, reg=0.1).fit(d.X_source, X_target=d.X_target)


def test_target_outside_source_support_warns():
    rng = np.random.RandomState(0)
    X, Xt = rng.normal(size=(100, 2)), rng.normal(size=(100, 2)) + [8.0, 0.0]
    with pytest.warns(WeightDegeneracyWarning, match="target rows lie where"):
        kmm = KernelMeanMatching(bandwidth=1.0).fit(X, X_target=Xt)
    assert kmm.uncovered_target_share_ > 0.5


def test_exact_kernel_too_large_points_to_nystroem():
    X = np.zeros((20001, 1)) + np.arange(20001)[:, None] * 1e-3
    with pytest.raises(MemoryError, match="nystroem"):
        KernelMeanMatching(approximation="exact", bandwidth=1.0).fit(X, X_target=X[:5])


def test_non_convergence_warns(shift500):
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        KernelMeanMatching(max_iter=2, tol=0).fit(
            shift500.X_source, X_target=shift500.X_target
        )
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        KLIEP(bandwidth=1.0, max_iter=1, tol=0).fit(
            shift500.X_source, X_target=shift500.X_target
        )
