import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.utils.class_weight import compute_sample_weight

from skreweight.weighting import ClassBalance


@pytest.fixture
def imbalanced():
    y = np.array([0] * 70 + [1] * 20 + [2] * 10)
    return np.zeros((y.shape[0], 2)), y


def test_inverse_matches_sklearn_balanced(imbalanced):
    X, y = imbalanced
    w = ClassBalance().fit(X, y).weights_
    # sklearn's "balanced" weights also average 1, so they coincide exactly.
    assert_allclose(w, compute_sample_weight("balanced", y))
    totals = [w[y == c].sum() for c in range(3)]
    assert_allclose(totals, [100 / 3] * 3)


def test_sqrt_scheme_closed_form(imbalanced):
    X, y = imbalanced
    w = ClassBalance(scheme="sqrt").fit(X, y).weights_
    raw = 1 / np.sqrt(np.array([70, 20, 10]))[y]
    assert_allclose(w, raw / raw.mean())


@pytest.mark.parametrize("beta", [0.9, 0.99, 0.999])
def test_effective_number_closed_form(imbalanced, beta):
    X, y = imbalanced
    w = ClassBalance(scheme="effective_number", beta=beta).fit(X, y).weights_
    n = np.array([70, 20, 10])
    raw = ((1 - beta) / (1 - beta**n))[y]
    assert_allclose(w, raw / raw.mean())


def test_effective_number_limits(imbalanced):
    X, y = imbalanced
    uniform = ClassBalance(scheme="effective_number", beta=0.0).fit(X, y).weights_
    assert_allclose(uniform, 1.0)
    near_inverse = ClassBalance(scheme="effective_number", beta=1 - 1e-9).fit(X, y)
    assert_allclose(near_inverse.weights_, ClassBalance().fit(X, y).weights_, rtol=1e-4)


def test_sample_weight_counts_as_repetition(imbalanced):
    X, y = imbalanced
    sw = np.r_[np.full(70, 2.0), np.ones(30)]
    w = ClassBalance().fit(X, y, sample_weight=sw).weights_
    # class 0 now counts 140 rows: weight per row 1/140 vs 1/20, 1/10
    raw = np.array([1 / 140, 1 / 20, 1 / 10])[y]
    assert_allclose(w, raw * sw.sum() / np.dot(raw, sw))
    assert_allclose(np.dot(w, sw) / sw.sum(), 1.0)


def test_string_labels_and_class_weight(imbalanced):
    X, y = imbalanced
    labels = np.array(["a", "b", "c"])[y]
    est = ClassBalance().fit(X, labels)
    assert set(est.class_weight_) == {"a", "b", "c"}
    assert_allclose(
        est.compute_weights(X[:3], ["c", "a", "b"]), est.weights_[[90, 0, 70]]
    )


def test_bad_input(imbalanced):
    X, y = imbalanced
    with pytest.raises(ValueError, match="at least 2 classes"):
        ClassBalance().fit(X, np.zeros(100))
    with pytest.raises(ValueError, match="requires y"):
        ClassBalance().fit(X)
    with pytest.raises(ValueError, match="not seen in fit"):
        ClassBalance().fit(X, y).compute_weights(X[:1], [7])
    with pytest.raises(ValueError, match="scheme"):
        ClassBalance(scheme="nope").fit(X, y)


def test_degenerate_weights_warn():
    y = np.array([0] * 999 + [1])
    from skreweight.exceptions import WeightDegeneracyWarning

    with pytest.warns(WeightDegeneracyWarning, match="effective sample size"):
        est = ClassBalance().fit(np.zeros((1000, 1)), y)
    assert est.ess_ratio_ < 0.1
    assert_allclose(est.max_weight_share_, 0.5)
