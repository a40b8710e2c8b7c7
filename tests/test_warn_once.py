"""A search warns once per estimator and condition; diagnostics_ keeps every fit's."""

import warnings

import numpy as np
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from skreweight.base import WeightDiagnostics
from skreweight.compose import ReweightedClassifier
from skreweight.datasets import make_covariate_shift
from skreweight.exceptions import WeightDegeneracyWarning
from skreweight.model_selection import WeightDiagnosticsScorer
from skreweight.utils import _warnings
from skreweight.weighting import ClassifierDensityRatio

GRID = {"weighter__clip": [0.0, 1e-4, 1e-3, 1e-2]}  # 4 candidates x 3 folds


@pytest.fixture
def fresh(monkeypatch):
    """Nothing shown yet, and Python's default action for UserWarnings."""
    monkeypatch.setattr(_warnings, "_SHOWN", set())
    with warnings.catch_warnings(record=True) as shown:
        warnings.resetwarnings()
        warnings.simplefilter("default")
        yield shown


def _search(scoring=None):
    s = make_covariate_shift(n_source=150, n_target=150, shift=3.0, random_state=0)
    model = ReweightedClassifier(ClassifierDensityRatio(), LogisticRegression())
    with sklearn.config_context(enable_metadata_routing=True):
        return GridSearchCV(
            model, GRID, cv=3, scoring=scoring, refit="score" if scoring else True
        ).fit(s.X_source, s.y_source, X_target=(s.X_target,))


def test_search_warns_once_per_condition(fresh):
    gs = _search(WeightDiagnosticsScorer("accuracy"))
    shown = [w for w in fresh if w.category is WeightDegeneracyWarning]
    conditions = {_warnings.condition(w.category, w.message) for w in shown}
    assert 1 <= len(shown) == len(conditions) <= 2, [str(w.message) for w in shown]
    assert all(
        "Shown once per estimator and condition" in str(w.message) for w in shown
    )
    assert all(w.filename == __file__ for w in shown)  # the caller's line
    # every fit's warnings stay on record: the unclipped folds warned each time
    n_warned = gs.cv_results_["mean_test_n_weight_warnings"]
    assert n_warned[0] >= 1 and n_warned[0] >= n_warned[-1]
    diag = gs.best_estimator_.diagnostics_
    assert isinstance(diag, WeightDiagnostics)
    assert diag.ess_ratio == gs.best_estimator_.weighter_.ess_ratio_


def test_always_and_error_filters_see_every_fit(fresh):
    warnings.simplefilter("always")
    _search()
    degenerate = [w for w in fresh if w.category is WeightDegeneracyWarning]
    assert len(degenerate) >= 4  # unclipped folds and refit, each shown
    assert not any("Shown once" in str(w.message) for w in degenerate)
    warnings.simplefilter("error", WeightDegeneracyWarning)
    s = make_covariate_shift(n_source=150, n_target=150, shift=3.0, random_state=0)
    for _ in range(2):  # raised every time, not once
        with pytest.raises(WeightDegeneracyWarning):
            ClassifierDensityRatio().fit(s.X_source, X_target=s.X_target)


def test_weighter_diagnostics_record_the_fit(fresh):
    s = make_covariate_shift(n_source=150, n_target=150, shift=3.0, random_state=0)
    first = ClassifierDensityRatio().fit(s.X_source, X_target=s.X_target)
    second = ClassifierDensityRatio().fit(s.X_source, X_target=s.X_target)
    assert len([w for w in fresh if w.category is WeightDegeneracyWarning]) >= 1
    for w in (first, second):  # the second fit was quiet, its record is not
        d = w.diagnostics_
        assert d.warnings and all("WeightDegeneracyWarning" in m for m in d.warnings)
        assert d.n_samples == 150
        np.testing.assert_allclose(
            d.effective_sample_size,
            w.weights_.sum() ** 2 / (w.weights_**2).sum(),
            rtol=1e-12,
        )
        assert "warnings:" in str(d)
    assert first.diagnostics_.warnings == second.diagnostics_.warnings
