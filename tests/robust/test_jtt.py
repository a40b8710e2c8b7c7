import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier

from skreweight.datasets import make_spurious_groups
from skreweight.robust import JTTClassifier


def _wga(clf, X, y, g):
    pred = clf.predict(X)
    return min(np.mean(pred[g == k] == y[g == k]) for k in np.unique(g))


@pytest.fixture(scope="module")
def data():
    return make_spurious_groups(n_samples=600, random_state=0)


def test_weights_follow_error_set(data):
    clf = JTTClassifier(LogisticRegression(), upweight=10).fit(data.X, data.y)
    first = LogisticRegression().fit(data.X, data.y)
    errors = first.predict(data.X) != data.y
    np.testing.assert_array_equal(clf.error_set_, errors)
    raw = np.where(errors, 10.0, 1.0)
    assert_allclose(clf.weights_, raw / raw.mean())
    # the final model is the base model fitted on those weights
    ref = LogisticRegression().fit(data.X, data.y, sample_weight=clf.weights_)
    assert_allclose(clf.estimator_.coef_, ref.coef_)
    # the error set concentrates on the minority groups
    assert errors[data.minority].mean() > 5 * errors[~data.minority].mean()


def test_integer_upweight_equals_duplicating_the_error_set(data):
    clf = JTTClassifier(LogisticRegression(C=1e4, tol=1e-10), upweight=3).fit(
        data.X, data.y
    )
    E = clf.error_set_
    rows = np.r_[np.arange(len(data.y)), np.repeat(np.flatnonzero(E), 2)]
    dup = LogisticRegression(C=1e4, tol=1e-10).fit(data.X[rows], data.y[rows])
    assert_allclose(clf.estimator_.coef_, dup.coef_, rtol=1e-4)


def test_jtt_raises_worst_group_accuracy(data):
    test = make_spurious_groups(n_samples=4000, random_state=1)
    erm = LogisticRegression().fit(data.X, data.y)
    jtt = JTTClassifier(LogisticRegression(), upweight="auto").fit(data.X, data.y)
    assert jtt.upweight_ > 5
    assert (
        _wga(jtt, test.X, test.y, test.group)
        > _wga(erm, test.X, test.y, test.group) + 0.1
    )


def test_empty_error_set_warns(data):
    with pytest.warns(UserWarning, match="makes no error"):
        clf = JTTClassifier(DecisionTreeClassifier(random_state=0)).fit(data.X, data.y)
    assert not clf.error_set_.any()
    assert_allclose(clf.weights_, 1.0)


def test_out_of_fold_errors_for_a_flexible_first_model(data):
    clf = JTTClassifier(
        LogisticRegression(), DecisionTreeClassifier(random_state=0), cv=3
    ).fit(data.X, data.y)
    assert clf.error_set_.sum() > 10


def test_estimator_without_sample_weight_raises(data):
    with pytest.raises(TypeError, match="does not accept sample_weight"):
        JTTClassifier(KNeighborsClassifier()).fit(data.X, data.y)
