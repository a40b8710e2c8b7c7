"""
==============================================================
A balanced random forest written as bootstrap weights
==============================================================

:class:`~skreweight.imbalance.ClassBalancedBaggingClassifier` gives each tree
a class-balanced bootstrap sample, as imbalanced-learn's
``BalancedRandomForestClassifier`` does, but as integer *weights* on the
original rows: every class has the same expected total weight, and each tree
is fitted once on the rows it drew, with their counts as ``sample_weight``.
By default every class is first cut to a random pool of as many rows as it
will draw (``undersample=True``), so that the classes also have the same
number of distinct rows. On red wines whose quality is 4 or below (3.9 % of
the rows) it is compared with a plain random forest and with a
class-weighted one.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Bootstrap weights of one tree
# -----------------------------
# With multinomial counts every class is drawn exactly as often as the
# minority class has rows; with Poisson counts the class totals are random,
# with that mean. Without the pools (``undersample=False``, the law of
# imbalanced-learn's forest) the majority's draws are nearly all distinct rows
# while the minority's repeat; with them both classes repeat alike.
import numpy as np

from skreweight.datasets import load_imbalanced
from skreweight.imbalance import ClassBalancedBaggingClassifier

X, y = load_imbalanced("redwine_low_quality", return_X_y=True)
print(f"{X.shape[0]} rows, positive share {y.mean():.3f}")
for bootstrap in ("multinomial", "poisson"):
    for undersample in (True, False):
        clf = ClassBalancedBaggingClassifier(
            n_estimators=3, bootstrap=bootstrap, undersample=undersample, random_state=0
        ).fit(X, y)
        w = clf.estimators_weights_[0]
        print(
            f"{bootstrap:>11}, undersample={undersample!s:>5}: class totals "
            f"{w[y == 0].sum():.0f} / {w[y == 1].sum():.0f}, distinct rows "
            f"{np.count_nonzero(w[y == 0])} / {np.count_nonzero(w[y == 1])}"
        )

# %%
# Balanced accuracy over five splits
# ----------------------------------
# 100 trees for every forest, on the first five splits of the benchmark
# (``benchmarks/bench_imbalance.py``: stratified 70/30, seed ``s`` for split
# ``s``, features standardised on the training rows).
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.preprocessing import StandardScaler

models = {
    "random forest": lambda s: RandomForestClassifier(100, random_state=s),
    "forest, class_weight='balanced_subsample'": lambda s: RandomForestClassifier(
        100, class_weight="balanced_subsample", random_state=s
    ),
    "ClassBalancedBagging, undersample=False": lambda s: ClassBalancedBaggingClassifier(
        n_estimators=100, undersample=False, random_state=s
    ),
    "ClassBalancedBagging (default)": lambda s: ClassBalancedBaggingClassifier(
        n_estimators=100, random_state=s
    ),
}
seeds = range(5)
scores = {name: [] for name in models}
for seed in seeds:
    split = StratifiedShuffleSplit(1, test_size=0.3, random_state=seed)
    train, test = next(split.split(X, y))
    scaler = StandardScaler().fit(X[train])
    X_train, X_test = scaler.transform(X[train]), scaler.transform(X[test])
    for name, make in models.items():
        model = make(seed).fit(X_train, y[train])
        scores[name].append(balanced_accuracy_score(y[test], model.predict(X_test)))

# imbalanced-learn is not installed in the documentation environment. These
# are the balanced accuracies of its BalancedRandomForestClassifier (100
# trees, sampling_strategy="all", replacement=True, bootstrap=False,
# random_state=seed) on the same five splits, as measured by
# ``benchmarks/bench_imbalance.py --part bagging`` with imbalanced-learn 0.14.2
# (see benchmarks/RESULTS.md); they are copied here, not recomputed.
scores["BalancedRandomForest (imblearn, benchmark)"] = [
    0.6859,
    0.6837,
    0.7561,
    0.7287,
    0.7198,
]
for name, s in scores.items():
    print(f"{name:>44}: balanced accuracy {np.mean(s):.3f} (sd {np.std(s):.3f})")

# %%
# The plain forest almost never predicts the rare class, and class weights
# inside the trees change little: each tree is still grown until its leaves
# are pure, whatever the weights. A balanced bootstrap changes which rows each
# tree sees, which moves the leaves themselves. With ``undersample=False`` the
# weighted bootstrap and imbalanced-learn's resampled one draw from the same
# law; the pools of the default give the minority as many distinct rows as the
# majority. From split to split the forests differ by a few points of balanced
# accuracy on a test set with 19 positive wines; the benchmark pairs them over
# ten splits on the three imbalanced data sets.
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(7.5, 3.4))
names = list(scores)
colors = ["tab:gray", "tab:gray", "tab:blue", "tab:blue", "tab:red"]
for i, name in enumerate(names):
    ax.scatter(scores[name], [i] * len(seeds), color=colors[i], alpha=0.5)
    ax.plot([np.mean(scores[name])] * 2, [i - 0.3, i + 0.3], color=colors[i], lw=3)
ax.set_yticks(range(len(names)), names, fontsize=8)
ax.set_xlabel("balanced accuracy on the test rows (dots: splits; bar: mean)")
_ = ax.set_title("Red wine, quality <= 4 (3.9 % positives), 100 trees")
fig.tight_layout()
