"""Tests of LabelShiftConformalClassifier."""

import warnings

import numpy as np
import pytest

from skreweight.covariate_shift import LabelShiftConformalClassifier
from skreweight.covariate_shift._conformal import _calibration_split
from skreweight.weighting import LabelShiftWeighting


def _draw(rng, n, priors):
    y = rng.choice(3, size=n, p=priors)
    return rng.normal(1.2 * y[:, None], 1.0, size=(n, 2)), y


def test_quantile_uses_the_candidate_class_weight():
    """With known ratios the per-class quantile is the weighted conformal one."""
    rng = np.random.RandomState(0)
    X, y = _draw(rng, 600, [0.6, 0.3, 0.1])
    Xt, _ = _draw(rng, 400, [0.1, 0.3, 0.6])
    clf = LabelShiftConformalClassifier(random_state=0).fit(X, y, X_target=Xt)
    v, w = clf.calibration_scores_, clf.weights_
    q = clf._quantiles()
    for k in range(3):
        total = w.sum() + clf.class_ratio_[k]
        # the smallest score with cumulative weight >= 0.9 * total
        order = np.argsort(v)
        cw = np.cumsum(w[order])
        expected = (
            v[order][np.searchsorted(cw, 0.9 * total)]
            if cw[-1] >= 0.9 * total
            else np.inf
        )
        assert q[k] == expected
    # the rarer a class is in the source relative to the target, the larger its
    # test weight and the more conservative its threshold
    assert clf.class_ratio_[2] > clf.class_ratio_[0]
    assert q[2] >= q[0]


def test_no_target_is_split_conformal():
    rng = np.random.RandomState(0)
    X, y = _draw(rng, 400, [0.5, 0.3, 0.2])
    clf = LabelShiftConformalClassifier(random_state=0).fit(X, y)
    np.testing.assert_array_equal(clf.class_ratio_, np.ones(3))
    assert clf.weighter_ is None
    assert clf.calibration_coverage_ >= 0.9


def test_sample_weight_multiplies_calibration_weights():
    rng = np.random.RandomState(0)
    X, y = _draw(rng, 400, [0.5, 0.3, 0.2])
    sw = rng.uniform(0.5, 2.0, 400)
    clf = LabelShiftConformalClassifier(random_state=0).fit(X, y, sample_weight=sw)
    # the split is the one every conformal estimator draws (stratified here)
    cal, train = _calibration_split(clf, X, y, sw, calibration_size=0.5, random_state=0)
    np.testing.assert_allclose(clf.weights_, sw[cal])
    assert np.intersect1d(cal, train).size == 0 and cal.size + train.size == 400
    for k in range(3):  # stratified: each class is split in half
        assert abs(np.sum(y[cal] == k) - np.sum(y == k) / 2) <= 1


def test_bbse_weighter_and_predict():
    rng = np.random.RandomState(0)
    X, y = _draw(rng, 600, [0.6, 0.3, 0.1])
    Xt, _ = _draw(rng, 400, [0.1, 0.3, 0.6])
    clf = LabelShiftConformalClassifier(
        weighter=LabelShiftWeighting(method="bbse"), random_state=0
    ).fit(X, y, X_target=Xt)
    assert set(clf.predict(Xt)) <= {0, 1, 2}
    assert clf.predict_set(Xt).shape == (400, 3)


def test_one_class_raises():
    with pytest.raises(ValueError, match="at least 2 classes"):
        LabelShiftConformalClassifier().fit(np.zeros((10, 2)), np.zeros(10))


@pytest.mark.slow
def test_target_coverage_monte_carlo():
    """40 seeded replications, 1500 source / 1000 target rows, priors
    (0.6, 0.3, 0.1) -> (0.1, 0.3, 0.6) with estimated (EM) ratios: mean
    target coverage within 0.02 of 0.90 (Monte-Carlo SE about 0.003);
    unweighted split conformal undercovers (mean below 0.85)."""
    cov, cov_plain = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for rep in range(40):
            rng = np.random.RandomState(rep)
            X, y = _draw(rng, 1500, [0.6, 0.3, 0.1])
            Xt, yt = _draw(rng, 1000, [0.1, 0.3, 0.6])
            for kw, out in (({"X_target": Xt}, cov), ({}, cov_plain)):
                clf = LabelShiftConformalClassifier(random_state=rep).fit(X, y, **kw)
                out.append(clf.predict_set(Xt)[np.arange(1000), yt].mean())
    assert abs(np.mean(cov) - 0.90) < 0.02
    assert np.mean(cov_plain) < 0.85
