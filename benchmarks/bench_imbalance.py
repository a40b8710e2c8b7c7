"""Benchmark: class-imbalance reweighting against imbalanced-learn, and label shift.

Procedure
---------
Part 1 (imbalance). Three real binary tasks whose positive class is rare
(``skreweight.datasets.load_imbalanced``): ``caravan`` (6.0 %),
``redwine_low_quality`` (3.9 %) and ``adult_under_30`` (5.1 %). For each of 10
seeds, one stratified 70/30 train/test split, shared by every method; the
features are standardised on the training rows (trees do not care; SMOTE and
logistic regression need it). Three base learners, the same for every
method: ``LogisticRegression(max_iter=1000)``,
``HistGradientBoostingClassifier(random_state=seed)`` and
``RandomForestClassifier(n_estimators=100)`` (the learner inside
imbalanced-learn's ``BalancedRandomForestClassifier``, so that the forest is
compared with a forest).

- skreweight: ``ClassBalance`` (``inverse``, ``sqrt``, ``effective_number``
  with beta=0.999) in ``ReweightedClassifier``, and
  ``LogitAdjustedClassifier`` (tau=1), without and with
  ``calibration="sigmoid"`` (5 folds, charged to the fit time; and with one
  stratified 80/20 hold-out, ``cv=StratifiedShuffleSplit(1, test_size=0.2)``:
  one fit on 80 % of the rows, Platt scaling on the rest), each with every
  learner;
- scikit-learn: ``class_weight="balanced"`` on every learner (reference);
- imbalanced-learn: ``RandomOverSampler`` and ``SMOTE`` in an imblearn
  ``Pipeline`` with every learner, and ``BalancedRandomForestClassifier``
  (100 trees);
- the unweighted learners (reference).

Metrics on the test rows: balanced accuracy of ``predict``, average precision
of ``predict_proba[:, 1]``; fit time (weights/resampling + model) with
``time.perf_counter`` after one untimed warm-up fit per method and data set.
The best method of each package is the one with the highest median balanced
accuracy; the paired difference of the two bests is taken seed by seed.

Part 2 (label shift). ``adult`` income (48,842 rows, 24 % positives): 20,000
random source rows; 50 target samples of 2,000 rows from the other rows, each
with a positive share drawn uniformly in [0.05, 0.6] (exact counts). Target
priors estimated by ``LabelShiftWeighting`` with ``method`` in {em, bbse,
bbse_soft}, with a standardised logistic regression and with
``HistGradientBoostingClassifier``; L1 error to the sampled priors. A
reference row gives the floor of hard BBSE with the logistic regression: the
same cross-fitted fold models, with their true- and false-positive rates
measured on the whole target pool (no estimation error in the confusion
matrix), so that only the sampling noise of the 2,000 target predictions
remains.

Part 3 (PRESTO). Red-wine quality as an ordinal outcome with rare ends
(<= 4: 63 rows, 5, 6, 7, 8: 18 rows). 5 stratified 70/30 splits; Brier score
of the probability of the rarest class (8) on the test rows for
``PRESTOClassifier`` (alpha by 5-fold CV over 10 values), the unpenalised
non-parallel model (alpha=0), and a logistic regression of "8 vs rest". On
the first split, the proximal Newton solver is timed against the cvxpy
(Clarabel) formulation at the chosen alpha, with the largest coefficient
difference.

Part 4 (balanced bagging). The splits of part 1 (same seeds, standardised
features), 100 trees each: imbalanced-learn's ``BalancedRandomForestClassifier``
(``sampling_strategy="all", replacement=True, bootstrap=False``: every class
drawn with replacement to the minority count) against skreweight's
``ClassBalancedBaggingClassifier`` around ``DecisionTreeClassifier(
max_features="sqrt")``, with multinomial counts and with Poisson counts,
each with ``undersample=False`` (multinomial: BRF's sampling law, written as
weights) and ``undersample=True`` (the default: every class drawn from a
random pool of ``m_c`` of its rows). Balanced accuracy, average precision,
fit time and CPU time (warm-up untimed); paired differences to BRF seed by
seed. ``--part bagging_select`` runs the same on 20 other splits (seeds
100-119, never reported as the protocol) with, besides, 1.5 and 2 times BRF's
expected draws; the defaults of ``ClassBalancedBaggingClassifier`` were chosen
on these splits.

Run (imbalanced-learn lives in its own virtual environment, same scikit-learn):

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \\
        PYTHONPATH=. /work/venvs/imblearn/bin/python benchmarks/bench_imbalance.py \\
        [--part imbalance|label_shift|all] [--out results.jsonl]

One JSON line per (task, method, dataset, seed) goes to ``--out``; a summary
table is printed at the end.
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
from sklearn.ensemble import (  # noqa: E402
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import average_precision_score, balanced_accuracy_score  # noqa: E402
from sklearn.model_selection import StratifiedShuffleSplit  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import skreweight  # noqa: E402
from skreweight.compose import ReweightedClassifier  # noqa: E402
from skreweight.datasets import load_dataset, load_imbalanced  # noqa: E402
from skreweight.imbalance import LogitAdjustedClassifier  # noqa: E402
from skreweight.weighting import ClassBalance, LabelShiftWeighting  # noqa: E402

DATASETS = ["caravan", "redwine_low_quality", "adult_under_30"]
SEEDS = list(range(10))
PRESTO_SEEDS = [0, 1, 2, 3, 4]
# splits for choosing ClassBalancedBaggingClassifier's defaults, disjoint from SEEDS
SELECT_SEEDS = list(range(100, 120))
# (factor on BRF's expected draws, undersample)
BAGGING_VARIANTS = ((1.0, False), (1.0, True))
SELECT_VARIANTS = ((1.0, False), (1.5, False), (2.0, False), (1.0, True))


def _learners(seed):
    return {
        "LR": LogisticRegression(max_iter=1000),
        "HGB": HistGradientBoostingClassifier(random_state=seed),
        "RF": RandomForestClassifier(n_estimators=100, random_state=seed, n_jobs=1),
    }


def _methods(seed):
    """name -> (package, estimator factory)."""
    from imblearn.ensemble import BalancedRandomForestClassifier
    from imblearn.over_sampling import SMOTE, RandomOverSampler
    from imblearn.pipeline import make_pipeline as imb_pipeline

    out = {}
    for lname, learner in _learners(seed).items():
        out[f"none+{lname}"] = ("reference", lambda e=learner: clone(e))
        for scheme in ("inverse", "sqrt", "effective_number"):
            out[f"ClassBalance({scheme})+{lname}"] = (
                "skreweight",
                lambda e=learner, s=scheme: ReweightedClassifier(
                    ClassBalance(scheme=s), clone(e)
                ),
            )
        out[f"LogitAdjusted+{lname}"] = (
            "skreweight",
            lambda e=learner: LogitAdjustedClassifier(clone(e)),
        )
        out[f"LogitAdjusted(sigmoid)+{lname}"] = (
            "skreweight",
            lambda e=learner: LogitAdjustedClassifier(clone(e), calibration="sigmoid"),
        )
        # one stratified 80/20 hold-out instead of 5 folds: one fit of the
        # learner on 80 % of the rows, Platt scaling on the other 20 %
        out[f"LogitAdjusted(sigmoid, hold-out)+{lname}"] = (
            "skreweight",
            lambda e=learner: LogitAdjustedClassifier(
                clone(e),
                calibration="sigmoid",
                cv=StratifiedShuffleSplit(1, test_size=0.2, random_state=seed),
            ),
        )
        out[f"class_weight=balanced+{lname}"] = (
            "sklearn",
            lambda e=learner: clone(e).set_params(class_weight="balanced"),
        )
        out[f"RandomOverSampler+{lname}"] = (
            "imblearn",
            lambda e=learner: imb_pipeline(
                RandomOverSampler(random_state=seed), clone(e)
            ),
        )
        out[f"SMOTE+{lname}"] = (
            "imblearn",
            lambda e=learner: imb_pipeline(SMOTE(random_state=seed), clone(e)),
        )
    out["BalancedRandomForest"] = (
        "imblearn",
        lambda: BalancedRandomForestClassifier(
            n_estimators=100,
            sampling_strategy="all",
            replacement=True,
            bootstrap=False,
            random_state=seed,
            n_jobs=1,
        ),
    )
    return out


def _bagging_methods(seed, n_min, variants=BAGGING_VARIANTS):
    """BRF and ``ClassBalancedBaggingClassifier`` in each of ``variants``.

    A variant is (factor, undersample): the factor scales the expected draws
    per bootstrap against BRF's (every class drawn ``n_min`` times; 1 is
    BRF's mass, ``max_samples=None``); each runs with both count laws.
    """
    from imblearn.ensemble import BalancedRandomForestClassifier
    from sklearn.tree import DecisionTreeClassifier

    from skreweight.imbalance import ClassBalancedBaggingClassifier

    tree = DecisionTreeClassifier(max_features="sqrt")
    methods = {
        "BalancedRandomForest": (
            "imblearn",
            lambda: BalancedRandomForestClassifier(
                n_estimators=100,
                sampling_strategy="all",
                replacement=True,
                bootstrap=False,
                random_state=seed,
                n_jobs=1,
            ),
        ),
    }
    for law in ("multinomial", "poisson"):
        for f, under in variants:
            tag = law + ("" if f == 1 else f", x{f:g}") + (", undersample" * under)
            size = None if f == 1 else int(round(f * 2 * n_min))
            methods[f"ClassBalancedBagging({tag})+tree"] = (
                "skreweight",
                lambda law=law, size=size, under=under: ClassBalancedBaggingClassifier(
                    tree,
                    100,
                    bootstrap=law,
                    max_samples=size,
                    undersample=under,
                    random_state=seed,
                ),
            )
    return methods


def _bagging_record(make, Xtr, ytr, Xte, yte, rec, warm_up):
    try:
        if warm_up:
            make().fit(Xtr, ytr)  # warm-up, untimed
        est = make()
        t0, c0 = time.perf_counter(), time.process_time()
        est.fit(Xtr, ytr)
        rec["fit_time"] = time.perf_counter() - t0
        rec["cpu_time"] = time.process_time() - c0
        rec["balanced_accuracy"] = balanced_accuracy_score(yte, est.predict(Xte))
        rec["average_precision"] = average_precision_score(
            yte, est.predict_proba(Xte)[:, 1]
        )
        rec["status"] = "ok"
    except Exception as exc:  # keep failed records
        rec["status"] = f"error: {exc!r}"
    return rec


def run_bagging(
    out,
    versions,
    datasets=DATASETS,
    seeds=SEEDS,
    variants=BAGGING_VARIANTS,
    task="bagging",
):
    records = []
    for name in datasets:
        X, y = load_imbalanced(name, return_X_y=True)
        for seed in seeds:
            split = StratifiedShuffleSplit(n_splits=1, test_size=0.3, random_state=seed)
            train, test = next(split.split(X, y))
            scaler = StandardScaler().fit(X[train])
            Xtr, Xte = scaler.transform(X[train]), scaler.transform(X[test])
            ytr, yte = y[train], y[test]
            n_min = int(np.bincount(ytr).min())
            for method, (package, make) in _bagging_methods(
                seed, n_min, variants
            ).items():
                rec = dict(
                    task=task,
                    dataset=name,
                    seed=seed,
                    method=method,
                    package=package,
                    versions=versions,
                    load1=os.getloadavg()[0],
                )
                rec = _bagging_record(
                    make, Xtr, ytr, Xte, yte, rec, warm_up=seed == seeds[0]
                )
                records.append(rec)
                out.write(json.dumps(rec) + "\n")
                out.flush()
    return records


def summarize_bagging(records, task="bagging"):
    bag = [r for r in records if r["task"] == task and r["status"] == "ok"]
    if not bag:
        return
    seeds = sorted({r["seed"] for r in bag})
    print(
        f"\n## Balanced bagging against BalancedRandomForest (100 trees, {task}, "
        f"seeds {seeds[0]}-{seeds[-1]})\n"
    )
    print(
        "| data set | method | BA mean | AP mean | BA - BRF mean (se) | wins/ties "
        "| AP - BRF mean (se) | median time / BRF (wall, CPU) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    peer = "BalancedRandomForest"
    for name in DATASETS:
        rows = [r for r in bag if r["dataset"] == name]
        for m in sorted({r["method"] for r in rows}):
            rs = [r for r in rows if r["method"] == m]
            ba = np.mean([r["balanced_accuracy"] for r in rs])
            ap = np.mean([r["average_precision"] for r in rs])
            if m == peer:
                print(f"| {name} | {m} | {ba:.4f} | {ap:.4f} | - | - | - | 1 |")
                continue
            ours = {r["seed"]: r for r in rs}
            theirs = {r["seed"]: r for r in rows if r["method"] == peer}
            seeds = sorted(set(ours) & set(theirs))
            d = np.array(
                [
                    ours[s]["balanced_accuracy"] - theirs[s]["balanced_accuracy"]
                    for s in seeds
                ]
            )
            dap = np.array(
                [
                    ours[s]["average_precision"] - theirs[s]["average_precision"]
                    for s in seeds
                ]
            )
            wall = np.median(
                [ours[s]["fit_time"] / theirs[s]["fit_time"] for s in seeds]
            )
            cpu = np.median(
                [ours[s]["cpu_time"] / theirs[s]["cpu_time"] for s in seeds]
            )
            print(
                f"| {name} | {m} | {ba:.4f} | {ap:.4f} | {d.mean():+.4f} "
                f"({_se(d):.4f}) | {np.sum(d > 0)}/{np.sum(d == 0)} of {d.size} "
                f"| {dap.mean():+.4f} ({_se(dap):.4f}) | {wall:.2f}, {cpu:.2f} |"
            )


def _versions():
    try:
        import imblearn
    except ImportError:  # the PRESTO part runs without it
        imblearn = None
    return {
        "skreweight": skreweight.__version__,
        "sklearn": sklearn.__version__,
        "imblearn": getattr(imblearn, "__version__", None),
        "numpy": np.__version__,
    }


def run_imbalance(out, versions, datasets=DATASETS):
    records = []
    for name in datasets:
        X, y = load_imbalanced(name, return_X_y=True)
        for seed in SEEDS:
            split = StratifiedShuffleSplit(n_splits=1, test_size=0.3, random_state=seed)
            train, test = next(split.split(X, y))
            scaler = StandardScaler().fit(X[train])
            Xtr, Xte = scaler.transform(X[train]), scaler.transform(X[test])
            ytr, yte = y[train], y[test]
            for method, (package, make) in _methods(seed).items():
                rec = dict(
                    task="imbalance",
                    dataset=name,
                    seed=seed,
                    method=method,
                    package=package,
                    versions=versions,
                    load1=os.getloadavg()[0],
                )
                try:
                    if seed == SEEDS[0]:
                        make().fit(Xtr, ytr)  # warm-up, untimed
                    est = make()
                    t0 = time.perf_counter()
                    est.fit(Xtr, ytr)
                    rec["fit_time"] = time.perf_counter() - t0
                    rec["balanced_accuracy"] = balanced_accuracy_score(
                        yte, est.predict(Xte)
                    )
                    rec["average_precision"] = average_precision_score(
                        yte, est.predict_proba(Xte)[:, 1]
                    )
                    rec["status"] = "ok"
                except Exception as exc:  # keep failed records
                    rec["status"] = f"error: {exc!r}"
                records.append(rec)
                out.write(json.dumps(rec) + "\n")
                out.flush()
    return records


def run_label_shift(out, versions, n_shifts=50):
    X, y = load_dataset("adult", return_X_y=True)
    models = {
        "LR": make_pipeline(StandardScaler(), LogisticRegression()),
        "HGB": HistGradientBoostingClassifier(random_state=0),
    }
    records = []
    for model_name, est in models.items():
        rng = np.random.RandomState(0)  # the same shifts for every model
        perm = rng.permutation(y.shape[0])
        src, pool = perm[:20000], perm[20000:]
        pos, neg = pool[y[pool] == 1], pool[y[pool] == 0]
        LabelShiftWeighting(est).fit(X[src], y[src], X_target=X[pool[:2000]])
        if model_name == "LR":
            hard, rates = _hard_bbse_floor(est, X, y, src, pos, neg)
        for s, share in enumerate(rng.uniform(0.05, 0.6, size=n_shifts)):
            n1 = int(round(2000 * share))
            idx = np.r_[
                rng.choice(pos, n1, replace=False),
                rng.choice(neg, 2000 - n1, replace=False),
            ]
            truth = np.array([1 - n1 / 2000, n1 / 2000])
            if model_name == "LR":
                tpr, fpr = rates
                share_hat = np.clip((hard[idx].mean() - fpr) / (tpr - fpr), 0, 1)
                rec = dict(
                    task="label_shift",
                    dataset="adult",
                    seed=s,
                    method="bbse+LR, exact confusion (floor)",
                    package="reference",
                    versions=versions,
                    true_positive_share=truth[1],
                    estimated_positive_share=float(share_hat),
                    l1_error=float(2 * abs(share_hat - truth[1])),
                    fit_time=float("nan"),
                    status="ok",
                    load1=os.getloadavg()[0],
                )
                records.append(rec)
                out.write(json.dumps(rec) + "\n")
            for method in ("em", "bbse", "bbse_soft"):
                t0 = time.perf_counter()
                w = LabelShiftWeighting(est, method=method).fit(
                    X[src], y[src], X_target=X[idx]
                )
                rec = dict(
                    task="label_shift",
                    dataset="adult",
                    seed=s,
                    method=f"{method}+{model_name}",
                    package="skreweight",
                    versions=versions,
                    true_positive_share=truth[1],
                    estimated_positive_share=float(w.target_priors_[1]),
                    l1_error=float(np.abs(w.target_priors_ - truth).sum()),
                    fit_time=time.perf_counter() - t0,
                    status="ok",
                    load1=os.getloadavg()[0],
                )
                records.append(rec)
                out.write(json.dumps(rec) + "\n")
                out.flush()
    return records


def _hard_bbse_floor(est, X, y, src, pos, neg):
    """Hard BBSE's predictions with confusion rates measured on the target pool.

    The same fold models as ``LabelShiftWeighting(method="bbse")`` (5-fold
    stratified cross-fitting on the source rows, the balanced-error rule
    ``argmax p(y|x) / pi_s``); their true- and false-positive rates are taken
    on the whole pool the target samples are drawn from, so the only error
    left is the sampling noise of the target predictions.
    """
    from sklearn.model_selection import StratifiedKFold

    Xs, ys = X[src], y[src]
    pi_s = np.bincount(ys) / ys.shape[0]
    rows = np.r_[pos, neg]
    hard = np.zeros(X.shape[0])
    for train, _ in StratifiedKFold(5).split(Xs, ys):
        model = clone(est).fit(Xs[train], ys[train])
        hard[rows] += np.argmax(model.predict_proba(X[rows]) / pi_s, axis=1) / 5
    return hard, (hard[pos].mean(), hard[neg].mean())


def run_presto(out, versions):
    from skreweight.imbalance import PRESTOClassifier

    X, q = load_dataset("redwine", return_X_y=True)
    y = np.clip(q, 4, 8)
    records = []
    PRESTOClassifier(alpha=0.01).fit(X, y)  # warm-up
    for seed in PRESTO_SEEDS:
        split = StratifiedShuffleSplit(n_splits=1, test_size=0.3, random_state=seed)
        train, test = next(split.split(X, y))
        rare = (y[test] == 8).astype(float)
        models = {
            "PRESTO (CV)": lambda: PRESTOClassifier(alphas=10, cv=5),
            "PRESTO alpha=0": lambda: PRESTOClassifier(alpha=0.0),
            "logistic 8 vs rest": lambda: make_pipeline(
                StandardScaler(), LogisticRegression(max_iter=1000)
            ),
        }
        for method, make in models.items():
            target = (y[train] == 8) if "logistic" in method else y[train]
            est = make()
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est.fit(X[train], target)
            rec = dict(
                task="presto",
                dataset="redwine",
                seed=seed,
                method=method,
                package="skreweight" if "PRESTO" in method else "sklearn",
                versions=versions,
                fit_time=time.perf_counter() - t0,
                rare_brier=float(
                    np.mean((est.predict_proba(X[test])[:, -1] - rare) ** 2)
                ),
                status="ok",
                load1=os.getloadavg()[0],
            )
            if method == "PRESTO (CV)":
                rec["alpha"] = est.alpha_
                if seed == PRESTO_SEEDS[0]:
                    times = {}
                    for solver in ("newton", "cvxpy"):
                        t0 = time.perf_counter()
                        fit = PRESTOClassifier(alpha=est.alpha_, solver=solver).fit(
                            X[train], y[train]
                        )
                        times[solver] = (time.perf_counter() - t0, fit.coef_)
                    rec["solver_time_newton"] = times["newton"][0]
                    rec["solver_time_cvxpy"] = times["cvxpy"][0]
                    rec["solver_max_coef_diff"] = float(
                        np.max(np.abs(times["newton"][1] - times["cvxpy"][1]))
                    )
            records.append(rec)
            out.write(json.dumps(rec) + "\n")
            out.flush()
    return records


def summarize(records):
    """Print the tables of RESULTS.md from the JSON records."""
    imb = [r for r in records if r["task"] == "imbalance" and r["status"] == "ok"]
    if imb:
        print("\n## Class imbalance: medians over seeds\n")
        for name in DATASETS:
            rows = [r for r in imb if r["dataset"] == name]
            if not rows:
                continue
            methods = sorted({r["method"] for r in rows})
            table = []
            for m in methods:
                rs = [r for r in rows if r["method"] == m]
                table.append(
                    (
                        m,
                        rs[0]["package"],
                        np.median([r["balanced_accuracy"] for r in rs]),
                        np.median([r["average_precision"] for r in rs]),
                        np.median([r["fit_time"] for r in rs]),
                    )
                )
            peer = max((t for t in table if t[1] == "imblearn"), key=lambda t: t[2])
            ours = max((t for t in table if t[1] == "skreweight"), key=lambda t: t[2])
            print(f"### {name}\n")
            print(
                "| method | package | balanced acc. | avg. precision | fit s "
                "| time / best imblearn |"
            )
            print("|---|---|---|---|---|---|")
            for t in sorted(table, key=lambda t: -t[2]):
                print(
                    f"| {t[0]} | {t[1]} | {t[2]:.3f} | {t[3]:.3f} | {t[4]:.3f} "
                    f"| {t[4] / peer[4]:.2f} |"
                )
            print(
                f"\nbest skreweight: {ours[0]} BA {ours[2]:.3f} in {ours[4]:.3f}s; "
                f"best imblearn: {peer[0]} BA {peer[2]:.3f} in {peer[4]:.3f}s; "
                f"target met: {ours[2] >= peer[2] and ours[4] < peer[4]}"
            )
            faster = [
                t
                for t in table
                if t[1] == "skreweight" and t[2] >= peer[2] and t[4] < peer[4]
            ]
            if faster:
                f = max(faster, key=lambda t: t[2])
                print(
                    f"best skreweight method at lower fit time: {f[0]} BA {f[2]:.3f} "
                    f"in {f[4]:.3f}s (ratio {f[4] / peer[4]:.2f})"
                )
            else:
                print("no skreweight method reaches that BA at lower fit time")
            for m in sorted({t[0] for t in table if t[1] == "skreweight"}):
                diff, ratio = _paired(rows, m, peer[0])
                if np.median([t[2] for t in table if t[0] == m]) >= peer[2] - 0.005:
                    print(
                        f"  {m} - {peer[0]}: BA diff mean {diff.mean():+.4f} "
                        f"sd {diff.std(ddof=1):.4f} (se {_se(diff):.4f}), "
                        f"wins {np.sum(diff > 0)}/{diff.size}, ties "
                        f"{np.sum(diff == 0)}; median time ratio "
                        f"{np.median(ratio):.2f}"
                    )
            print()
    ls = [r for r in records if r["task"] == "label_shift"]
    if ls:
        print(
            "\n## Label shift on adult: L1 error of the target priors, "
            f"{len({r['seed'] for r in ls})} shifts, n_target = 2000\n"
        )
        print(
            "| method | mean | se | median | 90th pct | max | share <= 0.03 "
            "| bias (share) | sd (share) | fit s |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        for m in sorted({r["method"] for r in ls}):
            e = np.array([r["l1_error"] for r in ls if r["method"] == m])
            t = np.median([r["fit_time"] for r in ls if r["method"] == m])
            d = np.array(
                [
                    r["estimated_positive_share"] - r["true_positive_share"]
                    for r in ls
                    if r["method"] == m
                ]
            )
            print(
                f"| {m} | {e.mean():.4f} | {_se(e):.4f} | {np.median(e):.4f} | "
                f"{np.quantile(e, 0.9):.4f} | {e.max():.4f} | "
                f"{np.mean(e <= 0.03):.2f} | {d.mean():+.4f} | {d.std():.4f} | "
                + ("-" if np.isnan(t) else f"{t:.2f}")
                + " |"
            )


def _paired(rows, method, peer):
    """Per-seed BA differences and fit-time ratios of ``method`` vs ``peer``."""
    ours = {r["seed"]: r for r in rows if r["method"] == method}
    theirs = {r["seed"]: r for r in rows if r["method"] == peer}
    seeds = sorted(set(ours) & set(theirs))
    diff = np.array(
        [ours[s]["balanced_accuracy"] - theirs[s]["balanced_accuracy"] for s in seeds]
    )
    ratio = np.array([ours[s]["fit_time"] / theirs[s]["fit_time"] for s in seeds])
    return diff, ratio


def _se(x):
    return x.std(ddof=1) / np.sqrt(x.size)


def _summarize_presto(records):
    pr = [r for r in records if r["task"] == "presto"]
    if not pr:
        return
    print("\n## PRESTO on red-wine quality: Brier score of P(quality = 8)\n")
    print("| method | mean Brier (rare class) | median fit s |")
    print("|---|---|---|")
    for m in ("PRESTO (CV)", "PRESTO alpha=0", "logistic 8 vs rest"):
        rs = [r for r in pr if r["method"] == m]
        print(
            f"| {m} | {np.mean([r['rare_brier'] for r in rs]):.5f} | "
            f"{np.median([r['fit_time'] for r in rs]):.3f} |"
        )
    s = [r for r in pr if "solver_time_cvxpy" in r]
    if s:
        r = s[0]
        print(
            f"\nsolver at alpha={r['alpha']:.4g}: "
            f"newton {r['solver_time_newton']:.3f}s, "
            f"cvxpy {r['solver_time_cvxpy']:.3f}s "
            f"({r['solver_time_cvxpy'] / r['solver_time_newton']:.0f}x), "
            f"max coef difference {r['solver_max_coef_diff']:.2e}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--part",
        default="all",
        choices=[
            "all",
            "imbalance",
            "label_shift",
            "presto",
            "bagging",
            "bagging_select",
            "summary",
        ],
    )
    parser.add_argument("--out", default="benchmarks/results_imbalance.jsonl")
    parser.add_argument("--datasets", nargs="+", default=DATASETS, choices=DATASETS)
    args = parser.parse_args()
    if args.part == "summary":
        with open(args.out) as f:
            records = [json.loads(line) for line in f]
        summarize(records)
        _summarize_presto(records)
        summarize_bagging(records)
        summarize_bagging(records, task="bagging_select")
        return
    warnings.filterwarnings("ignore", category=FutureWarning)
    versions = _versions()
    records = []
    with open(args.out, "a") as out:
        if args.part in ("all", "imbalance"):
            records += run_imbalance(out, versions, args.datasets)
        if args.part in ("all", "label_shift"):
            records += run_label_shift(out, versions)
        if args.part in ("all", "presto"):
            records += run_presto(out, versions)
        if args.part in ("all", "bagging"):
            records += run_bagging(out, versions, args.datasets)
        if args.part == "bagging_select":
            records += run_bagging(
                out,
                versions,
                args.datasets,
                SELECT_SEEDS,
                SELECT_VARIANTS,
                task="bagging_select",
            )
    summarize(records)
    _summarize_presto(records)
    summarize_bagging(records)
    summarize_bagging(records, task="bagging_select")


if __name__ == "__main__":
    main()
