"""Tests of the weighted pseudo-outcome regressors (R-, DR-, Cov-learners)."""

import warnings

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsRegressor
from sklearn.tree import DecisionTreeClassifier

from skreweight.causal import (
    DRLearner,
    PseudoOutcomeRegressor,
    RLearner,
    cross_fit_nuisances,
)
from skreweight.datasets import make_heterogeneous_effects
from skreweight.exceptions import PositivityWarning
from skreweight.model_selection import r_loss


@pytest.fixture(scope="module")
def data_a():
    return make_heterogeneous_effects("A", n_samples=600, random_state=0)


def _linear_r(**kw):
    return RLearner(Ridge(), LogisticRegression(), LinearRegression(), **kw)


def test_rlearner_linear_final_is_the_r_loss_minimiser(data_a):
    """Weighted U regression with a linear model == argmin of the R-loss."""
    d = data_a
    rl = _linear_r(random_state=0).fit(d.X, d.y, treatment=d.treatment)
    m, e = rl.outcome_, rl.propensity_
    # R-loss minimiser: least squares of (y - m) on (t - e) * [1, X].
    Z = (d.treatment - e)[:, None] * np.column_stack([np.ones(len(d.y)), d.X])
    beta, *_ = np.linalg.lstsq(Z, d.y - m, rcond=None)
    assert_allclose(rl.model_final_.intercept_, beta[0], rtol=1e-8, atol=1e-10)
    assert_allclose(rl.model_final_.coef_, beta[1:], rtol=1e-8, atol=1e-10)
    # and no perturbation of the coefficients lowers the R-loss
    tau = rl.predict(d.X)
    best = r_loss(d.y, tau, treatment=d.treatment, m_hat=m, e_hat=e)
    rng = np.random.RandomState(0)
    for _ in range(5):
        tau_alt = tau + d.X @ rng.normal(scale=0.05, size=d.X.shape[1])
        assert r_loss(d.y, tau_alt, treatment=d.treatment, m_hat=m, e_hat=e) > best


def test_rlearner_pseudo_outcome_and_weights(data_a):
    d = data_a
    rl = _linear_r(random_state=0).fit(d.X, d.y, treatment=d.treatment)
    r = d.treatment - rl.propensity_
    assert_allclose(rl.pseudo_outcomes_, (d.y - rl.outcome_) / r)
    assert_allclose(rl.weights_, r**2 / np.mean(r**2))
    assert_allclose(rl.weights_.mean(), 1.0)
    # The weighted pseudo-outcome loss equals the R-loss for *any* tau.
    tau = np.random.RandomState(1).normal(size=len(d.y))
    lhs = np.mean(rl.weights_ * (rl.pseudo_outcomes_ - tau) ** 2) * np.mean(r**2)
    rhs = r_loss(
        d.y, tau, treatment=d.treatment, m_hat=rl.outcome_, e_hat=rl.propensity_
    )
    assert_allclose(lhs, rhs, rtol=1e-10)


def test_thin_classes_match_the_general_one(data_a):
    d = data_a
    kw = dict(random_state=3, cv=3)
    models = (Ridge(), LogisticRegression(), LinearRegression())
    pairs = [
        (RLearner(*models, **kw), PseudoOutcomeRegressor(*models, **kw)),
        (
            DRLearner(*models, weighting="none", **kw),
            PseudoOutcomeRegressor(
                *models, pseudo_outcome="DR", weighting="none", **kw
            ),
        ),
    ]
    for thin, general in pairs:
        a = thin.fit(d.X, d.y, treatment=d.treatment).predict(d.X)
        b = general.fit(d.X, d.y, treatment=d.treatment).predict(d.X)
        assert_allclose(a, b)
    assert "pseudo_outcome" not in RLearner().get_params()
    assert "weighting" in DRLearner().get_params()
    assert clone(RLearner(cv=3)).get_params()["cv"] == 3


@pytest.mark.parametrize("pseudo_outcome", ["U", "DR", "Cov"])
@pytest.mark.parametrize("weighting", ["ivw", "none"])
def test_constant_effect_recovered(pseudo_outcome, weighting):
    # Fisher's setup F: e(x) = x, tau = 1; logistic propensity is nearly right.
    # Mean prediction within 0.2 of 1: the standard error of the mean effect is
    # about 0.06 at n=2000 for the worst (unweighted U) combination.
    d = make_heterogeneous_effects("F", n_samples=2000, random_state=0)
    est = PseudoOutcomeRegressor(
        Ridge(),
        LogisticRegression(),
        LinearRegression(),
        pseudo_outcome=pseudo_outcome,
        weighting=weighting,
        random_state=0,
    ).fit(d.X, d.y, treatment=d.treatment)
    assert abs(est.predict(d.X).mean() - 1.0) < 0.2


def test_ivw_beats_unweighted_u_on_setup_a():
    # The unweighted U-learner divides by (A - e), tiny where e ~ A; Fisher's
    # table reports it 5-10 times worse than the R-learner on setup A.
    d = make_heterogeneous_effects("A", n_samples=1000, random_state=1)
    test = make_heterogeneous_effects("A", n_samples=1000, random_state=2)
    mse = {}
    for w in ("ivw", "none"):
        est = PseudoOutcomeRegressor(
            Ridge(),
            LogisticRegression(),
            LinearRegression(),
            weighting=w,
            random_state=0,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PositivityWarning)
            est.fit(d.X, d.y, treatment=d.treatment)
        mse[w] = np.mean((est.predict(test.X) - test.tau) ** 2)
    assert mse["ivw"] < mse["none"]
    assert mse["ivw"] < 0.1


def test_continuous_treatment_rlearner():
    # T = X0 + N(0, 1); Y = X1 + T (1 + 2 X0) + N(0, 1): tau(x) = 1 + 2 x0.
    rng = np.random.RandomState(0)
    n = 2000
    X = rng.normal(size=(n, 3))
    t = X[:, 0] + rng.normal(size=n)
    y = X[:, 1] + t * (1 + 2 * X[:, 0]) + rng.normal(size=n)
    rl = RLearner(LinearRegression(), LinearRegression(), random_state=0)
    rl.fit(X, y, treatment=t)
    # m(x) = E[Y|x] is quadratic in x0, so a linear model_y is misspecified,
    # but the R-learner is orthogonal to it: the error stays second order.
    assert_allclose(rl.model_final_.coef_, [2.0, 0.0, 0.0], atol=0.2)
    assert_allclose(rl.model_final_.intercept_, 1.0, atol=0.2)
    assert rl.n_clipped_ == 0


def test_continuous_treatment_needs_u_pseudo_outcome():
    rng = np.random.RandomState(0)
    X, t = rng.normal(size=(50, 2)), rng.normal(size=50)
    est = PseudoOutcomeRegressor(model_t=LinearRegression(), pseudo_outcome="DR")
    with pytest.raises(ValueError, match="must be binary"):
        est.fit(X, X[:, 0], treatment=t)


def test_sample_weight_multiplies_final_weights(data_a):
    d = data_a
    sw = np.random.RandomState(0).uniform(0.5, 2.0, size=len(d.y))
    rl = _linear_r(random_state=0).fit(
        d.X, d.y, treatment=d.treatment, sample_weight=sw
    )
    assert_allclose(np.average(rl.weights_, weights=sw), 1.0)
    knn = RLearner(model_final=KNeighborsRegressor())
    with pytest.raises(TypeError, match="does not accept sample_weight"):
        knn.fit(d.X, d.y, treatment=d.treatment)


def test_score_is_minus_r_loss_of_fold_averaged_nuisances(data_a):
    d = data_a
    rl = _linear_r(random_state=0).fit(d.X, d.y, treatment=d.treatment)
    m, e = rl._nuisances(d.X)
    expected = -r_loss(d.y, rl.predict(d.X), treatment=d.treatment, m_hat=m, e_hat=e)
    assert_allclose(rl.score(d.X, d.y, treatment=d.treatment), expected)
    with pytest.raises(ValueError, match="treatment is required"):
        rl.score(d.X, d.y)


def test_cross_fit_nuisances_matches_the_estimator(data_a):
    d = data_a
    m, e = cross_fit_nuisances(
        d.X, d.y, d.treatment, Ridge(), LogisticRegression(), random_state=0
    )
    rl = _linear_r(random_state=0, clip=0.0).fit(d.X, d.y, treatment=d.treatment)
    assert_allclose(m, rl.outcome_)
    assert_allclose(e, rl.propensity_)


def test_n_jobs_gives_identical_results(data_a):
    d = data_a
    a = _linear_r(random_state=0).fit(d.X, d.y, treatment=d.treatment)
    with joblib.parallel_backend("threading"):  # loky start-up is slow on CI
        b = _linear_r(random_state=0, n_jobs=2).fit(d.X, d.y, treatment=d.treatment)
    assert_allclose(a.predict(d.X), b.predict(d.X))


def test_explicit_splits_and_uncovered_rows(data_a):
    d = data_a
    n = len(d.y)
    half = np.arange(n) < n // 2
    folds = [
        (np.where(half)[0], np.where(~half)[0]),
        (np.where(~half)[0], np.where(half)[0]),
    ]
    _linear_r(cv=folds).fit(d.X, d.y, treatment=d.treatment)
    with pytest.raises(ValueError, match="no out-of-fold nuisance"):
        _linear_r(cv=folds[:1]).fit(d.X, d.y, treatment=d.treatment)


# ----------------------------------------------------------------- bad input
def test_missing_treatment_raises(data_a):
    d = data_a
    for est in (RLearner(), DRLearner(), PseudoOutcomeRegressor()):
        with pytest.raises(ValueError, match="treatment is required"):
            est.fit(d.X, d.y)


def test_constant_treatment_raises(data_a):
    d = data_a
    with pytest.raises(ValueError, match="no treated or no control"):
        RLearner().fit(d.X, d.y, treatment=np.ones(len(d.y)))
    with pytest.raises(ValueError, match="treatment is constant"):
        RLearner(model_t=LinearRegression()).fit(
            d.X, d.y, treatment=np.full(len(d.y), 2.5)
        )


def test_nan_in_y_raises(data_a):
    d = data_a
    y = d.y.copy()
    y[3] = np.nan
    with pytest.raises(ValueError, match="y contains NaN"):
        RLearner().fit(d.X, y, treatment=d.treatment)


def test_nan_in_treatment_raises(data_a):
    d = data_a
    t = d.treatment.copy()
    t[0] = np.nan
    with pytest.raises(ValueError, match="treatment contains NaN"):
        RLearner(model_t=LinearRegression()).fit(d.X, d.y, treatment=t)


def test_propensities_at_zero_and_one_warn_with_counts():
    # A deep tree separates the arms perfectly: every propensity is 0 or 1.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 2))
    t = (X[:, 0] > 0).astype(float)
    y = X[:, 1] + t + rng.normal(size=200)
    est = RLearner(model_t=DecisionTreeClassifier(random_state=0), random_state=0)
    with pytest.warns(PositivityWarning, match=r"200 of 200 rows .*200 exactly 0 or 1"):
        est.fit(X, y, treatment=t)
    assert est.n_clipped_ == 200
    assert est.propensity_.min() >= 0.01 and est.propensity_.max() <= 0.99
    with pytest.raises(ValueError, match="exactly 0 or 1 and clip=0"):
        RLearner(
            model_t=DecisionTreeClassifier(random_state=0), clip=0, random_state=0
        ).fit(X, y, treatment=t)


def test_no_warning_when_clipping_does_not_bite(data_a, recwarn):
    d = make_heterogeneous_effects("B", n_samples=300, random_state=0)
    est = _linear_r(random_state=0).fit(d.X, d.y, treatment=d.treatment)
    assert est.n_clipped_ == 0
    assert not [w for w in recwarn if issubclass(w.category, PositivityWarning)]


def test_fold_without_both_arms_raises():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 2))
    t = np.r_[np.ones(20), np.zeros(20)]
    folds = [(np.arange(20), np.arange(20, 40)), (np.arange(20, 40), np.arange(20))]
    with pytest.raises(ValueError, match="contains only treatment"):
        RLearner(cv=folds).fit(X, X[:, 0], treatment=t)


def test_treatment_requested_by_default_in_fit_and_score():
    for est in (RLearner(), DRLearner(), PseudoOutcomeRegressor()):
        req = est.get_metadata_routing()
        assert req.fit.requests["treatment"] is True
        assert req.score.requests["treatment"] is True
        assert req.fit.requests["sample_weight"] is None  # sklearn's default


def test_inputs_not_mutated_and_pandas_input(data_a):
    import pandas as pd

    d = data_a
    X, y, t = d.X.copy(), d.y.copy(), d.treatment.copy()
    a = _linear_r(random_state=0).fit(X, y, treatment=t)
    assert_allclose(X, d.X)
    assert_allclose(y, d.y)
    assert_allclose(t, d.treatment)
    Xdf = pd.DataFrame(X, columns=[f"c{i}" for i in range(X.shape[1])])
    b = _linear_r(random_state=0).fit(Xdf, pd.Series(y), treatment=pd.Series(t))
    assert_allclose(a.predict(X), b.predict(Xdf))
    assert list(b.feature_names_in_) == list(Xdf.columns)


def test_model_final_default_follows_the_sklearn_rule():
    # None is resolved in fit; a search over the default's parameters names
    # the estimator explicitly, and then works
    from sklearn.linear_model import LinearRegression
    from sklearn.model_selection import GridSearchCV

    from skreweight.causal import RLearner
    from skreweight.datasets import make_heterogeneous_effects

    d = make_heterogeneous_effects("A", n_samples=120, random_state=0)
    est = RLearner(cv=2, random_state=0).fit(d.X, d.y, treatment=d.treatment)
    assert est.model_final is None
    assert isinstance(est.model_final_, LinearRegression)
    search = GridSearchCV(
        RLearner(model_final=LinearRegression(), cv=2, random_state=0),
        {"model_final__fit_intercept": [True, False]},
        cv=2,
    )
    search.fit(d.X, d.y, treatment=d.treatment)
    assert search.best_params_["model_final__fit_intercept"] in (True, False)
