"""Benchmark: learning with noisy labels, skreweight.noisy against cleanlab.

Procedure
---------
Real classification sets that need no download: ``breast_cancer``
(scikit-learn, 569 rows, 2 classes), ``credit`` (shipped, 690 rows,
2 classes), ``wine`` and ``iris``
(scikit-learn, 178 and 150 rows, 3 classes), ``redwine3`` (shipped red-wine
quality, 1,599 rows, coded into 3 classes: <= 5, 6, >= 7) and ``digits``
(scikit-learn, 1,797 rows, 10 classes). For each seed: one stratified 70/30
train/test split; the training labels get class-conditional noise from
``skreweight.datasets.add_label_noise`` (symmetric or pair-flip at 20 % or
40 %); the test labels stay clean. With two classes pair-flip noise is the
symmetric noise, so binary sets run symmetric noise only.

The features are standardised on the training rows. Base learners, the same
for every method: ``LogisticRegression(max_iter=1000)`` and
``HistGradientBoostingClassifier(max_iter=30, max_leaf_nodes=15,
random_state=seed)``. Methods:

- ``noisy``: the base learner on the noisy labels as they are;
- ``cleanlab``: cleanlab 2.9 ``CleanLearning(clf=base, cv_n_folds=5,
  seed=seed)`` (finds label issues with the confident joint from 5-fold
  out-of-fold probabilities, prunes them, refits);
- ``reweight``: ``ReweightedClassifier(TransitionReweighting(base, cv=5),
  base)`` with T estimated from the weighter's out-of-fold probabilities
  (``NoiseTransitionEstimator`` defaults);
- ``rent``: the same with ``DirichletReweighting(sampling="multinomial",
  concentration=1, random_state=seed)``;
- ``forward`` (logistic regression only): ``StandardScaler`` then
  ``ForwardCorrectedClassifier(NoiseTransitionEstimator(LogisticRegression()))``;
- ``*_oracle`` (logistic regression only): ``reweight`` and ``forward`` with
  the true T (reference: what the correction gives when T is not estimated).

Metrics: accuracy on the clean test labels; fit time. T estimation: mean
absolute error over the K x K entries against the true T, for each
``NoiseTransitionEstimator`` method (read off the 5-fold out-of-fold
probabilities of the base learner that ``reweight`` used) and for cleanlab's
``CleanLearning.noise_matrix`` (transposed into T[clean, noisy]; cleanlab
draws its own shuffled folds). Medians over seeds and the paired (seed-by-seed)
difference of the best skreweight method minus cleanlab, with its
min and max, its mean and the standard error of that mean (a cell counts as
below when the mean is more than 2 SE under 0). Seeds 0-4 are the reported
protocol; defaults of ``skreweight.noisy`` were chosen on seeds 100-104.

Run (cleanlab 2.9.0 with ``pip install --no-deps --target DIR cleanlab==2.9.0
termcolor``, DIR on ``PYTHONPATH``; ``--datasets`` and ``--noises`` split the
grid over processes, ``--summary-only`` reads a merged file):

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \\
        python benchmarks/bench_noisy.py [--seeds 5] [--datasets digits] \\
        [--noises symmetric:0.2 pair:0.4] [--out benchmarks/results_noisy.jsonl]
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
from sklearn.datasets import (  # noqa: E402
    load_breast_cancer,
    load_digits,
    load_iris,
    load_wine,
)
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import skreweight  # noqa: E402
from skreweight.compose import ReweightedClassifier  # noqa: E402
from skreweight.datasets import add_label_noise, load_dataset  # noqa: E402
from skreweight.noisy import (  # noqa: E402
    DirichletReweighting,
    ForwardCorrectedClassifier,
    NoiseTransitionEstimator,
    TransitionReweighting,
)
from skreweight.noisy._transition import estimate_transition  # noqa: E402


def load(name):
    if name == "breast_cancer":
        return load_breast_cancer(return_X_y=True)
    if name == "wine":
        return load_wine(return_X_y=True)
    if name == "iris":
        return load_iris(return_X_y=True)
    if name == "digits":
        return load_digits(return_X_y=True)
    if name == "redwine3":
        X, y = load_dataset("redwine", return_X_y=True)
        return X, np.digitize(y, [5.5, 6.5])
    return load_dataset(name, return_X_y=True)


DATASETS = ["breast_cancer", "credit", "wine", "iris", "redwine3", "digits"]
NOISES = [("symmetric", 0.2), ("symmetric", 0.4), ("pair", 0.2), ("pair", 0.4)]


def base_learners(seed):
    return {
        "logreg": LogisticRegression(max_iter=1000),
        "hgb": HistGradientBoostingClassifier(
            max_iter=30, max_leaf_nodes=15, random_state=seed
        ),
    }


def methods(base, base_name, T, seed):
    out = {
        "noisy": lambda: clone(base),
        "reweight": lambda: ReweightedClassifier(
            TransitionReweighting(clone(base), cv=5), clone(base)
        ),
        "rent": lambda: ReweightedClassifier(
            DirichletReweighting(
                clone(base), sampling="multinomial", random_state=seed
            ),
            clone(base),
        ),
    }
    if base_name == "logreg":
        out["reweight_oracle"] = lambda: ReweightedClassifier(
            TransitionReweighting(clone(base), transition_matrix=T, cv=5), clone(base)
        )
        out["forward"] = lambda: ForwardCorrectedClassifier(
            NoiseTransitionEstimator(LogisticRegression(max_iter=1000))
        )
        out["forward_oracle"] = lambda: ForwardCorrectedClassifier(T)
    return out


def cleanlab_model(base, seed):
    from cleanlab.classification import CleanLearning

    return CleanLearning(clf=clone(base), cv_n_folds=5, seed=seed, verbose=False)


def run(n_seeds, out_path):
    import cleanlab

    versions = {
        "skreweight": skreweight.__version__,
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "cleanlab": cleanlab.__version__,
    }
    records = []
    with open(out_path, "w") as fh:

        def emit(**rec):
            rec.update(versions=versions, load1=os.getloadavg()[0])
            records.append(rec)
            fh.write(json.dumps(rec) + "\n")
            fh.flush()

        for name in DATASETS:
            X, y = load(name)
            y = np.unique(y, return_inverse=True)[1]
            K = len(np.unique(y))
            for noise, rate in NOISES:
                if K == 2 and noise == "pair":
                    continue
                for seed in range(n_seeds):
                    Xtr, Xte, ytr, yte = train_test_split(
                        X, y, test_size=0.3, stratify=y, random_state=seed
                    )
                    scaler = StandardScaler().fit(Xtr)
                    Xtr, Xte = scaler.transform(Xtr), scaler.transform(Xte)
                    yn, T = add_label_noise(ytr, noise, rate, random_state=seed)
                    cell = dict(
                        dataset=name, noise=noise, rate=rate, seed=seed, n_classes=K
                    )
                    for base_name, base in base_learners(seed).items():
                        models = methods(base, base_name, T, seed)
                        models["cleanlab"] = lambda b=base: cleanlab_model(b, seed)
                        oof_of = {}
                        for method, make in models.items():
                            rec = dict(cell, base=base_name, method=method)
                            try:
                                with warnings.catch_warnings():
                                    warnings.simplefilter("ignore")
                                    t0 = time.perf_counter()
                                    model = make().fit(Xtr, yn)
                                    rec["fit_time"] = time.perf_counter() - t0
                                rec["accuracy"] = float(
                                    np.mean(model.predict(Xte) == yte)
                                )
                                rec["status"] = "ok"
                                if method == "reweight":
                                    oof_of[base_name] = model.weighter_.oof_proba_
                                if method == "cleanlab":
                                    nm = np.asarray(model.noise_matrix)
                                    rec["t_mae"] = float(np.abs(nm.T - T).mean())
                            except Exception as exc:  # kept, with its error
                                rec["status"] = f"error: {type(exc).__name__}: {exc}"
                            emit(task="accuracy", **rec)
                        # the 5-fold out-of-fold probabilities of "reweight"
                        oof = oof_of.get(base_name)
                        err = "error: reweight failed"
                        yi = np.unique(yn, return_inverse=True)[1]
                        for t_method in ("confident_joint", "quantile", "anchor"):
                            rec = dict(cell, base=base_name, method=t_method)
                            if oof is None:
                                rec["status"] = err
                            else:
                                That, *_ = estimate_transition(
                                    oof, yi, np.ones(len(yi)), t_method, 0.97
                                )
                                rec["t_mae"] = float(np.abs(That - T).mean())
                                rec["status"] = "ok"
                            emit(task="transition", **rec)
                    print(name, noise, rate, seed, flush=True)
    return records


def _se(diff):
    """Standard error of the mean of a paired difference over seeds."""
    return float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else np.nan


def run_t_repeats(n_seeds, out_path, n_repeats):
    """T estimation only: the confident joint on ``n_repeats`` shuffled splits."""
    records = []
    with open(out_path, "w") as fh:
        for name in DATASETS:
            X, y = load(name)
            y = np.unique(y, return_inverse=True)[1]
            K = len(np.unique(y))
            for noise, rate in NOISES:
                if K == 2 and noise == "pair":
                    continue
                for seed in range(n_seeds):
                    Xtr, _, ytr, _ = train_test_split(
                        X, y, test_size=0.3, stratify=y, random_state=seed
                    )
                    Xtr = StandardScaler().fit_transform(Xtr)
                    yn, T = add_label_noise(ytr, noise, rate, random_state=seed)
                    for base_name, base in base_learners(seed).items():
                        rec = dict(
                            task="transition",
                            method=f"confident_joint_r{n_repeats}",
                            dataset=name,
                            noise=noise,
                            rate=rate,
                            seed=seed,
                            n_classes=K,
                            base=base_name,
                        )
                        est = NoiseTransitionEstimator(
                            clone(base), n_repeats=n_repeats, random_state=seed
                        )
                        try:
                            with warnings.catch_warnings():
                                warnings.simplefilter("ignore")
                                That = est.fit(Xtr, yn).transition_matrix_
                            rec.update(t_mae=float(np.abs(That - T).mean()))
                            rec["status"] = "ok"
                        except ValueError as exc:  # kept, with its error
                            rec["status"] = f"error: {type(exc).__name__}: {exc}"
                        records.append(rec)
                        fh.write(json.dumps(rec) + "\n")
                        fh.flush()
                    print(name, noise, rate, seed, flush=True)
    return records


def summarize(records):
    import pandas as pd

    df = pd.DataFrame(records)
    acc = df[(df.task == "accuracy") & (df.status == "ok")]
    lines = []
    ours = ["reweight", "rent", "forward", "reweight_oracle", "forward_oracle"]
    for base in ("logreg", "hgb"):
        sub = acc[acc.base == base]
        piv = sub.pivot_table(
            index=["dataset", "noise", "rate", "seed"],
            columns="method",
            values="accuracy",
        )
        cols = [
            c for c in ["noisy", "cleanlab", "reweight", "rent", "forward"] if c in piv
        ]
        lines.append(f"\n### {base}: median clean-test accuracy over seeds\n")
        lines.append(
            "| data | noise | "
            + " | ".join(cols + [c for c in ours[3:] if c in piv])
            + " | best ours - cleanlab: median [min, max], mean (SE) "
            "| reweight - noisy: median, mean (SE) |"
        )
        lines.append("|" + "---|" * (len(cols) + 4 + sum(c in piv for c in ours[3:])))
        wins = below = below_noisy = 0
        n_cells = 0
        for (d, noise, rate), g in piv.groupby(level=[0, 1, 2], sort=False):
            med = g.median()
            cand = [c for c in ["reweight", "rent", "forward"] if c in g]
            best = max(cand, key=lambda c: med[c])
            diff = g[best] - g["cleanlab"]
            vs_noisy = g["reweight"] - g["noisy"]
            n_cells += 1
            wins += bool(med[best] >= med["cleanlab"])
            below += bool(diff.mean() + 2 * _se(diff) < 0)
            below_noisy += bool(vs_noisy.mean() + 2 * _se(vs_noisy) < 0)
            vals = [f"{med[c]:.3f}" for c in cols] + [
                f"{med[c]:.3f}" for c in ours[3:] if c in piv
            ]
            lines.append(
                f"| {d} | {noise} {int(rate * 100)}% | "
                + " | ".join(vals)
                + f" | {best}: {diff.median():+.3f} [{diff.min():+.3f}, "
                f"{diff.max():+.3f}], {diff.mean():+.3f} ({_se(diff):.3f}) "
                f"| {vs_noisy.median():+.3f}, {vs_noisy.mean():+.3f} "
                f"({_se(vs_noisy):.3f}) |"
            )
        lines.append(
            f"\nbest skreweight median >= cleanlab median in {wins} of {n_cells} "
            f"cells; paired mean more than 2 SE below cleanlab in {below}; "
            f"reweight's paired mean more than 2 SE below noisy in {below_noisy}"
        )
        times = sub.groupby("method").fit_time.median()
        lines.append(
            "\nmedian fit time / cleanlab's: "
            + ", ".join(
                f"{m} {times[m] / times['cleanlab']:.2f}"
                for m in times.index
                if m != "cleanlab"
            )
        )
    tr = df[(df.task == "transition") & (df.status == "ok")]
    cl = acc[acc.method == "cleanlab"][
        ["dataset", "noise", "rate", "seed", "base", "t_mae"]
    ].assign(method="cleanlab")
    tm = pd.concat([tr[cl.columns], cl])
    lines.append("\n### T estimation: median MAE over seeds (all K x K entries)\n")
    piv = tm.pivot_table(
        index=["base", "dataset", "noise", "rate"],
        columns="method",
        values="t_mae",
        aggfunc="median",
    )
    cols = ["cleanlab", "confident_joint", "quantile", "anchor"]
    cols += [c for c in piv.columns if c.startswith("confident_joint_r")]
    paired = tm.pivot_table(
        index=["base", "dataset", "noise", "rate", "seed"],
        columns="method",
        values="t_mae",
    )
    by_seed = paired
    paired = (paired["confident_joint"] - paired["cleanlab"]).groupby(
        level=[0, 1, 2, 3]
    )
    extra = {
        c: (by_seed[c] - by_seed["cleanlab"]).dropna().groupby(level=[0, 1, 2, 3])
        for c in cols[4:]
    }
    lines.append(
        "| base | data | noise | "
        + " | ".join(cols)
        + " | confident_joint - cleanlab: median [min, max], mean (SE) |"
        + "".join(f" {c} - cleanlab: mean (SE) |" for c in extra)
    )
    lines.append("|" + "---|" * (len(cols) + 4 + len(extra)))
    for (b, d, noise, rate), row in piv.iterrows():
        key = (b, d, noise, rate)
        p = paired.get_group(key)
        more = ""
        for rep in extra.values():
            g = rep.get_group(key) if key in rep.groups else None
            more += " - |" if g is None else f" {g.mean():+.3f} ({_se(g):.3f}) |"
        lines.append(
            f"| {b} | {d} | {noise} {int(rate * 100)}% | "
            + " | ".join(f"{row[c]:.3f}" for c in cols)
            + f" | {p.median():+.3f} [{p.min():+.3f}, {p.max():+.3f}], "
            f"{p.mean():+.3f} ({_se(p):.3f}) |" + more
        )
    for c, rep in extra.items():
        means = rep.mean()
        lines.append(
            f"\n{c} - cleanlab, mean over cells: {means.mean():+.4f}; cells with "
            f"a paired mean <= 0: {int((means <= 0).sum())} of {len(means)}; more "
            f"than 2 SE above 0: {int(sum(g.mean() - 2 * _se(g) > 0 for _, g in rep))}"
        )
    per_seed = paired.mean()
    lines.append(
        f"\nconfident_joint - cleanlab, mean over cells: {per_seed.mean():+.4f}; "
        f"cells with a paired mean <= 0: {int((per_seed <= 0).sum())} of "
        f"{len(per_seed)}; more than 2 SE above 0: "
        f"{int(sum(g.mean() - 2 * _se(g) > 0 for _, g in paired))}"
    )
    errors = df[df.status != "ok"]
    if len(errors):
        lines.append(f"\n{len(errors)} failed records:")
        for _, r in errors.iterrows():
            lines.append(
                f"- {r.task} {r.base} {r.method} {r.dataset} {r.noise} {r.rate} "
                f"seed {r.seed}: {r.status[:150]}"
            )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--out", default="benchmarks/results_noisy.jsonl")
    parser.add_argument("--datasets", nargs="*", default=None)
    parser.add_argument(
        "--noises", nargs="*", default=None, help="e.g. symmetric:0.2 pair:0.4"
    )
    parser.add_argument("--summary-only", action="store_true")
    parser.add_argument(
        "--t-repeats",
        type=int,
        default=0,
        help="only estimate T with NoiseTransitionEstimator(n_repeats=N)",
    )
    args = parser.parse_args()
    if args.datasets:
        DATASETS[:] = args.datasets
    if args.noises:
        NOISES[:] = [(n, float(r)) for n, r in (a.split(":") for a in args.noises)]
    if args.t_repeats:
        run_t_repeats(args.seeds, args.out, args.t_repeats)
        return
    if args.summary_only:
        with open(args.out) as fh:
            records = [json.loads(line) for line in fh]
    else:
        records = run(args.seeds, args.out)
    print(summarize(records))


if __name__ == "__main__":
    main()
