"""Covariate-shift benchmark: skreweight vs MRCpy (DWGCS, CMRC) and skada.

Procedure
---------
* Data: real UCI sets shipped in ``skreweight.datasets`` (diabetes, haberman,
  credit, indian_liver, mammographic with incomplete rows dropped, and adult
  for the n = 1,000 / 2,000 timing tasks).
* Shift: ``biased_split(X, y, method="pca", random_state=seed)``, the
  feature-dependent biased sampling of the DWGCS paper (rows above the median
  of the first principal direction go to the source pool with probability
  0.7, others with 0.3; then n = 500 if the pool has >= 1,000 rows, else half
  the data; for adult n_source = n_target = 1,000 or 2,000). Seeds 0-4.
  Covariates are standardised with the pooled source + target statistics
  (the paper normalises the whole data set). The splits are written once to
  ``.npz`` files, and every implementation (each in its own virtual
  environment and process) reads the same files.
* Learners: the weighters feed the same ``LogisticRegression(C=1.0)``;
  DWGCS/CMRC are minimax classifiers with the linear feature map.
* Metric: error on the target rows; fit time (weights + model) with
  ``time.perf_counter`` after one untimed warm-up fit; BLAS pinned to one
  thread; 1-minute load average recorded.

Usage::

    python bench_covariate_shift.py splits            # (skreweight venv)
    python bench_covariate_shift.py run skreweight    # (skreweight venv)
    /work/venvs/mrcpy/bin/python bench_covariate_shift.py run mrcpy
    /work/venvs/skada/bin/python bench_covariate_shift.py run skada
    python bench_covariate_shift.py scale WEIGHTER N  # one process per size
    python bench_covariate_shift.py summary
"""

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
SPLITS = HERE / "covariate_shift_splits"
OUT = HERE / "results_covariate_shift"
SEEDS = range(5)
ERROR_SETS = ["diabetes", "haberman", "credit", "indian_liver", "mammographic"]
TIMING_SETS = {"adult1000": 1000, "adult2000": 2000}


def _load_split(name, seed):
    z = np.load(SPLITS / f"{name}_{seed}.npz")
    return z["Xs"], z["ys"], z["Xt"], z["yt"]


def _record(impl, task, dataset, seed, method, **fields):
    rec = dict(
        impl=impl,
        task=task,
        dataset=dataset,
        seed=seed,
        method=method,
        load1=os.getloadavg()[0],
        **fields,
    )
    OUT.mkdir(exist_ok=True)
    with open(OUT / f"{impl}.jsonl", "a") as f:
        f.write(json.dumps(rec) + "\n")
    print(json.dumps(rec), flush=True)


def make_splits():
    from skreweight.datasets import biased_split, load_dataset

    SPLITS.mkdir(exist_ok=True)
    for name in ERROR_SETS + list(TIMING_SETS):
        X, y = load_dataset(
            name[:5] if name.startswith("adult") else name, return_X_y=True
        )
        keep = ~np.isnan(X).any(axis=1)
        X, y = X[keep], y[keep]
        n = TIMING_SETS.get(name)
        for seed in SEEDS:
            Xs, ys, Xt, yt = biased_split(
                X, y, method="pca", n_source=n, n_target=n, random_state=seed
            )
            Z = np.vstack([Xs, Xt])
            mu, sd = Z.mean(0), Z.std(0) + 1e-12
            np.savez(
                SPLITS / f"{name}_{seed}.npz",
                Xs=(Xs - mu) / sd,
                ys=ys,
                Xt=(Xt - mu) / sd,
                yt=yt,
            )


# ------------------------------------------------------------ implementations
def _methods_skreweight():
    from sklearn.linear_model import LogisticRegression

    import skreweight
    from skreweight.covariate_shift import DoubleWeightingClassifier
    from skreweight.weighting import (
        KLIEP,
        ULSIF,
        KernelMeanMatching,
        NearestNeighborsDensityRatio,
    )

    def weighted(weighter):
        def fit_predict(Xs, ys, Xt):
            w = weighter.fit(Xs, X_target=Xt).weights_
            lr = LogisticRegression(C=1.0).fit(Xs, ys, sample_weight=w)
            return lr.predict(Xt)

        return fit_predict

    def dwgcs(**kw):
        def fit_predict(Xs, ys, Xt):
            clf = DoubleWeightingClassifier(random_state=0, **kw)
            return clf.fit(Xs, ys, X_target=Xt).predict(Xt)

        return fit_predict

    def lr(Xs, ys, Xt):
        return LogisticRegression(C=1.0).fit(Xs, ys).predict(Xt)

    version = skreweight.__version__
    return version, {
        "LR (unweighted)": lr,
        "DWGCS D=4 no-intercept (paper map)": dwgcs(D=4.0, fit_intercept=False),
        "DWGCS D=4": dwgcs(D=4.0),
        "DWGCS D=auto": dwgcs(D="auto"),
        "KMM + LR": weighted(KernelMeanMatching(random_state=0)),
        "KMM (exact kernel) + LR": weighted(
            KernelMeanMatching(approximation="exact", random_state=0)
        ),
        "KLIEP + LR": weighted(KLIEP(random_state=0)),
        "uLSIF + LR": weighted(ULSIF(random_state=0)),
        "NN ratio + LR": weighted(NearestNeighborsDensityRatio()),
    }


def _methods_mrcpy():
    import cvxpy
    import MRCpy
    from MRCpy import CMRC, DWGCS

    # MRCpy 3.0.0 passes the Gaussian Gram matrix to quad_form without
    # psd_wrap, and cvxpy's PSD check (ARPACK) fails on it; the authors' own
    # repository wraps it. We wrap it, as they do. ECOS (its last fallback)
    # is not installed with cvxpy 1.9: fall back to CLARABEL, its successor.
    quad_form = cvxpy.quad_form
    cvxpy.quad_form = lambda x, P, *a, **k: quad_form(x, cvxpy.psd_wrap(P))
    solve = cvxpy.Problem.solve

    def patched_solve(self, *a, solver=None, **k):
        if solver == "ECOS":  # drop ECOS-only options (feastol, ...)
            return solve(self, solver="CLARABEL")
        return solve(self, *a, solver=solver, **k)

    cvxpy.Problem.solve = patched_solve

    def dwgcs(Xs, ys, Xt):
        return DWGCS(D=4, random_state=0).fit(Xs, ys, Xt).predict(Xt)

    def cmrc(Xs, ys, Xt):
        return CMRC(random_state=0).fit(Xs, ys, Xt).predict(Xt)

    return MRCpy.__version__ if hasattr(MRCpy, "__version__") else "3.0.0", {
        "MRCpy DWGCS D=4": dwgcs,
        "MRCpy CMRC": cmrc,
    }


def _methods_skada():
    import skada
    from skada import (
        DiscriminatorReweightAdapter,
        KLIEPReweightAdapter,
        KMMReweightAdapter,
    )
    from sklearn.linear_model import LogisticRegression

    def weighted(make):
        def fit_predict(Xs, ys, Xt):
            X = np.vstack([Xs, Xt])
            sd = np.r_[np.ones(len(Xs)), -np.ones(len(Xt))].astype(int)
            ad = make(Xs, Xt).fit(X, sample_domain=sd)
            w = ad.compute_weights(X, sample_domain=sd)[: len(Xs)]
            return LogisticRegression(C=1.0).fit(Xs, ys, sample_weight=w).predict(Xt)

        return fit_predict

    def median_gammas(Xs, Xt):
        Z = np.vstack([Xs, Xt])
        Z = Z[np.random.RandomState(0).choice(len(Z), min(1000, len(Z)), False)]
        d = ((Z[:, None] - Z[None]) ** 2).sum(-1)
        sigma = np.sqrt(np.median(d[np.triu_indices(len(Z), 1)]))
        return [1 / (2 * (sigma * f) ** 2) for f in (0.25, 0.5, 1, 2, 4)]

    return skada.__version__, {
        "skada KMM + LR": weighted(lambda Xs, Xt: KMMReweightAdapter()),
        "skada KLIEP + LR": weighted(
            lambda Xs, Xt: KLIEPReweightAdapter(
                gamma=median_gammas(Xs, Xt), random_state=0
            )
        ),
        "skada discriminator + LR": weighted(
            lambda Xs, Xt: DiscriminatorReweightAdapter()
        ),
    }


def run(impl, only=None):
    version, methods = {
        "skreweight": _methods_skreweight,
        "mrcpy": _methods_mrcpy,
        "skada": _methods_skada,
    }[impl]()
    tasks = [("error", d) for d in ERROR_SETS] + [("timing", d) for d in TIMING_SETS]
    for method, fit_predict in methods.items():
        if only and only not in method:
            continue
        warmed = False
        for task, name in tasks:
            if name == "adult2000" and "KMM" not in method:
                continue
            if "exact kernel" in method and name != "adult2000":
                continue
            for seed in SEEDS:
                Xs, ys, Xt, yt = _load_split(name, seed)
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        if not warmed:
                            fit_predict(Xs, ys, Xt)
                            warmed = True
                        t0 = time.perf_counter()
                        pred = fit_predict(Xs, ys, Xt)
                        dt = time.perf_counter() - t0
                    _record(
                        impl,
                        task,
                        name,
                        seed,
                        method,
                        error=float(np.mean(pred != yt)),
                        fit_time=dt,
                        n_source=len(Xs),
                        n_target=len(Xt),
                        status="ok",
                        version=version,
                    )
                except Exception as exc:  # keep failed records
                    _record(
                        impl,
                        task,
                        name,
                        seed,
                        method,
                        status="error",
                        error_message=f"{type(exc).__name__}: {exc}"[:300],
                        trace=traceback.format_exc()[-600:],
                        version=version,
                    )


# ------------------------------------------------------------------- scaling
def scale(weighter, n):
    """Fit one weighter on n source and n target rows in a fresh process."""
    from skreweight.datasets import make_covariate_shift
    from skreweight.weighting import (
        KLIEP,
        ULSIF,
        DoubleWeighting,
        KernelMeanMatching,
        NearestNeighborsDensityRatio,
    )

    make = {
        "KMM": lambda: KernelMeanMatching(random_state=0),
        "DoubleWeighting": lambda: DoubleWeighting(random_state=0),
        "uLSIF": lambda: ULSIF(random_state=0),
        "KLIEP": lambda: KLIEP(random_state=0),
        "NN": lambda: NearestNeighborsDensityRatio(),
    }[weighter]
    d = make_covariate_shift(n_source=n, n_target=n, n_features=5, random_state=0)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        est = make().fit(d.X_source, X_target=d.X_target)
        dt = time.perf_counter() - t0
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    w, r = est.weights_, d.ratio_source
    _record(
        "skreweight",
        "scale",
        "make_covariate_shift(d=5)",
        0,
        weighter,
        n_source=n,
        n_target=n,
        fit_time=dt,
        peak_rss_mb=rss1 / 1024,
        delta_rss_mb=(rss1 - rss0) / 1024,
        corr_true_ratio=float(np.corrcoef(w, r)[0, 1]),
        approximation=getattr(est, "approximation_", None),
        status="ok",
    )


# ------------------------------------------------------------------- summary
def summary():
    recs = []
    for f in OUT.glob("*.jsonl"):
        recs += [json.loads(line) for line in f.read_text().splitlines()]
    ok = [r for r in recs if r["status"] == "ok"]
    bad = [r for r in recs if r["status"] != "ok"]
    lines = []

    def med(vals):
        return float(np.median(vals)) if vals else float("nan")

    methods = sorted({r["method"] for r in ok if r["task"] == "error"})
    header = "| method | " + " | ".join(ERROR_SETS) + " | mean error | median fit (s) |"
    lines += [header, "|" + "---|" * (len(ERROR_SETS) + 3)]
    for m in methods:
        errs, times, cells = [], [], []
        for d in ERROR_SETS:
            rs = [r for r in ok if r["method"] == m and r["dataset"] == d]
            e = [r["error"] for r in rs]
            errs += e
            times += [r["fit_time"] for r in rs]
            cells.append(f"{np.mean(e):.3f}" if e else "-")
        lines.append(
            f"| {m} | "
            + " | ".join(cells)
            + f" | {np.mean(errs):.3f} | {med(times):.3f} |"
        )
    for d in TIMING_SETS:
        lines += ["", f"**{d}** (n_source = n_target = {TIMING_SETS[d]}, 5 seeds)", ""]
        lines += ["| method | mean error | median fit (s) |", "|---|---|---|"]
        for m in sorted({r["method"] for r in ok if r["dataset"] == d}):
            rs = [r for r in ok if r["method"] == m and r["dataset"] == d]
            lines.append(
                f"| {m} | {np.mean([r['error'] for r in rs]):.3f} | "
                f"{med([r['fit_time'] for r in rs]):.3f} |"
            )
    pairs = [
        ("DWGCS D=4", "MRCpy DWGCS D=4"),
        ("DWGCS D=4 no-intercept (paper map)", "MRCpy DWGCS D=4"),
        ("DWGCS D=auto", "MRCpy DWGCS D=4"),
        ("LR (unweighted)", "MRCpy CMRC"),
        ("KMM + LR", "skada KMM + LR"),
        ("KLIEP + LR", "skada KLIEP + LR"),
    ]
    lines += [
        "",
        "Paired comparison on the (dataset, seed) splits where both ran:",
        "",
        "| ours | peer | tasks | pairs | error ours | error peer | "
        "median time ratio peer/ours |",
        "|---|---|---|---|---|---|---|",
    ]
    for mine, peer in pairs:
        for task_sets in (ERROR_SETS, ["adult1000"], ["adult2000"]):
            a = {
                (r["dataset"], r["seed"]): r
                for r in ok
                if r["method"] == mine and r["dataset"] in task_sets
            }
            b = {
                (r["dataset"], r["seed"]): r
                for r in ok
                if r["method"] == peer and r["dataset"] in task_sets
            }
            keys = sorted(set(a) & set(b))
            if not keys:
                continue
            ratio = med([b[k]["fit_time"] / a[k]["fit_time"] for k in keys])
            label = task_sets[0] if len(task_sets) == 1 else "UCI x5"
            lines.append(
                f"| {mine} | {peer} | {label} "
                f"| {len(keys)} | {np.mean([a[k]['error'] for k in keys]):.3f} | "
                f"{np.mean([b[k]['error'] for k in keys]):.3f} | {ratio:.1f} |"
            )
    sc = [r for r in ok if r["task"] == "scale"]
    if sc:
        lines += [
            "",
            "| weighter | n (each side) | fit (s) | peak RSS (MB) | "
            "corr. with true ratio | kernel |",
            "|---|---|---|---|---|---|",
        ]
        for r in sorted(sc, key=lambda r: (r["method"], r["n_source"])):
            lines.append(
                f"| {r['method']} | {r['n_source']} | {r['fit_time']:.2f} | "
                f"{r['peak_rss_mb']:.0f} | {r['corr_true_ratio']:.3f} | "
                f"{r['approximation']} |"
            )
    if bad:
        lines += ["", "Failed records:", ""]
        for r in bad:
            lines.append(
                f"- {r['impl']} {r['method']} {r['dataset']} seed {r['seed']}: "
                f"{r['error_message']}"
            )
    print("\n".join(lines))
    return "\n".join(lines)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "splits":
        make_splits()
    elif cmd == "run":
        run(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    elif cmd == "scale":
        scale(sys.argv[2], int(sys.argv[3]))
    elif cmd == "summary":
        summary()
