"""Benchmark: CATE by weighted pseudo-outcome regression against EconML and CausalML.

Procedure
---------
- Data: Nie & Wager (2021) setups A-D (d = 6) and Fisher's (2024) setups E and
  F (one covariate, as in ``wpor::sim_data``), sigma = 1, training sizes
  n in {500, 2000}; the CATE is scored on an independent test draw of 2,000
  rows from the same setup. All from
  ``skreweight.datasets.make_heterogeneous_effects`` with seeds
  ``1000 * seed + n`` (train) and ``1000 * seed + n + 1`` (test); every
  implementation sees the same arrays.
- Models, identical everywhere: ``HistGradientBoostingRegressor`` for outcomes
  and the final CATE model, ``HistGradientBoostingClassifier`` for the
  propensity, each with max_iter=100, learning_rate=0.05, max_depth=3,
  min_samples_leaf=20, early_stopping=False (deterministic); the final CATE
  model is shallower and more shrunk (max_iter=50, max_depth=2,
  min_samples_leaf=50), the same for every implementation. 5-fold
  cross-fitting everywhere.
- Implementations: skreweight ``PseudoOutcomeRegressor`` for every
  pseudo-outcome ("U", "DR", "Cov") x weights ("ivw", "none") -- U + ivw is
  ``RLearner``, DR + ivw is ``DRLearner`` -- with propensities clipped to
  [0.01, 0.99]; EconML ``NonParamDML`` (the R-learner; no clipping option) and
  ``DRLearner`` (``min_propensity=0.01``, its outcome model takes the
  treatment as a feature); CausalML ``BaseRRegressor`` (its own propensity
  fitting, as a user gets it). Peers run in their own virtual environments
  (``/work/venvs/econml``, ``/work/venvs/causalml``) as persistent worker
  processes; the driver hands every task to every worker in turn, so all
  implementations run under the same machine load.
- Metric: tau-MSE on the test draw; fit time with ``time.perf_counter`` after
  one untimed warm-up fit per implementation; BLAS/OpenMP pinned to 1 thread.
  One JSON line per (setup, n, seed, implementation), with the 1-minute load
  average and package versions.

Usage::

    python benchmarks/bench_cate.py --seeds 10 --out benchmarks/results_cate.jsonl
    python benchmarks/bench_cate.py --summarize benchmarks/results_cate.jsonl
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SETUPS = ("A", "B", "C", "D", "E", "F")
SIZES = (500, 2000)
N_TEST = 2000
VENVS = {
    "skreweight": sys.executable,
    "econml": "/work/venvs/econml/bin/python",
    "causalml": "/work/venvs/causalml/bin/python",
}
HGB = dict(
    max_iter=100,
    learning_rate=0.05,
    max_depth=3,
    min_samples_leaf=20,
    early_stopping=False,
)
# The final (CATE) model regresses a noisy pseudo-outcome: shallower and more
# shrunk, the same for every implementation.
HGB_FINAL = dict(
    max_iter=50,
    learning_rate=0.05,
    max_depth=2,
    min_samples_leaf=50,
    early_stopping=False,
)

# Fisher (2024), mean test MSE at n = 500 (p = 10, LightGBM tuned), from
# research/algorithms-shift-causal.md section 5.3: (w=1, IVW) per pseudo-outcome.
FISHER_N500 = {
    "A": {"DR": (0.102, 0.091), "U": (0.581, 0.085), "Cov": (0.111, 0.089)},
    "B": {"DR": (0.351, 0.350), "U": (0.361, 0.356), "Cov": (0.360, 0.360)},
    "C": {"DR": (0.073, 0.060), "U": (3.57, 0.073), "Cov": (0.098, 0.071)},
    "D": {"DR": (0.818, 0.784), "U": (1.20, 0.772), "Cov": (0.808, 0.784)},
    "E": {"DR": (0.074, 0.041), "U": (0.858, 0.073), "Cov": (0.072, 0.041)},
    "F": {"DR": (0.036, 0.028), "U": (0.533, 0.031), "Cov": (0.036, 0.027)},
}


def _models():
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
    )

    return (
        HistGradientBoostingRegressor(**HGB),
        HistGradientBoostingClassifier(**HGB),
        HistGradientBoostingRegressor(**HGB_FINAL),
    )


def _data(setup, n, seed):
    from skreweight.datasets import make_heterogeneous_effects

    train = make_heterogeneous_effects(setup, n, 6, random_state=1000 * seed + n)
    test = make_heterogeneous_effects(
        setup, N_TEST, 6, random_state=1000 * seed + n + 1
    )
    return train, test


# ------------------------------------------------------------------ workers
def _skreweight_impls():
    from skreweight.causal import PseudoOutcomeRegressor

    def make(po, w):
        def run(d, seed):
            my, mt, mf = _models()
            est = PseudoOutcomeRegressor(
                my,
                mt,
                mf,
                pseudo_outcome=po,
                weighting=w,
                cv=5,
                clip=0.01,
                random_state=seed,
            )
            est.fit(d.X, d.y, treatment=d.treatment)
            return est.predict

        return run

    impls = {}
    for po in ("U", "DR", "Cov"):
        for w in ("ivw", "none"):
            impls[f"skreweight:{po}-{w}"] = make(po, w)
    return impls


def _econml_impls():
    from econml.dml import NonParamDML
    from econml.dr import DRLearner

    def nonparam(d, seed):
        my, mt, mf = _models()
        est = NonParamDML(
            model_y=my,
            model_t=mt,
            model_final=mf,
            discrete_treatment=True,
            cv=5,
            random_state=seed,
        )
        est.fit(d.y, d.treatment, X=d.X)
        return lambda X: est.effect(X)

    def drlearner(d, seed):
        my, mt, mf = _models()
        est = DRLearner(
            model_propensity=mt,
            model_regression=my,
            model_final=mf,
            cv=5,
            min_propensity=0.01,
            random_state=seed,
        )
        est.fit(d.y, d.treatment, X=d.X)
        return lambda X: est.effect(X)

    return {"econml:NonParamDML": nonparam, "econml:DRLearner": drlearner}


def _causalml_impls():
    from causalml.inference.meta import BaseRRegressor

    def rlearner(d, seed):
        my, mt, mf = _models()
        est = BaseRRegressor(
            outcome_learner=my,
            effect_learner=mf,
            propensity_learner=mt,
            n_fold=5,
            random_state=seed,
        )
        est.fit(d.X, d.treatment.astype(int), d.y, verbose=False)
        return lambda X: np.ravel(est.predict(X))

    return {"causalml:BaseRRegressor": rlearner}


def _versions(name):
    import importlib.metadata as md

    pkgs = {
        "skreweight": ["scikit-learn", "numpy"],
        "econml": ["econml", "scikit-learn", "numpy"],
        "causalml": ["causalml", "scikit-learn", "numpy"],
    }[name]
    out = {p: md.version(p) for p in pkgs}
    if name == "skreweight":
        import skreweight

        out["skreweight"] = skreweight.__version__
    return out


def worker(name):
    """Read "setup n seed" lines on stdin, print one JSON record per impl."""
    warnings.filterwarnings("ignore")
    impls = {
        "skreweight": _skreweight_impls,
        "econml": _econml_impls,
        "causalml": _causalml_impls,
    }[name]()
    versions = _versions(name)
    warm, _ = _data("A", 500, 999)
    for run in impls.values():  # untimed warm-up
        run(warm, 0)
    print(json.dumps({"ready": name}), flush=True)
    for line in sys.stdin:
        setup, n, seed = line.split()
        n, seed = int(n), int(seed)
        train, test = _data(setup, n, seed)
        for impl, run in impls.items():
            rec = dict(setup=setup, n=n, seed=seed, impl=impl, versions=versions)
            try:
                t0, c0 = time.perf_counter(), time.process_time()
                predict = run(train, seed)
                rec["fit_time"] = time.perf_counter() - t0
                rec["cpu_time"] = time.process_time() - c0
                tau = np.asarray(predict(test.X), dtype=float).ravel()
                rec["tau_mse"] = float(np.mean((tau - test.tau) ** 2))
                rec["status"] = "ok"
            except Exception as exc:  # keep failed records, with the error
                rec["status"] = "error"
                rec["error"] = f"{type(exc).__name__}: {exc}"[:500]
            rec["load1"] = os.getloadavg()[0]
            print(json.dumps(rec), flush=True)
        print(json.dumps({"done": [setup, n, seed]}), flush=True)


# ------------------------------------------------------------------- driver
def drive(seeds, out, workers, setups, sizes):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = {}
    for name in workers:
        procs[name] = subprocess.Popen(
            [VENVS[name], __file__, "--worker", name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert json.loads(procs[name].stdout.readline()) == {"ready": name}
    with open(out, "a") as fh:
        for seed in range(seeds):
            for n in sizes:
                for setup in setups:
                    for name, proc in procs.items():
                        proc.stdin.write(f"{setup} {n} {seed}\n")
                        proc.stdin.flush()
                        while True:
                            rec = json.loads(proc.stdout.readline())
                            if "done" in rec:
                                break
                            fh.write(json.dumps(rec) + "\n")
                            fh.flush()
                            print(
                                f"{setup} n={n} seed={seed} {rec['impl']:<26} "
                                f"{rec.get('tau_mse', float('nan')):.4f} "
                                f"{rec.get('fit_time', float('nan')):.2f}s "
                                f"{rec['status']}",
                                flush=True,
                            )
    for proc in procs.values():
        proc.stdin.close()
        proc.wait()


# ------------------------------------------------------------------ summary
def summarize(path):
    import pandas as pd

    recs = [json.loads(line) for line in open(path)]
    df = pd.DataFrame(recs)
    ok = df[df.status == "ok"]
    n_err = int((df.status != "ok").sum())
    seeds = ok.groupby(["setup", "n"]).seed.nunique()
    print(
        f"records: {len(df)} ({n_err} failed); seeds per cell: "
        f"{seeds.min()}-{seeds.max()}; median load1 {df.load1.median():.1f}"
    )
    med = ok.pivot_table(
        index=["setup", "n"], columns="impl", values="tau_mse", aggfunc="median"
    )
    tim = ok.pivot_table(
        index=["setup", "n"], columns="impl", values="fit_time", aggfunc="median"
    )
    cpu = ok.pivot_table(
        index=["setup", "n"], columns="impl", values="cpu_time", aggfunc="median"
    )
    order = [
        c
        for c in [
            "skreweight:U-ivw",
            "skreweight:U-none",
            "skreweight:DR-ivw",
            "skreweight:DR-none",
            "skreweight:Cov-ivw",
            "skreweight:Cov-none",
            "econml:NonParamDML",
            "econml:DRLearner",
            "causalml:BaseRRegressor",
        ]
        if c in med.columns
    ]
    short = {c: c.split(":")[1] for c in order}
    print("\n### Median tau-MSE over seeds\n")
    print(med[order].rename(columns=short).round(3).to_markdown())
    print("\n### Median fit time, wall clock (s)\n")
    print(tim[order].rename(columns=short).round(2).to_markdown())
    print("\n### Median fit time, CPU (s; single-threaded, robust to load)\n")
    print(cpu[order].rename(columns=short).round(2).to_markdown())
    if "econml:NonParamDML" in med.columns:
        ratio = pd.DataFrame(
            {
                "RLearner MSE": med["skreweight:U-ivw"],
                "NonParamDML MSE": med["econml:NonParamDML"],
                "MSE ratio": med["skreweight:U-ivw"] / med["econml:NonParamDML"],
                "wall ratio": tim["skreweight:U-ivw"] / tim["econml:NonParamDML"],
                "CPU ratio": cpu["skreweight:U-ivw"] / cpu["econml:NonParamDML"],
            }
        )
        # identical folds and models give identical fits: allow rounding
        ratio["MSE target met"] = ratio["MSE ratio"] <= 1 + 1e-6
        ratio["time target met (CPU)"] = ratio["CPU ratio"] <= 1
        print("\n### RLearner vs EconML NonParamDML (ratios of medians)\n")
        print(ratio.round(3).to_markdown())
        if "econml:DRLearner" in med.columns:
            dr = pd.DataFrame(
                {
                    "DRLearner (IVW) MSE": med["skreweight:DR-ivw"],
                    "EconML DRLearner MSE": med["econml:DRLearner"],
                    "MSE ratio": med["skreweight:DR-ivw"] / med["econml:DRLearner"],
                    "CPU ratio": cpu["skreweight:DR-ivw"] / cpu["econml:DRLearner"],
                }
            )
            print("\n### DRLearner vs EconML DRLearner\n")
            print(dr.round(3).to_markdown())
    rows = []
    for (setup, n), row in med.iterrows():
        for po in ("U", "DR", "Cov"):
            a, b = row.get(f"skreweight:{po}-none"), row.get(f"skreweight:{po}-ivw")
            fisher = FISHER_N500[setup][po]
            rows.append(
                {
                    "setup": setup,
                    "n": n,
                    "pseudo": po,
                    "w=1": a,
                    "IVW": b,
                    "IVW better": bool(b < a),
                    "Fisher n=500 w=1": fisher[0],
                    "Fisher n=500 IVW": fisher[1],
                    "Fisher: IVW better": fisher[1] < fisher[0],
                }
            )
    cmp_df = pd.DataFrame(rows)
    cmp_df["agrees"] = cmp_df["IVW better"] == cmp_df["Fisher: IVW better"]
    print("\n### IVW vs unweighted, beside Fisher's table (n=500 column)\n")
    print(cmp_df.round(3).to_markdown(index=False))
    print(
        f"\nIVW-vs-unweighted direction agrees with Fisher in "
        f"{int(cmp_df.agrees.sum())} of {len(cmp_df)} cells."
    )
    vers = {}
    for v in df.versions:
        vers.update(v)
    print("\nversions:", json.dumps(vers))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--worker")
    p.add_argument("--summarize")
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results_cate.jsonl"))
    p.add_argument("--workers", default="skreweight,econml,causalml")
    p.add_argument("--setups", default=",".join(SETUPS))
    p.add_argument("--sizes", default=",".join(map(str, SIZES)))
    args = p.parse_args()
    if args.worker:
        worker(args.worker)
    elif args.summarize:
        summarize(args.summarize)
    else:
        drive(
            args.seeds,
            args.out,
            args.workers.split(","),
            args.setups.split(","),
            [int(s) for s in args.sizes.split(",")],
        )


if __name__ == "__main__":
    main()
