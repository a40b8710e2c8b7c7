"""ClassBalancedBaggingClassifier: class-balanced bootstrap weights per clone."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier

from skreweight.compose import WeightProduct
from skreweight.imbalance import ClassBalancedBaggingClassifier
from skreweight.weighting import ClassBalance, GroupBalance


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        400, n_features=6, n_informative=4, weights=[0.9], random_state=0
    )
    return X, y


@pytest.mark.parametrize("undersample", [True, False])
@pytest.mark.parametrize("bootstrap", ["poisson", "multinomial"])
def test_each_tree_equals_the_tree_on_repeated_rows(data, bootstrap, undersample):
    X, y = data
    clf = ClassBalancedBaggingClassifier(
        n_estimators=5, bootstrap=bootstrap, undersample=undersample, random_state=0
    ).fit(X, y)
    for est, w in zip(clf.estimators_, clf.estimators_weights_):
        counts = w.astype(int)
        assert_array_equal(counts, w)  # integer counts
        X_rep, y_rep = np.repeat(X, counts, axis=0), np.repeat(y, counts)
        tree = DecisionTreeClassifier(
            max_features="sqrt", random_state=est.random_state
        ).fit(X_rep, y_rep)
        assert_array_equal(est.tree_.feature, tree.tree_.feature)
        assert_allclose(est.tree_.threshold, tree.tree_.threshold)
        assert_allclose(est.predict_proba(X), tree.predict_proba(X))


def test_multinomial_counts_are_balanced_exactly(data):
    X, y = data
    n_min = np.bincount(y).min()
    clf = ClassBalancedBaggingClassifier(n_estimators=10, random_state=1).fit(X, y)
    assert_allclose(clf.class_draws_, [n_min, n_min])
    for w in clf.estimators_weights_:
        assert w[y == 0].sum() == n_min and w[y == 1].sum() == n_min


def test_poisson_class_totals_are_balanced_in_expectation(data):
    X, y = data
    n_min = np.bincount(y).min()
    clf = ClassBalancedBaggingClassifier(
        n_estimators=200, bootstrap="poisson", random_state=2
    )
    clf.fit(X, y)
    totals = np.array(
        [[w[y == c].sum() for c in (0, 1)] for w in clf.estimators_weights_]
    )
    # each class total is Poisson(n_min): the mean of 200 has sd sqrt(n_min/200)
    tol = 4 * np.sqrt(n_min / 200)
    assert np.all(np.abs(totals.mean(0) - n_min) < tol)
    # the minority rows are drawn with mean 1, the majority rows with n_min / n_maj
    mean_w = np.mean(clf.estimators_weights_, axis=0)
    assert abs(mean_w[y == 1].mean() - 1.0) < 0.05
    assert abs(mean_w[y == 0].mean() - n_min / np.sum(y == 0)) < 0.01


def _distinct(w, rows):
    return np.count_nonzero(w[rows])


@pytest.mark.parametrize("undersample", [True, False])
def test_undersample_equalises_the_distinct_rows(data, undersample):
    X, y = data
    n_maj, n_min = np.bincount(y)
    clf = ClassBalancedBaggingClassifier(
        n_estimators=300, undersample=undersample, random_state=0
    ).fit(X, y)
    W = np.array(clf.estimators_weights_)
    distinct = np.array([[_distinct(w, y == c) for c in (0, 1)] for w in W])
    # n_min draws with replacement from a pool of p rows leave
    # p (1 - (1 - 1/p)^n_min) distinct rows on average; the pool is n_min rows
    # for both classes when undersampling, else the whole class
    pool = n_min if undersample else n_maj
    expected = [p * (1 - (1 - 1 / p) ** n_min) for p in (pool, n_min)]
    # a count of distinct rows has sd below sqrt(n_min) / 2: 4 sd of the mean
    tol = 4 * np.sqrt(n_min) / 2 / np.sqrt(300)
    assert_allclose(distinct.mean(0), expected, atol=tol)
    if undersample:
        # the pool is drawn uniformly: every majority row is as likely to be
        # used, and its expected count is n_min / n_maj
        used = (W[:, y == 0] > 0).mean(0)
        assert abs(W[:, y == 0].mean() - n_min / n_maj) < 0.01
        assert used.max() - used.min() < 0.25
    else:
        assert distinct[:, 0].mean() > distinct[:, 1].mean() + 5


def test_undersample_keeps_zero_weight_rows_out_and_the_totals_exact(data):
    X, y = data
    sw = np.where(np.arange(400) % 3 == 0, 0.0, 1.0)
    clf = ClassBalancedBaggingClassifier(n_estimators=20, random_state=0)
    W = np.array(clf.fit(X, y, sample_weight=sw).estimators_weights_)
    assert np.all(W[:, sw == 0] == 0)
    m = clf.class_draws_
    assert_allclose(W[:, y == 0].sum(1), m[0])
    assert_allclose(W[:, y == 1].sum(1), m[1])
    # a pool of round(m_c) rows: no more distinct rows than that
    assert np.all((W[:, y == 0] > 0).sum(1) <= m[0])


def test_class_balance_scheme_and_max_samples(data):
    X, y = data
    n = np.bincount(y)
    clf = ClassBalancedBaggingClassifier(
        n_estimators=2,
        class_balance=ClassBalance("sqrt"),
        max_samples=0.5,
        random_state=0,
    ).fit(X, y)
    share = np.sqrt(n) / np.sqrt(n).sum()
    assert_allclose(clf.class_draws_, np.round(200 * share))


def test_sample_weight_and_weighter_scale_the_rates(data):
    X, y = data
    group = (X[:, 0] > 0).astype(int)
    sw = np.where(np.arange(400) % 2 == 0, 2.0, 0.0)
    clf = ClassBalancedBaggingClassifier(
        n_estimators=30,
        bootstrap="poisson",
        random_state=0,
        weighter=WeightProduct([("grp", GroupBalance())]),
    ).fit(X, y, sample_weight=sw, sample_group=group)
    W = np.array(clf.estimators_weights_)
    assert np.all(W[:, sw == 0] == 0)  # a zero weight is a dropped row
    # expected counts are proportional to sample_weight x group weights within
    # each class: the rates the draws use
    v = clf.weighter_.weights_
    for c in (0, 1):
        rows = (y == c) & (sw > 0)
        r = (sw * v)[rows]
        assert_allclose(clf._rates[rows], r / r.sum())
    # the class totals stay balanced in expectation under the product
    assert_allclose(clf.class_draws_[0], clf.class_draws_[1])


def test_oob_score_matches_a_manual_computation(data):
    X, y = data
    clf = ClassBalancedBaggingClassifier(
        n_estimators=15, oob_score=True, random_state=0
    ).fit(X, y)
    total, seen = np.zeros((400, 2)), np.zeros(400)
    for est, w in zip(clf.estimators_, clf.estimators_weights_):
        out = w == 0
        total[out] += est.predict_proba(X[out])
        seen[out] += 1
    has = seen > 0
    pred = np.argmax(total[has] / seen[has, None], axis=1)
    assert_allclose(clf.oob_score_, balanced_accuracy_score(y[has], pred))
    assert 0.5 < clf.oob_score_ <= 1.0


@pytest.mark.parametrize(
    "estimator", [HistGradientBoostingClassifier(max_iter=10), LogisticRegression()]
)
def test_other_estimators(data, estimator):
    X, y = data
    clf = ClassBalancedBaggingClassifier(estimator, n_estimators=3, random_state=0)
    proba = clf.fit(X, y).predict_proba(X)
    assert_allclose(proba.sum(1), 1.0)
    members = np.mean([e.predict_proba(X) for e in clf.estimators_], axis=0)
    assert_allclose(proba, members)
    # balancing moves the decision towards the rare class
    assert clf.predict(X).mean() > y.mean()


def test_parallel_equals_sequential(data):
    X, y = data
    a = ClassBalancedBaggingClassifier(n_estimators=6, n_jobs=2, random_state=3)
    b = ClassBalancedBaggingClassifier(n_estimators=6, random_state=3)
    assert_allclose(a.fit(X, y).predict_proba(X), b.fit(X, y).predict_proba(X))


def test_empty_class_after_sampling_warns_then_errors():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(203, 2))
    y = np.r_[np.zeros(200), np.ones(3)]
    # Poisson(1) for each of 3 minority rows: all zero with probability e^-3
    with pytest.warns(UserWarning, match=r"gave no row to classes \[0.0, 1.0\]"):
        clf = ClassBalancedBaggingClassifier(
            n_estimators=60, bootstrap="poisson", random_state=0
        ).fit(X, y)
    assert clf.n_redraws_ > 0
    with pytest.raises(ValueError, match="fewer than one expected draw"):
        ClassBalancedBaggingClassifier(max_samples=0.004, random_state=0).fit(X, y)


def test_bad_input(data):
    X, y = data
    with pytest.raises(TypeError, match="does not accept sample_weight"):
        ClassBalancedBaggingClassifier(KNeighborsClassifier()).fit(X, y)
    with pytest.raises(ValueError, match="at least 2 classes"):
        ClassBalancedBaggingClassifier().fit(X, np.zeros(400))
    with pytest.raises(TypeError, match="no weighter"):
        ClassBalancedBaggingClassifier().fit(X, y, sample_group=np.zeros(400))
    with pytest.raises(ValueError, match="zero total weight"):
        ClassBalancedBaggingClassifier().fit(X, y, sample_weight=(y == 0) * 1.0)
