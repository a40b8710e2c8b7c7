import cvxpy as cp
import numpy as np
import pandas as pd
import pytest
import sklearn
from numpy.testing import assert_allclose
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.neighbors import KNeighborsClassifier

from skreweight.datasets import make_spurious_groups
from skreweight.model_selection import GroupStratifiedKFold, WorstGroupScorer
from skreweight.robust import GroupDROClassifier


def _wga(clf, X, y, g):
    pred = clf.predict(X)
    return min(np.mean(pred[g == k] == y[g == k]) for k in np.unique(g))


@pytest.fixture(scope="module")
def data():
    return make_spurious_groups(n_samples=600, random_state=0)


def _cvxpy_group_dro(X, y, g, C, alpha, sw=None):
    sw = np.ones(X.shape[0]) if sw is None else sw
    w, b, t = cp.Variable(X.shape[1]), cp.Variable(), cp.Variable()
    s = 2.0 * y - 1.0
    cons = []
    for k in np.unique(g):
        m = g == k
        loss = cp.logistic(-cp.multiply(s[m], X[m] @ w + b))
        cons.append(sw[m] @ loss / sw[m].sum() + C / np.sqrt(sw[m].sum()) <= t)
    prob = cp.Problem(cp.Minimize(t + 0.5 * alpha * cp.sum_squares(w)), cons)
    prob.solve(solver="CLARABEL", tol_gap_abs=1e-9, tol_gap_rel=1e-9, tol_feas=1e-9)
    return prob.status, w.value, b.value, np.array([c.dual_value for c in cons])


def _objective(X, y, g, C, alpha, w, b, sw=None):
    sw = np.ones(X.shape[0]) if sw is None else sw
    loss = np.logaddexp(0.0, -(2.0 * y - 1.0) * (X @ w + b))
    size = np.bincount(g, weights=sw)
    adjusted = np.bincount(g, weights=sw * loss) / size + C / np.sqrt(size)
    return adjusted.max() + 0.5 * alpha * w @ w


@pytest.mark.parametrize("C", [0.0, 0.5])
def test_exact_form_matches_cvxpy(data, C):
    X, y, g = data.X, data.y, data.group
    clf = GroupDROClassifier(adjustment=C, alpha=1e-2).fit(X, y, sample_group=g)
    status, w, b, dual = _cvxpy_group_dro(X, y, g, C, 1e-2)
    objective = clf.group_losses_.max() + 0.5e-2 * np.sum(clf.coef_**2)
    assert_allclose(
        objective,
        _objective(X, y, g, C, 1e-2, clf.coef_[0], clf.intercept_[0]),
        rtol=1e-12,
    )
    reference = _objective(X, y, g, C, 1e-2, w, b)
    # never worse than the interior-point solution, and equal to 1e-6
    assert objective <= reference + 1e-12
    assert_allclose(objective, reference, rtol=1e-6)
    # (at C=1 Clarabel stops "optimal_inaccurate", 4e-6 above our objective)
    assert status == "optimal"
    assert_allclose(clf.coef_.ravel(), w, rtol=1e-4, atol=1e-5)
    assert_allclose(clf.intercept_[0], b, rtol=1e-4, atol=1e-5)
    # the group weights are the optimal dual variables of the group constraints
    assert_allclose(clf.group_weights_, dual, atol=1e-4)
    assert_allclose(clf.group_weights_.sum(), 1.0)
    # groups with positive weight are active: their adjusted losses are equal
    active = clf.group_weights_ > 1e-3
    assert active.sum() >= 2
    assert_allclose(clf.group_losses_[active], clf.group_losses_.max(), rtol=1e-6)


def test_exact_form_with_sample_weight_matches_cvxpy(data):
    X, y, g = data.X[:300], data.y[:300], data.group[:300]
    sw = np.random.RandomState(0).randint(1, 4, size=300).astype(float)
    clf = GroupDROClassifier(adjustment=0.5, alpha=1e-2).fit(
        X, y, sample_group=g, sample_weight=sw
    )
    _, w, b, _ = _cvxpy_group_dro(X, y, g, 0.5, 1e-2, sw=sw)
    assert_allclose(
        clf.group_losses_.max() + 0.5e-2 * np.sum(clf.coef_**2),
        _objective(X, y, g, 0.5, 1e-2, w, b, sw=sw),
        rtol=1e-6,
    )
    assert_allclose(clf.coef_.ravel(), w, rtol=1e-4, atol=1e-5)
    # integer weights are repeated rows
    rep = np.repeat(np.arange(300), sw.astype(int))
    clf_rep = GroupDROClassifier(adjustment=0.5, alpha=1e-2).fit(
        X[rep], y[rep], sample_group=g[rep]
    )
    assert_allclose(clf_rep.coef_, clf.coef_, rtol=1e-5, atol=1e-6)
    assert_allclose(clf_rep.group_weights_, clf.group_weights_, atol=1e-5)
    assert_allclose(clf.weights_ @ sw / sw.sum(), 1.0)


def test_multiclass_exact_form_matches_cvxpy():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(150, 3))
    y = np.argmax(X @ rng.normal(size=(3, 3)) + rng.normal(size=(150, 3)), axis=1)
    g = (X[:, 0] > 0.5).astype(int)
    alpha = 0.1
    clf = GroupDROClassifier(alpha=alpha).fit(X, y, sample_group=g)
    W, b, t = cp.Variable((3, 3)), cp.Variable(3), cp.Variable()
    onehot = np.eye(3)[y]
    cons = []
    for k in (0, 1):
        m = g == k
        Z = X[m] @ W + np.ones((m.sum(), 1)) @ b[None, :]
        loss = cp.sum(cp.log_sum_exp(Z, axis=1) - cp.sum(cp.multiply(onehot[m], Z), 1))
        cons.append(loss / m.sum() <= t)
    prob = cp.Problem(cp.Minimize(t + 0.5 * alpha * cp.sum_squares(W)), cons)
    prob.solve(solver="CLARABEL")
    objective = clf.group_losses_.max() + 0.5 * alpha * np.sum(clf.coef_**2)
    assert_allclose(objective, prob.value, rtol=1e-6)
    assert_allclose(clf.coef_, W.value.T, atol=1e-4)


def test_no_group_is_l2_logistic_regression(data):
    X, y = data.X, data.y
    alpha = 1e-2
    clf = GroupDROClassifier(alpha=alpha).fit(X, y)
    ref = LogisticRegression(C=1 / (alpha * X.shape[0]), tol=1e-10).fit(X, y)
    assert_allclose(clf.coef_, ref.coef_, rtol=1e-4)
    assert_allclose(clf.intercept_, ref.intercept_, rtol=1e-4, atol=1e-6)
    assert_allclose(clf.weights_, 1.0)
    assert_allclose(clf.predict_proba(X), ref.predict_proba(X), atol=1e-5)


def test_group_dro_raises_worst_group_accuracy(data):
    test = make_spurious_groups(n_samples=4000, random_state=1)
    erm = LogisticRegression().fit(data.X, data.y)
    dro = GroupDROClassifier(alpha=1e-2).fit(data.X, data.y, sample_group=data.group)
    hedge = GroupDROClassifier(LogisticRegression(), step_size=2.0, max_iter=30).fit(
        data.X, data.y, sample_group=data.group
    )
    wga_erm = _wga(erm, test.X, test.y, test.group)
    # ERM leans on the spurious feature: its minority groups fall below 0.7;
    # the worst-group rule (core feature only) reaches Phi(1) ~ 0.84.
    assert wga_erm < 0.7
    assert _wga(dro, test.X, test.y, test.group) > wga_erm + 0.1
    assert _wga(hedge, test.X, test.y, test.group) > wga_erm + 0.1


def test_hedge_group_weights_history(data):
    X, y, g = data.X, data.y, data.group
    clf = GroupDROClassifier(LogisticRegression(), step_size=1.0, max_iter=5).fit(
        X, y, sample_group=g
    )
    hist = clf.group_weights_history_
    assert hist.shape == (6, 4)
    assert_allclose(hist.sum(axis=1), 1.0)
    assert_allclose(hist[0], 0.25)
    assert_allclose(clf.group_weights_, hist[:-1].mean(axis=0))
    # mass moves to the minority groups (1 and 2), which ERM gets wrong
    assert hist[-1][[1, 2]].sum() > 0.5
    assert clf.n_iter_ == 5
    assert_allclose(clf.weights_.mean(), 1.0)
    # row weights are n q_g / n_g
    n_g = np.bincount(g)
    assert_allclose(clf.weights_, X.shape[0] * clf.group_weights_[g] / n_g[g])


def test_hedge_approaches_exact_form(data):
    # With a logistic base learner at the same penalty, the averaged Hedge
    # weights approach the exact solution's worst-group loss.
    X, y, g = data.X, data.y, data.group
    alpha = 1e-2
    exact = GroupDROClassifier(alpha=alpha).fit(X, y, sample_group=g)
    hedge = GroupDROClassifier(
        LogisticRegression(C=1 / (alpha * X.shape[0])), step_size=2.0, max_iter=50
    ).fit(X, y, sample_group=g)
    # measured: 0.4378 vs 0.4362 (eta=2, 50 rounds); Hedge's averaged weights
    # converge at rate O(1/sqrt(T)), so allow 1%
    assert hedge.group_losses_.max() < exact.group_losses_.max() * 1.01
    assert_allclose(hedge.group_weights_, exact.group_weights_, atol=0.05)


def test_hedge_without_sample_weight_raises(data):
    clf = GroupDROClassifier(KNeighborsClassifier())
    with pytest.raises(TypeError, match="does not accept sample_weight"):
        clf.fit(data.X, data.y, sample_group=data.group)


def test_bad_group_length(data):
    with pytest.raises(ValueError, match="one group label per row"):
        GroupDROClassifier().fit(data.X, data.y, sample_group=data.group[:-3])


def test_single_group_warns(data):
    with pytest.warns(UserWarning, match="single group"):
        clf = GroupDROClassifier().fit(
            data.X, data.y, sample_group=np.zeros(len(data.y))
        )
    assert_allclose(clf.group_weights_, [1.0])


def test_group_missing_from_cv_fold_names_it(data):
    X, y = data.X, data.y
    g = pd.Series(np.where(data.group == 3, "rare", "common"), dtype="category")
    g[:] = "common"
    g.iloc[:5] = "rare"  # all "rare" rows land in the first fold
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(
            GroupDROClassifier(),
            {"adjustment": [0.0]},
            cv=KFold(3),
            error_score="raise",
        )
        with pytest.raises(ValueError, match=r"\['rare'\] have no rows"):
            search.fit(X, y, sample_group=g)


def test_zero_weight_group_raises(data):
    sw = np.where(data.group == 1, 0.0, 1.0)
    with pytest.raises(ValueError, match=r"group\(s\) \[1\]"):
        GroupDROClassifier().fit(
            data.X, data.y, sample_group=data.group, sample_weight=sw
        )


def test_grid_search_on_worst_group_accuracy(data):
    X, y, g = data.X, data.y, data.group
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(
            GroupDROClassifier(alpha=1e-2),
            {"adjustment": [0.0, 2.0]},
            cv=GroupStratifiedKFold(3),
            scoring={"wga": WorstGroupScorer(), "acc": "accuracy"},
            refit="wga",
            error_score="raise",
        ).fit(X, y, sample_group=g)
    assert np.all(np.isfinite(search.cv_results_["mean_test_wga"]))
    assert search.best_estimator_.groups_.shape == (4,)


def test_verbose_prints_rounds(data, capsys):
    GroupDROClassifier(LogisticRegression(), max_iter=2, verbose=1).fit(
        data.X, data.y, sample_group=data.group
    )
    assert "[GroupDROClassifier] round 1/2: " in capsys.readouterr().out


# ---------------------------------------------------------------- robustness
def test_robustness_mixture_matches_cvxpy(data):
    X, y, g = data.X, data.y, data.group
    C, alpha, rho = 0.5, 1e-2, 0.4
    clf = GroupDROClassifier(adjustment=C, alpha=alpha, robustness=rho)
    clf.fit(X, y, sample_group=g)
    w, b, t = cp.Variable(X.shape[1]), cp.Variable(), cp.Variable()
    s = 2.0 * y - 1.0
    size = np.bincount(g).astype(float)
    cons, average = [], 0
    for k in np.unique(g):
        m = g == k
        loss_k = cp.sum(cp.logistic(-cp.multiply(s[m], X[m] @ w + b))) / m.sum()
        average = average + (size[k] / size.sum()) * loss_k
        cons.append(loss_k + C / np.sqrt(size[k]) <= t)
    objective = (1 - rho) * average + rho * t + 0.5 * alpha * cp.sum_squares(w)
    prob = cp.Problem(cp.Minimize(objective), cons)
    prob.solve(solver="CLARABEL", tol_gap_abs=1e-9, tol_gap_rel=1e-9, tol_feas=1e-9)
    assert prob.status == "optimal"
    assert_allclose(clf.coef_.ravel(), w.value, rtol=1e-4, atol=1e-5)
    assert_allclose(clf.intercept_[0], b.value, rtol=1e-4, atol=1e-5)
    # the duals sum to rho; the group weights are the mixture
    dual = np.array([c.dual_value for c in cons])
    assert_allclose(dual.sum(), rho, atol=1e-6)
    assert_allclose(clf.group_weights_, (1 - rho) * size / size.sum() + dual, atol=1e-4)


def test_robustness_zero_is_erm_and_one_is_group_dro(data):
    X, y, g = data.X, data.y, data.group
    erm = GroupDROClassifier(alpha=1e-2).fit(X, y)  # one group
    mixed0 = GroupDROClassifier(alpha=1e-2, robustness=0.0).fit(X, y, sample_group=g)
    assert_allclose(mixed0.coef_, erm.coef_, rtol=1e-4, atol=1e-5)
    assert_allclose(mixed0.group_weights_, np.bincount(g) / g.shape[0])
    assert_allclose(mixed0.weights_, 1.0)
    dro = GroupDROClassifier(alpha=1e-2).fit(X, y, sample_group=g)
    mixed1 = GroupDROClassifier(alpha=1e-2, robustness=1.0).fit(X, y, sample_group=g)
    assert_allclose(mixed1.coef_, dro.coef_)
    # the meta-estimator form: robustness 0 fits the plain estimator
    lr = LogisticRegression()
    hedge0 = GroupDROClassifier(lr, robustness=0.0, max_iter=5)
    hedge0.fit(X, y, sample_group=g)
    assert_allclose(hedge0.weights_, 1.0)
    assert_allclose(
        hedge0.predict_proba(X), LogisticRegression().fit(X, y).predict_proba(X)
    )


def test_robustness_trades_average_for_worst_group_loss(data):
    # For min h + rho * d (h = average loss + penalty, d = worst minus
    # average), the optimum's d cannot rise and its h cannot fall as rho grows.
    X, y, g = data.X, data.y, data.group
    alpha, path = 1e-2, []
    for rho in (0.0, 0.25, 0.5, 0.75, 1.0):
        clf = GroupDROClassifier(alpha=alpha, robustness=rho)
        clf.fit(X, y, sample_group=g)
        share = np.bincount(g) / g.shape[0]
        average = share @ clf.group_losses_
        h = average + 0.5 * alpha * np.sum(clf.coef_**2)
        path.append((h, clf.group_losses_.max() - average))
    h, d = np.array(path).T
    assert np.all(np.diff(h) >= -1e-8) and np.all(np.diff(d) <= 1e-8)
    assert d[0] - d[-1] > 0.05  # and the trade is not empty here
