"""The R-loss metric, its scorer, and model selection with fixed nuisances."""

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skreweight.causal import RLearner, cross_fit_nuisances
from skreweight.datasets import make_heterogeneous_effects
from skreweight.model_selection import r_loss, r_loss_scorer


@pytest.fixture(scope="module")
def data():
    d = make_heterogeneous_effects("A", n_samples=400, random_state=0)
    d.m_hat, d.e_hat = cross_fit_nuisances(
        d.X, d.y, d.treatment, Ridge(), LogisticRegression(), random_state=0
    )
    return d


def test_r_loss_closed_form():
    y, tau, t = np.array([1.0, 0.0, 2.0]), np.array([2.0, 2.0, 0.0]), [1, 0, 1]
    m, e = np.array([0.0, 0.0, 1.0]), np.array([0.5, 0.5, 0.25])
    # residuals: (1 - 0) - 0.5 * 2 = 0; (0 - 0) + 0.5 * 2 = 1; (2 - 1) - 0 = 1
    assert r_loss(y, tau, treatment=t, m_hat=m, e_hat=e) == pytest.approx(2 / 3)
    assert r_loss(
        y, tau, treatment=t, m_hat=m, e_hat=e, sample_weight=[1, 0, 3]
    ) == pytest.approx(3 / 4)


def test_r_loss_bad_input():
    ok = dict(treatment=[0, 1], m_hat=[0, 0], e_hat=[0.5, 0.5])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        r_loss([1.0, 2.0, 3.0], [0.0, 0.0, 0.0], **ok)
    with pytest.raises(ValueError, match="m_hat contains NaN"):
        r_loss(
            [1.0, 2.0],
            [0.0, 0.0],
            treatment=[0, 1],
            m_hat=[np.nan, 0],
            e_hat=[0.5, 0.5],
        )


def test_scorer_is_minus_r_loss_and_raises_without_metadata(data):
    d = data
    rl = RLearner(Ridge(), LogisticRegression(), random_state=0)
    rl.fit(d.X, d.y, treatment=d.treatment)
    score = r_loss_scorer(
        rl, d.X, d.y, treatment=d.treatment, m_hat=d.m_hat, e_hat=d.e_hat
    )
    expected = r_loss(
        d.y, rl.predict(d.X), treatment=d.treatment, m_hat=d.m_hat, e_hat=d.e_hat
    )
    assert score == pytest.approx(-expected)
    with pytest.raises(ValueError, match=r"needs \['m_hat', 'e_hat'\]"):
        r_loss_scorer(rl, d.X, d.y, treatment=d.treatment)
    req = r_loss_scorer.get_metadata_routing()
    assert set(req.score.requests) == {"treatment", "m_hat", "e_hat"}


def _grid(estimator, param, scoring):
    return GridSearchCV(
        estimator,
        {param: [0.01, 10.0, 1e5]},
        scoring=scoring,
        cv=KFold(3),
        error_score="raise",
    )


def test_grid_search_r_loss_scorer_with_fixed_nuisances(data):
    d = data
    rl = RLearner(Ridge(), LogisticRegression(), Ridge(), cv=3, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        gs = _grid(rl, "model_final__alpha", r_loss_scorer)
        gs.fit(d.X, d.y, treatment=d.treatment, m_hat=d.m_hat, e_hat=d.e_hat)
    scores = gs.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores))
    # A huge ridge penalty shrinks tau(x) to ~0 (the true mean effect is 0.5):
    # it must lose.
    assert gs.best_params_["model_final__alpha"] != 1e5
    assert scores[2] < scores[:2].max()
    # The search sliced treatment, m_hat and e_hat with X: recompute a fold.
    train, test = next(KFold(3).split(d.X))
    est = RLearner(
        Ridge(), LogisticRegression(), Ridge(alpha=10.0), cv=3, random_state=0
    )
    est.fit(d.X[train], d.y[train], treatment=d.treatment[train])
    manual = -r_loss(
        d.y[test],
        est.predict(d.X[test]),
        treatment=d.treatment[test],
        m_hat=d.m_hat[test],
        e_hat=d.e_hat[test],
    )
    assert_allclose(gs.cv_results_["split0_test_score"][1], manual)


def test_grid_search_in_a_pipeline_and_default_score(data):
    d = data
    pipe = make_pipeline(
        StandardScaler(),
        RLearner(Ridge(), LogisticRegression(), Ridge(), cv=3, random_state=0),
    )
    with sklearn.config_context(enable_metadata_routing=True):
        gs = _grid(pipe, "rlearner__model_final__alpha", r_loss_scorer)
        gs.fit(d.X, d.y, treatment=d.treatment, m_hat=d.m_hat, e_hat=d.e_hat)
        assert gs.best_params_["rlearner__model_final__alpha"] != 1e5
        # scoring=None: the estimator's own score (-R-loss, plug-in nuisances)
        # receives treatment, which it requests by default.
        gs_default = _grid(pipe, "rlearner__model_final__alpha", None)
        gs_default.fit(d.X, d.y, treatment=d.treatment)
    assert np.all(np.isfinite(gs_default.cv_results_["mean_test_score"]))
    assert gs_default.best_params_["rlearner__model_final__alpha"] != 1e5
    assert gs.predict(d.X[:5]).shape == (5,)


def test_grid_search_without_routing_raises_instead_of_nan(data):
    # Routing off: the scorer gets no metadata. With error_score="raise" the
    # search fails loudly instead of picking candidate 0 among NaNs.
    d = data
    rl = RLearner(Ridge(), LogisticRegression(), Ridge(), cv=3, random_state=0)
    gs = _grid(rl, "model_final__alpha", r_loss_scorer)
    with pytest.raises(ValueError, match="enable metadata routing"):
        gs.fit(d.X, d.y, treatment=d.treatment)
