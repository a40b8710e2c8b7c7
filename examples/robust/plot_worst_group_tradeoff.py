"""
=====================================================
Worst-group versus average accuracy, tuned by search
=====================================================

On data with a spurious correlation, ordinary logistic regression is
accurate on average and poor on the minority groups. This example traces the
trade-off of :class:`~skreweight.robust.JTTClassifier` over its
``upweight`` parameter with :class:`~sklearn.model_selection.GridSearchCV`,
selects the value with the best cross-validated *worst-group* accuracy
(:class:`~skreweight.model_selection.WorstGroupScorer`), and compares it with
:class:`~skreweight.robust.GroupDROClassifier` on held-out data.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Data with a spurious feature
# ----------------------------
# :func:`~skreweight.datasets.make_spurious_groups` draws a core feature that
# predicts the label equally well everywhere and a stronger spurious feature
# that agrees with the label on 90% of the rows. The four groups are the
# (label, spurious attribute) cells; groups 1 and 2 are the minority.
import numpy as np

from skreweight.datasets import make_spurious_groups

train = make_spurious_groups(n_samples=2000, random_state=0)
test = make_spurious_groups(n_samples=10000, random_state=1)
print("training rows per group:", np.bincount(train.group))


def worst_group_and_average(model):
    pred = model.predict(test.X)
    wga = min(
        np.mean(pred[test.group == k] == test.y[test.group == k]) for k in range(4)
    )
    return wga, np.mean(pred == test.y)


# %%
# Searching on worst-group accuracy
# ---------------------------------
# Metadata routing sends ``sample_group`` to the scorer and to the splitter,
# which keeps every (group, class) cell in every fold.
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from skreweight.model_selection import GroupStratifiedKFold, WorstGroupScorer
from skreweight.robust import JTTClassifier

sklearn.set_config(enable_metadata_routing=True)
upweights = [1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0]
search = GridSearchCV(
    JTTClassifier(LogisticRegression(), LogisticRegression(C=0.01)),
    {"upweight": upweights},
    cv=GroupStratifiedKFold(4),
    scoring={"wga": WorstGroupScorer(), "acc": "accuracy"},
    refit="wga",
    error_score="raise",
).fit(train.X, train.y, sample_group=train.group)
print("selected upweight:", search.best_params_["upweight"])

# %%
# Reference points on held-out data: ERM (``upweight=1``) and the exact
# Group DRO solution, which uses the training group labels directly.
from skreweight.robust import GroupDROClassifier

erm = LogisticRegression().fit(train.X, train.y)
dro = GroupDROClassifier(alpha=1 / 2000).fit(train.X, train.y, sample_group=train.group)
points = {
    "ERM": worst_group_and_average(erm),
    "JTT (selected)": worst_group_and_average(search.best_estimator_),
    "Group DRO": worst_group_and_average(dro),
}
for name, (wga, acc) in points.items():
    print(f"{name:15s} worst-group {wga:.3f}  average {acc:.3f}")
sklearn.set_config(enable_metadata_routing=False)

# %%
# The trade-off
# -------------
# Each cross-validated point is one ``upweight``; upweighting the error set
# raises worst-group accuracy at the expense of the average, until the
# upweighted error set dominates and both fall.
import matplotlib.pyplot as plt

res = search.cv_results_
fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(res["mean_test_acc"], res["mean_test_wga"], "o-", label="JTT, cross-validated")
for u, x, y in zip(upweights, res["mean_test_acc"], res["mean_test_wga"]):
    ax.annotate(f"{u:g}", (x, y), textcoords="offset points", xytext=(4, 4))
for name, (wga, acc) in points.items():
    ax.plot(acc, wga, "s", label=f"{name}, test")
ax.set_xlabel("average accuracy")
ax.set_ylabel("worst-group accuracy")
ax.legend(loc="upper left")
ax.set_title("Worst-group vs average accuracy")
fig.tight_layout()
