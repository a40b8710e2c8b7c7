"""
===========================================================
Beyond covariate shift: ReTaSA weights and conformal sets
===========================================================

Three tools for shifts that
:class:`~skreweight.covariate_shift.WeightedConformalRegressor` alone does
not cover:

* :class:`~skreweight.weighting.ContinuousTargetShift` estimates
  ``w(y) = p_target(y) / p_source(y)`` when a *continuous* label shifts and
  ``p(x | y)`` stays put (ReTaSA);
* :class:`~skreweight.covariate_shift.LRQRConformalRegressor` builds
  intervals under covariate shift without estimating the density ratio
  (LR-QR);
* :class:`~skreweight.covariate_shift.LabelShiftConformalClassifier` weights
  conformal prediction sets by the estimated class-prior ratio.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# ReTaSA recovers a continuous weight function
# --------------------------------------------
# The source labels are N(0, 1), the target labels N(0.8, 0.7^2); the
# features are the label plus noise, so ``p(x | y)`` is shared. Only the
# features of the target are observed.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm

from skreweight.covariate_shift import (
    LabelShiftConformalClassifier,
    LRQRConformalRegressor,
    WeightedConformalRegressor,
)
from skreweight.weighting import ContinuousTargetShift

rng = np.random.RandomState(0)
b = np.ones(2) / np.sqrt(2)
y, y_t = rng.normal(0, 1, 400), rng.normal(0.8, 0.7, 400)
X = y[:, None] * b + rng.normal(0, 0.5, (400, 2))
X_t = y_t[:, None] * b + rng.normal(0, 0.5, (400, 2))

retasa = ContinuousTargetShift(random_state=0).fit(X, y, X_target=X_t)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # EM on 10 bins converges slowly
    binned = ContinuousTargetShift(method="binned").fit(X, y, X_target=X_t)

grid = np.linspace(-2.5, 2.5, 201)
truth = norm.pdf(grid, 0.8, 0.7) / norm.pdf(grid)
_, ax = plt.subplots(figsize=(5, 3))
ax.plot(grid, truth, "k--", label="true w(y)")
ax.plot(grid, retasa.compute_weights(y=grid), label=f"ReTaSA (alpha={retasa.alpha_})")
ax.plot(grid, binned.compute_weights(y=grid), label="10 bins + EM")
ax.set_xlabel("y")
ax.set_ylim(0, 6)
_ = ax.legend()

# %%
# Conformal intervals under covariate shift, with and without a ratio
# --------------------------------------------------------------------
# The noise grows with ``|x_1|`` and the target moves ``x_1`` by +1, so the
# ordinary split-conformal interval is too short on the target. Weighted
# conformal estimates the density ratio; LR-QR fits a threshold function by
# the pinball loss plus a likelihood-ratio regulariser that only needs the
# unlabelled target rows. Ten replications (the benchmark runs 200).


def draw(rng, n, shift, d=5):
    X = rng.normal(size=(n, d))
    X[:, 0] += shift
    y = X @ (np.ones(d) / np.sqrt(d)) + rng.normal(size=n) * (0.3 + np.abs(X[:, 0]))
    return X, y


cov = {"split": [], "weighted": [], "LR-QR": []}
for rep in range(10):
    rng = np.random.RandomState(rep)
    X, y = draw(rng, 1000, 0.0)
    X_t, y_t = draw(rng, 1000, 1.0)
    fitted = {
        "split": WeightedConformalRegressor(random_state=rep).fit(X, y),
        "weighted": WeightedConformalRegressor(random_state=rep).fit(
            X, y, X_target=X_t
        ),
        "LR-QR": LRQRConformalRegressor(random_state=rep).fit(X, y, X_target=X_t),
    }
    for name, est in fitted.items():
        lo, hi = est.predict_interval(X_t).T
        cov[name].append(np.mean((y_t >= lo) & (y_t <= hi)))
for name, c in cov.items():
    print(f"{name:>8}: mean target coverage {np.mean(c):.3f} (nominal 0.90)")

# %%
# Prediction sets under label shift
# ---------------------------------
# Three classes; the priors move from (0.6, 0.3, 0.1) to (0.1, 0.3, 0.6).
# The prior ratio is estimated by EM from the unlabelled target rows.
rng = np.random.RandomState(0)
y = rng.choice(3, size=1500, p=[0.6, 0.3, 0.1])
X = rng.normal(1.2 * y[:, None], 1.0, size=(1500, 2))
y_t = rng.choice(3, size=1000, p=[0.1, 0.3, 0.6])
X_t = rng.normal(1.2 * y_t[:, None], 1.0, size=(1000, 2))
shifted = LabelShiftConformalClassifier(random_state=0).fit(X, y, X_target=X_t)
plain = LabelShiftConformalClassifier(random_state=0).fit(X, y)
for name, clf in (("label-shift weighted", shifted), ("unweighted", plain)):
    sets = clf.predict_set(X_t)
    print(
        f"{name:>20}: coverage {sets[np.arange(1000), y_t].mean():.3f}, "
        f"mean set size {sets.sum(axis=1).mean():.2f}"
    )
print("estimated prior ratio:", shifted.class_ratio_.round(2))
