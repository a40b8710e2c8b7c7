"""Inference for a linear final model: HC1 intervals and the BLP table."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge

from skreweight.causal import DRLearner, RLearner
from skreweight.datasets import make_heterogeneous_effects


def _linear_effect_data(n, seed):
    # e = 0.5 (randomised), b(x) = x1, tau(x) = 1 + x0.
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 2))
    t = rng.binomial(1, 0.5, size=n).astype(float)
    y = X[:, 1] + t * (1 + X[:, 0]) + rng.normal(size=n)
    return X, y, t


def test_blp_of_linear_final_model_is_its_fit_with_hc1_errors():
    X, y, t = _linear_effect_data(500, 0)
    rl = RLearner(Ridge(), LogisticRegression(), LinearRegression(), random_state=0)
    rl.fit(X, y, treatment=t)
    table = rl.best_linear_projection()
    assert list(table.index) == ["intercept", "x0", "x1"]
    assert_allclose(table["coef"].iloc[0], rl.model_final_.intercept_, rtol=1e-8)
    assert_allclose(table["coef"].iloc[1:], rl.model_final_.coef_, rtol=1e-8)
    # Independent route: OLS of (y - m) on (t - e) [1, X], HC1 sandwich.
    r = t - rl.propensity_
    Z = r[:, None] * np.column_stack([np.ones(len(y)), X])
    u = (y - rl.outcome_) - Z @ table["coef"].to_numpy()
    bread = np.linalg.inv(Z.T @ Z)
    cov = bread @ (Z.T * u**2) @ Z @ bread * len(y) / (len(y) - 3)
    assert_allclose(table["std_err"], np.sqrt(np.diag(cov)), rtol=1e-6)
    lo, hi = table.columns[-2:]
    assert np.all(table[lo] < table["coef"]) and np.all(table["coef"] < table[hi])
    assert_allclose(table["p_value"].iloc[1], 0.0, atol=1e-6)  # slope 1 is clear


def test_blp_summarises_any_final_model_and_uses_feature_names():
    d = make_heterogeneous_effects("A", n_samples=400, random_state=0)
    X = pd.DataFrame(d.X, columns=[f"f{i}" for i in range(6)])
    dr = DRLearner(
        Ridge(),
        LogisticRegression(),
        HistGradientBoostingRegressor(max_iter=20),
        random_state=0,
    ).fit(X, d.y, treatment=d.treatment)
    table = dr.best_linear_projection(alpha=0.1)
    assert list(table.index) == ["intercept", *X.columns]
    assert "ci_lower_0.9" in table.columns
    with pytest.raises(TypeError, match="needs model_final=LinearRegression"):
        dr.effect_interval(X)


@pytest.mark.slow
def test_effect_interval_coverage():
    # 100 replications; the 95% interval of the slope (and of tau at a point)
    # should cover the truth in ~95% of them. With 100 draws the binomial
    # standard error is 2.2 points, so [0.87, 1] is a > 3-sigma band.
    x_new = np.array([[1.0, 0.0]])  # tau = 2
    cover_slope = cover_point = 0
    for seed in range(100):
        X, y, t = _linear_effect_data(300, seed)
        rl = RLearner(
            LinearRegression(),
            LogisticRegression(),
            LinearRegression(),
            cv=2,
            random_state=seed,
        ).fit(X, y, treatment=t)
        table = rl.best_linear_projection()
        lo, hi = table.iloc[1, -2], table.iloc[1, -1]
        cover_slope += lo <= 1.0 <= hi
        lo, hi = rl.effect_interval(x_new)
        cover_point += lo[0] <= 2.0 <= hi[0]
    assert 87 <= cover_slope <= 100
    assert 87 <= cover_point <= 100
