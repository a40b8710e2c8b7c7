import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.linear_model import LogisticRegression

from skreweight.compose import ReweightedClassifier
from skreweight.datasets import load_dataset
from skreweight.utils.estimator_checks import check_weighter
from skreweight.weighting import FairnessReweighing


def _parity_gaps(y, g, w):
    """Weighted P(Y=c | S=s) - P(Y=c) for every group and class."""
    overall = {c: np.average(y == c, weights=w) for c in np.unique(y)}
    return np.array(
        [
            np.average(y[g == s] == c, weights=w[g == s]) - overall[c]
            for s in np.unique(g)
            for c in np.unique(y)
        ]
    )


@pytest.mark.parametrize("n_classes, n_groups", [(2, 2), (3, 4)])
def test_weighted_statistical_parity_gap_is_zero(n_classes, n_groups):
    rng = np.random.RandomState(0)
    g = rng.randint(n_groups, size=500)
    # labels strongly depend on the group
    logits = 2.0 * np.cos(np.add.outer(g, np.arange(n_classes)))
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = (rng.uniform(size=(500, 1)) > proba.cumsum(axis=1)).sum(axis=1)
    X = rng.normal(size=(500, 2))
    sw = rng.uniform(0.5, 2.0, size=500)
    assert np.abs(_parity_gaps(y, g, sw)).max() > 0.05
    rw = FairnessReweighing().fit(X, y, sample_group=g, sample_weight=sw)
    assert_allclose(_parity_gaps(y, g, rw.weights_ * sw), 0.0, atol=1e-12)
    # each group keeps its weighted size; weights average 1 under sw
    for s in range(n_groups):
        m = g == s
        assert_allclose((rw.weights_ * sw)[m].sum(), sw[m].sum())
    assert_allclose(np.average(rw.weights_, weights=sw), 1.0)


def test_closed_form_factors():
    y = np.array([1, 1, 0, 1, 0, 0, 0, 0])
    g = np.array([0, 0, 0, 1, 1, 1, 1, 1])
    rw = FairnessReweighing().fit(np.zeros((8, 1)), y, sample_group=g)
    # W(s, y) = N_s N_y / (N N_sy)
    expected = np.array(
        [[3 * 5 / (8 * 1), 3 * 3 / (8 * 2)], [5 * 5 / (8 * 4), 5 * 3 / (8 * 1)]]
    )
    assert_allclose(rw.reweigh_factors_, expected)
    assert_allclose(
        rw.compute_weights(np.zeros((2, 1)), [1, 0], sample_group=[1, 0]),
        [expected[1, 1], expected[0, 0]],
    )


def test_no_group_gives_uniform_weights():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(40, 2)), rng.randint(2, size=40)
    assert_allclose(FairnessReweighing().fit(X, y).weights_, 1.0)


def test_single_group_warns():
    X, y = np.zeros((6, 1)), np.array([0, 1, 0, 1, 1, 1])
    with pytest.warns(UserWarning, match="single group"):
        w = FairnessReweighing().fit(X, y, sample_group=["a"] * 6).weights_
    assert_allclose(w, 1.0)


def test_empty_cell_raises_naming_it():
    X, y = np.zeros((6, 1)), np.array([0, 1, 0, 1, 1, 1])
    g = np.array(["a", "a", "a", "a", "b", "b"])
    with pytest.raises(ValueError, match=r"\('b', 0\)"):
        FairnessReweighing().fit(X, y, sample_group=g)


def test_wrong_group_length():
    X, y = np.zeros((6, 1)), np.array([0, 1, 0, 1, 1, 1])
    with pytest.raises(ValueError, match="one group label per row"):
        FairnessReweighing().fit(X, y, sample_group=[0, 1, 0])


def test_unseen_group_in_compute_weights():
    X, y = np.zeros((4, 1)), np.array([0, 1, 0, 1])
    rw = FairnessReweighing().fit(X, y, sample_group=[0, 0, 1, 1])
    with pytest.raises(ValueError, match=r"Groups \[7\] were not seen"):
        rw.compute_weights(X[:1], y[:1], sample_group=[7])


def test_weighter_checks():
    check_weighter(FairnessReweighing())


def test_adult_reweighing_reduces_prediction_disparity():
    frame = load_dataset("adult", as_frame=True).frame.sample(4000, random_state=0)
    y = frame.pop("target").to_numpy()
    sex = frame["sex"].to_numpy()
    X = frame.drop(columns=["sex"]).to_numpy(dtype=float)
    X = (X - X.mean(0)) / X.std(0)
    rw = FairnessReweighing().fit(X, y, sample_group=sex)
    assert_allclose(_parity_gaps(y, sex, rw.weights_), 0.0, atol=1e-12)

    def gap(clf):
        p = clf.predict(X)
        return abs(p[sex == 1].mean() - p[sex == 2].mean())

    erm = LogisticRegression(max_iter=500).fit(X, y)
    fair = ReweightedClassifier(
        FairnessReweighing(), LogisticRegression(max_iter=500)
    ).fit(X, y, sample_group=sex)
    # the label disparity is ~0.2 on Adult; reweighing the training data lowers
    # the disparity of the predictions (sex itself is not a feature)
    assert gap(fair) < gap(erm)
