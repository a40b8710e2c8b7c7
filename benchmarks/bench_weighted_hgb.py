"""Weighted histogram gradient boosting: scikit-learn 1.9 against 1.6 (issue 21).

Procedure
---------
scikit-learn 1.9 computes the bin edges of ``HistGradientBoosting*`` as
weighted quantiles when a ``sample_weight`` is given; up to 1.6 it ignored
the weights there. The R-learner's final stage is a weighted regression
(inverse-variance weights), so with a boosted final stage it meets that cost.

Each run of this script measures, in the scikit-learn it is started with,
one BLAS/OpenMP thread, ``make_heterogeneous_effects("A", n, 10)`` with
seeds 0-4, nuisances ``HistGradientBoosting*(max_iter=100)`` (unweighted
fits), ``cv=5``, ``random_state=0``:

- ``plain``: ``RLearner(model_final=HistGradientBoostingRegressor())``;
- ``prebinned``: ``RLearner(model_final=PrebinnedRegressor(
  HistGradientBoostingRegressor()))``: features binned by unweighted
  quantiles before the weighted fit (scikit-learn 1.6's bin rule);
- and, alone, one weighted ``HistGradientBoostingRegressor`` fit (2,000 rows,
  10 features, log-normal weights) against an unweighted one.

CPU time of each fit (``time.process_time``; the machine is shared) and the
tau-MSE against the known effect are written as JSON lines. Run it under
each scikit-learn in turn, appending to one file, then ``--summary`` prints
the table::

    OMP_NUM_THREADS=1 python benchmarks/bench_weighted_hgb.py --out hgb.jsonl
    OMP_NUM_THREADS=1 /path/to/sklearn-1.6-venv/bin/python \
        benchmarks/bench_weighted_hgb.py --out hgb.jsonl
    python benchmarks/bench_weighted_hgb.py --summary hgb.jsonl
"""

import argparse
import json
import os
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

SEEDS = range(5)


def _cpu(fn):
    start = time.process_time()
    out = fn()
    return time.process_time() - start, out


def _rlearner_records(n, prebinned):
    import sklearn
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
    )

    from skreweight.causal import RLearner
    from skreweight.compose import PrebinnedRegressor
    from skreweight.datasets import make_heterogeneous_effects

    final = HistGradientBoostingRegressor(random_state=0)
    if prebinned:
        final = PrebinnedRegressor(final)
    for seed in SEEDS:
        data = make_heterogeneous_effects("A", n, 10, random_state=seed)
        model = RLearner(
            HistGradientBoostingRegressor(random_state=0),
            HistGradientBoostingClassifier(random_state=0),
            final,
            random_state=0,
        )
        cpu, model = _cpu(lambda: model.fit(data.X, data.y, treatment=data.treatment))
        mse = float(np.mean((model.predict(data.X) - data.tau) ** 2))
        yield {
            "sklearn": sklearn.__version__,
            "case": "rlearner-" + ("prebinned" if prebinned else "plain"),
            "n": n,
            "seed": seed,
            "cpu_s": cpu,
            "tau_mse": mse,
        }


def _single_fit_records():
    import sklearn
    from sklearn.ensemble import HistGradientBoostingRegressor

    for seed in SEEDS:
        rng = np.random.RandomState(seed)
        X, w = rng.normal(size=(2000, 10)), rng.lognormal(size=2000)
        y = X[:, 0] ** 2 + np.sin(3 * X[:, 1]) + rng.normal(size=2000)
        for case, sw in (("hgb-unweighted", None), ("hgb-weighted", w)):
            model = HistGradientBoostingRegressor(random_state=0)
            cpu, _ = _cpu(lambda: model.fit(X, y, sample_weight=sw))
            yield {
                "sklearn": sklearn.__version__,
                "case": case,
                "n": 2000,
                "seed": seed,
                "cpu_s": cpu,
            }


def run(n, out):
    with open(out, "a") as fh:
        records = [
            *_single_fit_records(),
            *_rlearner_records(n, prebinned=False),
            *_rlearner_records(n, prebinned=True),
        ]
        for rec in records:
            fh.write(json.dumps(rec) + "\n")
            print(rec)


def summary(path):
    records = [json.loads(line) for line in open(path)]
    cells = {}
    for rec in records:
        cells.setdefault((rec["sklearn"], rec["case"]), []).append(rec)
    base = {
        case: np.median([r["cpu_s"] for r in recs])
        for (version, case), recs in cells.items()
        if version.startswith("1.6")
    }
    print(
        "| scikit-learn | case | median CPU s | / same case under 1.6 "
        "| median tau-MSE |"
    )
    print("|---|---|---:|---:|---:|")
    for (version, case), recs in sorted(cells.items()):
        cpu = np.median([r["cpu_s"] for r in recs])
        ref = base.get(case.replace("prebinned", "plain"))
        ratio = f"{cpu / ref:.2f}" if ref else "-"
        mses = [r["tau_mse"] for r in recs if "tau_mse" in r]
        mse = f"{np.median(mses):.4f}" if mses else "-"
        print(f"| {version} | {case} | {cpu:.3f} | {ratio} | {mse} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--out", default="benchmarks/results_weighted_hgb.jsonl")
    parser.add_argument("--summary", metavar="JSONL")
    args = parser.parse_args()
    if args.summary:
        summary(args.summary)
    else:
        run(args.n, args.out)


if __name__ == "__main__":
    main()
