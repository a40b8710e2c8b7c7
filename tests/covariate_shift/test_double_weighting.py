"""DoubleWeighting (DW-KMM) and the DWGCS minimax risk classifier."""

import itertools
import warnings

import cvxpy as cp
import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from skreweight._core.kernels import rbf
from skreweight._core.matching import _project_alpha
from skreweight.covariate_shift import DoubleWeightingClassifier
from skreweight.covariate_shift._dwgcs import (
    D_GRID,
    _lambda_lp,
    _mrc_log,
    _mrc_lp,
    _psi,
    _tau,
)
from skreweight.datasets import biased_split, load_dataset, make_covariate_shift
from skreweight.weighting import DoubleWeighting, KernelMeanMatching


@pytest.fixture(scope="module")
def data():
    return make_covariate_shift(n_source=120, n_target=100, random_state=0)


def test_alpha_projection_matches_cvxpy():
    rng = np.random.RandomState(0)
    for radius in (0.5, 2.0, 4.0):
        b = rng.normal(0.5, 1.0, size=20)
        x = cp.Variable(20)
        cp.Problem(
            cp.Minimize(cp.sum_squares(x - b)),
            [x >= 0, x <= 1, cp.norm(x - 1) <= radius],
        ).solve(solver="CLARABEL")
        ours = _project_alpha(b, radius)
        # feasible, and as close to b as the interior-point answer (up to its
        # own feasibility tolerance)
        assert ours.min() >= 0 and ours.max() <= 1
        assert np.linalg.norm(ours - 1) <= radius * (1 + 1e-12)
        assert np.sum((ours - b) ** 2) <= np.sum((x.value - b) ** 2) + 1e-6
        assert_allclose(ours, x.value, atol=1e-4)


@pytest.mark.parametrize("D", [1.0, 4.0, 25.0])
def test_dw_kmm_matches_cvxpy(data, D):
    n, t = 120, 100
    Xs, Xt = data.X_source, data.X_target
    dw = DoubleWeighting(D=D, bandwidth=1.0, tol=1e-7, max_iter=5000).fit(
        Xs, X_target=Xt
    )
    Z = np.vstack([Xs, Xt])
    K = rbf(Z, Z, 1.0)
    b, a = cp.Variable(n), cp.Variable(t)
    eps = 1 - 1 / np.sqrt(n)
    radius = (1 - 1 / np.sqrt(D)) * np.sqrt(t)
    cons = [
        b >= 0,
        b <= 1000 / np.sqrt(D),
        a >= 0,
        a <= 1,
        cp.abs(cp.sum(b) / n - cp.sum(a) / t) <= eps,
        cp.norm(a - 1) <= radius,
    ]
    v = cp.hstack([b / n, -a / t])
    prob = cp.Problem(cp.Minimize(cp.quad_form(v, cp.psd_wrap(K))), cons)
    prob.solve(solver="CLARABEL")
    u = np.r_[np.ones(n) / n, -np.ones(t) / t]
    gap = (dw.objective_ - prob.value) / (u @ K @ u - prob.value)
    assert gap < 1e-3
    # feasibility of our solution
    assert dw.alpha_.min() >= 0 and dw.alpha_.max() <= 1
    assert np.linalg.norm(dw.alpha_ - 1) <= radius + 1e-8
    assert abs(dw.beta_.mean() - dw.alpha_.mean()) <= eps + 1e-9
    if D == 1.0:
        assert_allclose(dw.alpha_, 1.0)


def test_d1_is_kmm(data):
    dw = DoubleWeighting(D=1, bandwidth=1.0, tol=1e-8, max_iter=5000)
    kmm = KernelMeanMatching(bandwidth=1.0, tol=1e-8, max_iter=5000)
    w1 = dw.fit(data.X_source, X_target=data.X_target).weights_
    w2 = kmm.fit(data.X_source, X_target=data.X_target).weights_
    assert_allclose(w1, w2, rtol=1e-3, atol=1e-3)


def test_alpha_extends_to_new_rows(data):
    dw = DoubleWeighting(bandwidth=1.0).fit(data.X_source, X_target=data.X_target)
    assert_allclose(dw.compute_target_weights(data.X_target), dw.alpha_)
    new = dw.compute_target_weights(data.X_target + 0.01)
    assert np.all((new >= 0) & (new <= 1))


def _mrc_cvxpy(Psi_t, alpha, q, tau, lam, K):
    t, d = Psi_t.shape
    mu = cp.Variable(K * d)
    terms = []
    for S in itertools.chain.from_iterable(
        itertools.combinations(range(K), r) for r in range(1, K + 1)
    ):
        s = sum(alpha[:, None] * Psi_t @ mu[k * d : (k + 1) * d] for k in S)
        terms.append((s - 1) / len(S))
    phi = cp.max(cp.vstack(terms), axis=0)
    obj = -tau @ mu + lam @ cp.abs(mu) + q @ (1 + phi)
    prob = cp.Problem(cp.Minimize(obj))
    prob.solve(solver="CLARABEL")
    return prob.value


@pytest.mark.parametrize("n_classes", [2, 3])
def test_minimax_lp_matches_cvxpy(n_classes):
    rng = np.random.RandomState(0)
    t, d = 40, 3
    X = rng.normal(size=(60, d))
    y = rng.randint(n_classes, size=60)
    Xt = rng.normal(size=(t, d)) + 0.3
    alpha = rng.uniform(0.3, 1.0, size=t)
    beta = rng.uniform(0.5, 1.5, size=60)
    Psi, Psi_t = _psi(X, True), _psi(Xt, True)
    q = np.full(t, 1 / t)
    tau = _tau(Psi, y, np.full(60, 1 / 60), beta, n_classes)
    lam = _lambda_lp(Psi_t, alpha, q, tau, n_classes)
    assert np.all(lam >= 0)
    _, _, risk = _mrc_lp(Psi_t, alpha, q, tau, lam, n_classes)
    assert_allclose(risk, _mrc_cvxpy(Psi_t, alpha, q, tau, lam, n_classes), atol=1e-5)
    assert 0 <= risk <= 1 + 1e-9


def test_constraint_generation_equals_enumeration():
    rng = np.random.RandomState(1)
    t, d, K = 30, 2, 5
    Psi_t = _psi(rng.normal(size=(t, d)), True)
    X = rng.normal(size=(50, d))
    y = rng.randint(K, size=50)
    alpha, q = np.ones(t), np.full(t, 1 / t)
    tau = _tau(_psi(X, True), y, np.full(50, 1 / 50), np.ones(50), K)
    lam = _lambda_lp(Psi_t, alpha, q, tau, K)
    _, _, risk = _mrc_lp(Psi_t, alpha, q, tau, lam, K)
    assert_allclose(risk, _mrc_cvxpy(Psi_t, alpha, q, tau, lam, K), atol=1e-5)


def test_classifier_on_real_shift():
    X, y = load_dataset("haberman", return_X_y=True)
    Xs, ys, Xt, yt = biased_split(X, y, random_state=0)
    mu, sd = np.vstack([Xs, Xt]).mean(0), np.vstack([Xs, Xt]).std(0)
    Xs, Xt = (Xs - mu) / sd, (Xt - mu) / sd
    clf = DoubleWeightingClassifier(D="auto").fit(Xs, ys, X_target=Xt)
    assert clf.D_ in D_GRID
    assert clf.minimax_risk_ == min(clf.risks_.values())
    proba = clf.predict_proba(Xt)
    assert_allclose(proba.sum(axis=1), 1.0)
    # the deterministic rule is the argmax of the randomised one
    agree = clf.classes_[proba.argmax(1)] == clf.predict(Xt)
    assert agree.mean() > 0.9
    # the minimax risk is an upper bound of the error, up to estimation noise
    assert np.mean(clf.predict(Xt) != yt) <= clf.minimax_risk_ + 0.1


def test_clone_and_grid_search(data):
    clf = DoubleWeightingClassifier(D=4.0, bandwidth=1.0)
    assert clone(clf).get_params() == clf.get_params()
    grid = GridSearchCV(clf, {"D": [1.0, 4.0]}, cv=3, error_score="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grid.fit(data.X_source, data.y_source, X_target=(data.X_target,))
    assert grid.best_params_["D"] in (1.0, 4.0)
    assert grid.predict(data.X_target).shape == (100,)


def test_one_class_is_rejected(data):
    with pytest.raises(ValueError, match="1 class"):
        DoubleWeightingClassifier().fit(
            data.X_source, np.zeros(120), X_target=data.X_target
        )


def test_one_target_row():
    d = make_covariate_shift(n_source=50, n_target=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the weights concentrate, as they should
        clf = DoubleWeightingClassifier().fit(
            d.X_source, d.y_source, X_target=d.X_target
        )
    assert clf.alpha_.shape == (1,)
    assert_allclose(clf.predict_proba(d.X_target).sum(), 1.0)


def test_target_outside_support_warns():
    rng = np.random.RandomState(0)
    X, Xt = rng.normal(size=(80, 2)), rng.normal(size=(60, 2)) + [8.0, 0.0]
    from skreweight.exceptions import WeightDegeneracyWarning

    with pytest.warns(WeightDegeneracyWarning, match="target rows lie where"):
        DoubleWeighting(bandwidth=1.0).fit(X, X_target=Xt)


def test_log_loss_matches_cvxpy():
    rng = np.random.RandomState(0)
    t, d, K = 40, 2, 3
    Psi_t = _psi(rng.normal(size=(t, d)), True)
    X = rng.normal(size=(60, d))
    y = rng.randint(K, size=60)
    alpha, q = rng.uniform(0.3, 1, size=t), np.full(t, 1 / t)
    tau = _tau(_psi(X, True), y, np.full(60, 1 / 60), np.ones(60), K)
    lam = _lambda_lp(Psi_t, alpha, q, tau, K)
    _, risk, ok = _mrc_log(Psi_t, alpha, q, tau, lam, K)
    assert ok
    dp = Psi_t.shape[1]
    mu = cp.Variable(K * dp)
    Pa = alpha[:, None] * Psi_t
    scores = cp.vstack([Pa @ mu[k * dp : (k + 1) * dp] for k in range(K)])
    obj = -tau @ mu + lam @ cp.abs(mu) + q @ cp.log_sum_exp(scores, axis=0)
    prob = cp.Problem(cp.Minimize(obj))
    prob.solve(solver="CLARABEL")
    assert_allclose(risk, prob.value, atol=1e-5)


def test_log_loss_classifier(data):
    clf = DoubleWeightingClassifier(loss="log", bandwidth=1.0).fit(
        data.X_source, data.y_source, X_target=data.X_target
    )
    proba = clf.predict_proba(data.X_target)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert np.all(clf.classes_[proba.argmax(1)] == clf.predict(data.X_target))


def test_auto_grid_shares_only_what_d_does_not_change():
    """D="auto" builds one kernel operator (bandwidth, landmarks) and step
    size for the whole grid: each risk of the grid equals that of a fresh fit
    at that D, and the chosen D's solution is that fresh fit's, bit for bit,
    with the exact kernel and with a Nystroem factor."""
    data = make_covariate_shift(n_source=120, n_target=130, random_state=3)
    Xs, ys, Xt = data.X_source, data.y_source, data.X_target
    for approximation in ("exact", "nystroem"):
        kw = dict(approximation=approximation, n_components=40, random_state=0)
        auto = DoubleWeightingClassifier(D="auto", **kw).fit(Xs, ys, X_target=Xt)
        assert list(auto.risks_) == list(D_GRID)
        for D in {D_GRID[0], D_GRID[4], D_GRID[-1], auto.D_}:
            one = DoubleWeightingClassifier(D=D, **kw).fit(Xs, ys, X_target=Xt)
            assert one.minimax_risk_ == auto.risks_[D]
            if D == auto.D_:
                assert np.array_equal(one.coef_, auto.coef_)
                assert np.array_equal(one.beta_, auto.beta_)
                assert np.array_equal(one.alpha_, auto.alpha_)


def _minimax_problem(K, t, seed, d=3):
    rng = np.random.RandomState(seed)
    Psi_t = _psi(rng.normal(size=(t, d)), True)
    X, y = rng.normal(size=(60, d)), rng.randint(K, size=60)
    alpha, q = rng.uniform(0.3, 1.0, t), np.full(t, 1 / t)
    tau = _tau(_psi(X, True), y, np.full(60, 1 / 60), np.ones(60), K)
    return Psi_t, alpha, q, tau, _lambda_lp(Psi_t, alpha, q, tau, K)


@pytest.mark.parametrize("n_explicit", [None, 1])
@pytest.mark.parametrize(("K", "seed"), [(2, 2), (2, 5), (3, 2), (3, 7), (5, 2)])
def test_reduced_lp_has_the_full_lp_risk(K, seed, n_explicit, monkeypatch):
    """Large targets solve the minimax LP on its reduced size: the risk of
    the whole LP (HiGHS's simplex) to 1e-8, and a feasible ``(mu, phi)``
    that attains it, from the default explicit rows and from one (many
    rounds: rows join the explicit set until none is misassigned)."""
    from skreweight.covariate_shift import _dwgcs

    Psi_t, alpha, q, tau, lam = _minimax_problem(K, 300, seed)
    _, _, whole = _mrc_lp(Psi_t, alpha, q, tau, lam, K)
    monkeypatch.setattr(_dwgcs, "_REDUCED_MIN_ROWS", 10)
    if n_explicit is not None:
        monkeypatch.setattr(_dwgcs, "_n_explicit", lambda t: n_explicit)
    mu, phi, reduced = _mrc_lp(Psi_t, alpha, q, tau, lam, K)
    assert_allclose(reduced, whole, rtol=0, atol=1e-8)
    scores = (alpha[:, None] * Psi_t) @ mu.reshape(K, -1).T
    s = np.sort(scores, axis=1)[:, ::-1]
    worst = np.max((np.cumsum(s, axis=1) - 1) / np.arange(1, K + 1), axis=1)
    assert_allclose(phi, worst, atol=1e-12)
    value = -tau @ mu + lam @ np.abs(mu) + q @ (1 + worst)
    assert_allclose(value, reduced, rtol=1e-12)


def test_reduced_lp_grows_its_box(monkeypatch):
    """A start far inside the optimum (the box around it binds) still ends
    at the whole LP's risk."""
    from skreweight.covariate_shift import _dwgcs

    Psi_t, alpha, q, tau, lam = _minimax_problem(3, 200, 4)
    _, _, whole = _mrc_lp(Psi_t, alpha, q, tau, lam, 3)
    monkeypatch.setattr(_dwgcs, "_REDUCED_MIN_ROWS", 10)
    monkeypatch.setattr(_dwgcs, "_smooth_mrc", lambda Pa, *a: np.zeros(Pa.shape[1] * 3))
    _, _, reduced = _mrc_lp(Psi_t, alpha, q, tau, lam, 3)
    assert_allclose(reduced, whole, rtol=0, atol=1e-8)


def test_grid_reuses_a_run_only_where_it_retraces():
    """A D whose DW-KMM run would retrace the last one's (neither the bound
    on beta nor the ball on alpha met) reuses it; a fresh fit at that D
    gives the same bits."""
    data = make_covariate_shift(n_source=150, n_target=140, random_state=0)
    Xs, ys, Xt = data.X_source, data.y_source, data.X_target
    auto = DoubleWeightingClassifier(D="auto", bandwidth=1.0).fit(Xs, ys, X_target=Xt)
    risks = list(auto.risks_.values())
    reused = [i for i in range(2, len(risks)) if risks[i] == risks[i - 1]]
    assert reused  # the upper part of the grid meets no bound here
    for i in (reused[0] - 1, reused[0], len(risks) - 1):
        one = DoubleWeightingClassifier(D=D_GRID[i], bandwidth=1.0).fit(
            Xs, ys, X_target=Xt
        )
        assert one.minimax_risk_ == risks[i]
    assert one.n_iter_ > 1
