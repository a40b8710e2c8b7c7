import pytest

torch = pytest.importorskip("torch")

import numpy as np  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

from skreweight import neural  # noqa: E402
from skreweight.compose import ReweightedClassifier  # noqa: E402
from skreweight.neural import (  # noqa: E402
    WeightedNeuralNetClassifier,
    WeightedNeuralNetRegressor,
)
from skreweight.weighting import ClassifierDensityRatio  # noqa: E402


def _data(n=40, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + 0.5 * rng.normal(size=n) > 0).astype(int)
    sw = rng.randint(0, 4, size=n)
    sw[:2] = [1, 2]
    return X, y, sw


def _net(cls, **params):
    base = dict(
        module__hidden_units=(5,),
        module__dtype=torch.float64,
        optimizer=torch.optim.SGD,
        batch_size=-1,
        random_state=0,
    )
    base.update(params)
    return cls(**base)


def _grads(net):
    return np.concatenate(
        [p.grad.detach().numpy().ravel() for p in net.module_.parameters()]
    )


@pytest.mark.parametrize(
    "cls", [WeightedNeuralNetClassifier, WeightedNeuralNetRegressor]
)
def test_integer_weights_equal_repeated_rows_loss_and_gradients(cls):
    X, y, sw = _data()
    target = y if cls is WeightedNeuralNetClassifier else X[:, 0] - X[:, 1]
    rep = np.repeat(np.arange(X.shape[0]), sw)
    # lr=0: one epoch measures the loss and gradient at the shared initialisation
    a = _net(cls, lr=0.0, max_epochs=1).fit(X, target, sample_weight=sw)
    b = _net(cls, lr=0.0, max_epochs=1).fit(X[rep], target[rep])
    assert_allclose(a.history[-1, "train_loss"], b.history[-1, "train_loss"], rtol=1e-6)
    assert_allclose(_grads(a), _grads(b), rtol=1e-6, atol=1e-12)
    # and the whole training trajectory agrees
    a = _net(cls, lr=0.1, max_epochs=30).fit(X, target, sample_weight=sw)
    b = _net(cls, lr=0.1, max_epochs=30).fit(X[rep], target[rep])
    assert_allclose(a.history[:, "train_loss"], b.history[:, "train_loss"], rtol=1e-6)
    assert_allclose(a.predict(X), b.predict(X), rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("batch_size", [7, 16, 50])
def test_epoch_loss_is_whole_sample_weighted_mean_for_any_batching(batch_size):
    # scikit-learn#11723: per-batch normalisation would give every batch equal
    # weight; here the epoch loss is sum(w * l) / sum(w) whatever the batches.
    X, y, sw = _data(n=50)
    sw = np.where(np.arange(50) < 25, 100.0, 1.0)
    full = _net(WeightedNeuralNetClassifier, lr=0.0, max_epochs=1)
    full.fit(X, y, sample_weight=sw)
    mini = _net(
        WeightedNeuralNetClassifier, lr=0.0, max_epochs=1, batch_size=batch_size
    )
    mini.fit(X, y, sample_weight=sw)
    with torch.no_grad():
        out = mini.module_(torch.as_tensor(X))
        losses = torch.nn.functional.cross_entropy(
            out, torch.as_tensor(y), reduction="none"
        )
    expected = float((losses.numpy() * sw).sum() / sw.sum())
    assert_allclose(full.history[-1, "train_loss"], expected, rtol=1e-10)
    assert_allclose(mini.history[-1, "train_loss"], expected, rtol=1e-10)


def test_zero_weight_drops_row():
    X, y, _ = _data()
    sw = np.ones(X.shape[0])
    sw[::3] = 0
    a = _net(WeightedNeuralNetClassifier, lr=0.1, max_epochs=10).fit(
        X, y, sample_weight=sw
    )
    keep = sw > 0
    b = _net(WeightedNeuralNetClassifier, lr=0.1, max_epochs=10).fit(X[keep], y[keep])
    assert_allclose(a.predict_proba(X), b.predict_proba(X), rtol=1e-6)


def test_string_labels_and_predict_proba():
    X, y, _ = _data(n=60)
    labels = np.array(["no", "yes"])[y]
    clf = WeightedNeuralNetClassifier(max_epochs=30, random_state=0).fit(X, labels)
    assert set(clf.predict(X)) <= {"no", "yes"}
    proba = clf.predict_proba(X)
    assert proba.dtype == np.float64
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert clf.score(X, labels) > 0.7


def test_seeding_is_reproducible_and_leaves_global_rng():
    X, y, _ = _data()
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = WeightedNeuralNetClassifier(max_epochs=5, random_state=3).fit(X, y)
    after = torch.rand(1)
    assert before == after
    b = WeightedNeuralNetClassifier(max_epochs=5, random_state=3).fit(X, y)
    assert_allclose(a.predict_proba(X), b.predict_proba(X))


def _fit_output(name, random_state):
    """Fit a small neural estimator; return it and what it learned."""
    X, y, sw = _data()
    small = dict(random_state=random_state)
    if name == "NeuralDensityRatio":
        est = neural.NeuralDensityRatio(max_epochs=5, **small)
        return est, est.fit(X, X_target=X[:20] + 1.0).weights_
    if name == "NeuralIPMBalancing":
        est = neural.NeuralIPMBalancing(estimand="ATT", max_iter=5, **small)
        return est, est.fit(X, treatment=y).weights_
    est = getattr(neural, name)(max_epochs=3, **small)
    target = X[:, 0] if name == "WeightedNeuralNetRegressor" else y
    return est, est.fit(X, target, sample_weight=sw).predict(X)


@pytest.mark.parametrize(
    "name",
    [
        "WeightedNeuralNetClassifier",
        "WeightedNeuralNetRegressor",
        "LDAMClassifier",
        "NeuralGroupDROClassifier",
        "NeuralDensityRatio",
        "NeuralIPMBalancing",
    ],
)
def test_random_state_seeds_fit_only(name):
    # Every neural estimator: a seeded fit is reproducible, leaves torch's
    # global generator as it was, and only an unseeded one is tagged
    # non-deterministic.
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    est, first = _fit_output(name, random_state=3)
    assert torch.rand(1) == before
    assert_allclose(_fit_output(name, random_state=3)[1], first)
    assert not est.__sklearn_tags__().non_deterministic
    assert _fit_output(name, random_state=None)[0].__sklearn_tags__().non_deterministic


def test_cuda_requested_but_absent_raises():
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    X, y, _ = _data()
    with pytest.raises(ValueError, match="CUDA is not available"):
        WeightedNeuralNetClassifier(device="cuda", max_epochs=1).fit(X, y)


def test_reduced_criterion_instance_rejected():
    X, y, _ = _data()
    net = WeightedNeuralNetClassifier(
        criterion=torch.nn.CrossEntropyLoss(), max_epochs=1
    )
    with pytest.raises(ValueError, match="reduction='none'"):
        net.fit(X, y)


@pytest.mark.parametrize(
    "sw, match",
    [
        (-np.ones(40), "Negative"),
        (np.ones(39), "one weight per row"),
        (np.r_[np.nan, np.ones(39)], "NaN"),
    ],
)
def test_bad_sample_weight(sw, match):
    X, y, _ = _data()
    with pytest.raises(ValueError, match=match):
        WeightedNeuralNetClassifier(max_epochs=1).fit(X, y, sample_weight=sw)


def test_partial_fit_is_hidden():
    # the loss is normalised over the whole sample, which partial_fit cannot know
    assert not hasattr(WeightedNeuralNetClassifier(), "partial_fit")
    assert not hasattr(WeightedNeuralNetRegressor(), "predict_proba")


def test_valid_split_normalises_each_split():
    from skorch.dataset import ValidSplit

    X, y, sw = _data(n=80)
    net = WeightedNeuralNetClassifier(
        max_epochs=3, train_split=ValidSplit(4), random_state=0
    ).fit(X, y, sample_weight=sw + 1)
    assert np.isfinite(net.history[-1, "valid_loss"])


def test_inner_estimator_of_reweighted_classifier():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 2))
    y = (X[:, 0] > 0).astype(int)
    Xt = rng.normal(0.7, 1.0, size=(80, 2))
    inner = WeightedNeuralNetClassifier(max_epochs=20, random_state=0)
    rc = ReweightedClassifier(ClassifierDensityRatio(), inner).fit(X, y, X_target=Xt)
    assert_allclose(rc.estimator_.weights_, rc.weights_)
    assert rc.score(X, y) > 0.8


def test_grid_search_with_sample_weight():
    X, y, sw = _data(n=60)
    gs = GridSearchCV(
        WeightedNeuralNetClassifier(max_epochs=5, random_state=0),
        {"lr": [0.01, 0.05]},
        cv=2,
        error_score="raise",
    ).fit(X, y, sample_weight=sw + 1.0)
    assert gs.best_params_["lr"] in (0.01, 0.05)
    assert clone(gs.best_estimator_).get_params()["lr"] == gs.best_params_["lr"]


def test_reweighted_classifier_with_routing(routing):
    rng = np.random.RandomState(1)
    X = rng.normal(size=(80, 2))
    y = (X[:, 0] > 0).astype(int)
    Xt = rng.normal(0.5, 1.0, size=(50, 2))
    inner = WeightedNeuralNetClassifier(max_epochs=5, random_state=0)
    rc = ReweightedClassifier(ClassifierDensityRatio(), inner)
    rc.fit(X, y, X_target=(Xt,))
    assert_allclose(rc.estimator_.weights_, rc.weights_)


def test_explicit_classes_fix_the_output_units():
    X, y, _ = _data()
    clf = WeightedNeuralNetClassifier(classes=[0, 1, 2], max_epochs=2, random_state=0)
    clf.fit(X, y)
    assert clf.predict_proba(X).shape == (X.shape[0], 3)
    assert set(clf.predict(X)) <= {0, 1, 2}
    with pytest.raises(ValueError, match="not in classes"):
        WeightedNeuralNetClassifier(classes=[0, 5], max_epochs=1).fit(X, y)
