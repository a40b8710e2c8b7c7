import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score

from skreweight.datasets import make_covariate_shift
from skreweight.model_selection import (
    GroupStratifiedKFold,
    IWCVScorer,
    WorstGroupScorer,
    worst_group_accuracy,
)
from skreweight.weighting import ClassifierDensityRatio


def test_worst_group_accuracy_closed_form():
    y = np.array([0, 1, 1, 1, 0, 0])
    p = np.array([0, 1, 0, 1, 1, 1])
    g = np.array(["a", "a", "b", "b", "c", "c"])
    assert worst_group_accuracy(y, p, sample_group=g) == 0.0
    assert worst_group_accuracy(y[:4], p[:4], sample_group=g[:4]) == 0.5
    with pytest.raises(ValueError, match="required"):
        worst_group_accuracy(y, p, sample_group=None)
    with pytest.raises(ValueError, match="one group label per row"):
        worst_group_accuracy(y, p, sample_group=g[:2])


def test_worst_group_scorer_raises_without_groups():
    X, y = np.zeros((4, 1)), np.array([0, 1, 0, 1])
    clf = DummyClassifier().fit(X, y)
    with pytest.raises(ValueError, match="needs sample_group"):
        WorstGroupScorer()(clf, X, y)


def test_iwcv_scorer_equals_manual_weighted_accuracy():
    d = make_covariate_shift(300, 300, random_state=0)
    clf = LogisticRegression().fit(d.X_source, d.y_source)
    w = ClassifierDensityRatio().fit_compute_weights(d.X_source, X_target=d.X_target)
    expected = accuracy_score(d.y_source, clf.predict(d.X_source), sample_weight=w)
    got = IWCVScorer(ClassifierDensityRatio())(
        clf, d.X_source, d.y_source, X_target=d.X_target
    )
    assert_allclose(got, expected)


def test_iwcv_estimates_target_accuracy_better_than_plain():
    # Averaged over seeds, the importance-weighted source accuracy is closer
    # to the true target accuracy than the unweighted one (shift makes the
    # unweighted estimate biased).
    plain_err, iw_err = [], []
    for seed in range(5):
        d = make_covariate_shift(1000, 1000, shift=1.0, random_state=seed)
        clf = LogisticRegression().fit(d.X_source[:500], d.y_source[:500])
        Xv, yv = d.X_source[500:], d.y_source[500:]
        target = clf.score(d.X_target, d.y_target)
        plain_err.append(abs(clf.score(Xv, yv) - target))
        iw = IWCVScorer(ClassifierDensityRatio())(clf, Xv, yv, X_target=d.X_target)
        iw_err.append(abs(iw - target))
    assert np.mean(iw_err) < np.mean(plain_err)


def test_group_stratified_kfold_keeps_cells_and_errors():
    rng = np.random.RandomState(0)
    g = rng.randint(0, 3, 120)
    y = rng.randint(0, 2, 120)
    X = np.zeros((120, 1))
    for train, test in GroupStratifiedKFold(4).split(X, y, sample_group=g):
        for a in range(3):
            for b in range(2):
                assert np.any((g[test] == a) & (y[test] == b))
    g_small = g.copy()
    g_small[:2] = 9
    with pytest.raises(ValueError, match=r"Groups \[9\]"):
        list(GroupStratifiedKFold(4).split(X, y, sample_group=g_small))
