"""Overhead of the meta-estimator layer (issue: ReweightedClassifier <= +5 %).

Procedure: for each (weighter, inner estimator, n), time
  direct: w = weighter.fit_compute_weights(X, y, ...)
          estimator.fit(X, y, sample_weight=w)
  meta:   ReweightedClassifier(weighter, estimator).fit(X, y, ...)
on the same data (make_classification, 20 features, seed 0; target rows for the
density ratio: the same generator shifted by +0.5 on every feature, seed 1),
after one untimed warm-up each, alternating the two, 21 repetitions, medians.
Single-threaded BLAS. The ratio uses process CPU time (time.process_time), which a
busy neighbour on a shared 2-core machine barely disturbs; wall times are recorded
too, with the 1-minute load average. One JSON line per record in
benchmarks/out/foundation.jsonl.

Run: python benchmarks/bench_foundation.py
"""

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import json  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

import skreweight  # noqa: E402
from skreweight.compose import ReweightedClassifier  # noqa: E402
from skreweight.weighting import ClassBalance, ClassifierDensityRatio  # noqa: E402

REPEATS = 21


def direct(weighter, estimator, X, y, ctx):
    w = clone(weighter).fit_compute_weights(X, y, **ctx)
    clone(estimator).fit(X, y, sample_weight=w)


def meta(weighter, estimator, X, y, ctx):
    ReweightedClassifier(weighter, estimator).fit(X, y, **ctx)


def timed(fn, *args):
    t0, c0 = time.perf_counter(), time.process_time()
    fn(*args)
    return time.perf_counter() - t0, time.process_time() - c0


def main():
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    records = []
    cases = [
        ("ClassBalance", ClassBalance(), "LogisticRegression", LogisticRegression()),
        (
            "ClassifierDensityRatio",
            ClassifierDensityRatio(),
            "LogisticRegression",
            LogisticRegression(),
        ),
        (
            "ClassBalance",
            ClassBalance(),
            "HistGradientBoosting",
            HistGradientBoostingClassifier(max_iter=50, random_state=0),
        ),
    ]
    for n in (10_000, 30_000):
        X, y = make_classification(n, 20, weights=[0.8], random_state=0)
        Xt, _ = make_classification(n // 2, 20, random_state=1)
        Xt = Xt + 0.5
        for wname, weighter, ename, estimator in cases:
            ctx = {"X_target": Xt} if wname == "ClassifierDensityRatio" else {}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                direct(weighter, estimator, X, y, ctx)
                meta(weighter, estimator, X, y, ctx)
                td, tm = [], []
                for _ in range(REPEATS):
                    td.append(timed(direct, weighter, estimator, X, y, ctx))
                    tm.append(timed(meta, weighter, estimator, X, y, ctx))
            td, tm = np.array(td), np.array(tm)
            rec = {
                "task": "meta_overhead",
                "weighter": wname,
                "estimator": ename,
                "n": n,
                "direct_wall_s": float(np.median(td[:, 0])),
                "meta_wall_s": float(np.median(tm[:, 0])),
                "direct_cpu_s": float(np.median(td[:, 1])),
                "meta_cpu_s": float(np.median(tm[:, 1])),
                "ratio": float(np.median(tm[:, 1]) / np.median(td[:, 1])),
                "load1": os.getloadavg()[0],
                "versions": {
                    "skreweight": skreweight.__version__,
                    "sklearn": sklearn.__version__,
                    "numpy": np.__version__,
                },
            }
            records.append(rec)
            print(json.dumps(rec), flush=True)
    with open(out / "foundation.jsonl", "w") as fh:
        for rec in records:
            fh.write(json.dumps(rec) + "\n")
    print(
        f"{'weighter':<24}{'estimator':<22}{'n':>7}{'direct cpu s':>14}"
        f"{'meta cpu s':>12}{'meta/direct':>13}"
    )
    for r in records:
        print(
            f"{r['weighter']:<24}{r['estimator']:<22}{r['n']:>7}"
            f"{r['direct_cpu_s']:>14.4f}{r['meta_cpu_s']:>12.4f}{r['ratio']:>13.3f}"
        )


if __name__ == "__main__":
    main()
