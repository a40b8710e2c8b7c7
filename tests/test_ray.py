"""The joblib Ray backend: cross-fitting, the bootstrap and a grid search.

One local Ray instance (2 CPUs) is started for the module and stopped after
it. Each test checks that the result under Ray equals the local one; the
grid search also records the id of the process that scored each candidate,
to show the fits left this process.
"""

import os

import joblib
import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from skreweight.causal import RLearner, WeightingEstimator
from skreweight.compose import ReweightedClassifier
from skreweight.datasets import make_covariate_shift, make_kang_schafer
from skreweight.weighting import ClassifierDensityRatio, EntropyBalancing

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def ray_backend():
    from ray.util.joblib import register_ray

    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
    )
    register_ray()
    yield
    ray.shutdown()


@pytest.mark.filterwarnings("ignore::skreweight.exceptions.PositivityWarning")
def test_cross_fitting_on_ray(ray_backend):
    d = make_kang_schafer(300, random_state=0)
    kw = dict(cv=3, clip=0.02, random_state=0)
    local = RLearner(**kw).fit(d.X, d.y, treatment=d.treatment)
    with joblib.parallel_backend("ray"):
        remote = RLearner(n_jobs=2, **kw).fit(d.X, d.y, treatment=d.treatment)
    assert_allclose(remote.propensity_, local.propensity_)
    assert_allclose(remote.predict(d.X), local.predict(d.X))


def test_bootstrap_on_ray(ray_backend):
    d = make_kang_schafer(300, random_state=1)
    kw = dict(estimand="ATT", se="bootstrap", n_bootstrap=8, random_state=0)
    local = WeightingEstimator(EntropyBalancing(), **kw)
    local.fit(d.X, d.y, treatment=d.treatment)
    with joblib.parallel_backend("ray"):
        remote = WeightingEstimator(EntropyBalancing(), n_jobs=2, **kw)
        remote.fit(d.X, d.y, treatment=d.treatment)
    assert_allclose(remote.bootstrap_effects_, local.bootstrap_effects_)
    assert remote.stderr_ == pytest.approx(local.stderr_)


def test_grid_search_over_a_weighter_on_ray(ray_backend):
    s = make_covariate_shift(n_source=200, n_target=200, random_state=0)
    model = ReweightedClassifier(
        ClassifierDensityRatio(LogisticRegression()), LogisticRegression()
    )

    def _pid(estimator, X, y, **kwargs):  # local: pickled by value to the workers
        return float(os.getpid())

    grid = {"weighter__estimator__C": [0.01, 1.0], "weighter__clip": [0.0, 0.05]}

    def search(n_jobs):
        with sklearn.config_context(enable_metadata_routing=True):
            gs = GridSearchCV(
                model,
                grid,
                scoring={"accuracy": "accuracy", "pid": _pid},
                refit="accuracy",
                cv=2,
                n_jobs=n_jobs,
                error_score="raise",
            )
            return gs.fit(s.X_source, s.y_source, X_target=(s.X_target,))

    local = search(None)
    with joblib.parallel_backend("ray"):
        remote = search(2)
    assert_allclose(
        remote.cv_results_["mean_test_accuracy"],
        local.cv_results_["mean_test_accuracy"],
    )
    assert remote.best_params_ == local.best_params_
    res = remote.cv_results_
    pids = np.r_[res["split0_test_pid"], res["split1_test_pid"]]
    assert os.getpid() not in set(pids.astype(int))  # scored in Ray workers
