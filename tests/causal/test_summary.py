"""summary(): one table of estimates, inference and weight diagnostics."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.linear_model import LinearRegression

from skreweight.causal import (
    DRLearner,
    EffectSummary,
    PseudoOutcomeRegressor,
    RLearner,
    WeightingEstimator,
)
from skreweight.datasets import make_kang_schafer
from skreweight.metrics import effective_sample_size, standardized_mean_difference
from skreweight.weighting import EntropyBalancing, PropensityWeighting


@pytest.fixture(scope="module")
def data():
    return make_kang_schafer(400, random_state=0)


def test_weighting_summary_matches_attributes(data):
    est = WeightingEstimator(PropensityWeighting(), estimand="ATE", method="dr")
    est.fit(data.X, data.y, treatment=data.treatment)
    table = est.summary(alpha=0.1)
    assert isinstance(table, pd.DataFrame) and isinstance(table, EffectSummary)
    assert list(table.index) == ["ATE"]
    row = table.loc["ATE"]
    assert row["estimate"] == pytest.approx(est.effect_)
    assert row["std_err"] == pytest.approx(est.stderr_)
    assert row["se_method"] == est.stderr_method_
    low, high = est.conf_int(0.1)
    assert (row["ci_lower"], row["ci_upper"]) == pytest.approx((low, high))
    z = est.effect_ / est.stderr_
    assert row["p_value"] == pytest.approx(2 * stats.norm.sf(abs(z)))
    t = data.treatment == 1
    assert row["n"] == 400 and row["n_treated"] == t.sum()
    assert row["ess_treated"] == pytest.approx(effective_sample_size(est.weights_[t]))
    assert row["ess_control"] == pytest.approx(est.arm_effective_sample_size_[1])
    smd = np.abs(standardized_mean_difference(data.X, data.treatment, est.weights_))
    assert row["max_abs_smd"] == pytest.approx(smd.max())
    assert row["worst_covariate"] == f"x{np.argmax(smd)}"


def test_summary_str_is_readable_and_names_the_se(data):
    est = WeightingEstimator(EntropyBalancing(), estimand="ATT")
    est.fit(data.X, data.y, treatment=data.treatment)
    text = str(est.summary())
    lines = text.splitlines()
    assert lines[0].startswith("WeightingEstimator: ATT by EntropyBalancing")
    assert "P>|z|" in text and "ESS treated" in text
    assert "stacked M-estimation sandwich" in text  # which standard error
    assert max(map(len, lines)) <= 100
    # entropy balancing matches the means: the worst SMD is ~0
    assert est.summary().loc["ATT", "max_abs_smd"] < 1e-4


def test_summary_says_when_the_se_fell_back(data):
    from sklearn.ensemble import RandomForestRegressor

    est = WeightingEstimator(
        EntropyBalancing(),
        method="dr",
        model_y=RandomForestRegressor(n_estimators=5, random_state=0),
    ).fit(data.X, data.y, treatment=data.treatment)
    table = est.summary()
    assert table["se_method"].iloc[0] == "sandwich_fixed"
    assert "fixed-weights sandwich was used" in str(table)


def test_summary_without_se(data):
    est = WeightingEstimator(se=None).fit(data.X, data.y, treatment=data.treatment)
    row = est.summary().iloc[0]
    assert np.isnan(row["std_err"]) and np.isnan(row["p_value"])
    assert "not computed" in str(est.summary())


def test_summary_alpha_is_validated(data):
    est = WeightingEstimator().fit(data.X, data.y, treatment=data.treatment)
    with pytest.raises(ValueError, match="alpha"):
        est.summary(alpha=1.5)


def test_drlearner_summary_ate_is_the_aipw_mean(data):
    est = DRLearner(cv=3, clip=0.02, random_state=0).fit(
        data.X, data.y, treatment=data.treatment
    )
    table = est.summary()
    assert list(table.index) == ["ATE", "ATO"]
    phi = est.pseudo_outcomes_
    n = phi.shape[0]
    assert table.loc["ATE", "estimate"] == pytest.approx(phi.mean())
    # HC1 SE of a mean: sd / sqrt(n) with the n / (n - 1) correction
    assert table.loc["ATE", "std_err"] == pytest.approx(phi.std(ddof=1) / np.sqrt(n))
    w = est.weights_
    assert table.loc["ATO", "estimate"] == pytest.approx(np.average(phi, weights=w))
    assert table.loc["ATE", "n"] == n


def test_rlearner_summary_is_robinson(data):
    est = RLearner(cv=3, clip=0.02, random_state=0).fit(
        data.X, data.y, treatment=data.treatment
    )
    table = est.summary()
    assert list(table.index) == ["ATO"]
    # the R-learner's constant effect: sum (A - e)(Y - m) / sum (A - e)^2
    r = data.treatment - est.propensity_
    theta = np.dot(r, data.y - est.outcome_) / np.dot(r, r)
    assert table.loc["ATO", "estimate"] == pytest.approx(theta)
    assert table.loc["ATO", "std_err"] > 0


def test_pseudo_outcome_summary_unweighted_and_continuous():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    dose = X[:, 0] + rng.normal(size=300)
    y = 2.0 * dose + X[:, 1] + rng.normal(size=300)
    est = PseudoOutcomeRegressor(model_t=LinearRegression(), cv=3, random_state=0).fit(
        X, y, treatment=dose
    )
    table = est.summary()
    assert list(table.index) == ["variance-weighted slope"]
    assert abs(table.iloc[0]["estimate"] - 2.0) < 4 * table.iloc[0]["std_err"]
    assert np.isnan(table.iloc[0]["ess_treated"])  # no arms for a dose
    est = PseudoOutcomeRegressor(weighting="none", clip=0.02, cv=3, random_state=0)
    t = (X[:, 0] + rng.normal(size=300) > 0).astype(int)
    est.fit(X, y, treatment=t)
    assert list(est.summary().index) == ["ATE"]


def test_ill_conditioned_sandwich_falls_back_and_says_so():
    import warnings

    from scipy.linalg import LinAlgWarning

    rng = np.random.RandomState(0)
    x = rng.normal(size=(300, 1))
    X = np.hstack([x, x + 1e-9 * rng.normal(size=(300, 1))])  # collinear
    t = (rng.uniform(size=300) < 0.4).astype(int)
    y = x[:, 0] + t + rng.normal(size=300)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        est = WeightingEstimator(EntropyBalancing()).fit(X, y, treatment=t)
    categories = [r.category for r in record]
    assert LinAlgWarning not in categories  # no bare rcond warning
    assert RuntimeWarning in categories
    assert est.stderr_method_ == "sandwich_fixed" and np.isfinite(est.stderr_)
    assert "fixed-weights sandwich was used" in str(est.summary())
