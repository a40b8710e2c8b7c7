"""Noisy-label learning: generator, transition estimation, reweighting, forward loss."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import LogisticRegression

from skreweight.compose import ReweightedClassifier
from skreweight.datasets import add_label_noise, noise_transition_matrix
from skreweight.exceptions import WeightDegeneracyWarning
from skreweight.noisy import (
    DirichletReweighting,
    ForwardCorrectedClassifier,
    NoiseTransitionEstimator,
    TransitionReweighting,
    check_transition_matrix,
)
from skreweight.noisy._reweighting import (
    clean_posteriors,
    draw_weights,
    importance_weights,
)
from skreweight.noisy._transition import project_identifiable

T3 = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.1, 0.7]])


def _cells(n, rng, clean_post):
    """One-hot design: cell c has clean posterior clean_post[c] (saturated)."""
    n_cells = clean_post.shape[0]
    cell = rng.randint(0, n_cells, size=n)
    u = rng.uniform(size=n)
    y = (u[:, None] > np.cumsum(clean_post, axis=1)[cell]).sum(axis=1)
    return np.eye(n_cells)[cell], cell, y


# ------------------------------------------------------------------ generator
@pytest.mark.parametrize("noise", ["symmetric", "pair"])
def test_noise_generator_flips_at_the_rates_of_T(noise):
    y = np.repeat([0, 1, 2, 3], 5000)
    y_noisy, T = add_label_noise(y, noise, 0.3, random_state=0)
    assert_allclose(T.sum(axis=1), 1.0)
    assert_allclose(np.diag(T), 0.7)
    for i in range(4):
        freq = np.bincount(y_noisy[y == i], minlength=4) / 5000
        # 4 binomial standard errors at n=5000, p<=0.7: 0.026
        assert_allclose(freq, T[i], atol=0.026)


def test_noise_generator_keeps_label_type_and_accepts_T():
    y = np.array(["cat", "dog"] * 500)
    T = [[1.0, 0.0], [0.5, 0.5]]
    y_noisy, T_out = add_label_noise(y, transition_matrix=T, random_state=1)
    assert y_noisy.dtype == y.dtype
    assert_array_equal(y_noisy[y == "cat"], "cat")
    assert 0.4 < np.mean(y_noisy[y == "dog"] == "cat") < 0.6
    assert_allclose(T_out, T)
    y2, _ = add_label_noise(y, transition_matrix=T, random_state=1)
    assert_array_equal(y2, y_noisy)


def test_pair_and_symmetric_agree_for_two_classes():
    assert_allclose(
        noise_transition_matrix(2, "pair", 0.3),
        noise_transition_matrix(2, "symmetric", 0.3),
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(noise="uniform"), "symmetric' or 'pair"),
        (dict(rate=1.5), "rate must be a probability"),
        (dict(transition_matrix=np.eye(3)), r"shape \(3, 3\).*2 classes"),
        (dict(transition_matrix=[[0.5, 0.4], [0, 1]]), "sum to 1"),
    ],
)
def test_noise_generator_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        add_label_noise(np.array([0, 1] * 5), **kwargs)


# --------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "T, match",
    [
        (np.eye(3), r"shape \(3, 3\), but y has 2 classes"),
        ([[0.9, 0.2], [0.1, 0.9]], "must sum to 1.*transpose"),
        ([[0.5, 0.5], [0.5, 0.5]], "singular"),
        ([[1.2, -0.2], [0.0, 1.0]], "negative"),
        ([[np.nan, 1.0], [0.0, 1.0]], "NaN"),
    ],
)
def test_bad_transition_matrix_is_a_clear_error(T, match):
    with pytest.raises(ValueError, match=match):
        check_transition_matrix(T, np.array([0, 1]))
    X = np.random.RandomState(0).normal(size=(40, 2))
    y = np.tile([0, 1], 20)
    for est in (
        TransitionReweighting(transition_matrix=T, cv=2),
        ForwardCorrectedClassifier(T),
        NoiseTransitionEstimator(transition_matrix=T),
    ):
        with pytest.raises(ValueError, match=match):
            est.fit(X, y)


def test_non_identifiable_transition_matrix_warns_and_explains():
    T = [[0.45, 0.55], [0.2, 0.8]]
    with pytest.warns(UserWarning, match=r"identifiable limit.*class\(es\) \[0\]"):
        out = check_transition_matrix(T, np.array([0, 1]))
    assert_allclose(out, T)


# -------------------------------------------------------- transition estimate
@pytest.mark.parametrize("method", ["anchor", "quantile", "confident_joint"])
def test_transition_estimate_recovers_T_with_anchor_cells(method):
    # Cells 0-2 are pure (anchors) for classes 0-2, cells 3-4 are mixed; the
    # one-hot logistic regression is saturated, so out-of-fold posteriors are
    # cell frequencies and every estimator is consistent.
    rng = np.random.RandomState(0)
    post = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0.5, 0.3, 0.2], [0.2, 0.3, 0.5]])
    X, _, y = _cells(20000, rng, post)
    y_noisy, _ = add_label_noise(y, transition_matrix=T3, random_state=0)
    est = NoiseTransitionEstimator(
        LogisticRegression(C=1e4), method=method, quantile=0.9, cv=3
    ).fit(X, y_noisy)
    # rows of T from ~4000 rows each: binomial SE <= 0.008
    tol = 0.04 if method != "confident_joint" else 0.06
    assert_allclose(est.transition_matrix_, T3, atol=tol)
    assert est.oof_proba_.shape == (20000, 3)
    clean_priors = np.bincount(y, minlength=3) / 20000
    assert_allclose(est.clean_priors_, clean_priors, atol=0.04)
    assert est.noise_rate_ == pytest.approx(np.mean(y != y_noisy), abs=0.03)
    assert_allclose(est.class_noise_rate_, 1 - np.diag(est.transition_matrix_))


def test_projection_onto_identifiable_rows():
    from scipy.optimize import minimize

    T = np.array([[0.3, 0.42, 0.28], [0.1, 0.8, 0.1], [0.5, 0.3, 0.2]])
    P, changed = project_identifiable(T)
    assert_allclose(P, [[0.36, 0.36, 0.28], [0.1, 0.8, 0.1], [0.35, 0.3, 0.35]])
    assert_array_equal(changed, [0, 2])
    # it is the Euclidean projection onto {t : t_i >= t_j for all j}
    rng = np.random.RandomState(0)
    for _ in range(10):
        R = rng.dirichlet(np.ones(4), size=4)
        P, _ = project_identifiable(R)
        for i, r in enumerate(R):
            cons = [
                {"type": "ineq", "fun": lambda t, i=i, j=j: t[i] - t[j]}
                for j in range(4)
                if j != i
            ]
            ref = minimize(
                lambda t, r=r: np.sum((t - r) ** 2), r, constraints=cons, tol=1e-12
            )
            assert_allclose(P[i], ref.x, atol=1e-6)
        assert_allclose(P.sum(axis=1), 1.0)


def test_estimate_beyond_the_identifiable_limit_is_projected_and_warns():
    # class 2 has no anchor: its only cell is 75 % class 1, so the confident
    # joint reads T[2] with T[2, 1] > T[2, 2] even without noise (0.58-0.75,
    # as the rows of the cell pass the thresholds); projected: (0, .5, .5)
    rng = np.random.RandomState(0)
    post = np.array([[1, 0, 0], [0, 1, 0], [0, 0.75, 0.25]])
    X, _, y = _cells(9000, rng, post)
    est = NoiseTransitionEstimator(LogisticRegression(C=1e4), cv=3)
    with pytest.warns(UserWarning, match=r"class\(es\) \[2\].*projected onto it"):
        est.fit(X, y)
    assert_allclose(est.transition_matrix_[2], [0, 0.5, 0.5], atol=0.01)
    assert_allclose(est.transition_matrix_[:2], np.eye(3)[:2], atol=0.03)


def test_clean_posteriors_are_the_kl_projection():
    # interior rows: the exact inverse; the others minimise KL(p~ || p T) over
    # the simplex, as a generic constrained solver finds
    from scipy.optimize import minimize

    p_clean = np.array([[0.9, 0.1, 0.0], [0.2, 0.5, 0.3]])
    assert_allclose(clean_posteriors(p_clean @ T3, T3), p_clean, atol=1e-12)
    P = np.random.RandomState(0).dirichlet(np.ones(3), size=300)
    p = clean_posteriors(P, T3)
    assert_allclose(p.sum(axis=1), 1.0)
    assert np.all(p >= 0)
    outside = np.flatnonzero(np.any(np.linalg.solve(T3.T, P.T).T < 0, axis=1))
    assert outside.size > 50
    for i in outside[:40]:

        def kl(q, i=i):
            return -np.dot(P[i], np.log(np.maximum(q @ T3, 1e-300)))

        ref = minimize(
            kl,
            np.full(3, 1 / 3),
            bounds=[(0, 1)] * 3,
            constraints=[{"type": "eq", "fun": lambda q: q.sum() - 1}],
            tol=1e-12,
        )
        assert kl(p[i]) <= ref.fun + 1e-6


def test_repeated_splits_average_the_out_of_fold_probabilities():
    from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict

    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 2))
    y = (X[:, 0] + rng.normal(size=300) > 0).astype(int)
    lr = LogisticRegression()
    est = NoiseTransitionEstimator(lr, cv=3, n_repeats=3, random_state=0).fit(X, y)
    seeds = np.random.RandomState(0)
    ref = np.mean(
        [
            cross_val_predict(
                lr,
                X,
                y,
                cv=StratifiedKFold(
                    3, shuffle=True, random_state=seeds.randint(np.iinfo(np.int32).max)
                ),
                method="predict_proba",
            )
            for _ in range(3)
        ],
        axis=0,
    )
    assert_allclose(est.oof_proba_, ref, atol=1e-12)
    one = NoiseTransitionEstimator(lr, cv=3).fit(X, y)
    plain = cross_val_predict(lr, X, y, cv=StratifiedKFold(3), method="predict_proba")
    assert_allclose(one.oof_proba_, plain, atol=1e-12)
    with pytest.raises(ValueError, match="needs an int cv"):
        NoiseTransitionEstimator(lr, cv=KFold(3), n_repeats=2).fit(X, y)


def test_known_transition_matrix_is_passed_through():
    X = np.zeros((6, 1))
    y = np.array([0, 1, 2] * 2)
    est = NoiseTransitionEstimator(transition_matrix=T3).fit(X, y)
    assert_allclose(est.transition_matrix_, T3)
    assert est.oof_proba_ is None
    assert est.noise_rate_ == pytest.approx(np.mean(1 - np.diag(T3)), abs=0.05)


@pytest.mark.parametrize("method", ["anchor", "quantile"])
def test_uninformative_classifier_gives_a_clear_error(method):
    from sklearn.dummy import DummyClassifier

    X = np.random.RandomState(0).normal(size=(300, 2))
    y = np.tile([0, 1, 2], 100)
    est = NoiseTransitionEstimator(DummyClassifier(), method=method, cv=3)
    with pytest.raises(ValueError, match="estimated transition matrix.*better"):
        est.fit(X, y)


# ---------------------------------------------------------- importance weights
def test_importance_weights_closed_form_and_bound():
    p_clean = np.array([[0.9, 0.1, 0.0], [0.2, 0.5, 0.3]])
    noisy = p_clean @ T3
    beta, clean = importance_weights(noisy, T3, np.array([0, 2]))
    assert_allclose(clean, p_clean, atol=1e-12)
    assert_allclose(beta, [0.9 / noisy[0, 0], 0.3 / noisy[1, 2]])
    # estimated posteriors outside the image of T are projected (KL); weights
    # stay below 1 / T[k, k]
    rng = np.random.RandomState(0)
    P = rng.dirichlet(np.ones(3), size=500)
    yi = rng.randint(0, 3, size=500)
    beta, clean = importance_weights(P, T3, yi)
    assert np.all(beta >= 0) and np.all(beta <= 1 / np.diag(T3)[yi] + 1e-12)
    assert_allclose(clean.sum(axis=1), 1.0)


@pytest.mark.slow
def test_reweighting_recovers_the_clean_risk_minimiser():
    # Well specified: x is one of 4 cells (one-hot), so the logistic model is
    # saturated for both the noisy and the clean posterior. The clean-label
    # risk minimiser is the clean posterior of each cell (closed form); the
    # importance-weighted fit on noisy labels must converge to it, while the
    # unweighted fit converges to post @ T.
    rng = np.random.RandomState(0)
    post = np.array(
        [[0.8, 0.1, 0.1], [0.1, 0.7, 0.2], [0.2, 0.2, 0.6], [0.4, 0.4, 0.2]]
    )
    n = 40000
    X, cell, y = _cells(n, rng, post)
    y_noisy, _ = add_label_noise(y, transition_matrix=T3, random_state=1)
    lr = LogisticRegression(C=1e6, max_iter=2000)
    clf = ReweightedClassifier(
        TransitionReweighting(lr, transition_matrix=T3, cv=5), lr
    ).fit(X, y_noisy)
    fitted = clf.predict_proba(np.eye(4))
    # 10,000 rows per cell: the weighted frequencies have SE < 0.01
    assert_allclose(fitted, post, atol=0.03)
    plain = LogisticRegression(C=1e6, max_iter=2000).fit(X, y_noisy)
    assert np.abs(plain.predict_proba(np.eye(4)) - post).max() > 0.1
    assert_allclose(plain.predict_proba(np.eye(4)), post @ T3, atol=0.03)
    # the weighted noisy risk of the fitted model estimates its clean risk
    w = clf.weights_
    loss = -np.log(clf.predict_proba(X)[np.arange(n), y_noisy])
    clean_loss = -np.log(clf.predict_proba(X)[np.arange(n), y])
    assert np.mean(w * loss) == pytest.approx(np.mean(clean_loss), rel=0.02)


def test_transition_reweighting_estimates_T_and_weights_only_its_rows():
    rng = np.random.RandomState(0)
    y = rng.randint(0, 3, size=900)
    X = np.eye(3)[y] * 4 + rng.normal(size=(900, 3))
    y_noisy, T = add_label_noise(y, "symmetric", 0.2, random_state=0)
    w = TransitionReweighting(cv=3).fit(X, y_noisy)
    assert w.transition_estimator_ is not None
    # 300 rows per class: SE of an entry ~ 0.02
    assert_allclose(w.transition_matrix_, T, atol=0.08)
    assert w.weights_[y_noisy != y].mean() < 0.7 < w.weights_[y_noisy == y].mean()
    with pytest.raises(NotImplementedError, match="out-of-fold"):
        w.compute_weights(X[:50], y_noisy[:50])
    # a NoiseTransitionEstimator is fitted on the same rows
    w2 = TransitionReweighting(
        transition_matrix=NoiseTransitionEstimator(method="quantile", cv=3), cv=3
    ).fit(X, y_noisy)
    assert w2.transition_estimator_.method == "quantile"


# ------------------------------------------------------------------- Dirichlet
@pytest.mark.parametrize("sampling", ["dirichlet", "multinomial"])
def test_draws_have_the_mean_and_variance_of_the_paper(sampling):
    # w = n * Dirichlet(c * n * mu) (or Multinomial(c * n, mu)) with mean
    # n * mu = beta and variance ~ beta / c (first order in 1 / n)
    rng = np.random.RandomState(0)
    n, c = 200, 2.0
    beta = rng.uniform(0.2, 2.0, size=n)
    beta *= n / beta.sum()
    draws = np.array(
        [draw_weights(beta, np.ones(n), c, sampling, rng) for _ in range(4000)]
    )
    # raw draws hold c * n draws in all; fit rescales them to average 1
    total = draws.sum(axis=1)
    if sampling == "multinomial":
        assert_array_equal(total, c * n)
    draws = draws * (n / total)[:, None]
    # mean of 4000 draws: SE <= sqrt(2 / 2 / 4000) = 0.016
    assert_allclose(draws.mean(axis=0), beta, atol=0.07)
    assert_allclose(draws.var(axis=0), beta / c, rtol=0.25, atol=0.02)


def test_dirichlet_weighter_draws_around_the_importance_weights():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] > 0).astype(int)
    y_noisy, T = add_label_noise(y, rate=0.25, random_state=0)
    d = DirichletReweighting(transition_matrix=T, cv=3, random_state=0)
    d.fit(X, y_noisy)
    ref = TransitionReweighting(transition_matrix=T, cv=3).fit(X, y_noisy)
    assert_allclose(d.importance_weights_, ref.weights_)
    assert np.corrcoef(d.weights_, ref.weights_)[0, 1] > 0.3
    big = DirichletReweighting(transition_matrix=T, cv=3, concentration=1e6)
    # each drawn weight has sd sqrt(w / concentration) <= 1.2e-3 here: 5 sd
    assert_allclose(big.fit(X, y_noisy).weights_, ref.weights_, rtol=0, atol=6e-3)


def test_multinomial_sampling_is_resampling():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 2))
    y = (X[:, 0] > 0).astype(int)
    y_noisy, T = add_label_noise(y, rate=0.2, random_state=0)
    kw = dict(transition_matrix=T, sampling="multinomial", cv=3)
    a = DirichletReweighting(random_state=3, **kw).fit(X, y_noisy)
    b = DirichletReweighting(random_state=3, **kw).fit(X, y_noisy)
    assert_array_equal(a.weights_, b.weights_)
    assert_array_equal(a.weights_, np.round(a.weights_))
    assert a.weights_.sum() == 300
    half = DirichletReweighting(concentration=0.5, random_state=3, **kw)
    assert np.mean(half.fit(X, y_noisy).weights_ == 0) > np.mean(a.weights_ == 0)
    with pytest.raises(NotImplementedError, match="only the rows passed to fit"):
        a.compute_weights(X, y_noisy)


def test_tiny_concentration_warns_of_degenerate_weights():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] > 0).astype(int)
    y_noisy, T = add_label_noise(y, rate=0.2, random_state=0)
    with pytest.warns(WeightDegeneracyWarning, match="degenerate"):
        DirichletReweighting(
            transition_matrix=T, concentration=1e-3, cv=3, random_state=0
        ).fit(X, y_noisy)


# --------------------------------------------------------------- forward loss
@pytest.mark.parametrize("n_classes", [2, 3])
def test_forward_with_identity_is_logistic_regression(n_classes):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(150, 3))
    y = rng.randint(0, n_classes, size=150)
    sw = rng.uniform(0.5, 2, size=150)
    ours = ForwardCorrectedClassifier(np.eye(n_classes), C=0.7, tol=1e-10)
    ours.fit(X, y, sample_weight=sw)
    ref = LogisticRegression(C=0.7, tol=1e-12, max_iter=10000)
    ref.fit(X, y, sample_weight=sw)
    assert_allclose(ours.coef_, ref.coef_, atol=1e-5)
    assert_allclose(ours.intercept_, ref.intercept_, atol=1e-5)
    assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)
    assert_array_equal(ours.predict(X), ref.predict(X))


def test_forward_sample_weight_equals_repeated_rows():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 2))
    y = rng.randint(0, 3, size=60)
    sw = rng.randint(1, 4, size=60)
    a = ForwardCorrectedClassifier(T3, tol=1e-10).fit(X, y, sample_weight=sw)
    b = ForwardCorrectedClassifier(T3, tol=1e-10).fit(
        np.repeat(X, sw, axis=0), np.repeat(y, sw)
    )
    assert_allclose(a.coef_, b.coef_, atol=1e-5)


@pytest.mark.slow
def test_forward_correction_recovers_the_clean_posterior():
    rng = np.random.RandomState(1)
    post = np.array(
        [[0.8, 0.1, 0.1], [0.1, 0.7, 0.2], [0.2, 0.2, 0.6], [0.4, 0.4, 0.2]]
    )
    X, _, y = _cells(40000, rng, post)
    y_noisy, _ = add_label_noise(y, transition_matrix=T3, random_state=2)
    clf = ForwardCorrectedClassifier(T3, C=1e6).fit(X, y_noisy)
    assert_allclose(clf.predict_proba(np.eye(4)), post, atol=0.03)
    # the forward model of the noisy labels is the noisy cell frequency
    freq = np.array([np.bincount(y_noisy[X[:, c] == 1], minlength=3) for c in range(4)])
    freq = freq / freq.sum(axis=1, keepdims=True)
    assert_allclose(clf.predict_proba(np.eye(4)) @ T3, freq, atol=2e-3)


def test_forward_estimates_T_by_default_and_warns_on_non_convergence():
    from sklearn.exceptions import ConvergenceWarning

    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 2)) * 2
    y = (X[:, 0] > 0).astype(int)
    y_noisy, T = add_label_noise(y, rate=0.2, random_state=0)
    clf = ForwardCorrectedClassifier().fit(X, y_noisy)
    assert isinstance(clf.transition_estimator_, NoiseTransitionEstimator)
    assert_allclose(clf.transition_matrix_, T, atol=0.1)
    assert np.mean(clf.predict(X) == y) > 0.95
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        ForwardCorrectedClassifier(T, max_iter=1).fit(X, y_noisy)
    with pytest.raises(TypeError, match="NoiseTransitionEstimator or None"):
        ForwardCorrectedClassifier(LogisticRegression()).fit(X, y_noisy)


# --------------------------------------------------------------- composition
def test_weighters_plug_into_the_neural_net():
    pytest.importorskip("skorch")
    from skreweight.neural import WeightedNeuralNetClassifier

    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 2)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    y_noisy, T = add_label_noise(y, rate=0.2, random_state=0)
    weighter = DirichletReweighting(transition_matrix=T, cv=2, random_state=0)
    net = WeightedNeuralNetClassifier(max_epochs=2, batch_size=-1, random_state=0)
    clf = ReweightedClassifier(weighter, net).fit(X, y_noisy)
    assert_allclose(clf.estimator_.weights_, clf.weights_, rtol=1e-6)
    assert clf.predict(X[:5]).shape == (5,)


def test_inputs_are_not_mutated():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 2))
    y = (X[:, 0] > 0).astype(int)
    T = np.array([[0.8, 0.2], [0.2, 0.8]])
    Xc, yc, Tc = X.copy(), y.copy(), T.copy()
    TransitionReweighting(transition_matrix=T, cv=3).fit(X, y)
    ForwardCorrectedClassifier(T).fit(X, y)
    add_label_noise(y, transition_matrix=T, random_state=0)
    assert_array_equal(X, Xc)
    assert_array_equal(y, yc)
    assert_array_equal(T, Tc)


def test_neural_forward_loss_matches_the_closed_form():
    torch = pytest.importorskip("torch")
    from skreweight.neural import ForwardCorrectedLoss

    rng = np.random.RandomState(0)
    z = rng.normal(size=(20, 3)) * 3
    y = rng.randint(0, 3, size=20)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    expected = -np.log((p @ T3)[np.arange(20), y])
    loss = ForwardCorrectedLoss(T3)(torch.as_tensor(z), torch.as_tensor(y))
    assert_allclose(loss.numpy(), expected, rtol=1e-10)
    ce = torch.nn.functional.cross_entropy(
        torch.as_tensor(z), torch.as_tensor(y), reduction="none"
    )
    eye = ForwardCorrectedLoss(np.eye(3))(torch.as_tensor(z), torch.as_tensor(y))
    assert_allclose(eye.numpy(), ce.numpy(), rtol=1e-10)
    mean = ForwardCorrectedLoss(T3, reduction="mean")
    assert float(mean(torch.as_tensor(z), torch.as_tensor(y))) == pytest.approx(
        expected.mean()
    )
    with pytest.raises(ValueError, match="sum to 1"):
        ForwardCorrectedLoss([[0.5, 0.6], [0.5, 0.5]])


def test_neural_net_with_forward_loss_learns_the_clean_model():
    torch = pytest.importorskip("torch")
    from skreweight.neural import ForwardCorrectedLoss, WeightedNeuralNetClassifier

    rng = np.random.RandomState(0)
    X = rng.normal(size=(2000, 1))
    y = (rng.uniform(size=2000) < 1 / (1 + np.exp(-3 * X[:, 0]))).astype(int)
    y_noisy, T = add_label_noise(y, rate=0.3, random_state=0)
    net = WeightedNeuralNetClassifier(
        criterion=ForwardCorrectedLoss,
        criterion__transition_matrix=T,
        module__hidden_units=(),
        module__dtype=torch.float64,
        batch_size=-1,
        lr=0.1,
        max_epochs=300,
        random_state=0,
    ).fit(X, y_noisy)
    w = net.module_.head.weight.detach().numpy()
    b = net.module_.head.bias.detach().numpy()
    ref = ForwardCorrectedClassifier(T, C=1e6).fit(X, y_noisy)
    # the same maximum-likelihood fit, by Adam instead of L-BFGS
    assert w[1, 0] - w[0, 0] == pytest.approx(ref.coef_[0, 0], rel=0.05)
    assert b[1] - b[0] == pytest.approx(ref.intercept_[0], abs=0.05)


def test_missing_values_pass_through_to_a_nan_aware_classifier():
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 2)) * 2
    y = (X[:, 0] > 0).astype(int)
    X[::7, 1] = np.nan
    y_noisy, _ = add_label_noise(y, rate=0.2, random_state=0)
    hgb = HistGradientBoostingClassifier(max_iter=10)
    clf = ReweightedClassifier(TransitionReweighting(hgb, cv=3), hgb).fit(X, y_noisy)
    assert np.all(np.isfinite(clf.weights_))
    with pytest.raises(ValueError, match="NaN"):
        TransitionReweighting(cv=3).fit(X, y_noisy)


def test_weighter_warns_for_a_non_identifiable_T():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 2))
    y = (X[:, 0] > 0).astype(int)
    with pytest.warns(UserWarning, match="identifiable limit"):
        TransitionReweighting(transition_matrix=[[0.4, 0.6], [0.1, 0.9]], cv=2).fit(
            X, y
        )
