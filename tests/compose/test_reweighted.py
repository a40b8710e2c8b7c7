"""ReweightedClassifier/Regressor: weights reach the estimator, routing works."""

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skreweight.compose import (
    FitOnSourceAndTarget,
    ReweightedClassifier,
    ReweightedRegressor,
    WeightProduct,
    make_pipeline,
)
from skreweight.datasets import make_covariate_shift
from skreweight.model_selection import (
    GroupStratifiedKFold,
    IWCVScorer,
    WorstGroupScorer,
    importance_weighted_scorer,
)
from skreweight.weighting import ClassBalance, ClassifierDensityRatio, GroupBalance


class _RecordingClassifier(ClassifierMixin, BaseEstimator):
    """Records the sample_weight it was fitted with."""

    def fit(self, X, y, sample_weight=None):
        self.classes_ = np.unique(y)
        self.sample_weight_ = sample_weight
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


@pytest.fixture
def shift():
    return make_covariate_shift(300, 200, random_state=0)


def test_estimator_receives_weights_times_sample_weight(shift):
    sw = np.random.RandomState(0).randint(1, 4, 300).astype(float)
    clf = ReweightedClassifier(ClassifierDensityRatio(), _RecordingClassifier())
    clf.fit(shift.X_source, shift.y_source, X_target=shift.X_target, sample_weight=sw)
    assert_allclose(clf.estimator_.sample_weight_, clf.weights_ * sw)
    # the weighter's weights average 1 under the user's weights; no rescaling
    assert_allclose(np.dot(clf.weights_, sw) / sw.sum(), 1.0)


def test_matches_manual_weighted_fit(shift):
    w = ClassifierDensityRatio().fit_compute_weights(
        shift.X_source, X_target=shift.X_target
    )
    manual = LogisticRegression().fit(shift.X_source, shift.y_source, sample_weight=w)
    clf = ReweightedClassifier(ClassifierDensityRatio(), LogisticRegression())
    clf.fit(shift.X_source, shift.y_source, X_target=shift.X_target)
    assert_allclose(clf.estimator_.coef_, manual.coef_)
    assert_allclose(
        clf.predict_proba(shift.X_target), manual.predict_proba(shift.X_target)
    )
    assert_allclose(clf.weighter_.weights_, w)


def test_integer_weights_equal_repeated_rows(shift):
    rng = np.random.RandomState(1)
    sw = rng.randint(0, 4, 300)
    rep = np.repeat(np.arange(300), sw)
    clf = ReweightedClassifier(ClassifierDensityRatio(), LogisticRegression(tol=1e-10))
    a = clf.fit(
        shift.X_source,
        shift.y_source,
        X_target=shift.X_target,
        sample_weight=sw.astype(float),
    ).estimator_.coef_.copy()
    b = clf.fit(
        shift.X_source[rep], shift.y_source[rep], X_target=shift.X_target
    ).estimator_.coef_
    assert_allclose(a, b, rtol=1e-4)


def test_regressor(shift):
    y = np.sin(shift.X_source[:, 0])
    reg = ReweightedRegressor(ClassifierDensityRatio()).fit(
        shift.X_source, y, X_target=shift.X_target
    )
    assert reg.predict(shift.X_target).shape == (200,)
    assert reg.weighter_.effective_sample_size_ > 0


def test_clear_errors(shift):
    with pytest.raises(TypeError, match="does not accept sample_weight"):
        ReweightedClassifier(ClassifierDensityRatio(), KNeighborsClassifier()).fit(
            shift.X_source, shift.y_source, X_target=shift.X_target
        )
    with pytest.raises(TypeError, match="does not use"):
        ReweightedClassifier(ClassBalance()).fit(
            shift.X_source, shift.y_source, X_target=shift.X_target
        )
    with pytest.raises(TypeError, match="enable metadata routing"):
        ReweightedClassifier(ClassBalance()).fit(shift.X_source, shift.y_source, foo=1)


def test_direct_call_works_with_routing_on_and_off(shift, routing):
    clf = ReweightedClassifier(ClassifierDensityRatio())
    clf.fit(shift.X_source, shift.y_source, X_target=shift.X_target)
    assert clf.weighter_.estimator_ is not None


def test_pipeline_transforms_X_target_and_grid_search_with_iw_scorer(shift):
    Xs, ys, Xt = shift.X_source * 3 + 5, shift.y_source, shift.X_target * 3 + 5
    iw = ClassifierDensityRatio().fit_compute_weights(Xs, X_target=Xt)
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(
            StandardScaler(), ReweightedClassifier(ClassifierDensityRatio())
        )
        scorer = importance_weighted_scorer(alias="iw")
        gs = GridSearchCV(
            pipe,
            {"reweightedclassifier__weighter__clip": [0.01, 0.2]},
            scoring=scorer,
            cv=3,
            error_score="raise",
        )
        gs.fit(Xs, ys, X_target=(Xt,), iw=iw)
        assert np.all(np.isfinite(gs.cv_results_["mean_test_score"]))
        # The weighter saw X_target scaled by the scaler fitted on X.
        scaler = StandardScaler().fit(Xs)
        best = gs.best_estimator_
        expected = (
            ClassifierDensityRatio(
                clip=gs.best_params_["reweightedclassifier__weighter__clip"]
            )
            .fit(scaler.transform(Xs), X_target=scaler.transform(Xt))
            .weights_
        )
        assert_allclose(best[-1].weights_, expected)
        scores = cross_val_score(
            pipe, Xs, ys, scoring=scorer, cv=3, params={"X_target": (Xt,), "iw": iw}
        )
        assert scores.shape == (3,)


def test_plain_sklearn_pipeline_misses_X_target_transform(shift):
    """The footgun make_pipeline prevents: without transform_input the
    weighter compares scaled X with raw X_target."""
    Xs, Xt = shift.X_source * 3 + 5, shift.X_target * 3 + 5
    with sklearn.config_context(enable_metadata_routing=True):
        plain = Pipeline(
            [
                ("sc", StandardScaler()),
                ("clf", ReweightedClassifier(ClassifierDensityRatio())),
            ]
        )
        ours = make_pipeline(
            StandardScaler(), ReweightedClassifier(ClassifierDensityRatio())
        )
        w_plain = plain.fit(Xs, shift.y_source, X_target=Xt)[-1].weights_
        w_ours = ours.fit(Xs, shift.y_source, X_target=Xt)[-1].weights_
    assert np.mean(np.abs(w_plain - w_ours)) > 0.5


def test_fit_on_source_and_target_in_pipeline(shift):
    Xs, Xt = shift.X_source, shift.X_target
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(
            FitOnSourceAndTarget(StandardScaler()),
            ReweightedClassifier(ClassifierDensityRatio()),
        )
        pipe.fit(Xs, shift.y_source, X_target=Xt)
    assert_allclose(pipe[0].transformer_.mean_, np.vstack([Xs, Xt]).mean(0))


def test_iwcv_scorer_in_grid_search(shift):
    with sklearn.config_context(enable_metadata_routing=True):
        gs = GridSearchCV(
            LogisticRegression(),
            {"C": [0.01, 1.0]},
            scoring=IWCVScorer(ClassifierDensityRatio()),
            cv=3,
            error_score="raise",
        )
        gs.fit(shift.X_source, shift.y_source, X_target=(shift.X_target,))
        assert np.all(np.isfinite(gs.cv_results_["mean_test_score"]))
        with pytest.raises(ValueError, match="needs X_target"):
            GridSearchCV(
                LogisticRegression(),
                {"C": [1.0]},
                scoring=IWCVScorer(ClassifierDensityRatio()),
                error_score="raise",
            ).fit(shift.X_source, shift.y_source)


def test_sample_group_routing_with_worst_group_scorer():
    rng = np.random.RandomState(0)
    n = 400
    g = (rng.uniform(size=n) < 0.2).astype(int)
    X = rng.normal(size=(n, 2)) + g[:, None]
    y = (X[:, 0] + rng.normal(scale=0.5, size=n) > 0.5).astype(int)
    with sklearn.config_context(enable_metadata_routing=True):
        gs = GridSearchCV(
            ReweightedClassifier(GroupBalance(), LogisticRegression()),
            {"estimator__C": [0.1, 1.0]},
            scoring={"wga": WorstGroupScorer(), "acc": "accuracy"},
            refit="wga",
            cv=GroupStratifiedKFold(3),
            error_score="raise",
        )
        gs.fit(X, y, sample_group=g)
        assert np.all(np.isfinite(gs.cv_results_["mean_test_wga"]))
        # the refit saw all groups: equal total weight per group
        w = gs.best_estimator_.weights_
        assert_allclose(w[g == 0].sum(), w[g == 1].sum())


def test_sample_weight_routed_through_pipeline(shift):
    sw = np.random.RandomState(0).randint(1, 3, 300).astype(float)
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(
            StandardScaler().set_fit_request(sample_weight=False),
            ReweightedClassifier(
                ClassifierDensityRatio(), _RecordingClassifier()
            ).set_fit_request(sample_weight=True),
        )
        pipe.fit(
            shift.X_source, shift.y_source, X_target=shift.X_target, sample_weight=sw
        )
    assert_allclose(pipe[-1].estimator_.sample_weight_, pipe[-1].weights_ * sw)


def test_weight_product_provenance_and_normalisation():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 2))
    y = (rng.uniform(size=100) < 0.3).astype(int)
    g = rng.randint(0, 2, 100)
    wp = WeightProduct([("cls", ClassBalance()), ("grp", GroupBalance())])
    wp.fit(X, y, sample_group=g)
    prod = wp.factors_["cls"] * wp.factors_["grp"]
    assert_allclose(wp.weights_, prod / prod.mean())
    assert_allclose(wp.compute_weights(X, y, sample_group=g), wp.weights_)
    wp.set_params(cls__scheme="sqrt")
    assert wp.get_params()["cls__scheme"] == "sqrt"


def test_nan_allowed_when_everything_supports_it():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 2))
    X[::10, 0] = np.nan
    y = (rng.uniform(size=100) < 0.3).astype(int)
    clf = ReweightedClassifier(
        ClassBalance(), HistGradientBoostingClassifier(max_iter=5)
    ).fit(X, y)
    assert clf.predict(X).shape == (100,)
    with pytest.raises(ValueError, match="NaN"):
        ReweightedClassifier(ClassBalance(), LogisticRegression()).fit(X, y)
