import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.neighbors import KNeighborsClassifier

from skreweight.datasets import make_covariate_shift
from skreweight.exceptions import WeightDegeneracyWarning
from skreweight.weighting import ClassifierDensityRatio


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_recovers_true_ratio(seed):
    # Gaussian mean shift: the log-ratio is linear, so a logistic domain
    # classifier is well specified. With 2000 + 2000 rows the estimated
    # ratio must be within 10% (mean absolute relative error) of the truth.
    d = make_covariate_shift(2000, 2000, shift=1.0, random_state=seed)
    est = ClassifierDensityRatio(clip=0).fit(d.X_source, X_target=d.X_target)
    rel = np.abs(est.weights_ - d.ratio_source) / d.ratio_source
    assert np.mean(rel) < 0.10
    assert np.corrcoef(np.log(est.weights_), np.log(d.ratio_source))[0, 1] > 0.99


def test_out_of_sample_weights_match_truth_and_fit():
    d = make_covariate_shift(2000, 2000, shift=1.0, random_state=3)
    est = ClassifierDensityRatio(clip=0).fit(d.X_source, X_target=d.X_target)
    new = make_covariate_shift(500, 10, shift=1.0, random_state=4)
    w_new = est.compute_weights(new.X_source)
    # same scale as weights_: compare with the truth scaled like the fit
    truth = new.ratio(new.X_source) / d.ratio(d.X_source).mean()
    assert np.median(np.abs(w_new - truth) / truth) < 0.15
    assert_allclose(est.compute_weights(d.X_source), est.weights_)


def test_no_target_means_uniform():
    d = make_covariate_shift(50, 50, random_state=0)
    est = ClassifierDensityRatio().fit(d.X_source)
    assert_allclose(est.weights_, 1.0)
    assert est.estimator_ is None


def test_calibrated_boosting_ratio_correlates():
    d = make_covariate_shift(1500, 1500, random_state=0)
    est = ClassifierDensityRatio(
        HistGradientBoostingClassifier(max_iter=50, random_state=0),
        calibration="sigmoid",
    ).fit(d.X_source, X_target=d.X_target)
    assert np.corrcoef(est.weights_, d.ratio_source)[0, 1] > 0.8


def test_clip_caps_the_ratio():
    d = make_covariate_shift(500, 500, shift=3.0, random_state=0)
    with pytest.warns(WeightDegeneracyWarning):
        est = ClassifierDensityRatio(clip=0.1).fit(d.X_source, X_target=d.X_target)
    raw_max = 0.9 / 0.1
    assert est.weights_.max() <= raw_max * est._weight_scale[0] * (1 + 1e-12)


def test_uncovered_target_warns():
    rng = np.random.RandomState(0)
    Xs = rng.normal(size=(300, 2))
    Xt = rng.normal(size=(300, 2)) + 8.0  # no overlap at all
    with pytest.warns(WeightDegeneracyWarning, match="target rows lie where"):
        est = ClassifierDensityRatio().fit(Xs, X_target=Xt)
    assert est.uncovered_target_share_ > 0.9


def test_target_validation():
    d = make_covariate_shift(50, 50, random_state=0)
    with pytest.raises(ValueError, match="features"):
        ClassifierDensityRatio().fit(d.X_source, X_target=d.X_target[:, :1])
    with pytest.raises(ValueError, match="0 rows"):
        ClassifierDensityRatio().fit(d.X_source, X_target=d.X_target[:0])
    bad = d.X_target.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ClassifierDensityRatio().fit(d.X_source, X_target=bad)
    with pytest.raises(TypeError, match="sample_weight"):
        ClassifierDensityRatio(KNeighborsClassifier()).fit(
            d.X_source, X_target=d.X_target
        )
    with pytest.raises(TypeError, match="unexpected keyword"):
        ClassifierDensityRatio().fit(d.X_source, treatment=np.ones(50))


def test_one_target_row_and_tuple_form():
    d = make_covariate_shift(60, 5, random_state=0)
    with pytest.warns(WeightDegeneracyWarning):
        w1 = ClassifierDensityRatio().fit(d.X_source, X_target=d.X_target[:1]).weights_
    assert np.all(np.isfinite(w1))
    w_tuple = ClassifierDensityRatio().fit(d.X_source, X_target=(d.X_target,)).weights_
    w_plain = ClassifierDensityRatio().fit(d.X_source, X_target=d.X_target).weights_
    assert_allclose(w_tuple, w_plain)
    split = (d.X_target[:2], d.X_target[2:])
    w_multi = ClassifierDensityRatio().fit(d.X_source, X_target=split).weights_
    assert_allclose(w_multi, w_plain)


def test_pandas_and_numpy_agree():
    pd = pytest.importorskip("pandas")
    d = make_covariate_shift(200, 200, random_state=0)
    cols = ["a", "b"]
    Xs, Xt = (
        pd.DataFrame(d.X_source, columns=cols),
        pd.DataFrame(d.X_target, columns=cols),
    )
    w_pd = ClassifierDensityRatio().fit(Xs, X_target=Xt).weights_
    w_np = ClassifierDensityRatio().fit(d.X_source, X_target=d.X_target).weights_
    assert_allclose(w_pd, w_np)
    with pytest.raises(ValueError, match="feature names"):
        ClassifierDensityRatio().fit(Xs, X_target=Xt.rename(columns={"a": "z"}))
