"""Benchmark: wall time of parallel work on 1, 2 and 4 workers, per joblib backend.

Procedure
---------
- Workloads (each is 16 independent fits, dispatched by joblib with
  ``n_jobs = workers``):
  * ``bootstrap``: ``WeightingEstimator(EntropyBalancing(), method="dr",
    model_y=HistGradientBoostingRegressor(max_iter=15))`` with
    ``se="bootstrap", n_bootstrap=16`` on ``make_kang_schafer(600)``;
  * ``grid search``: ``GridSearchCV`` over ``ReweightedClassifier(
    ClassifierDensityRatio(HistGradientBoostingClassifier(max_iter=15)),
    LogisticRegression())``, 4 candidates (``weighter__clip`` x
    ``weighter__estimator__learning_rate``) x 4 folds, on
    ``make_covariate_shift(600, 600)`` with ``X_target=(X_target,)``.
- Backends: joblib's ``loky`` (processes on this machine), dask
  ``LocalCluster(n_workers=k, threads_per_worker=1)`` and a local Ray
  instance ``ray.init(num_cpus=k)``, both through
  ``joblib.parallel_backend``. Cluster start-up is not timed; one untimed
  warm-up run per (backend, workers) loads the libraries in the workers.
- Wall time with ``time.perf_counter``, median of ``--repeats`` runs;
  BLAS/OpenMP pinned to 1 thread per process. The 1-minute load average is
  printed: the machine is shared, so read the times as ratios to the
  1-worker time of the same backend.

Usage::

    python benchmarks/bench_scaling.py --repeats 1
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from contextlib import contextmanager  # noqa: E402

import joblib  # noqa: E402
import sklearn  # noqa: E402
from sklearn.ensemble import (  # noqa: E402
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

from skreweight.causal import WeightingEstimator  # noqa: E402
from skreweight.compose import ReweightedClassifier  # noqa: E402
from skreweight.datasets import make_covariate_shift, make_kang_schafer  # noqa: E402
from skreweight.weighting import ClassifierDensityRatio, EntropyBalancing  # noqa: E402


def bootstrap(n_jobs):
    d = make_kang_schafer(600, random_state=0)
    est = WeightingEstimator(
        EntropyBalancing(),
        method="dr",
        model_y=HistGradientBoostingRegressor(max_iter=15, random_state=0),
        se="bootstrap",
        n_bootstrap=16,
        n_jobs=n_jobs,
        random_state=0,
    )
    return est.fit(d.X, d.y, treatment=d.treatment).stderr_


def grid_search(n_jobs):
    s = make_covariate_shift(n_source=600, n_target=600, random_state=0)
    model = ReweightedClassifier(
        ClassifierDensityRatio(HistGradientBoostingClassifier(max_iter=15)),
        LogisticRegression(),
    )
    grid = {
        "weighter__clip": [0.0, 0.05],
        "weighter__estimator__learning_rate": [0.05, 0.2],
    }
    with sklearn.config_context(enable_metadata_routing=True):
        gs = GridSearchCV(model, grid, cv=4, n_jobs=n_jobs, error_score="raise")
        gs.fit(s.X_source, s.y_source, X_target=(s.X_target,))
    return gs.best_score_


WORKLOADS = {"bootstrap": bootstrap, "grid search": grid_search}


@contextmanager
def backend(name, workers):
    if name == "loky":
        with joblib.parallel_backend("loky"):
            yield
    elif name == "dask":
        from dask.distributed import Client, LocalCluster

        with (
            LocalCluster(
                n_workers=workers, threads_per_worker=1, dashboard_address=None
            ) as cluster,
            Client(cluster),
            joblib.parallel_backend("dask"),
        ):
            yield
    elif name == "ray":
        import ray
        from ray.util.joblib import register_ray

        ray.init(
            num_cpus=workers,
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
        )
        register_ray()
        try:
            with joblib.parallel_backend("ray"):
                yield
        finally:
            ray.shutdown()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--backends", default="loky,dask,ray")
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    workers_list = [int(w) for w in args.workers.split(",")]
    rows = []
    for name in args.backends.split(","):
        for workers in workers_list:
            with backend(name, workers):
                for label, func in WORKLOADS.items():
                    func(workers)  # warm-up
                    times = []
                    for _ in range(args.repeats):
                        start = time.perf_counter()
                        func(workers)
                        times.append(time.perf_counter() - start)
                    rows.append((label, name, workers, statistics.median(times)))
                    print(
                        f"{label:12s} {name:5s} {workers} workers: "
                        f"{rows[-1][3]:.2f} s (load {os.getloadavg()[0]:.1f})",
                        flush=True,
                    )
    import dask
    import ray

    print(
        f"\nskreweight {__import__('skreweight').__version__}, scikit-learn "
        f"{sklearn.__version__}, joblib {joblib.__version__}, dask "
        f"{dask.__version__}, ray {ray.__version__}; {os.cpu_count()} CPUs"
    )
    print(
        "\n| workload | backend | "
        + " | ".join(f"{w} workers" for w in workers_list)
        + " | speed-up at 2 |"
    )
    print("|---|---|" + "---|" * len(workers_list) + "---|")
    for label in WORKLOADS:
        for name in args.backends.split(","):
            t = {w: s for lab, b, w, s in rows if lab == label and b == name}
            cells = " | ".join(f"{t[w]:.2f} s" for w in workers_list)
            speed = t[1] / t[2] if 1 in t and 2 in t else float("nan")
            print(f"| {label} | {name} | {cells} | {speed:.2f}x |")


if __name__ == "__main__":
    main()
