"""Scale benchmark of the kernel weighters (issue 21).

Procedure
---------
Each (method, n) cell runs in a fresh Python process with one BLAS thread
(``OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=MKL_NUM_THREADS=1``). Data: ``d = 10``
covariates, ``n`` source and ``n`` target rows
(``make_covariate_shift(n, n, 10, random_state=0)``) for the covariate-shift
methods; ``n`` controls ``N(0, I)`` and ``n`` treated ``N(0.3, I)`` (seed 0)
for the balancing ones (ATT). Default parameters, ``random_state=0``.

In each process: data are built, one ``LogisticRegression()`` is fitted on
the same ``2 n`` rows (the reference "LR"), then the method once. Reported:
CPU time of the fit (``time.process_time``, the machine is shared, so wall
time is recorded but not compared), its ratio to the LR fit's CPU time, and
the peak resident memory of the fit above the peak before it
(``ru_maxrss``). A result fingerprint goes with every record (chosen ``D``
and minimax risk, IPM left, weight checksum), so that a before/after pair
shows whether the results moved.

``--pythonpath DIR`` runs the cells against another copy of the package
(e.g. the code before a change, exported with ``git archive``), in the same
venv, so before and after are measured in one run.

Usage::

    python benchmarks/bench_scale.py --n 4000 16000 --out scale.jsonl
    python benchmarks/bench_scale.py --n 4000 --pythonpath /tmp/before \
        --label before --out scale.jsonl
    python benchmarks/bench_scale.py --summary scale.jsonl
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

METHODS = [
    "DoubleWeightingClassifier",
    "IPMBalancing-energy",
    "IPMBalancing-mmd",
    "ULSIF",
    "RuLSIF",
    "KLIEP",
]

_CELL = r"""
import json, resource, sys, time
import numpy as np
from sklearn.linear_model import LogisticRegression

method, n = sys.argv[1], int(sys.argv[2])
rng = np.random.RandomState(0)
if method.startswith("IPM"):
    X = np.vstack([rng.normal(size=(n, 10)), rng.normal(size=(n, 10)) + 0.3])
    t = np.r_[np.zeros(n, int), np.ones(n, int)]
    lr_X, lr_y = X, t
else:
    from skreweight.datasets import make_covariate_shift
    data = make_covariate_shift(n, n, 10, random_state=0)
    lr_X = np.vstack([data.X_source, data.X_target])
    lr_y = np.r_[np.zeros(n, int), np.ones(n, int)]
t0 = time.process_time()
LogisticRegression().fit(lr_X, lr_y)
lr_cpu = time.process_time() - t0
import skreweight
from skreweight.covariate_shift import DoubleWeightingClassifier
from skreweight.weighting import IPMBalancing, KLIEP, RuLSIF, ULSIF

rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
w0, c0 = time.perf_counter(), time.process_time()
info = {}
if method == "DoubleWeightingClassifier":
    est = DoubleWeightingClassifier(D="auto", random_state=0).fit(
        data.X_source, data.y_source, X_target=data.X_target)
    info = {"D": est.D_, "risk": est.minimax_risk_,
            "error": float(np.mean(est.predict(data.X_target) != data.y_target))}
elif method.startswith("IPMBalancing"):
    est = IPMBalancing(discriminator=method.split("-")[1], random_state=0).fit(
        X, treatment=t)
    wc = est.weights_[t == 0]
    info = {"ipm": float(est.ipm_[0]), "w_sum_sq": float(wc @ wc),
            "n_iter": int(est.n_iter_)}
else:
    est = {"ULSIF": ULSIF, "RuLSIF": RuLSIF, "KLIEP": KLIEP}[method](random_state=0)
    est.fit(data.X_source, X_target=data.X_target)
    w = est.weights_
    info = {"bandwidth": float(getattr(est, "bandwidth_", np.nan)),
            "w_sum_sq": float(w @ w)}
cpu, wall = time.process_time() - c0, time.perf_counter() - w0
rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"method": method, "n": n, "cpu_s": cpu, "wall_s": wall,
                  "lr_cpu_s": lr_cpu, "ratio_lr": cpu / lr_cpu,
                  "peak_mb": (rss1 - rss0) / 1024, "module": skreweight.__file__,
                  **info}))
"""


def run_cell(method, n, pythonpath, timeout):
    env = dict(
        os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1"
    )
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    try:
        # run from the temporary directory: ``python -c`` puts the working
        # directory first on sys.path, which would shadow ``--pythonpath``
        out = subprocess.run(
            [sys.executable, "-c", _CELL, method, str(n)],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=tempfile.gettempdir(),
        )
    except subprocess.TimeoutExpired:
        return {"method": method, "n": n, "timeout_s": timeout}
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        return {"method": method, "n": n, "error": out.stderr[-500:]}
    return json.loads(lines[-1])


def summary(path):
    rows = [json.loads(ln) for ln in open(path)]
    print("| method | n | label | CPU s | × LR | peak MB | result |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        if "cpu_s" not in r:
            print(
                f"| {r['method']} | {r['n']:,} | {r.get('label')} | "
                f"over {r.get('timeout_s', '?')} s | | | |"
            )
            continue
        res = {k: r[k] for k in ("D", "error", "ipm", "bandwidth", "n_iter") if k in r}
        res = ", ".join(
            f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
            for k, v in res.items()
        )
        print(
            f"| {r['method']} | {r['n']:,} | {r.get('label')} | {r['cpu_s']:.1f} | "
            f"{r['ratio_lr']:.0f} | {r['peak_mb']:.0f} | {res} |"
        )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, nargs="+", default=[4000, 16000])
    ap.add_argument("--only", nargs="+", default=METHODS)
    ap.add_argument("--pythonpath", default=None)
    ap.add_argument("--label", default="after")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--out", default=None)
    ap.add_argument("--summary", default=None)
    args = ap.parse_args()
    if args.summary:
        return summary(args.summary)
    for n in args.n:
        for method in args.only:
            rec = run_cell(method, n, args.pythonpath, args.timeout)
            rec.update(label=args.label, load1=os.getloadavg()[0])
            print(json.dumps(rec), flush=True)
            if args.out:
                with open(args.out, "a") as f:
                    f.write(json.dumps(rec) + "\n")


if __name__ == "__main__":
    main()
