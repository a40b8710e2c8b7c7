"""Tests of IPMBalancing(discriminator="energy"): energy balancing."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.spatial.distance import cdist

from skreweight._core.kernels import (
    EnergyOperator as _EnergyOperator,
)
from skreweight._core.kernels import (
    SlicedEnergyOperator as _SlicedEnergyOperator,
)
from skreweight._core.kernels import (
    sphere_constant as _sphere_constant,
)
from skreweight._core.kernels import (
    sphere_directions as _sphere_directions,
)
from skreweight.datasets import make_kang_schafer
from skreweight.weighting import IPMBalancing


@pytest.fixture(scope="module")
def ks():
    return make_kang_schafer(200, random_state=0)


def _std(X, sw=None):
    mean = np.average(X, axis=0, weights=sw)
    return (X - mean) / np.sqrt(np.average((X - mean) ** 2, axis=0, weights=sw))


def _energy(A, p, B, q):
    """Energy distance between weighted samples (p, q: any positive scale)."""
    p, q = p / p.sum(), q / q.sum()
    return 2 * p @ cdist(A, B) @ q - p @ cdist(A, A) @ p - q @ cdist(B, B) @ q


_PROBLEMS = {
    "ATT": lambda t: [(t == 0, t == 1)],
    "ATC": lambda t: [(t == 1, t == 0)],
    "ATE": lambda t: [(t == 1, np.ones_like(t, bool)), (t == 0, np.ones_like(t, bool))],
}


# ------------------------------------------------------------ the operators
def test_sphere_constant_closed_forms():
    # E|theta_1| is 1 in 1-D, 2/pi on the circle, 1/2 on the 2-sphere
    assert_allclose(_sphere_constant(1), 1.0)
    assert_allclose(_sphere_constant(2), np.pi / 2)
    assert_allclose(_sphere_constant(3), 2.0)
    # and in general |v| = c_d E|theta . v| (Monte-Carlo, 1e6 directions)
    rng = np.random.RandomState(0)
    theta = rng.normal(size=(10**6, 10))
    theta /= np.linalg.norm(theta, axis=1, keepdims=True)
    assert_allclose(_sphere_constant(10) * np.abs(theta[:, 0]).mean(), 1.0, rtol=3e-3)


def test_sphere_directions_are_unit_and_orthogonal_in_blocks():
    theta = _sphere_directions(4, 10, np.random.RandomState(0))
    assert theta.shape == (4, 10)
    assert_allclose(np.linalg.norm(theta, axis=0), 1.0)
    assert_allclose(theta[:, :4].T @ theta[:, :4], np.eye(4), atol=1e-12)


@pytest.mark.parametrize("block_numbers", [2**18, 300, 1])
@pytest.mark.parametrize("ties", [False, True])
def test_sliced_matvec_matches_dense(ties, block_numbers, monkeypatch):
    """The O(n log n) products equal the dense sums of 1-D distances, in one
    block of directions, in blocks of 2 and of 1 (with a ragged last one)."""
    monkeypatch.setattr(_SlicedEnergyOperator, "block_numbers", block_numbers)
    rng = np.random.RandomState(0)
    Xg, Xt = rng.normal(size=(150, 3)), rng.normal(size=(60, 3)) + 0.5
    if ties:  # discrete covariates: many equal projections
        Xg, Xt = np.round(Xg), np.round(Xt)
    st = rng.uniform(0.5, 2.0, size=60)
    P = 7
    op = _SlicedEnergyOperator(Xg, Xt, st, P, np.random.RandomState(1))
    assert op._block == min(P, max(1, block_numbers // 150))
    theta = _sphere_directions(3, P, np.random.RandomState(1))
    U, Ut = Xg @ theta, Xt @ theta
    c = _sphere_constant(3) / P
    K = -c * sum(np.abs(U[:, p, None] - U[None, :, p]) for p in range(P))
    Kgt = -c * sum(np.abs(U[:, p, None] - Ut[None, :, p]) for p in range(P))
    Ktt = -c * sum(np.abs(Ut[:, p, None] - Ut[None, :, p]) for p in range(P))
    q = st / st.sum()
    for m in (rng.dirichlet(np.ones(150)), rng.normal(size=150)):
        assert_allclose(op.matvec(m), K @ m, rtol=1e-12, atol=1e-12)
    assert_allclose(op.linear(), Kgt @ q, rtol=1e-12, atol=1e-12)
    assert_allclose(op.ktt, q @ Ktt @ q, rtol=1e-12)


def test_exact_operator_is_the_energy_distance():
    rng = np.random.RandomState(0)
    Xg, Xt = rng.normal(size=(80, 3)), rng.normal(size=(50, 3)) + 0.5
    st = rng.uniform(0.5, 2.0, size=50)
    op = _EnergyOperator(Xg, Xt, st)
    m = rng.dirichlet(np.ones(80))
    val = m @ op.matvec(m) - 2 * op.linear() @ m + op.ktt
    assert_allclose(val, _energy(Xg, m, Xt, st), rtol=1e-12)
    # -D is positive semi-definite on sum-zero vectors
    assert op.top_eigenvalue(rng.normal(size=80), centred=True) > 0
    v = rng.normal(size=80)
    v -= v.mean()
    assert v @ op.matvec(v) > 0


def test_sliced_energy_distance_converges_to_exact():
    rng = np.random.RandomState(0)
    Xg, Xt = rng.normal(size=(300, 5)), rng.normal(size=(100, 5)) * 1.3 + 0.3
    st = np.ones(100)
    m = rng.dirichlet(np.ones(300))
    exact = _energy(Xg, m, Xt, st)

    def sliced(P, seed):
        op = _SlicedEnergyOperator(Xg, Xt, st, P, np.random.RandomState(seed))
        return m @ op.matvec(m) - 2 * op.linear() @ m + op.ktt

    errors = {
        P: np.mean([abs(sliced(P, s) / exact - 1) for s in range(10)])
        for P in (5, 50, 500, 5000)
    }
    # Monte-Carlo over directions: the mean relative error shrinks with P,
    # roughly like 1 / sqrt(P), to a fraction of a percent
    assert errors[5] > errors[50] > errors[500] > errors[5000]
    assert errors[5000] < 3e-3
    # in one dimension the slices are exact
    op1 = _SlicedEnergyOperator(Xg[:, :1], Xt[:, :1], st, 3, rng)
    ex1 = _EnergyOperator(Xg[:, :1], Xt[:, :1], st)
    assert_allclose(op1.matvec(m), ex1.matvec(m), rtol=1e-10)
    assert_allclose(op1.ktt, ex1.ktt, rtol=1e-10)


# ------------------------------------------------------------- the weights
def _cvxpy_energy_weights(Zg, Zt, q):
    """Energy balancing weights of one arm by cvxpy (Clarabel).

    On the simplex, ``-m' D m = 2 m' K m - 2 sum_i m_i |x_i|`` with the
    positive semi-definite distance-induced kernel ``K(x, y) = (|x| + |y| -
    |x - y|) / 2``: a convex QP with a PSD quadratic term.
    """
    cp = pytest.importorskip("cvxpy")
    a = np.linalg.norm(Zg, axis=1)
    K = 0.5 * (a[:, None] + a[None, :] - cdist(Zg, Zg))
    evals, evecs = np.linalg.eigh(K)
    L = evecs * np.sqrt(np.maximum(evals, 0))
    lin = 2 * cdist(Zg, Zt) @ (q / q.sum()) - 2 * a
    m = cp.Variable(Zg.shape[0])
    prob = cp.Problem(
        cp.Minimize(2 * cp.sum_squares(L.T @ m) + lin @ m), [m >= 0, cp.sum(m) == 1]
    )
    prob.solve(solver="CLARABEL")
    return np.maximum(m.value, 0)


@pytest.mark.parametrize("estimand", ["ATT", "ATC", "ATE"])
def test_energy_weights_match_cvxpy(ks, estimand):
    t = ks.treatment
    Z = _std(ks.X)
    ipm = IPMBalancing(discriminator="energy", estimand=estimand, tol=1e-8)
    w = ipm.fit(ks.X, treatment=t).weights_
    assert ipm.converged_
    for k, (arm, target) in enumerate(_PROBLEMS[estimand](t)):
        ref = _cvxpy_energy_weights(Z[arm], Z[target], np.ones(target.sum()))
        ours = _energy(Z[arm], w[arm], Z[target], np.ones(target.sum()))
        best = _energy(Z[arm], ref, Z[target], np.ones(target.sum()))
        assert ours <= best + 1e-6 * best
        assert_allclose(ipm.ipm_[k] ** 2, ours, rtol=1e-8)
        # strictly convex for distinct rows: the same weights
        assert_allclose(w[arm] / w[arm].sum(), ref, atol=2e-3)
        uniform = _energy(Z[arm], np.ones(arm.sum()), Z[target], np.ones(target.sum()))
        assert ours < 0.2 * uniform


@pytest.mark.parametrize("estimand", ["ATT", "ATE"])
def test_energy_with_sample_weight_matches_cvxpy(ks, estimand):
    t = ks.treatment
    sw = np.random.RandomState(0).randint(0, 4, size=t.shape[0]).astype(float)
    keep = sw > 0
    Z = _std(ks.X, sw)
    ipm = IPMBalancing(discriminator="energy", estimand=estimand, tol=1e-8)
    w = ipm.fit(ks.X, treatment=t, sample_weight=sw).weights_
    for arm, target in _PROBLEMS[estimand](t):
        assert_allclose(w[arm & ~keep], 0.0)  # dropped rows
        arm, target = arm & keep, target & keep
        ref = _cvxpy_energy_weights(Z[arm], Z[target], sw[target])
        mass = w[arm] * sw[arm]  # per-unit weights times the unit's count
        ours = _energy(Z[arm], mass, Z[target], sw[target])
        best = _energy(Z[arm], ref, Z[target], sw[target])
        assert ours <= best + 1e-6 * best
        assert_allclose(mass / mass.sum(), ref, atol=2e-3)


@pytest.mark.parametrize("estimand", ["ATT", "ATC", "ATE"])
def test_integer_sample_weight_is_repeated_rows(ks, estimand):
    t = ks.treatment
    sw = np.random.RandomState(1).randint(0, 3, size=t.shape[0])
    rep = np.repeat(np.arange(t.shape[0]), sw)
    params = dict(discriminator="energy", estimand=estimand, alpha=1e-4, tol=1e-8)
    w_sw = IPMBalancing(**params).fit(ks.X, treatment=t, sample_weight=sw).weights_
    w_rep = IPMBalancing(**params).fit(ks.X[rep], treatment=t[rep]).weights_
    assert_allclose(w_sw[rep], w_rep, rtol=1e-4, atol=1e-6)


# --------------------------------------------------------- sliced solver
def test_sliced_weights_approach_the_exact_optimum(ks):
    t = ks.treatment
    Z = _std(ks.X)
    c, tr = t == 0, t == 1
    uniform = _energy(Z[c], np.ones(c.sum()), Z[tr], np.ones(tr.sum()))
    exact = IPMBalancing(estimand="ATT", discriminator="energy", tol=1e-6).fit(
        ks.X, treatment=t
    )
    best = _energy(Z[c], exact.weights_[c], Z[tr], np.ones(tr.sum()))
    gaps = []
    for P in (20, 2000):
        sliced = IPMBalancing(
            estimand="ATT",
            discriminator="energy",
            n_components=P,
            tol=1e-6,
            random_state=0,
        ).fit(ks.X, treatment=t)
        val = _energy(Z[c], sliced.weights_[c], Z[tr], np.ones(tr.sum()))
        gaps.append((val - best) / uniform)
    assert gaps[0] > gaps[1] >= -1e-9
    assert gaps[1] < 0.01  # within 1% of the achievable reduction


def test_large_arms_switch_to_slices(ks):
    t = ks.treatment
    explicit = IPMBalancing(
        estimand="ATT", discriminator="energy", n_components=200, random_state=3
    )
    explicit.fit(ks.X, treatment=t)
    # a budget below an arm's distance matrix (8 bytes x 100^2 rows or more)
    auto = IPMBalancing(
        estimand="ATT", discriminator="energy", gram_budget_mb=0.05, random_state=3
    )
    auto.fit(ks.X, treatment=t)
    assert_allclose(auto.weights_, explicit.weights_)
    again = IPMBalancing(
        estimand="ATT", discriminator="energy", gram_budget_mb=0.05, random_state=3
    )
    again.fit(ks.X, treatment=t)
    assert_allclose(again.weights_, auto.weights_)


def test_energy_linear_parametrisation(ks):
    t = ks.treatment
    Z = _std(ks.X)
    ipm = IPMBalancing(estimand="ATT", discriminator="energy", parametrization="linear")
    ipm.fit(ks.X, treatment=t)
    assert_allclose(ipm.compute_weights(ks.X, treatment=t), ipm.weights_)
    c, tr = t == 0, t == 1
    before = _energy(Z[c], np.ones(c.sum()), Z[tr], np.ones(tr.sum()))
    after = _energy(Z[c], ipm.weights_[c], Z[tr], np.ones(tr.sum()))
    assert after < 0.5 * before
    assert_allclose(ipm.ipm_[0] ** 2, after, rtol=1e-8)


def test_energy_att_on_kang_schafer_is_less_biased(ks):
    t, y = ks.treatment == 1, ks.y
    w = (
        IPMBalancing(estimand="ATT", discriminator="energy")
        .fit(ks.X, treatment=ks.treatment)
        .weights_
    )
    naive = y[t].mean() - y[~t].mean()
    att = y[t].mean() - np.average(y[~t], weights=w[~t])
    assert abs(att) < abs(naive) / 2  # the true ATT is 0


def test_non_convergence_warns_without_bandwidth_advice(ks):
    from sklearn.exceptions import ConvergenceWarning

    with pytest.warns(ConvergenceWarning, match="Increase max_iter.$"):
        IPMBalancing(estimand="ATT", discriminator="energy", max_iter=2, tol=1e-14).fit(
            ks.X, treatment=ks.treatment
        )


@pytest.mark.parametrize("n_components", [None, 10])
def test_constant_covariates_leave_uniform_weights(n_components):
    X = np.ones((40, 2))
    t = np.arange(40) % 2
    with pytest.warns(UserWarning, match="constant"):
        ipm = IPMBalancing(
            estimand="ATT",
            discriminator="energy",
            n_components=n_components,
            random_state=0,
        ).fit(X, treatment=t)
    assert_allclose(ipm.weights_, 1.0)
    assert_allclose(ipm.ipm_, 0.0, atol=1e-12)
