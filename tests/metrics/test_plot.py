"""Tests of the Displays: the plotted data must be the diagnostics."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

from skreweight.compose import ReweightedClassifier
from skreweight.datasets import make_covariate_shift
from skreweight.metrics import (
    LovePlotDisplay,
    WeightDistributionDisplay,
    effective_sample_size,
    standardized_mean_difference,
)
from skreweight.weighting import ClassBalance, ClassifierDensityRatio, GroupBalance

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")


@pytest.fixture
def shift_data():
    return make_covariate_shift(n_source=200, n_target=150, random_state=0)


# ------------------------------------------------- WeightDistributionDisplay
def test_weight_distribution_from_weights_bars_are_the_histogram(rng):
    w = rng.exponential(size=300)
    display = WeightDistributionDisplay.from_weights(w, bins=20, name="expo")
    counts, edges = np.histogram(w, bins=20)
    heights = [patch.get_height() for patch in display.bars_]
    lefts = [patch.get_x() for patch in display.bars_]
    assert_allclose(heights, counts)
    assert_allclose(lefts, edges[:-1])
    assert display.effective_sample_size == pytest.approx(effective_sample_size(w))
    assert display.max_weight_share == pytest.approx(w.max() / w.sum())
    assert_allclose(display.mean_line_.get_xdata(), [w.mean(), w.mean()])
    ess = effective_sample_size(w)
    assert f"ESS = {ess:.1f} of 300" in display.text_.get_text()
    assert "degenerate" not in display.text_.get_text()
    assert display.ax_.get_title() == "Weight distribution: expo"
    assert display.figure_ is display.ax_.figure


def test_weight_distribution_uses_given_ax_and_flags_degeneracy():
    fig, ax = plt.subplots()
    w = np.r_[np.full(99, 1e-3), 100.0]
    display = WeightDistributionDisplay.from_weights(w, ax=ax, log_scale=True)
    assert display.ax_ is ax and display.figure_ is fig
    assert ax.get_yscale() == "log"
    assert "degenerate" in display.text_.get_text()


def test_weight_distribution_from_weighter_uses_its_diagnostics():
    X = np.zeros((8, 1))
    y = np.array([0, 0, 0, 0, 0, 0, 1, 1])
    sw = np.array([1, 2, 1, 1, 1, 1, 1, 3], dtype=float)
    cb = ClassBalance().fit(X, y, sample_weight=sw)
    display = WeightDistributionDisplay.from_weighter(cb)
    assert_allclose(display.weights, cb.weights_)
    # The weighter's ESS accounts for sample_weight; the display reports it.
    assert display.effective_sample_size == cb.effective_sample_size_
    assert display.max_weight_share == cb.max_weight_share_
    assert sum(p.get_height() for p in display.bars_) == 8
    assert display.ax_.get_title() == "Weight distribution: ClassBalance"


def test_weight_distribution_from_meta_estimator(shift_data):
    d = shift_data
    clf = ReweightedClassifier(ClassifierDensityRatio(), LogisticRegression())
    clf.fit(d.X_source, d.y_source, X_target=d.X_target)
    display = WeightDistributionDisplay.from_weighter(clf)
    assert_allclose(display.weights, clf.weighter_.weights_)
    assert "ClassifierDensityRatio" in display.ax_.get_title()


def test_weight_distribution_from_weighter_errors():
    with pytest.raises(TypeError, match="expects a skreweight weighter"):
        WeightDistributionDisplay.from_weighter(LogisticRegression())
    with pytest.raises(NotFittedError):
        WeightDistributionDisplay.from_weighter(ClassBalance())
    with pytest.raises(ValueError, match="Negative"):
        WeightDistributionDisplay.from_weights([1.0, -1.0])


# --------------------------------------------------------- LovePlotDisplay
def test_love_plot_from_weights_plots_the_smds(rng):
    X = rng.normal(size=(80, 3))
    ind = np.r_[np.zeros(40), np.ones(40)]
    X[ind == 1] += [0.8, -0.3, 0.0]
    w = rng.uniform(0.5, 2.0, size=80)
    display = LovePlotDisplay.from_weights(X, ind, w, feature_names=["a", "b", "c"])
    before = standardized_mean_difference(X, ind)
    after = standardized_mean_difference(X, ind, w)
    assert_allclose(display.smd_unweighted, before)
    assert_allclose(display.smd_weighted, after)
    assert_allclose(display.unweighted_line_.get_xdata(), np.abs(before))
    assert_allclose(display.weighted_line_.get_xdata(), np.abs(after))
    # First covariate on top.
    assert_allclose(display.weighted_line_.get_ydata(), [2, 1, 0])
    labels = [t.get_text() for t in display.ax_.get_yticklabels()]
    assert labels == ["a", "b", "c"]
    assert_allclose(display.threshold_line_.get_xdata(), [0.1, 0.1])
    assert display.figure_ is display.ax_.figure


def test_love_plot_signed_and_dataframe():
    X = pd.DataFrame({"age": [0.0, 2.0, 1.0, 3.0], "bmi": [1.0, 0.0, 0.0, 1.0]})
    ind = [0, 0, 1, 1]
    w = [1.0, 3.0, 1.0, 1.0]
    display = LovePlotDisplay.from_weights(X, ind, w, absolute=False, threshold=0.2)
    # age: means 1 vs 2 -> 1.5 vs 2 (weighted); pooled sd 1 -> SMD 1.0 and 0.5.
    assert_allclose(display.unweighted_line_.get_xdata(), [1.0, 0.0])
    assert_allclose(display.weighted_line_.get_xdata()[0], 0.5)
    assert [t.get_text() for t in display.ax_.get_yticklabels()] == ["age", "bmi"]
    assert_allclose(display.threshold_line_.get_xdata(), [0.2, 0.2])


def test_love_plot_from_estimator_covariate_shift(shift_data):
    d = shift_data
    cdr = ClassifierDensityRatio().fit(d.X_source, X_target=d.X_target)
    X = np.vstack([d.X_source, d.X_target])
    ind = np.r_[np.zeros(200), np.ones(150)]
    display = LovePlotDisplay.from_estimator(cdr, X, ind)
    # Source rows get the density ratio, target rows weight 1.
    w = np.r_[cdr.weights_, np.ones(150)]
    assert_allclose(display.smd_weighted, standardized_mean_difference(X, ind, w))
    assert_allclose(display.smd_unweighted, standardized_mean_difference(X, ind))
    # The shift is along x0: the weights must shrink that imbalance.
    assert abs(display.smd_weighted[0]) < 0.5 * abs(display.smd_unweighted[0])
    assert "ClassifierDensityRatio" in display.weighted_line_.get_label()


def test_love_plot_from_estimator_in_sample_weights(rng):
    X = rng.normal(size=(30, 2))
    g = np.r_[np.zeros(10, dtype=int), np.ones(20, dtype=int)]
    gb = GroupBalance().fit(X, sample_group=g)
    display = LovePlotDisplay.from_estimator(gb, X, g)
    assert_allclose(
        display.smd_weighted, standardized_mean_difference(X, g, gb.weights_)
    )
    with pytest.raises(ValueError, match="cannot compute weights for these rows"):
        LovePlotDisplay.from_estimator(gb, X[:12], g[:12])


def test_love_plot_bad_feature_names():
    with pytest.raises(ValueError, match="one name per column"):
        LovePlotDisplay.from_weights(
            np.zeros((4, 2)), [0, 0, 1, 1], None, feature_names=["a"]
        )


# ------------------------------------------------------- optional matplotlib
def test_missing_matplotlib_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install skreweight\[plot\]"):
        WeightDistributionDisplay.from_weights([1.0, 2.0])
    with pytest.raises(ImportError, match=r"pip install skreweight\[plot\]"):
        LovePlotDisplay.from_weights(np.zeros((4, 1)), [0, 0, 1, 1], None)


def test_import_metrics_does_not_import_matplotlib():
    code = (
        "import sys, skreweight.metrics; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported eagerly'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
