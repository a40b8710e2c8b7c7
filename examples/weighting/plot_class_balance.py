"""
===========================================
Class-balancing weights and what they trade
===========================================

:class:`~skreweight.weighting.ClassBalance` weights every row by a decreasing
function of its class frequency. This example compares its three schemes on
an imbalanced real data set (red-wine quality, six classes), checks that the
``"inverse"`` scheme is exactly scikit-learn's ``class_weight="balanced"``,
and measures what the weights buy: recall on the rare classes, paid for with
accuracy on the common ones.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# An imbalanced data set
# ----------------------
# Wine quality is scored 3 to 8; most wines score 5 or 6.
import numpy as np
import pandas as pd

from skreweight.datasets import load_dataset

X, y = load_dataset("redwine", return_X_y=True)
print(pd.Series(y).value_counts().sort_index().rename("rows per quality score"))

# %%
# The three schemes
# -----------------
# ``"inverse"`` gives every class the same total weight; ``"sqrt"`` corrects
# half as hard on the log scale; ``"effective_number"`` (Cui et al. 2019)
# moves from no reweighting (``beta=0``) to ``"inverse"`` as ``beta``
# approaches 1. The weights of a class are ``class_weight_``; the weights of
# the rows average 1 in every scheme.
from skreweight.weighting import ClassBalance

schemes = {
    "inverse": ClassBalance(scheme="inverse"),
    "sqrt": ClassBalance(scheme="sqrt"),
    "effective number, beta=0.99": ClassBalance(scheme="effective_number", beta=0.99),
    "effective number, beta=0.999": ClassBalance(scheme="effective_number", beta=0.999),
}
class_weights = pd.DataFrame(
    {name: cb.fit(X, y).class_weight_ for name, cb in schemes.items()}
)
print(class_weights.round(2).to_string())
print(
    "mean row weight:",
    {n: round(float(cb.weights_.mean()), 6) for n, cb in schemes.items()},
)

ax = class_weights.plot.bar(logy=True, figsize=(8, 4), rot=0)
ax.set_xlabel("quality score")
_ = ax.set_ylabel("weight of one row (log scale)")

# %%
# ``"inverse"`` is scikit-learn's ``class_weight="balanced"``
# -----------------------------------------------------------
# :func:`sklearn.utils.class_weight.compute_sample_weight` with ``"balanced"``
# gives the same weights up to a constant factor, so a
# :class:`~skreweight.compose.ReweightedClassifier` with ``ClassBalance()``
# fits the same model as ``LogisticRegression(class_weight="balanced")``.
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_sample_weight

from skreweight.compose import ReweightedClassifier

sk_weights = compute_sample_weight("balanced", y)
ratio = schemes["inverse"].weights_ / sk_weights
print(f"ratio of the two weight vectors: min {ratio.min():.6f}, max {ratio.max():.6f}")

Xs = StandardScaler().fit_transform(X)
ours = ReweightedClassifier(ClassBalance(), LogisticRegression(max_iter=2000))
ours.fit(Xs, y)
theirs = LogisticRegression(max_iter=2000, class_weight="balanced").fit(Xs, y)
print(
    "max |coefficient difference|: "
    f"{np.abs(ours.estimator_.coef_ - theirs.coef_).max():.1e}; "
    f"predictions that differ: {int((ours.predict(Xs) != theirs.predict(Xs)).sum())}"
)

# %%
# Both weight vectors average 1 over the rows, so the weighted loss keeps the
# scale of the unweighted one and ``C`` keeps its meaning when weighting is
# switched on.
#
# What the weights buy
# --------------------
# Five-fold cross-validation of a scaled logistic regression, without weights
# and with each scheme. Balanced accuracy (the mean recall over classes)
# counts every class equally; accuracy counts every row equally.
from sklearn.model_selection import StratifiedKFold, cross_validate

cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
models = {"unweighted": LogisticRegression(max_iter=2000)}
models.update(
    {
        name: ReweightedClassifier(cb, LogisticRegression(max_iter=2000))
        for name, cb in schemes.items()
    }
)
scores = {}
for name, model in models.items():
    res = cross_validate(
        make_pipeline(StandardScaler(), model),
        X,
        y,
        cv=cv,
        scoring=["accuracy", "balanced_accuracy"],
    )
    scores[name] = {
        "accuracy": res["test_accuracy"].mean(),
        "balanced accuracy": res["test_balanced_accuracy"].mean(),
    }
scores = pd.DataFrame(scores).T
print(scores.round(3))

ax = scores.plot.barh(figsize=(8, 4))
ax.set_xlabel("mean over 5 folds")
_ = ax.set_xlim(0, 1)

# %%
# Every scheme trades accuracy for balanced accuracy: the weights make the
# model predict the rare qualities more often, so it finds more of them and
# misclassifies more of the common ones.
best = scores["balanced accuracy"].idxmax()
print(
    f"highest balanced accuracy: {best} "
    f"({scores.loc[best, 'balanced accuracy']:.3f} vs "
    f"{scores.loc['unweighted', 'balanced accuracy']:.3f} unweighted)"
)

# %%
# Which to prefer is a property of the problem, not of the method: if a
# missed rare class costs more than a misclassified common one, weight; if
# every row costs the same, do not. The strongest correction is not always
# the best even for balanced accuracy, because the rarest classes then rest on
# a handful of heavily weighted rows: ``beta`` of ``"effective_number"`` is a
# hyperparameter to tune with the metric you care about, e.g. with
# :class:`~sklearn.model_selection.GridSearchCV` over ``weighter__beta``.
