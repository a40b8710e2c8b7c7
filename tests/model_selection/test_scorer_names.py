"""Scorers take scikit-learn's metric names."""

import numpy as np
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, log_loss, roc_auc_score
from sklearn.model_selection import GridSearchCV, KFold

from skreweight.model_selection import (
    WorstGroupScorer,
    get_scorer,
    get_scorer_names,
    importance_weighted_scorer,
    r_loss_scorer,
)


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 2))
    g = (rng.uniform(size=300) < 0.3).astype(int)
    y = (X[:, 0] + g + rng.normal(scale=0.5, size=300) > 0.5).astype(int)
    iw = np.exp(0.5 * X[:, 1])
    return X, y, g, iw


def test_importance_weighted_scorer_by_name(data):
    X, y, _, iw = data
    clf = LogisticRegression().fit(X, y)
    with sklearn.config_context(enable_metadata_routing=True):
        auc = importance_weighted_scorer("roc_auc")
        expected = roc_auc_score(y, clf.decision_function(X), sample_weight=iw)
        assert auc(clf, X, y, sample_weight=iw) == pytest.approx(expected)
        nll = importance_weighted_scorer("neg_log_loss", alias="w")
        expected = -log_loss(y, clf.predict_proba(X), sample_weight=iw)
        assert nll(clf, X, y, sample_weight=iw) == pytest.approx(expected)
        gs = GridSearchCV(
            LogisticRegression(), {"C": [0.01, 1.0]}, scoring=auc, cv=KFold(3)
        ).fit(X, y, iw=iw)
        assert np.all(np.isfinite(gs.cv_results_["mean_test_score"]))
    with pytest.raises(TypeError, match="takes no make_scorer"):
        importance_weighted_scorer("roc_auc", greater_is_better=False)


def test_worst_group_scorer_with_any_metric(data):
    X, y, g, _ = data
    clf = LogisticRegression().fit(X, y)
    per_group = [
        balanced_accuracy_score(y[g == v], clf.predict(X[g == v])) for v in (0, 1)
    ]
    scorer = WorstGroupScorer("balanced_accuracy")
    assert scorer(clf, X, y, sample_group=g) == pytest.approx(min(per_group))
    nll = [-log_loss(y[g == v], clf.predict_proba(X[g == v])) for v in (0, 1)]
    assert WorstGroupScorer("neg_log_loss")(clf, X, y, sample_group=g) == (
        pytest.approx(min(nll))
    )
    acc = [np.mean(clf.predict(X[g == v]) == y[g == v]) for v in (0, 1)]
    assert WorstGroupScorer()(clf, X, y, sample_group=g) == pytest.approx(min(acc))
    assert repr(scorer) == "WorstGroupScorer(scoring='balanced_accuracy')"
    with sklearn.config_context(enable_metadata_routing=True):
        gs = GridSearchCV(
            LogisticRegression(),
            {"C": [0.01, 1.0]},
            scoring=get_scorer("worst_group_roc_auc"),
            cv=KFold(3),
            error_score="raise",
        ).fit(X, y, sample_group=g)
    assert np.all(np.isfinite(gs.cv_results_["mean_test_score"]))


def test_get_scorer_names():
    assert get_scorer("r_loss") is r_loss_scorer
    assert get_scorer("neg_r_loss") is r_loss_scorer
    assert isinstance(get_scorer("worst_group_accuracy"), WorstGroupScorer)
    assert get_scorer(r_loss_scorer) is r_loss_scorer
    assert "roc_auc" in get_scorer_names() and "r_loss" in get_scorer_names()
    with pytest.raises(ValueError, match="not a valid scoring value"):
        get_scorer("worst_group_nonsense")
    with pytest.raises(TypeError, match="scoring must be"):
        get_scorer(3)


def test_weighter_diagnostics_in_cv_results():
    # the recipe of the diagnostics guide: ESS per candidate in cv_results_
    from skreweight.compose import ReweightedClassifier
    from skreweight.datasets import make_covariate_shift
    from skreweight.weighting import ClassifierDensityRatio

    s = make_covariate_shift(n_source=200, n_target=200, random_state=0)

    def ess_ratio(estimator, X, y, **kwargs):
        return estimator.weighter_.ess_ratio_

    model = ReweightedClassifier(ClassifierDensityRatio(), LogisticRegression())
    with sklearn.config_context(enable_metadata_routing=True):
        gs = GridSearchCV(
            model,
            {"weighter__clip": [0.0, 0.2]},
            scoring={"accuracy": "accuracy", "ess_ratio": ess_ratio},
            refit="accuracy",
            cv=2,
        ).fit(s.X_source, s.y_source, X_target=(s.X_target,))
    ess = gs.cv_results_["mean_test_ess_ratio"]
    assert np.all((ess > 0) & (ess <= 1))
    assert ess[1] > ess[0]  # clipping the ratio raises the ESS


def test_summarize_warnings_collapses_a_search():
    import warnings

    from skreweight.compose import ReweightedClassifier
    from skreweight.datasets import make_covariate_shift
    from skreweight.exceptions import WeightDegeneracyWarning
    from skreweight.model_selection import summarize_warnings
    from skreweight.weighting import ClassifierDensityRatio

    s = make_covariate_shift(n_source=150, n_target=150, shift=3.0, random_state=0)
    model = ReweightedClassifier(ClassifierDensityRatio(), LogisticRegression())
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        with summarize_warnings() as caught:
            with sklearn.config_context(enable_metadata_routing=True):
                GridSearchCV(model, {"weighter__clip": [0.0, 1e-4]}, cv=3).fit(
                    s.X_source, s.y_source, X_target=(s.X_target,)
                )
    degenerate = [w for w in caught if w.category is WeightDegeneracyWarning]
    assert len(degenerate) >= 6  # every fold of every candidate, and the refit
    once = [w for w in shown if w.category is WeightDegeneracyWarning]
    assert len(once) < len(degenerate)
    # one per condition: no two shown messages are equal up to their numbers
    from skreweight.model_selection._warnings import _condition

    assert len({_condition(w) for w in once}) == len(once)
    assert any("came from" in str(w.message) for w in once)


def test_weight_diagnostics_scorer_in_cv_results():
    from sklearn.preprocessing import StandardScaler

    from skreweight.compose import ReweightedClassifier, make_pipeline
    from skreweight.datasets import make_covariate_shift
    from skreweight.model_selection import WeightDiagnosticsScorer
    from skreweight.weighting import ClassifierDensityRatio

    s = make_covariate_shift(n_source=200, n_target=200, random_state=0)
    model = make_pipeline(
        StandardScaler(),
        ReweightedClassifier(ClassifierDensityRatio(), LogisticRegression()),
    )
    with sklearn.config_context(enable_metadata_routing=True):
        gs = GridSearchCV(
            model,
            {"reweightedclassifier__weighter__clip": [0.0, 0.2]},
            scoring=WeightDiagnosticsScorer("accuracy"),
            refit="score",
            cv=2,
        ).fit(s.X_source, s.y_source, X_target=(s.X_target,))
    res = gs.cv_results_
    assert np.all((res["mean_test_ess_ratio"] > 0) & (res["mean_test_ess_ratio"] <= 1))
    assert res["mean_test_ess_ratio"][1] > res["mean_test_ess_ratio"][0]
    assert np.all(res["mean_test_max_weight_share"] < 1)
    acc = [gs.cv_results_[f"split{k}_test_score"] for k in range(2)]
    assert np.all((np.asarray(acc) >= 0) & (np.asarray(acc) <= 1))
    with pytest.raises(TypeError, match="needs a fitted weighter"):
        WeightDiagnosticsScorer()(
            LogisticRegression().fit(s.X_source, s.y_source), s.X_source, s.y_source
        )
