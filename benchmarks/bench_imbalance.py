"""Benchmark: class-imbalance reweighting against imbalanced-learn, and label shift.

Procedure
---------
Part 1 (imbalance). Three real binary tasks whose positive class is rare
(``skreweight.datasets.load_imbalanced``): ``caravan`` (6.0 %),
``redwine_low_quality`` (3.9 %) and ``adult_under_30`` (5.1 %). For each of 5
seeds, one stratified 70/30 train/test split, shared by every method; the
features are standardised on the training rows (trees do not care; SMOTE and
logistic regression need it). Two base learners, the same for every method:
``LogisticRegression(max_iter=1000)`` and
``HistGradientBoostingClassifier(random_state=seed)``.

- skreweight: ``ClassBalance`` (``inverse``, ``sqrt``, ``effective_number``
  with beta=0.999) in ``ReweightedClassifier``, and
  ``LogitAdjustedClassifier`` (tau=1), each with both learners;
- scikit-learn: ``class_weight="balanced"`` on both learners (reference);
- imbalanced-learn: ``RandomOverSampler`` and ``SMOTE`` in an imblearn
  ``Pipeline`` with both learners, and ``BalancedRandomForestClassifier``
  (100 trees);
- the unweighted learners (reference).

Metrics on the test rows: balanced accuracy of ``predict``, average precision
of ``predict_proba[:, 1]``; fit time (weights/resampling + model) with
``time.perf_counter`` after one untimed warm-up fit per method and data set.

Part 2 (label shift). ``adult`` income (48,842 rows, 24 % positives): 20,000
random source rows; 50 target samples of 2,000 rows from the other rows, each
with a positive share drawn uniformly in [0.05, 0.6] (exact counts). Target
priors estimated by ``LabelShiftWeighting`` with ``method`` in {em, bbse,
bbse_soft} and a standardised logistic regression; L1 error to the sampled
priors.

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
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
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
SEEDS = [0, 1, 2, 3, 4]


def _learners(seed):
    return {
        "LR": LogisticRegression(max_iter=1000),
        "HGB": HistGradientBoostingClassifier(random_state=seed),
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


def _versions():
    import imblearn

    return {
        "skreweight": skreweight.__version__,
        "sklearn": sklearn.__version__,
        "imblearn": imblearn.__version__,
        "numpy": np.__version__,
    }


def run_imbalance(out, versions):
    records = []
    for name in DATASETS:
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
    rng = np.random.RandomState(0)
    perm = rng.permutation(y.shape[0])
    src, pool = perm[:20000], perm[20000:]
    pos, neg = pool[y[pool] == 1], pool[y[pool] == 0]
    est = make_pipeline(StandardScaler(), LogisticRegression())
    records = []
    LabelShiftWeighting(est).fit(X[src], y[src], X_target=X[pool[:2000]])  # warm-up
    for s, share in enumerate(rng.uniform(0.05, 0.6, size=n_shifts)):
        n1 = int(round(2000 * share))
        idx = np.r_[
            rng.choice(pos, n1, replace=False),
            rng.choice(neg, 2000 - n1, replace=False),
        ]
        truth = np.array([1 - n1 / 2000, n1 / 2000])
        for method in ("em", "bbse", "bbse_soft"):
            t0 = time.perf_counter()
            w = LabelShiftWeighting(est, method=method).fit(
                X[src], y[src], X_target=X[idx]
            )
            rec = dict(
                task="label_shift",
                dataset="adult",
                seed=s,
                method=method,
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


def summarize(records):
    """Print the tables of RESULTS_imbalance.md from the JSON records."""
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
                f"target met: {ours[2] >= peer[2] and ours[4] < peer[4]}\n"
            )
    ls = [r for r in records if r["task"] == "label_shift"]
    if ls:
        print(
            "\n## Label shift on adult: L1 error of the target priors, "
            f"{len({r['seed'] for r in ls})} shifts, n_target = 2000\n"
        )
        print("| method | mean | median | 90th pct | max | share <= 0.03 | fit s |")
        print("|---|---|---|---|---|---|---|")
        for m in ("em", "bbse", "bbse_soft"):
            e = np.array([r["l1_error"] for r in ls if r["method"] == m])
            t = np.median([r["fit_time"] for r in ls if r["method"] == m])
            print(
                f"| {m} | {e.mean():.4f} | {np.median(e):.4f} | "
                f"{np.quantile(e, 0.9):.4f} | {e.max():.4f} | "
                f"{np.mean(e <= 0.03):.2f} | {t:.2f} |"
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--part", default="all", choices=["all", "imbalance", "label_shift", "summary"]
    )
    parser.add_argument("--out", default="benchmarks/results_imbalance.jsonl")
    args = parser.parse_args()
    if args.part == "summary":
        with open(args.out) as f:
            summarize([json.loads(line) for line in f])
        return
    warnings.filterwarnings("ignore", category=FutureWarning)
    versions = _versions()
    records = []
    with open(args.out, "a") as out:
        if args.part in ("all", "imbalance"):
            records += run_imbalance(out, versions)
        if args.part in ("all", "label_shift"):
            records += run_label_shift(out, versions)
    summarize(records)


if __name__ == "__main__":
    main()
