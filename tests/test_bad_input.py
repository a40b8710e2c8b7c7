"""Bad input reaches the user as a clear error, through the meta-estimators."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.linear_model import LogisticRegression

from skreweight.compose import ReweightedClassifier
from skreweight.datasets import make_covariate_shift
from skreweight.weighting import ClassBalance, ClassifierDensityRatio, GroupBalance


@pytest.fixture
def d():
    return make_covariate_shift(120, 80, random_state=0)


def _fit(weighter, X, y, **kw):
    return ReweightedClassifier(weighter, LogisticRegression()).fit(X, y, **kw)


@pytest.mark.parametrize("where", ["X", "X_target"])
@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_nan_inf(d, where, value):
    Xs, Xt = d.X_source.copy(), d.X_target.copy()
    (Xs if where == "X" else Xt)[3, 1] = value
    with pytest.raises(ValueError, match="NaN|infinity"):
        _fit(ClassifierDensityRatio(), Xs, d.y_source, X_target=Xt)


def test_target_with_other_features(d):
    with pytest.raises(ValueError, match="3 features.*expecting 2|features"):
        _fit(
            ClassifierDensityRatio(),
            d.X_source,
            d.y_source,
            X_target=np.c_[d.X_target, d.X_target[:, :1]],
        )


def test_target_with_other_column_names(d):
    Xs = pd.DataFrame(d.X_source, columns=["a", "b"])
    Xt = pd.DataFrame(d.X_target, columns=["a", "c"])
    with pytest.raises(ValueError, match="feature names should match"):
        _fit(ClassifierDensityRatio(), Xs, d.y_source, X_target=Xt)


def test_empty_target(d):
    with pytest.raises(ValueError, match="X_target has 0 rows"):
        _fit(ClassifierDensityRatio(), d.X_source, d.y_source, X_target=d.X_target[:0])


def test_single_class(d):
    with pytest.raises(ValueError, match="class"):
        _fit(ClassBalance(), d.X_source, np.zeros(120))


def test_group_with_one_member(d):
    g = np.zeros(120, dtype=int)
    g[0] = 1
    with pytest.raises(ValueError, match=r"Groups \[1\] have fewer than"):
        _fit(GroupBalance(), d.X_source, d.y_source, sample_group=g)


def test_group_labels_of_wrong_length(d):
    with pytest.raises(ValueError, match="one group label per row"):
        _fit(GroupBalance(), d.X_source, d.y_source, sample_group=np.zeros(10))


@pytest.mark.parametrize(
    "bad, match",
    [(-1.0, "Negative values"), (np.nan, "NaN or infinity")],
)
def test_bad_sample_weight(d, bad, match):
    sw = np.ones(120)
    sw[5] = bad
    with pytest.raises(ValueError, match=match):
        _fit(ClassBalance(), d.X_source, d.y_source, sample_weight=sw)


def test_all_zero_sample_weight(d):
    with pytest.raises(ValueError, match="sums to zero|zero"):
        _fit(ClassBalance(), d.X_source, d.y_source, sample_weight=np.zeros(120))


def test_string_labels(d):
    y = np.array(["no", "yes"])[d.y_source]
    clf = _fit(ClassBalance(), d.X_source, y)
    assert set(clf.predict(d.X_target)) <= {"no", "yes"}
    assert list(clf.classes_) == ["no", "yes"]


def test_pandas_and_numpy_give_the_same_model(d):
    Xs = pd.DataFrame(d.X_source, columns=["a", "b"])
    Xt = pd.DataFrame(d.X_target, columns=["a", "b"])
    ys = pd.Series(d.y_source)
    a = _fit(ClassifierDensityRatio(), Xs, ys, X_target=Xt)
    b = _fit(ClassifierDensityRatio(), d.X_source, d.y_source, X_target=d.X_target)
    assert_allclose(a.predict_proba(Xt), b.predict_proba(d.X_target))
    assert list(a.feature_names_in_) == ["a", "b"]


def test_inputs_not_mutated(d):
    Xs, ys, Xt = d.X_source.copy(), d.y_source.copy(), d.X_target.copy()
    sw = np.ones(120)
    _fit(ClassifierDensityRatio(), Xs, ys, X_target=Xt, sample_weight=sw)
    assert_allclose(Xs, d.X_source)
    assert_allclose(Xt, d.X_target)
    np.testing.assert_array_equal(ys, d.y_source)
    assert_allclose(sw, 1.0)


def test_missing_treatment_for_causal_context():
    from skreweight.utils.validation import check_treatment

    with pytest.raises(ValueError, match="treatment is required"):
        check_treatment(None, 10)
    with pytest.raises(ValueError, match="no treated or no control"):
        check_treatment(np.ones(10), 10)
    with pytest.raises(ValueError, match="must be binary"):
        check_treatment(np.arange(10), 10)
    assert_allclose(check_treatment(np.array(["a", "b"] * 5), 10), [0, 1] * 5)


def test_compute_weights_codes_new_treatment_as_in_fit():
    from sklearn.base import BaseEstimator

    from skreweight.base import WeighterMixin

    class _ArmWeighter(WeighterMixin, BaseEstimator):
        _context = ("treatment",)
        _required_context = ("treatment",)
        _normalize_by = "treatment"

        def _fit(self, X, y, sample_weight, treatment):
            return 1.0 + X[:, 0] ** 2

        def _compute_weights(self, X, y, treatment):
            return 1.0 + X[:, 0] ** 2

    rng = np.random.RandomState(0)
    X = rng.normal(size=(20, 2))
    t = np.array(["control", "treated"] * 10)
    est = _ArmWeighter().fit(X, treatment=t)
    assert_allclose(est.compute_weights(X, treatment=t), est.weights_)
    # new rows all in one arm, named as in fit, keep that arm's scale
    only_treated = est.compute_weights(X[1::2], treatment=t[1::2])
    assert_allclose(only_treated, est.weights_[1::2])
    with pytest.raises(ValueError, match="not seen in fit"):
        est.compute_weights(X[:2], treatment=["placebo", "control"])
