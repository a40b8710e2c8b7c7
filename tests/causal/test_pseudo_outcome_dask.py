"""Cross-fitting and R-loss model selection on a dask.distributed cluster."""

import joblib
import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold

from skreweight.causal import RLearner, cross_fit_nuisances
from skreweight.datasets import make_heterogeneous_effects
from skreweight.model_selection import r_loss_scorer

distributed = pytest.importorskip("dask.distributed")


def _run(d):
    """The R-learner, the nuisances and a GridSearchCV over the R-learner."""
    rl = RLearner(
        Ridge(), LogisticRegression(), Ridge(), cv=3, n_jobs=2, random_state=0
    )
    tau = rl.fit(d.X, d.y, treatment=d.treatment).predict(d.X)
    m_hat, e_hat = cross_fit_nuisances(
        d.X,
        d.y,
        d.treatment,
        Ridge(),
        LogisticRegression(),
        cv=3,
        n_jobs=2,
        random_state=0,
    )
    with sklearn.config_context(enable_metadata_routing=True):
        gs = GridSearchCV(
            rl,
            {"model_final__alpha": [0.1, 1e4]},
            scoring=r_loss_scorer,
            cv=KFold(2),
            n_jobs=2,
            error_score="raise",
        ).fit(d.X, d.y, treatment=d.treatment, m_hat=m_hat, e_hat=e_hat)
    return tau, m_hat, gs.cv_results_["mean_test_score"], gs.predict(d.X)


def test_dask_backend_gives_the_local_results():
    d = make_heterogeneous_effects("A", n_samples=300, random_state=0)
    with joblib.parallel_backend("threading"):  # loky start-up is slow on CI
        local = _run(d)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        with distributed.get_task_stream(client) as stream:
            with joblib.parallel_backend("dask"):
                remote = _run(d)
    # the folds and the search's fits did run as tasks on the cluster
    assert len(stream.data) >= 3 + 3 + 2 * 2
    for a, b in zip(local, remote):
        assert_allclose(a, b)
    assert np.all(np.isfinite(local[2]))
