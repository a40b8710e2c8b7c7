"""Tests of the private numerical core (skreweight._core)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skreweight._core.encoding import (
    UNCOVERED_SHARE_WARN,
    clip_propensity,
    domain_cut,
    inverse_effective_number,
    warn_uncovered_target,
)
from skreweight._core.kernels import ArmKernelOperator, KernelOperator, rbf
from skreweight._core.optim import (
    accelerated_affine_projected_gradient,
    accelerated_projected_gradient,
    power_iteration,
    project_simplex,
)
from skreweight.exceptions import PositivityWarning, WeightDegeneracyWarning


def _spd(n=6, seed=0):
    rng = np.random.RandomState(seed)
    A = rng.normal(size=(n, n))
    return A @ A.T


def test_power_iteration_finds_the_top_eigenvalue():
    A = _spd()
    top = np.linalg.eigvalsh(A)[-1]
    v = np.random.RandomState(1).uniform(0.5, 1.5, 6)
    assert_allclose(power_iteration(A.__matmul__, v, n_iter=500, rtol=1e-12), top)


def test_power_iteration_on_the_sum_zero_subspace():
    A = _spd()
    P = np.eye(6) - 1.0 / 6
    top = np.linalg.eigvalsh(P @ A @ P)[-1]
    lam = power_iteration(
        A.__matmul__,
        np.random.RandomState(2).normal(size=6),
        n_iter=500,
        rtol=None,
        subspace=lambda v: v - v.mean(),
    )
    assert_allclose(lam, top, rtol=1e-8)


def test_accelerated_projected_gradient_solves_a_box_qp():
    # min 0.5 x'Ax - c'x over the box [0, 1]^n: checked against the KKT
    # conditions of the box
    A, c = _spd(), np.array([3.0, -2.0, 1.0, 5.0, -1.0, 0.5])
    lip = np.linalg.eigvalsh(A)[-1]

    def oracle(y):
        g = A @ y - c
        return float(0.5 * y @ A @ y - c @ y), g

    x, n_iter, ok = accelerated_projected_gradient(
        oracle,
        lambda z: np.clip(z, 0.0, 1.0),
        np.zeros(6),
        lip=lip,
        max_iter=20000,
        tol=1e-12,
        window=50,
    )
    assert ok and n_iter < 20000
    g = A @ x - c
    interior = (x > 1e-6) & (x < 1 - 1e-6)
    assert_allclose(g[interior], 0.0, atol=1e-4)
    assert np.all(g[x <= 1e-6] >= -1e-4) and np.all(g[x >= 1 - 1e-6] <= 1e-4)


def test_affine_variant_solves_a_simplex_qp():
    A, b = _spd(), np.arange(6.0)
    lip = 2 * np.linalg.eigvalsh(A)[-1]
    x, _, ok, gap = accelerated_affine_projected_gradient(
        lambda v: 2 * (A @ v - b),
        lambda v, g: float(v @ (0.5 * g - b)),
        project_simplex,
        np.full(6, 1 / 6),
        lip=lip,
        tol=1e-10,
        max_iter=50000,
    )
    assert ok and gap >= 0
    assert_allclose(x.sum(), 1.0) and np.all(x >= 0)
    g = 2 * (A @ x - b)
    # optimality over the simplex: the gradient is minimal on the support
    assert np.all(g[x > 1e-8] <= g.min() + 1e-5)


def test_project_simplex_is_idempotent_on_the_simplex():
    p = project_simplex(np.array([0.5, 2.0, -1.0]))
    assert_allclose(p.sum(), 1.0)
    assert_allclose(project_simplex(p), p)


def test_operators_share_the_protocol():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 2))
    exact = KernelOperator(
        X, 1.0, approximation="exact", n_components=10, random_state=0
    )
    assert exact.factor is None
    v = rng.normal(size=30)
    assert_allclose(exact.matvec(v), rbf(X, X, 1.0) @ v)
    top = exact.top_eigenvalue(np.ones(30), n_iter=500, rtol=1e-12)
    assert_allclose(top, np.linalg.eigvalsh(rbf(X, X, 1.0))[-1], rtol=1e-8)
    low_rank = KernelOperator(
        X, 1.0, approximation="nystroem", n_components=10, random_state=0
    )
    assert low_rank.factor is not None
    rff = ArmKernelOperator(X, X, np.ones(30), (1.0,), 50, rng)
    assert rff.factor.shape == (30, 50)


def test_inverse_effective_number_is_stable_and_exact():
    counts = np.array([1.0, 10.0, 1000.0])
    beta = 0.999
    assert_allclose(
        inverse_effective_number(counts, beta),
        (1 - beta) / (1 - beta**counts),
        rtol=1e-12,
    )
    assert_allclose(inverse_effective_number(counts, 0.0), 1.0)
    # near beta = 1 the naive formula loses digits; the stable one tends to 1/n
    assert_allclose(inverse_effective_number(counts, 1 - 1e-12), 1 / counts, rtol=1e-6)


def test_clip_propensity_counts_and_warns():
    e = np.array([0.0001, 0.5, 0.9999])
    with pytest.warns(PositivityWarning, match="2 of 3 rows"):
        clipped, n = clip_propensity(e, 0.01, warn=True)
    assert n == 2
    assert_allclose(clipped, [0.01, 0.5, 0.99])
    with pytest.raises(ValueError, match="exactly 0 or 1"):
        clip_propensity(np.array([0.0, 0.5]), 0.0, warn=False)


def test_uncovered_threshold_is_named_and_used():
    assert UNCOVERED_SHARE_WARN == 0.05
    assert domain_cut(100, 100, True) == 0.99
    # unbalanced domains: the rule ClassifierDensityRatio has always used
    assert_allclose(domain_cut(300.0, 100.0, False), 0.99 * 100 / (100 + 3.0))
    with pytest.warns(WeightDegeneracyWarning, match="10.0% of the target"):
        warn_uncovered_target("Owner", 0.1, "detail")


def test_seeded_cv_shuffles_an_int_only_when_seeded():
    from sklearn.model_selection import StratifiedKFold

    from skreweight._core.crossfit import seeded_cv

    y = np.r_[np.zeros(10), np.ones(10)]
    plain = seeded_cv(5, y, classifier=True, random_state=None)
    assert isinstance(plain, StratifiedKFold) and not plain.shuffle
    seeded = seeded_cv(5, y, classifier=True, random_state=0)
    assert seeded.shuffle and seeded.random_state == 0
    given = StratifiedKFold(3)
    assert seeded_cv(given, y, classifier=True, random_state=0) is given


@pytest.mark.parametrize(
    "name", ["JTTClassifier", "LogitAdjustedClassifier", "PRESTOClassifier"]
)
def test_random_state_seeds_the_folds(name):
    from sklearn.datasets import make_classification

    from skreweight import imbalance, robust

    cls = getattr(robust, name, None) or getattr(imbalance, name)
    extra = {"LogitAdjustedClassifier": {"calibration": "sigmoid"}}.get(name, {})
    extra = {**extra, **({"alphas": 3} if name == "PRESTOClassifier" else {})}
    X, y = make_classification(120, 4, weights=[0.8], random_state=0)
    cv = 3

    def proba(seed):
        est = cls(cv=cv, random_state=seed, **extra).fit(X, y)
        return est.predict_proba(X)

    assert_allclose(proba(0), proba(0))
    assert_allclose(proba(None), proba(None))
    assert not np.allclose(proba(0), proba(1))


def test_fill_doc_replaces_whole_marker_lines_only():
    from skreweight._core.docstrings import FRAGMENTS, fill_doc

    class A:
        """Title.

        Attributes
        ----------
        %(weighter_diagnostics)s

        50 % of %(unknown)s stays.
        """

    fill_doc(A)
    assert "    ess_ratio_ : float" in A.__doc__
    assert "50 % of %(unknown)s stays." in A.__doc__
    assert len(FRAGMENTS["weighter_diagnostics"].splitlines()) == 12


def test_no_public_docstring_keeps_a_marker():
    import inspect

    from skreweight.utils.discovery import all_estimators

    left = []
    for name, cls in all_estimators():
        docs = {"": cls.__doc__}
        for method in ("predict", "predict_proba", "predict_log_proba"):
            attr = inspect.getattr_static(cls, method, None)
            docs[method] = getattr(getattr(attr, "fn", attr), "__doc__", None)
        left += [f"{name}.{m}" for m, doc in docs.items() if "%(" in (doc or "")]
    assert left == []
    # the fragment reached a delegated method
    from skreweight.robust import JTTClassifier

    assert "Rows to score." in JTTClassifier.decision_function.__doc__
