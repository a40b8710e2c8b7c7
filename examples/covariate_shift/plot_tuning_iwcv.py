"""
=========================================================
Tuning a reweighted model with importance-weighted CV
=========================================================

Test labels are missing under covariate shift, so ordinary cross-validation
scores a model on the *training* distribution. Importance-weighted
cross-validation (Sugiyama et al. 2007) weights each validation row by the
density ratio, which makes the score unbiased for the test risk. The weights
used for scoring are computed **once**, outside the search, by a weighter
that does not depend on the candidates (here uLSIF), and routed to the scorer
as row-aligned metadata, so scikit-learn slices them with the folds.

We tune the weighter's hyperparameters (KMM's bandwidth and bound ``B``) and
the inner model's ``C`` together with :class:`~sklearn.model_selection.GridSearchCV`.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Shifted real data
# -----------------
import numpy as np

from skreweight.datasets import biased_split, load_dataset

X, y = load_dataset("credit", return_X_y=True)
Xs, ys, Xt, yt = biased_split(X, y, random_state=0)
mu, sd = np.vstack([Xs, Xt]).mean(0), np.vstack([Xs, Xt]).std(0)
Xs, Xt = (Xs - mu) / sd, (Xt - mu) / sd

# %%
# Scoring weights, fixed for every candidate
# ------------------------------------------
from skreweight.weighting import ULSIF

iw = ULSIF(random_state=0).fit(Xs, X_target=Xt).weights_

# %%
# The search
# ----------
# Metadata routing carries ``X_target`` to the model's fit and ``iw`` to the
# scorer (as its ``sample_weight``). ``X_target`` is passed as a one-element
# tuple so that CV never slices it.
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, make_scorer
from sklearn.model_selection import GridSearchCV

from skreweight.compose import ReweightedClassifier
from skreweight.weighting import KernelMeanMatching

sklearn.set_config(enable_metadata_routing=True)
model = ReweightedClassifier(
    KernelMeanMatching(random_state=0),
    LogisticRegression().set_fit_request(sample_weight=True),
)
iw_accuracy = make_scorer(accuracy_score).set_score_request(sample_weight="iw")
grid = GridSearchCV(
    model,
    {
        "weighter__bandwidth": [1.0, 3.0],
        "weighter__B": [5.0, 1000.0],
        "estimator__C": [0.01, 1.0],
    },
    scoring=iw_accuracy,
    cv=3,
    error_score="raise",
)
grid.fit(Xs, ys, X_target=(Xt,), iw=iw)
sklearn.set_config(enable_metadata_routing=False)
print("best parameters:", grid.best_params_)
print(f"IW-CV accuracy of the best candidate: {grid.best_score_:.3f}")
test_accuracy = np.mean(grid.predict(Xt) == yt)
print(f"its accuracy on the (held-back) test labels: {test_accuracy:.3f}")

# %%
# The importance-weighted CV scores of all candidates, next to their real test
# accuracy (which the search never saw).
import matplotlib.pyplot as plt

test_acc = []
for params in grid.cv_results_["params"]:
    est = sklearn.base.clone(model).set_params(**params)
    est.fit(Xs, ys, X_target=Xt)
    test_acc.append(np.mean(est.predict(Xt) == yt))
_, ax = plt.subplots(figsize=(4, 4))
ax.scatter(grid.cv_results_["mean_test_score"], test_acc)
ax.set_xlabel("importance-weighted CV accuracy")
_ = ax.set_ylabel("test accuracy")
