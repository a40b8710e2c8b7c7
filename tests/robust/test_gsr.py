import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from skreweight.datasets import make_spurious_groups
from skreweight.model_selection import GroupStratifiedKFold, WorstGroupScorer
from skreweight.robust import GSRClassifier
from skreweight.robust._common import LinearLoss
from skreweight.robust._gsr import fit_last_layer, gsr_influence


def _wga(clf, X, y, g):
    pred = clf.predict(X)
    return min(np.mean(pred[g == k] == y[g == k]) for k in np.unique(g))


@pytest.fixture(scope="module")
def data():
    train = make_spurious_groups(n_samples=1000, random_state=0)
    target = make_spurious_groups(n_samples=300, minority_fraction=0.5, random_state=1)
    test = make_spurious_groups(n_samples=4000, random_state=2)
    return train, target, test


@pytest.mark.parametrize("n_classes", [2, 3])
def test_influence_matches_finite_differences(n_classes):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    y = rng.randint(n_classes, size=40)
    X_t, y_t = rng.normal(size=(30, 3)), rng.randint(n_classes, size=30)
    g_t = rng.randint(2, size=30)
    q = np.array([0.3, 0.7])
    alpha = 0.05
    kind = "logistic" if n_classes == 2 else "multinomial"
    lin = LinearLoss(kind, 3, n_classes)
    w = rng.uniform(0.5, 1.5, size=40)
    w /= w.sum()

    def target_loss(weights):
        theta = fit_last_layer(
            lin, X, y, weights, alpha, np.zeros(lin.n_params), tol=1e-13
        )
        loss, _ = lin.loss_and_dscore(theta, X_t, y_t)
        return sum(q[g] * loss[g_t == g].mean() for g in (0, 1))

    theta = fit_last_layer(lin, X, y, w, alpha, np.zeros(lin.n_params), tol=1e-13)
    s = gsr_influence(lin, X, y, w, theta, alpha, X_t, y_t, g_t, q)
    eps = 1e-5
    for i in (0, 7, 23):
        e = np.zeros(40)
        e[i] = eps
        fd = (target_loss(w + e) - target_loss(w - e)) / (2 * eps)
        # s_i = -(1/n) d(target loss)/d w_i
        assert_allclose(-40 * s[i], fd, rtol=1e-4, atol=1e-7)


def test_gsr_upweights_minority_and_raises_worst_group_accuracy(data):
    train, target, test = data
    erm = LogisticRegression().fit(train.X, train.y)
    gsr = GSRClassifier(random_state=0).fit(
        train.X,
        train.y,
        X_target=target.X,
        y_target=target.y,
        target_group=target.group,
    )
    share = gsr.weights_[train.minority].sum() / gsr.weights_.sum()
    # the minority holds 10% of the rows; GSR moves weight onto it
    assert share > 0.2
    assert_allclose(gsr.weights_.mean(), 1.0)
    assert (
        _wga(gsr, test.X, test.y, test.group)
        > _wga(erm, test.X, test.y, test.group) + 0.1
    )
    assert gsr.best_iter_ > 0
    assert gsr.group_weights_history_.shape == (gsr.n_iter_, 4)
    assert_allclose(gsr.group_weights_history_.sum(axis=1), 1.0)


def test_without_target_is_unweighted(data):
    train, _, _ = data
    gsr = GSRClassifier().fit(train.X, train.y)
    assert gsr.n_iter_ == 1
    assert_allclose(gsr.weights_, 1.0)


def test_tuple_form_is_the_same_fit(data):
    train, target, _ = data
    kw = dict(max_iter=5, random_state=0)
    a = GSRClassifier(**kw).fit(
        train.X,
        train.y,
        X_target=target.X,
        y_target=target.y,
        target_group=target.group,
    )
    b = GSRClassifier(**kw).fit(
        train.X,
        train.y,
        X_target=(target.X,),
        y_target=(target.y,),
        target_group=(target.group,),
    )
    assert_allclose(a.coef_, b.coef_)
    assert_allclose(a.weights_, b.weights_)


def test_grid_search_with_routed_target_set(data):
    train, target, _ = data
    X, y, g = train.X[:400], train.y[:400], train.group[:400]
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(
            GSRClassifier(max_iter=5, random_state=0),
            {"learning_rate": [0.5, 2.0]},
            cv=GroupStratifiedKFold(2),
            scoring=WorstGroupScorer(),
            error_score="raise",
        ).fit(
            X,
            y,
            sample_group=g,
            X_target=(target.X,),
            y_target=(target.y,),
            target_group=(target.group,),
        )
    assert search.best_estimator_.n_iter_ == 5


def test_missing_target_labels_raises(data):
    train, target, _ = data
    with pytest.raises(ValueError, match="needs the labels and groups"):
        GSRClassifier().fit(train.X, train.y, X_target=target.X)


def test_target_group_wrong_length_raises(data):
    train, target, _ = data
    with pytest.raises(ValueError, match="one group label per row"):
        GSRClassifier().fit(
            train.X,
            train.y,
            X_target=target.X,
            y_target=target.y,
            target_group=target.group[:10],
        )


def test_tiny_target_group_raises_naming_it(data):
    train, target, _ = data
    g = target.group.copy()
    g[0] = 9
    with pytest.raises(ValueError, match=r"Target group\(s\) \[9\]"):
        GSRClassifier().fit(
            train.X, train.y, X_target=target.X, y_target=target.y, target_group=g
        )


def test_unseen_target_class_raises(data):
    train, target, _ = data
    with pytest.raises(ValueError, match=r"classes \[5\] not seen"):
        GSRClassifier().fit(
            train.X,
            train.y,
            X_target=target.X,
            y_target=np.full(300, 5),
            target_group=target.group,
        )


def test_verbose_prints_rounds(data, capsys):
    train, target, _ = data
    GSRClassifier(max_iter=2, verbose=1, random_state=0).fit(
        train.X,
        train.y,
        X_target=target.X,
        y_target=target.y,
        target_group=target.group,
    )
    assert "[GSRClassifier] round 1/2: worst_group_accuracy=" in capsys.readouterr().out
