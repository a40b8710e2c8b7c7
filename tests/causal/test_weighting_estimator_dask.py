"""WeightingEstimator's bootstrap on a dask.distributed cluster."""

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.special import expit

from skreweight.causal import WeightingEstimator
from skreweight.weighting import CBPS, EntropyBalancing

distributed = pytest.importorskip("dask.distributed")


def _sim(n, seed):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 3))
    t = (rng.uniform(size=n) < expit(X @ [0.5, -0.5, 0.25])).astype(float)
    y = 1.0 + X @ [1.0, 2.0, -1.0] + t * (1.0 + 0.5 * X[:, 0]) + rng.normal(size=n)
    return X, y, t


@pytest.mark.parametrize(
    "weighter, method",
    [(EntropyBalancing(estimand="ATE"), "dr"), (CBPS(estimand="ATT"), "hajek")],
    ids=["eb-dr", "cbps-hajek"],
)
def test_dask_bootstrap_gives_the_local_standard_error(weighter, method):
    """The resamples are drawn before dispatch, so the backend cannot change them."""
    X, y, t = _sim(300, 0)
    kw = dict(method=method, se="bootstrap", n_bootstrap=16, random_state=0)
    local = WeightingEstimator(weighter, **kw).fit(X, y, treatment=t)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        with distributed.get_task_stream(client) as stream:
            with joblib.parallel_backend("dask"):
                remote = WeightingEstimator(weighter, n_jobs=2, **kw)
                remote.fit(X, y, treatment=t)
    # the refits did run as tasks on the cluster (joblib may batch them)
    assert len(stream.data) >= 2
    assert remote.stderr_method_ == "bootstrap"
    assert_allclose(remote.bootstrap_effects_, local.bootstrap_effects_)
    assert_allclose(remote.stderr_, local.stderr_)
    assert_allclose(remote.effect_, local.effect_)
