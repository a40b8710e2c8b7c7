"""Benchmark: exact convex ensembles against model selection and stacking.

Procedure
---------
Four real regression sets that ship with skreweight or scikit-learn (nothing
is downloaded): ``diabetes`` (scikit-learn's ``load_diabetes``, 442 rows),
``auto_mpg`` (392 rows, miles per gallon), ``redwine`` (1,599 rows, the
quality score as a number) and ``lalonde_psid`` (2,675 rows, 1978 earnings
``re78`` from the covariates and the treatment indicator, Lalonde NSW treated
+ PSID-1 controls). For each of 10 seeds: one random 75/25 train/test split
and one ``KFold(5, shuffle=True, random_state=seed)`` on the training rows,
shared by every method. Five heterogeneous base regressors, the same
everywhere: ridge and k-nearest neighbours (k=10) on standardised features,
an RBF support-vector regressor on standardised features and target, a random forest
(50 trees, min_samples_leaf=3) and histogram gradient boosting (100
iterations), seeded with ``seed``.

- skreweight: ``OptimallyWeightedRegressor(loss="squared_error")``
  (simplex-constrained QP on the out-of-fold predictions);
- scikit-learn: ``StackingRegressor(final_estimator=LinearRegression(
  positive=True))`` (non-negative, not convex, with an intercept), and model
  selection: the single base model with the lowest 5-fold CV MSE (the
  ensemble's ``cv_loss_``), refitted on all training rows;
- reference: the best single model *on the test rows* (an oracle no method
  can use).

Metric: test MSE. Paired differences (ensemble - competitor) seed by seed:
mean, standard error, wins. Fit time with ``time.perf_counter`` after one
untimed warm-up per data set: the ensemble's ``fit`` against the base models'
cross-validated fits done by hand (the same 5 fold fits and predictions per
model plus the refit on all rows, sequentially), which is the work any
cross-validated ensemble must do; their ratio is the overhead of the weight
optimisation. The QP is also solved through cvxpy on the same out-of-fold
predictions, by OSQP (eps 1e-12, solution polishing) and by Clarabel
(tolerances 1e-14): times and largest weight differences.

Run:

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \\
        PYTHONPATH=. .venv/bin/python benchmarks/bench_ensemble.py \\
        [--out benchmarks/results_ensemble.jsonl] [--seeds 10]

One JSON line per (dataset, seed) goes to ``--out``; the summary table is
printed at the end (``--summary`` reprints it from the file).
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import argparse
import json
import os
import time
import warnings

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_diabetes  # noqa: E402
from sklearn.ensemble import (  # noqa: E402
    HistGradientBoostingRegressor,
    RandomForestRegressor,
    StackingRegressor,
)
from sklearn.linear_model import LinearRegression, Ridge  # noqa: E402
from sklearn.model_selection import KFold, train_test_split  # noqa: E402
from sklearn.neighbors import KNeighborsRegressor  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.svm import SVR  # noqa: E402

import skreweight  # noqa: E402
from skreweight.datasets import load_dataset, load_lalonde  # noqa: E402
from skreweight.ensemble import OptimallyWeightedRegressor  # noqa: E402
from skreweight.ensemble._simplex import (  # noqa: E402
    _cvxpy_simplex_qp,
    _gram,
    simplex_least_squares,
)

DATASETS = ["diabetes", "auto_mpg", "redwine", "lalonde_psid"]


def load(name):
    if name == "diabetes":
        return load_diabetes(return_X_y=True)
    if name == "lalonde_psid":
        d = load_lalonde("psid1")
        return np.c_[d.data, d.treatment], np.asarray(d.target, dtype=float)
    X, y = load_dataset(name, return_X_y=True)
    return X, y.astype(float)


def members(seed):
    from sklearn.compose import TransformedTargetRegressor

    # SVR's epsilon-tube is on the scale of y: fit it on a standardised target
    svr = TransformedTargetRegressor(
        make_pipeline(StandardScaler(), SVR(C=1.0)), transformer=StandardScaler()
    )
    return [
        ("ridge", make_pipeline(StandardScaler(), Ridge(1.0))),
        ("knn", make_pipeline(StandardScaler(), KNeighborsRegressor(10))),
        ("svr", svr),
        (
            "rf",
            RandomForestRegressor(50, min_samples_leaf=3, random_state=seed, n_jobs=1),
        ),
        ("hgb", HistGradientBoostingRegressor(max_iter=100, random_state=seed)),
    ]


def base_cv_fits(estimators, X, y, cv):
    """The fold fits, fold predictions and refits of every base model, by hand."""
    for _, est in estimators:
        for train, test in cv.split(X, y):
            clone(est).fit(X[train], y[train]).predict(X[test])
        clone(est).fit(X, y)


def run(out, seeds, versions, datasets=DATASETS):
    records = []
    for name in datasets:
        X, y = load(name)
        for seed in seeds:
            Xtr, Xte, ytr, yte = train_test_split(
                X, y, test_size=0.25, random_state=seed
            )
            est_list = members(seed)
            cv = KFold(5, shuffle=True, random_state=seed)
            ens = OptimallyWeightedRegressor(est_list, cv=cv)
            stack = StackingRegressor(
                est_list, final_estimator=LinearRegression(positive=True), cv=cv
            )
            if seed == seeds[0]:  # warm-up, untimed
                clone(ens).fit(Xtr, ytr)
                clone(stack).fit(Xtr, ytr)
            t0, c0 = time.perf_counter(), time.process_time()
            base_cv_fits(est_list, Xtr, ytr, cv)
            t_base, c_base = time.perf_counter() - t0, time.process_time() - c0
            t0, c0 = time.perf_counter(), time.process_time()
            ens.fit(Xtr, ytr)
            t_ens, c_ens = time.perf_counter() - t0, time.process_time() - c0
            t0, c0 = time.perf_counter(), time.process_time()
            stack.fit(Xtr, ytr)
            t_stack, c_stack = time.perf_counter() - t0, time.process_time() - c0
            G, b, _ = _gram(ens.cv_predictions_, ytr, np.ones(ytr.shape[0]))
            t0 = time.perf_counter()
            w_as, qp_info = simplex_least_squares(ens.cv_predictions_, ytr)
            t_qp = time.perf_counter() - t0
            t0 = time.perf_counter()
            w_cvx = _cvxpy_simplex_qp(G, b, solver="OSQP")
            t_cvx = time.perf_counter() - t0
            t0 = time.perf_counter()
            w_cla = _cvxpy_simplex_qp(G, b, solver="CLARABEL")
            t_cla = time.perf_counter() - t0
            test_pred = np.column_stack([e.predict(Xte) for e in ens.estimators_])
            single_mse = np.mean((yte[:, None] - test_pred) ** 2, axis=0)
            rec = dict(
                dataset=name,
                seed=seed,
                n_train=int(ytr.shape[0]),
                members=[n for n, _ in est_list],
                weights=ens.weights_.tolist(),
                stack_coef=stack.final_estimator_.coef_.tolist(),
                stack_intercept=float(stack.final_estimator_.intercept_),
                mse_ensemble=float(np.mean((yte - ens.predict(Xte)) ** 2)),
                mse_stacking=float(np.mean((yte - stack.predict(Xte)) ** 2)),
                mse_selected=float(single_mse[np.argmin(ens.cv_loss_)]),
                mse_oracle_single=float(single_mse.min()),
                mse_single=single_mse.tolist(),
                fit_time_ensemble=t_ens,
                fit_time_base_cv=t_base,
                fit_time_stacking=t_stack,
                cpu_time_ensemble=c_ens,
                cpu_time_base_cv=c_base,
                cpu_time_stacking=c_stack,
                qp_time_active_set=t_qp,
                qp_time_cvxpy=t_cvx,
                max_weight_diff_cvxpy=float(np.max(np.abs(w_as - w_cvx))),
                qp_time_clarabel=t_cla,
                max_weight_diff_clarabel=float(np.max(np.abs(w_as - w_cla))),
                qp_solver_used=qp_info["solver"],
                qp_n_iter=qp_info["n_iter"],
                versions=versions,
                load1=os.getloadavg()[0],
                status="ok",
            )
            records.append(rec)
            out.write(json.dumps(rec) + "\n")
            out.flush()
            print(
                f"{name} seed {seed}: ens {rec['mse_ensemble']:.4g} "
                f"sel {rec['mse_selected']:.4g} stack {rec['mse_stacking']:.4g} "
                f"time ratio {t_ens / t_base:.3f}",
                flush=True,
            )
    return records


def _se(x):
    return float(np.std(x, ddof=1) / np.sqrt(len(x)))


def summarize(records):
    print(
        "\n| data set | n train | MSE ensemble | MSE selected single | MSE stacking "
        "| MSE oracle single | ens - selected (se, wins) | ens - stacking "
        "(se, wins) | time ens / base CV fits (wall, CPU) | time stacking / base "
        "| QP ms: active set / OSQP / Clarabel | max weight diff vs OSQP / "
        "Clarabel |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in DATASETS:
        rs = [r for r in records if r["dataset"] == name and r["status"] == "ok"]
        if not rs:
            continue
        ens = np.array([r["mse_ensemble"] for r in rs])
        sel = np.array([r["mse_selected"] for r in rs])
        stk = np.array([r["mse_stacking"] for r in rs])
        ora = np.array([r["mse_oracle_single"] for r in rs])
        d1, d2 = ens - sel, ens - stk
        ratio = np.median([r["fit_time_ensemble"] / r["fit_time_base_cv"] for r in rs])
        cpu = np.median([r["cpu_time_ensemble"] / r["cpu_time_base_cv"] for r in rs])
        stk_t = np.median([r["fit_time_stacking"] / r["fit_time_base_cv"] for r in rs])
        qp = np.median([r["qp_time_active_set"] for r in rs]) * 1e3
        cvx = np.median([r["qp_time_cvxpy"] for r in rs]) * 1e3
        wd = max(r["max_weight_diff_cvxpy"] for r in rs)
        cla = np.median([r["qp_time_clarabel"] for r in rs]) * 1e3
        wdc = max(r["max_weight_diff_clarabel"] for r in rs)
        assert all(r["qp_solver_used"] == "active_set" for r in rs), name
        print(
            f"| {name} | {rs[0]['n_train']} | {ens.mean():.4g} | {sel.mean():.4g} "
            f"| {stk.mean():.4g} | {ora.mean():.4g} "
            f"| {d1.mean():+.4g} ({_se(d1):.2g}, {np.sum(d1 < 0)}/{d1.size}) "
            f"| {d2.mean():+.4g} ({_se(d2):.2g}, {np.sum(d2 < 0)}/{d2.size}) "
            f"| {ratio:.3f} (CPU {cpu:.3f}) | {stk_t:.3f} "
            f"| {qp:.2f} / {cvx:.1f} / {cla:.1f} | {wd:.1e} / {wdc:.1e} |"
        )
    print(
        "\nMSE: means over seeds; differences: mean of the paired per-seed "
        "differences, standard error, and seeds where the ensemble is better "
        "(negative difference); time ratios: medians over seeds of wall-clock "
        "(perf_counter) and process CPU time (process_time, insensitive to "
        "other processes on a shared machine)."
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results_ensemble.jsonl")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--datasets", nargs="+", default=DATASETS, choices=DATASETS)
    parser.add_argument("--summary", action="store_true")
    args = parser.parse_args()
    if args.summary:
        with open(args.out) as f:
            summarize([json.loads(line) for line in f])
        return
    warnings.filterwarnings("ignore", category=UserWarning)
    versions = {
        "skreweight": skreweight.__version__,
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
    }
    with open(args.out, "a") as out:
        records = run(out, list(range(args.seeds)), versions, args.datasets)
    summarize(records)


if __name__ == "__main__":
    main()
