"""Group robustness: worst-group and average accuracy, and fit time.

Procedure
---------
Data (same rows, splits and seeds for every implementation):

- ``spurious``: :func:`skreweight.datasets.make_spurious_groups` with its
  defaults (core feature +-1, spurious feature +-2, 10 % minority rows, 5
  columns); train 2,000 rows (seed s), validation 1,000 rows (seed s + 1000)
  and test 10,000 rows (seed s + 2000), all from the training distribution.
  Groups: the four (label, spurious attribute) cells. Sensitive feature for
  fairlearn: the spurious attribute.
- ``adult``: the UCI Adult data shipped with skreweight (48,842 rows); per
  seed s a random 10,000-row train, 4,000-row validation and 20,000-row test
  split. Categorical codes are one-hot encoded, every column standardised on
  the training rows. Groups: sex x label (four groups). Sensitive feature for
  fairlearn: sex.

Methods (base learner: L2 logistic regression everywhere; scikit-learn's
``LogisticRegression(C=1)``, or the same penalty ``alpha = 1 / n`` in the
exact solvers). Hyperparameters are chosen per seed on the group-labelled
validation split by worst-group accuracy over a small grid, the same way for
every method (grids in GRIDS); the reported fit time is the fit of the chosen
configuration on the training rows (after one untimed warm-up per
implementation), not the selection:

- ERM: ``LogisticRegression``;
- GroupBalance: ``ReweightedClassifier(GroupBalance(), LogisticRegression())``;
- GroupDRO-exact: ``GroupDROClassifier(alpha=1/n)`` (SLSQP);
- GroupDRO-hedge:
  ``GroupDROClassifier(LogisticRegression(), step_size=1, max_iter=30)``;
- JTT: ``JTTClassifier(LogisticRegression(), LogisticRegression(C=0.01))``;
- GSR: ``GSRClassifier`` with the validation split as its group-labelled
  target set (it splits it 50/50 itself, as the paper does);
- SpectralRisk: ``SpectralRiskClassifier("cvar", alpha=1/n)``;
- fairlearn ``ExponentiatedGradient(LogisticRegression(), EqualizedOdds())``
  with the sensitive feature above, ``predict(random_state=0)``; run in its own
  virtual environment (``--impl fairlearn``), on the same splits.

Spectral risk exactness (``--spectral``): Prospect's regression setting
(squared loss, X and y standardised on the training rows, no intercept,
``alpha = 1 / n``, ``shift_cost = 1``, chi-square penalty) on scikit-learn's
bundled diabetes regression data (Prospect's own UCI/OpenML sets are not
available offline), 80/20 split with ``random_state=42`` (353 training rows;
the first 150 of them for the extremile and ESRM, whose dense spectra make
the cvxpy model quadratic in n). skreweight's
L-BFGS solver is compared with a cvxpy (Clarabel) solve of the same problem
written through the conjugate of the inner maximum: objective values and fit
times (medians of 3 runs after a warm-up).

Single-threaded BLAS; load average recorded with every record. One JSON line
per (dataset, method, seed) in benchmarks/out/group_robust.jsonl; ``--summary``
prints the median table.

Run::

    python benchmarks/bench_group_robust.py --seeds 5
    /work/venvs/fairlearn/bin/python benchmarks/bench_group_robust.py \\
        --impl fairlearn --seeds 5
    python benchmarks/bench_group_robust.py --summary
"""

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

OUT = Path(__file__).parent / "out"
CACHE = OUT / "group_robust_splits"
RESULTS = OUT / "group_robust.jsonl"
WIDE = False
ONLY = None


# ---------------------------------------------------------------- data
def _adult_splits(seed):
    import pandas as pd

    from skreweight.datasets import load_dataset

    frame = load_dataset("adult", as_frame=True).frame
    y = frame.pop("target").to_numpy()
    sex = frame["sex"].to_numpy()
    categorical = [
        "workclass",
        "education",
        "marital_status",
        "occupation",
        "relationship",
        "race",
        "native_country",
    ]
    X = pd.get_dummies(frame, columns=categorical, dtype=float).to_numpy(float)
    perm = np.random.RandomState(seed).permutation(len(y))
    parts = np.split(perm, [10_000, 14_000, 34_000])[:3]
    mean = X[parts[0]].mean(axis=0)
    std = X[parts[0]].std(axis=0)
    std[std == 0] = 1.0
    X = (X - mean) / std
    group = 2 * (sex == 2) + y  # sex x label
    return {
        name: (X[idx], y[idx], group[idx], sex[idx])
        for name, idx in zip(("train", "val", "test"), parts)
    }


def _spurious_splits(seed):
    from skreweight.datasets import make_spurious_groups

    out = {}
    for name, n, off in (
        ("train", 2000, 0),
        ("val", 1000, 1000),
        ("test", 10000, 2000),
    ):
        d = make_spurious_groups(n_samples=n, random_state=seed + off)
        out[name] = (d.X, d.y, d.group, d.spurious)
    return out


def load_splits(dataset, seed):
    """Splits are built once by the main process and cached for the peer."""
    path = CACHE / f"{dataset}_{seed}.npz"
    if path.exists():
        z = np.load(path)
        return {
            part: tuple(z[f"{part}_{k}"] for k in ("X", "y", "g", "a"))
            for part in ("train", "val", "test")
        }
    splits = (_adult_splits if dataset == "adult" else _spurious_splits)(seed)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        **{
            f"{part}_{k}": arr
            for part, arrs in splits.items()
            for k, arr in zip(("X", "y", "g", "a"), arrs)
        },
    )
    return splits


# ------------------------------------------------------------- methods
WIDE_GRIDS = {
    "GroupDRO-exact": {
        "adjustment": [0.0, 1.0],
        "robustness": [0.1, 0.25, 0.5, 0.75, 1.0],
    },
    "GroupDRO-hedge": {"adjustment": [0.0, 1.0], "max_iter": [1, 2, 5, 30]},
    "JTT": {"upweight": [1.5, 2.0, 3.0, 5.0, 20.0, 50.0, "auto"]},
    "GSR": {"learning_rate": [0.1, 0.5, 2.0], "alpha": [1e-2], "max_iter": [3, 10, 50]},
    "fairlearn-ExpGrad": {"eps": [0.01, 0.02, 0.05, 0.1, 0.2]},
}


def _methods(n):
    from skreweight.compose import ReweightedClassifier
    from skreweight.robust import (
        GroupDROClassifier,
        GSRClassifier,
        JTTClassifier,
        SpectralRiskClassifier,
    )
    from skreweight.weighting import GroupBalance

    lr = LogisticRegression(max_iter=1000)
    return {
        "ERM": (lr, {}, "none"),
        "GroupBalance": (ReweightedClassifier(GroupBalance(), lr), {}, "group"),
        "GroupDRO-exact": (
            GroupDROClassifier(alpha=1.0 / n, max_iter=500),
            {"adjustment": [0.0, 1.0, 4.0]},
            "group",
        ),
        "GroupDRO-hedge": (
            GroupDROClassifier(lr, step_size=1.0, max_iter=30),
            {"adjustment": [0.0, 1.0, 4.0]},
            "group",
        ),
        "JTT": (
            JTTClassifier(lr, LogisticRegression(C=0.01, max_iter=1000)),
            {"upweight": [5.0, 20.0, 50.0, "auto"]},
            "none",
        ),
        "GSR": (
            GSRClassifier(alpha=0.5 / n, random_state=0),
            {"learning_rate": [0.5, 2.0], "alpha": [0.5 / n, 1e-2]},
            "target",
        ),
        "SpectralRisk-CVaR": (
            SpectralRiskClassifier("cvar", alpha=1.0 / n),
            {"level": [0.5, 0.9]},
            "none",
        ),
    }


def _fairlearn_method():
    from fairlearn.reductions import EqualizedOdds, ExponentiatedGradient

    class _EG:
        def __init__(self, eps=0.01):
            self.eps = eps

        def set_params(self, **params):
            self.__dict__.update(params)
            return self

        def fit(self, X, y, sensitive):
            self.model_ = ExponentiatedGradient(
                LogisticRegression(max_iter=1000), EqualizedOdds(), eps=self.eps
            ).fit(X, y, sensitive_features=sensitive)
            return self

        def predict(self, X):
            return self.model_.predict(X, random_state=0)

    return {"fairlearn-ExpGrad": (_EG(), {"eps": [0.01, 0.05]}, "sensitive")}


def _fit(method, kind, params, train, val):
    X, y, g, a = train
    if kind == "sensitive":
        return method.set_params(**params).fit(X, y, a)
    est = clone(method).set_params(**params)
    if kind == "group":
        return est.fit(X, y, sample_group=g)
    if kind == "target":
        Xv, yv, gv, _ = val
        return est.fit(X, y, X_target=Xv, y_target=yv, target_group=gv)
    return est.fit(X, y)


def _scores(model, X, y, g):
    pred = model.predict(X)
    wga = min(float(np.mean(pred[g == k] == y[g == k])) for k in np.unique(g))
    return wga, float(np.mean(pred == y))


def _grid(space):
    keys = sorted(space)
    if not keys:
        return [{}]
    out = [{}]
    for k in keys:
        out = [dict(o, **{k: v}) for o in out for v in space[k]]
    return out


def run(impl, datasets, seeds):
    OUT.mkdir(exist_ok=True)
    versions = {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "sklearn": sklearn.__version__,
    }
    if impl == "fairlearn":
        import fairlearn

        versions["fairlearn"] = fairlearn.__version__
    else:
        import scipy

        import skreweight

        versions.update(skreweight=skreweight.__version__, scipy=scipy.__version__)
    with open(RESULTS, "a") as fh:
        for dataset in datasets:
            warmed = set()
            for seed in range(seeds):
                splits = load_splits(dataset, seed)
                train, val, test = splits["train"], splits["val"], splits["test"]
                n = train[0].shape[0]
                methods = _fairlearn_method() if impl == "fairlearn" else _methods(n)
                for name, (method, space, kind) in methods.items():
                    if ONLY and name not in ONLY:
                        continue
                    if WIDE:
                        space = WIDE_GRIDS.get(name, space)
                    record = dict(
                        dataset=dataset, method=name, seed=seed, versions=versions
                    )
                    try:
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            best, grid = (-1.0, None), []
                            for params in _grid(space):
                                m = _fit(method, kind, params, train, val)
                                wga_val, acc_val = _scores(m, *val[:3])
                                wga_test, acc_test = _scores(m, *test[:3])
                                grid.append(
                                    dict(
                                        params=params,
                                        val_wga=wga_val,
                                        val_acc=acc_val,
                                        test_wga=wga_test,
                                        test_acc=acc_test,
                                    )
                                )
                                if wga_val > best[0]:
                                    best = (wga_val, params)
                            if name not in warmed:
                                _fit(method, kind, best[1], train, val)
                                warmed.add(name)
                            t0 = time.perf_counter()
                            model = _fit(method, kind, best[1], train, val)
                            fit_time = time.perf_counter() - t0
                        wga, acc = _scores(model, *test[:3])
                        record.update(
                            status="ok",
                            params=best[1],
                            val_wga=best[0],
                            test_wga=wga,
                            test_acc=acc,
                            fit_time=fit_time,
                            load1=os.getloadavg()[0],
                            grid=grid,
                        )
                    except Exception as exc:  # keep failed records
                        record.update(
                            status="error",
                            error=repr(exc),
                            trace=traceback.format_exc()[-2000:],
                        )
                    line = json.dumps(record, default=str)
                    print(line, flush=True)
                    fh.write(line + "\n")
                    fh.flush()


def _cvxpy_spectral_regression(X, y, spectrum, alpha):
    import cvxpy as cp

    from skreweight.robust import spectrum_cdf

    n = X.shape[0]
    sigma = np.diff(spectrum_cdf(spectrum)(np.arange(n + 1) / n))
    dsig = np.diff(np.r_[0.0, sigma])
    w, u, r = cp.Variable(X.shape[1]), cp.Variable(n), cp.Variable(n)
    z = r - u
    h = sum(dsig[k] * cp.sum_largest(z, n - k) for k in range(n) if dsig[k] > 1e-15)
    conj = cp.sum(u) / n + cp.sum_squares(u) / (2 * n)
    prob = cp.Problem(
        cp.Minimize(h + conj + 0.5 * alpha * cp.sum_squares(w)),
        [r >= 0.5 * cp.square(y - X @ w)],
    )
    prob.solve(solver="CLARABEL")
    return prob.value


def run_spectral():
    from sklearn.datasets import load_diabetes
    from sklearn.model_selection import train_test_split

    import skreweight
    from skreweight.robust import SpectralRiskRegressor

    X, y = load_diabetes(return_X_y=True)
    X, _, y, _ = train_test_split(X, y, test_size=0.2, random_state=42)
    X = (X - X.mean(0)) / X.std(0)
    y = (y - y.mean()) / y.std()
    X_all, y_all, n = X, y, X.shape[0]
    OUT.mkdir(exist_ok=True)
    with open(OUT / "group_robust_spectral.jsonl", "a") as fh:
        for spectrum, rows in (("cvar", n), ("extremile", 150), ("esrm", 150)):
            # cvxpy needs one sum_largest atom per spectrum step: the dense
            # extremile/ESRM spectra are solved on the first 150 rows only
            X, y = X_all[:rows], y_all[:rows]
            n = rows
            est = SpectralRiskRegressor(spectrum, alpha=1.0 / n, fit_intercept=False)
            times = {"skreweight": [], "cvxpy": []}
            for rep in range(4):
                t0 = time.perf_counter()
                est.fit(X, y)
                times["skreweight"].append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                ref = _cvxpy_spectral_regression(X, y, spectrum, 1.0 / n)
                times["cvxpy"].append(time.perf_counter() - t0)
            record = dict(
                dataset="sklearn-diabetes",
                spectrum=spectrum,
                n=n,
                objective_skreweight=est.objective_,
                objective_cvxpy=ref,
                rel_diff=(est.objective_ - ref) / abs(ref),
                time_skreweight=float(np.median(times["skreweight"][1:])),
                time_cvxpy=float(np.median(times["cvxpy"][1:])),
                load1=os.getloadavg()[0],
                versions={
                    "skreweight": skreweight.__version__,
                    "sklearn": sklearn.__version__,
                },
            )
            line = json.dumps(record)
            print(line, flush=True)
            fh.write(line + "\n")


def _constrained(rows_by_key, dataset, method, seed, max_loss=0.03):
    """Best validation WGA among configurations within max_loss of ERM's
    validation accuracy (same seed); the test metrics of that configuration."""
    erm = rows_by_key.get((dataset, "ERM", seed))
    r = rows_by_key[(dataset, method, seed)]
    if erm is None or "grid" not in r or "grid" not in erm:
        return None
    floor = erm["grid"][0]["val_acc"] - max_loss
    ok = [c for c in r["grid"] if c["val_acc"] >= floor]
    if not ok:
        return None
    return max(ok, key=lambda c: c["val_wga"])


def summary():
    rows = [json.loads(line) for line in open(RESULTS)]
    latest = {}
    for r in rows:
        latest[(r["dataset"], r["method"], r["seed"])] = r
    table = {}
    for (dataset, method, _), r in latest.items():
        if r["status"] == "ok":
            table.setdefault((dataset, method), []).append(r)
    print(
        "| dataset | method | seeds | worst-group acc | avg acc | "
        "WGA vs ERM | acc vs ERM | fit time (s) | time / ExpGrad |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for dataset in sorted({k[0] for k in table}):
        erm = table.get((dataset, "ERM"), [])
        peer = table.get((dataset, "fairlearn-ExpGrad"), [])
        med = lambda rs, k: float(np.median([r[k] for r in rs])) if rs else np.nan  # noqa: E731
        for method in sorted(
            {k[1] for k in table if k[0] == dataset}, key=lambda m: (m != "ERM", m)
        ):
            rs = table[(dataset, method)]
            print(
                f"| {dataset} | {method} | {len(rs)} | {med(rs, 'test_wga'):.3f} | "
                f"{med(rs, 'test_acc'):.3f} | "
                f"{100 * (med(rs, 'test_wga') - med(erm, 'test_wga')):+.1f} pt | "
                f"{100 * (med(rs, 'test_acc') - med(erm, 'test_acc')):+.1f} pt | "
                f"{med(rs, 'fit_time'):.3f} | "
                f"{med(rs, 'fit_time') / med(peer, 'fit_time'):.2f} |"
            )
    print()
    print("Selected by validation WGA subject to validation accuracy >= ERM's - 3 pt:")
    print(
        "| dataset | method | seeds | worst-group acc | avg acc | WGA vs ERM | "
        "acc vs ERM |"
    )
    print("|---|---|---|---|---|---|---|")
    for dataset in sorted({k[0] for k in table}):
        erm = table.get((dataset, "ERM"), [])
        for method in sorted(
            {k[1] for k in table if k[0] == dataset}, key=lambda m: (m != "ERM", m)
        ):
            picks = [
                _constrained(latest, dataset, method, r["seed"])
                for r in table[(dataset, method)]
            ]
            picks = [p for p in picks if p is not None]
            if not picks or not erm:
                continue
            wga = float(np.median([p["test_wga"] for p in picks]))
            acc = float(np.median([p["test_acc"] for p in picks]))
            print(
                f"| {dataset} | {method} | {len(picks)} | {wga:.3f} | {acc:.3f} | "
                f"{100 * (wga - med(erm, 'test_wga')):+.1f} pt | "
                f"{100 * (acc - med(erm, 'test_acc')):+.1f} pt |"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--impl", default="skreweight", choices=["skreweight", "fairlearn"]
    )
    parser.add_argument("--datasets", default="spurious,adult")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--summary", action="store_true")
    parser.add_argument("--spectral", action="store_true")
    parser.add_argument(
        "--wide", action="store_true", help="wider grids; results in *_wide.jsonl"
    )
    parser.add_argument("--methods", default=None, help="comma-separated subset")
    args = parser.parse_args()
    WIDE = args.wide
    ONLY = args.methods.split(",") if args.methods else None
    if WIDE:
        RESULTS = OUT / "group_robust_wide.jsonl"
    if args.summary:
        summary()
    elif args.spectral:
        run_spectral()
    else:
        run(args.impl, args.datasets.split(","), args.seeds)
