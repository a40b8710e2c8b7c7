"""Tests of IPMBalancing."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skreweight._core.kernels import (
    ArmKernelOperator,
    fourier_features,
    gaussian_kernel_matvec,
)
from skreweight._core.kernels import gaussian_kernel as _gaussian_kernel
from skreweight._core.optim import project_simplex as _project_simplex
from skreweight.datasets import make_kang_schafer
from skreweight.weighting import IPMBalancing


@pytest.fixture(scope="module")
def ks():
    return make_kang_schafer(200, random_state=0)


def _std(X):
    return (X - X.mean(0)) / X.std(0)


def _mmd2(Z, t, w, bandwidth, arm=0, target=None):
    """Squared MMD between the weighted arm and its target, computed directly."""
    target = (t == 1) if target is None else target
    g = t == arm
    p = w[g] / w[g].sum()
    q = np.full(target.sum(), 1.0 / target.sum())
    bw = (bandwidth,)
    return (
        p @ _gaussian_kernel(Z[g], Z[g], bw) @ p
        - 2 * p @ _gaussian_kernel(Z[g], Z[target], bw) @ q
        + q @ _gaussian_kernel(Z[target], Z[target], bw) @ q
    )


def test_project_simplex_matches_definition():
    rng = np.random.RandomState(0)
    v = rng.normal(size=20)
    p = _project_simplex(v)
    assert_allclose(p.sum(), 1.0)
    assert np.all(p >= 0)
    # KKT: p = max(v - tau, 0) for one threshold tau
    tau = (v - p)[p > 0]
    assert_allclose(tau, tau[0])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("bandwidth", [1.0, 10.0])
def test_mmd_qp_matches_cvxpy(ks, bandwidth):
    """The FISTA solution reaches the optimum of the QP solved by cvxpy."""
    cp = pytest.importorskip("cvxpy")
    t = ks.treatment
    Z = _std(ks.X)
    ipm = IPMBalancing(
        estimand="ATT", bandwidth=bandwidth, alpha=0.0, tol=1e-9, max_iter=5000
    )
    w = ipm.fit(ks.X, treatment=t).weights_
    K = _gaussian_kernel(Z[t == 0], Z[t == 0], (bandwidth,))
    b = _gaussian_kernel(Z[t == 0], Z[t == 1], (bandwidth,)).mean(1)
    evals, evecs = np.linalg.eigh(K)
    L = evecs * np.sqrt(np.maximum(evals, 0))
    m = cp.Variable(K.shape[0])
    prob = cp.Problem(
        cp.Minimize(cp.sum_squares(L.T @ m) - 2 * b @ m), [m >= 0, cp.sum(m) == 1]
    )
    prob.solve(solver="CLARABEL")
    ours = _mmd2(Z, t, w, bandwidth)
    # the reference weights are for the controls only: build a full vector
    full = np.ones_like(w)
    full[t == 0] = np.maximum(m.value, 0)
    ref = _mmd2(Z, t, full, bandwidth)
    assert ours <= ref + 1e-7
    assert_allclose(ipm.ipm_[0] ** 2, ours, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("estimand", ["ATT", "ATC", "ATE"])
def test_mmd_weights_reduce_the_mmd(ks, estimand):
    t = ks.treatment
    Z = _std(ks.X)
    ipm = IPMBalancing(estimand=estimand, bandwidth=2.0, tol=1e-5, max_iter=10_000)
    ipm.fit(ks.X, treatment=t)
    assert ipm.converged_
    everyone = np.ones_like(t, dtype=bool)
    problems = {
        "ATT": [(0, t == 1)],
        "ATC": [(1, t == 0)],
        "ATE": [(1, everyone), (0, everyone)],
    }[estimand]
    for k, (arm, target) in enumerate(problems):
        before = _mmd2(Z, t, np.ones_like(t), 2.0, arm, target)
        after = _mmd2(Z, t, ipm.weights_, 2.0, arm, target)
        assert after < 0.1 * before
        assert_allclose(np.sqrt(after), ipm.ipm_[k], rtol=1e-3)


def test_multi_bandwidth_and_random_features(ks):
    t = ks.treatment
    exact = IPMBalancing(estimand="ATT", bandwidth=(1.0, 3.0, 10.0)).fit(
        ks.X, treatment=t
    )
    approx = IPMBalancing(
        estimand="ATT", bandwidth=(1.0, 3.0, 10.0), n_components=3000, random_state=0
    ).fit(ks.X, treatment=t)
    c = t == 0
    assert np.corrcoef(exact.weights_[c], approx.weights_[c])[0, 1] > 0.9


def test_linear_parametrisation_is_log_linear_and_out_of_sample(ks):
    t = ks.treatment
    ipm = IPMBalancing(estimand="ATT", parametrization="linear").fit(ks.X, treatment=t)
    assert ipm.coef_.shape == (1, 4)
    assert_allclose(ipm.compute_weights(ks.X, treatment=t), ipm.weights_)
    Z = _std(ks.X)
    logw = np.log(ipm.weights_[t == 0])
    fit = np.linalg.lstsq(np.c_[np.ones((t == 0).sum()), Z[t == 0]], logw, rcond=None)
    assert_allclose(fit[0][1:], ipm.coef_[0], rtol=1e-6, atol=1e-8)


def test_linear_ate_weights_mimic_inverse_propensity(ks):
    """w = 1/n + (1 - n_a/n) softmax: every arm weight exceeds the floor."""
    t = ks.treatment
    ipm = IPMBalancing(estimand="ATE", parametrization="linear").fit(ks.X, treatment=t)
    for arm in (0, 1):
        w = ipm.weights_[t == arm]
        floor = (1 / t.shape[0]) * (w.sum() / 1.0)  # scale: arm mean is 1
        assert np.all(w >= floor - 1e-12)


def test_sigmoid_discriminator_reduces_imbalance(ks):
    t = ks.treatment
    ipm = IPMBalancing(
        estimand="ATT",
        discriminator="sigmoid",
        n_units=20,
        max_iter=150,
        random_state=0,
    ).fit(ks.X, treatment=t)
    Z = _std(ks.X)
    # a fresh bank of sigmoid functions: weighted controls match the treated
    # better than unweighted ones
    rng = np.random.RandomState(1)
    F = 1 / (1 + np.exp(-(Z @ rng.normal(size=(4, 200)) + rng.normal(size=200))))
    w = ipm.weights_
    gap_w = np.abs(F[t == 1].mean(0) - np.average(F[t == 0], axis=0, weights=w[t == 0]))
    gap_u = np.abs(F[t == 1].mean(0) - F[t == 0].mean(0))
    assert gap_w.max() < gap_u.max()


def test_nonparametric_is_transductive(ks):
    ipm = IPMBalancing(estimand="ATT").fit(ks.X, treatment=ks.treatment)
    with pytest.raises(NotImplementedError, match="transductive"):
        ipm.compute_weights(ks.X, treatment=ks.treatment)


def test_bad_bandwidth(ks):
    with pytest.raises(ValueError, match="bandwidth"):
        IPMBalancing(estimand="ATT", bandwidth=(1.0, -1.0)).fit(
            ks.X, treatment=ks.treatment
        )
    with pytest.raises(ValueError, match="bandwidth"):
        IPMBalancing(estimand="ATT", bandwidth=0.0).fit(ks.X, treatment=ks.treatment)


def test_treatment_required_and_single_arm(ks):
    with pytest.raises(ValueError, match="requires `treatment`"):
        IPMBalancing(estimand="ATT").fit(ks.X)
    with pytest.raises(ValueError, match="no treated or no control"):
        IPMBalancing(estimand="ATT").fit(ks.X, treatment=np.zeros(ks.X.shape[0]))


def test_non_convergence_warns(ks):
    from sklearn.exceptions import ConvergenceWarning

    with pytest.warns(ConvergenceWarning, match="did not reach"):
        IPMBalancing(estimand="ATT", max_iter=2, tol=1e-14).fit(
            ks.X, treatment=ks.treatment
        )


# --------------------------------------------------------- model selection
def test_grid_search_with_balance_scorer(ks):
    import sklearn
    from sklearn.model_selection import GridSearchCV

    from skreweight.causal import BalanceScorer

    grid = {"bandwidth": [0.5, 10.0], "parametrization": ["nonparametric"]}
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(
            IPMBalancing(estimand="ATT"),
            grid,
            scoring=BalanceScorer(),
            cv=3,
            error_score="raise",
        ).fit(ks.X, treatment=ks.treatment)
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores)) and np.all(scores <= 0)
    assert search.best_estimator_.weights_.shape == (ks.X.shape[0],)
    # the scorer rates a balanced weighting above the unweighted data
    scorer = BalanceScorer()
    fitted = IPMBalancing(estimand="ATT", parametrization="linear").fit(
        ks.X, treatment=ks.treatment
    )
    from skreweight.metrics import standardized_mean_difference

    raw = np.abs(standardized_mean_difference(ks.X, ks.treatment)).max()
    assert scorer(fitted, ks.X, treatment=ks.treatment) > -raw


def test_balance_scorer_needs_treatment(ks):
    from skreweight.causal import BalanceScorer

    fitted = IPMBalancing(estimand="ATT", parametrization="linear").fit(
        ks.X, treatment=ks.treatment
    )
    with pytest.raises(ValueError, match="needs `treatment`"):
        BalanceScorer()(fitted, ks.X)
    assert (
        BalanceScorer(min_ess_ratio=1.01)(fitted, ks.X, treatment=ks.treatment)
        == -np.inf
    )


def test_random_features_are_the_closed_form():
    """The factor built in row blocks is ``sqrt(2 / D) cos(X W + c)`` with the
    draws of one block per bandwidth, and ``mu`` is the target's mean
    feature, whatever the block size."""
    rng = np.random.RandomState(0)
    Xg, Xt = rng.normal(size=(70, 3)), rng.normal(size=(40, 3))
    st = rng.uniform(0.5, 2.0, size=40)
    op = ArmKernelOperator(Xg, Xt, st, (1.0, 3.0), 50, np.random.RandomState(5))
    draws = np.random.RandomState(5)
    W1, c1 = draws.normal(scale=1.0, size=(3, 25)), draws.uniform(0, 2 * np.pi, 25)
    W2, c2 = draws.normal(scale=1 / 3, size=(3, 25)), draws.uniform(0, 2 * np.pi, 25)
    W, c = np.hstack([W1, W2]), np.r_[c1, c2]
    F, Ft = np.sqrt(2 / 50) * np.cos(Xg @ W + c), np.sqrt(2 / 50) * np.cos(Xt @ W + c)
    assert_allclose(op.factor, F, rtol=1e-12, atol=1e-14)
    assert_allclose(op.mu, Ft.T @ (st / st.sum()), rtol=1e-12, atol=1e-14)
    assert_allclose(fourier_features(Xg, W, c, 0.2, chunk=7), 0.2 * np.cos(Xg @ W + c))
    # the chunked exact products equal the dense ones
    q = st / st.sum()
    dense = _gaussian_kernel(Xg, Xt, (1.0, 3.0)) @ q
    assert_allclose(gaussian_kernel_matvec(Xg, Xt, q, (1.0, 3.0), chunk=100), dense)


def test_gram_budget_switches_to_random_features(ks):
    """Below an arm's Gram matrix (8 bytes x 100^2 rows or more) the budget
    selects the 1,000 random features, as an explicit n_components does;
    the default budget keeps these arms exact."""
    t = ks.treatment
    explicit = IPMBalancing(n_components=1000, random_state=3).fit(ks.X, treatment=t)
    budget = IPMBalancing(gram_budget_mb=0.05, random_state=3).fit(ks.X, treatment=t)
    assert_allclose(budget.weights_, explicit.weights_, rtol=1e-10)
    exact = IPMBalancing(random_state=3).fit(ks.X, treatment=t)
    assert np.max(np.abs(exact.weights_ - explicit.weights_)) > 1e-6
