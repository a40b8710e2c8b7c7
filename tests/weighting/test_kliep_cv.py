"""KLIEP's ``cv``: an int, a splitter or an iterable of (train, test) pairs."""

import numpy as np
from sklearn.model_selection import KFold

from skreweight.datasets import make_covariate_shift
from skreweight.weighting import KLIEP


def _data():
    d = make_covariate_shift(200, 150, 3, random_state=0)
    return d.X_source, d.X_target


def test_splitter_and_iterable_give_the_same_selection():
    X, Xt = _data()
    splitter = KFold(4, shuffle=True, random_state=1)
    pairs = list(splitter.split(Xt))
    a = KLIEP(cv=splitter, random_state=0).fit(X, X_target=Xt)
    b = KLIEP(cv=pairs, random_state=0).fit(X, X_target=Xt)
    np.testing.assert_array_equal(a.cv_scores_, b.cv_scores_)
    np.testing.assert_array_equal(a.weights_, b.weights_)
    assert a.cv_scores_.shape == (5,)


def test_int_cv_keeps_the_random_permutation_folds():
    X, Xt = _data()
    a = KLIEP(cv=3, random_state=0).fit(X, X_target=Xt)
    b = KLIEP(cv=KFold(3), random_state=0).fit(X, X_target=Xt)
    # the int folds are a seeded permutation, KFold(3) is contiguous: the
    # held-out scores differ, the bandwidth grid is the same
    assert a.cv_scores_.shape == b.cv_scores_.shape
    assert not np.array_equal(a.cv_scores_, b.cv_scores_)
