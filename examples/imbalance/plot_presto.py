"""
==========================================================
PRESTO: a rare ordinal class borrows from its neighbours
==========================================================

Red-wine quality is scored on an ordered scale where the top score, 8, is
rare (18 of 1,599 wines). A logistic regression of "8 versus the rest" has
18 positive rows to learn from; an ordinal model with one slope per
boundary between neighbouring scores has the same problem at its top
boundary. :class:`~skreweight.imbalance.PRESTOClassifier` shrinks the slopes
of neighbouring boundaries towards each other (an L1 penalty on their
differences), so the rare boundary borrows the frequent boundaries' slopes
where they agree. We compare the three on the Brier score of the
probability of a top score, over five random splits.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# An ordinal outcome with a rare top class
# ----------------------------------------
# Scores 3 and 4 (63 wines together) are merged into one bottom class.
import numpy as np

from skreweight.datasets import load_dataset

X, quality = load_dataset("redwine", return_X_y=True)
y = np.clip(quality, 4, 8)
print({int(k): int(v) for k, v in zip(*np.unique(y, return_counts=True))})

# %%
# Three models of P(score = 8)
# ----------------------------
# ``PRESTOClassifier()`` chooses its penalty by 5-fold cross-validation on the
# Brier score; ``alpha=0`` is the unpenalised model with free slopes.
import warnings

from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skreweight.imbalance import PRESTOClassifier

splits = StratifiedShuffleSplit(n_splits=5, test_size=0.3, random_state=0)
scores = {"PRESTO (CV)": [], "free slopes (alpha=0)": [], "logistic, 8 vs rest": []}
for train, test in splits.split(X, y):
    top = (y[test] == 8).astype(float)
    presto = PRESTOClassifier(alphas=10).fit(X[train], y[train])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the free model may not converge
        free = PRESTOClassifier(alpha=0.0).fit(X[train], y[train])
    logit = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    logit.fit(X[train], y[train] == 8)
    for name, p in [
        ("PRESTO (CV)", presto.predict_proba(X[test])[:, -1]),
        ("free slopes (alpha=0)", free.predict_proba(X[test])[:, -1]),
        ("logistic, 8 vs rest", logit.predict_proba(X[test])[:, 1]),
    ]:
        scores[name].append(np.mean((p - top) ** 2))
for name, s in scores.items():
    print(f"{name:>22}: Brier of P(8) = {np.mean(s):.5f} (+/- {np.std(s):.5f})")

# %%
# What the penalty did
# --------------------
# The slopes of the last fit, one row per boundary ("score <= 4", ..., "score
# <= 7"), on the standardised scale. Equal consecutive entries are slopes the
# penalty fused: that feature acts the same at both boundaries.
import matplotlib.pyplot as plt

coef = presto.coef_ * X[train].std(axis=0)
fig, ax = plt.subplots(figsize=(7, 3.5))
im = ax.imshow(coef, cmap="RdBu", vmin=-np.abs(coef).max(), vmax=np.abs(coef).max())
ax.set_yticks(range(4), [f"y <= {k}" for k in (4, 5, 6, 7)])
ax.set_xticks(
    range(X.shape[1]), load_dataset("redwine").feature_names, rotation=60, ha="right"
)
fig.colorbar(im, ax=ax, label="slope (standardised)")
ax.set_title(f"PRESTO slopes, alpha = {presto.alpha_:.4f}")
fig.tight_layout()
print(
    f"fused (equal to the previous boundary): "
    f"{np.mean(np.isclose(np.diff(coef, axis=0), 0)):.0%} of the slope increments"
)
