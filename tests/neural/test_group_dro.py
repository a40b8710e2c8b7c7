import pytest

torch = pytest.importorskip("torch")

import numpy as np  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from skreweight.neural import (  # noqa: E402
    NeuralGroupDROClassifier,
    WeightedNeuralNetClassifier,
)


def _spurious(n, p_major, seed):
    """y and a spurious attribute a agree on a share p_major of the rows."""
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 2, n)
    a = np.where(rng.uniform(size=n) < p_major, y, 1 - y)
    core = (2 * y - 1) + rng.normal(0, 1.0, n)
    spur = (2 * a - 1) * 2.0 + rng.normal(0, 0.3, n)
    return np.c_[core, spur], y, 2 * y + a


def _worst_group_accuracy(clf, X, y, g):
    pred = clf.predict(X)
    return min(np.mean(pred[g == k] == y[g == k]) for k in np.unique(g))


LINEAR = dict(module__hidden_units=(), batch_size=-1, lr=0.1, max_epochs=300)


def test_online_update_matches_hand_computation():
    X, y, g = _spurious(60, 0.8, 0)
    net = NeuralGroupDROClassifier(
        0.5,
        adjustment=1.0,
        lr=0.0,
        max_epochs=1,
        batch_size=-1,
        random_state=0,
        module__dtype=torch.float64,
    ).fit(X, y, sample_group=g)
    with torch.no_grad():
        out = net.module_(torch.as_tensor(X))
        losses = torch.nn.functional.cross_entropy(
            out, torch.as_tensor(y), reduction="none"
        ).numpy()
    n_g = np.bincount(g)
    group_loss = np.bincount(g, weights=losses) / n_g
    q = 0.25 * np.exp(0.5 * (group_loss + 1.0 / np.sqrt(n_g)))
    q /= q.sum()
    assert_allclose(net.group_weights_, q, rtol=1e-10)
    assert_allclose(net.history[-1, "train_loss"], np.dot(q, group_loss), rtol=1e-10)
    assert_allclose(net.weights_.mean(), 1.0)


def test_one_group_is_weighted_erm_and_matches_logistic_regression():
    X, y, _ = _spurious(300, 0.9, 1)
    sw = np.random.RandomState(0).uniform(0.5, 2.0, size=300)
    common = dict(random_state=0, **LINEAR)
    dro = NeuralGroupDROClassifier(**common).fit(X, y, sample_weight=sw)
    erm = WeightedNeuralNetClassifier(**common).fit(X, y, sample_weight=sw)
    assert_allclose(dro.predict_proba(X), erm.predict_proba(X), rtol=1e-5, atol=1e-6)
    # a converged linear net is sklearn's weighted logistic regression
    lr = LogisticRegression(C=1e6, max_iter=1000).fit(X, y, sample_weight=sw)
    assert_allclose(erm.predict_proba(X)[:, 1], lr.predict_proba(X)[:, 1], atol=2e-3)


def test_integer_weights_equal_repeated_rows():
    X, y, g = _spurious(50, 0.8, 2)
    sw = np.random.RandomState(1).randint(1, 4, size=50)
    rep = np.repeat(np.arange(50), sw)
    common = dict(
        step_size=0.2,
        max_epochs=8,
        batch_size=-1,
        random_state=0,
        module__dtype=torch.float64,
        module__hidden_units=(4,),
    )
    a = NeuralGroupDROClassifier(**common).fit(X, y, sample_group=g, sample_weight=sw)
    b = NeuralGroupDROClassifier(**common).fit(X[rep], y[rep], sample_group=g[rep])
    assert_allclose(a.group_weights_, b.group_weights_, rtol=1e-6)
    assert_allclose(a.predict_proba(X), b.predict_proba(X), rtol=1e-6, atol=1e-10)


@pytest.mark.slow
def test_group_dro_raises_worst_group_accuracy():
    # 97% of rows follow the spurious attribute; ERM leans on it. Seeded
    # study over 3 seeds: Group DRO's worst-group test accuracy is higher.
    gaps = []
    for seed in range(3):
        X, y, g = _spurious(1000, 0.97, seed)
        Xt, yt, gt = _spurious(4000, 0.5, 100 + seed)
        erm = WeightedNeuralNetClassifier(random_state=seed, **LINEAR).fit(X, y)
        dro = NeuralGroupDROClassifier(0.1, random_state=seed, **LINEAR)
        dro.fit(X, y, sample_group=g)
        gaps.append(
            _worst_group_accuracy(dro, Xt, yt, gt)
            - _worst_group_accuracy(erm, Xt, yt, gt)
        )
    assert np.median(gaps) > 0.3, gaps


def test_group_errors():
    X, y, g = _spurious(40, 0.8, 0)
    with pytest.raises(ValueError, match="one group label per row"):
        NeuralGroupDROClassifier(max_epochs=1).fit(X, y, sample_group=g[:-1])
    sw = np.ones(40)
    sw[g == 1] = 0
    with pytest.raises(ValueError, match="zero total sample_weight"):
        NeuralGroupDROClassifier(max_epochs=1).fit(
            X, y, sample_group=g, sample_weight=sw
        )
    with pytest.raises(ValueError, match="step_size"):
        NeuralGroupDROClassifier(-1.0, max_epochs=1).fit(X, y, sample_group=g)


def test_grid_search_routes_sample_group(routing):
    from sklearn.model_selection import GridSearchCV

    X, y, g = _spurious(120, 0.8, 3)
    net = NeuralGroupDROClassifier(max_epochs=3, batch_size=-1, random_state=0)
    gs = GridSearchCV(net, {"step_size": [0.0, 0.1]}, cv=2, error_score="raise")
    gs.fit(X, y, sample_group=g)
    assert gs.best_estimator_.group_weights_.shape == (4,)


def test_minibatches_with_absent_groups_stay_finite():
    # float32, batches of 8 rows: small groups are often absent from a batch
    X, y, g = _spurious(200, 0.95, 4)
    net = NeuralGroupDROClassifier(0.1, max_epochs=3, batch_size=8, random_state=0)
    net.fit(X, y, sample_group=g)
    assert np.all(np.isfinite(net.history[:, "train_loss"]))
    assert np.all(np.isfinite(net.predict_proba(X)))
    assert_allclose(net.group_weights_.sum(), 1.0, rtol=1e-6)


def test_robustness_zero_is_weighted_training_and_mixes_in_between():
    # With a full batch, sum_g pi_g L_g is the weighted mean loss: robustness
    # 0 trains exactly the plain weighted net, whatever the groups.
    X, y, g = _spurious(200, 0.85, 3)
    sw = np.random.RandomState(2).uniform(0.5, 2.0, size=200)
    common = dict(random_state=0, module__dtype=torch.float64, **LINEAR)
    common["max_epochs"] = 40
    mixed0 = NeuralGroupDROClassifier(robustness=0.0, **common)
    mixed0.fit(X, y, sample_group=g, sample_weight=sw)
    erm = WeightedNeuralNetClassifier(**common).fit(X, y, sample_weight=sw)
    assert_allclose(mixed0.predict_proba(X), erm.predict_proba(X), rtol=1e-10)
    share = np.bincount(g, weights=sw) / sw.sum()
    assert_allclose(mixed0.group_weights_, share)
    assert_allclose(mixed0.weights_, 1.0)
    # in between, the reported weights are the mixture of the shares and q
    half = NeuralGroupDROClassifier(0.5, robustness=0.5, **common)
    half.fit(X, y, sample_group=g, sample_weight=sw)
    q = (half.group_weights_ - 0.5 * share) / 0.5
    assert np.all(q > 0) and abs(q.sum() - 1.0) < 1e-10
    assert_allclose(half.history[-1, "group_weights"], half.group_weights_)
