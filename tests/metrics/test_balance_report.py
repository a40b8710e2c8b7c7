"""balance_report: one call, any weighter, before/after table and love plot."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from skreweight.causal import WeightingEstimator
from skreweight.datasets import make_covariate_shift, make_kang_schafer
from skreweight.metrics import (
    BalanceReport,
    LovePlotDisplay,
    balance_report,
    balance_table,
)
from skreweight.weighting import ClassBalance, ClassifierDensityRatio, EntropyBalancing


def test_causal_report_matches_balance_table():
    data = make_kang_schafer(300, random_state=0)
    eb = EntropyBalancing(estimand="ATE").fit(data.X, treatment=data.treatment)
    report = balance_report(eb, data.X, treatment=data.treatment)
    assert isinstance(report, BalanceReport)
    expected = balance_table(data.X, data.treatment, eb.weights_)
    pd.testing.assert_frame_equal(report.table.drop(columns="balanced"), expected)
    assert report.table["balanced"].all()  # entropy balancing matches means
    assert report.max_abs_smd[1] < 1e-4 < report.max_abs_smd[0]
    assert isinstance(report.display, LovePlotDisplay)
    text = str(report)
    assert "control vs treated under EntropyBalancing" in text
    assert f"{len(expected)} of {len(expected)} covariates balanced" in text
    plt.close("all")


def test_meta_estimator_and_dataframe_names():
    data = make_kang_schafer(300, random_state=1)
    X = pd.DataFrame(data.X, columns=["a", "b", "c", "d"])
    est = WeightingEstimator(EntropyBalancing(), estimand="ATT")
    est.fit(X, data.y, treatment=data.treatment)
    report = balance_report(est, X, treatment=data.treatment, plot=False)
    assert list(report.table.index) == ["a", "b", "c", "d"]
    assert report.display is None
    np.testing.assert_allclose(report.weights, est.weights_)


def test_covariate_shift_report_compares_source_with_target():
    d = make_covariate_shift(n_source=300, n_target=300, random_state=0)
    cdr = ClassifierDensityRatio().fit(d.X_source, X_target=d.X_target)
    report = balance_report(cdr, d.X_source, X_target=d.X_target, plot=False)
    assert report.groups == ("source", "target")
    assert report.weights.shape == (600,)
    np.testing.assert_allclose(report.weights[300:], 1.0)
    np.testing.assert_allclose(report.weights[:300], cdr.compute_weights(d.X_source))
    before, after = report.max_abs_smd
    assert after < before
    with pytest.raises(ValueError, match="X_target"):
        balance_report(cdr, d.X_source)


def test_other_weighters_take_an_indicator():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = (rng.uniform(size=200) < 0.2).astype(int)
    X[y == 1] += 1.0
    cb = ClassBalance().fit(X, y)
    report = balance_report(cb, X, y, plot=False)
    assert report.groups == ("0", "1")
    np.testing.assert_allclose(report.weights, cb.weights_)
    with pytest.raises(ValueError, match="indicator"):
        balance_report(cb, X)


def test_causal_report_requires_treatment():
    data = make_kang_schafer(100, random_state=0)
    eb = EntropyBalancing().fit(data.X, treatment=data.treatment)
    with pytest.raises(ValueError, match="treatment"):
        balance_report(eb, data.X)
    with pytest.raises(TypeError, match="balance_report"):
        balance_report(object(), data.X)
