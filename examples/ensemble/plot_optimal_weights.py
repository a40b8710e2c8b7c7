"""
==========================================================
Exact convex weights for an ensemble of regressors
==========================================================

:class:`~skreweight.ensemble.OptimallyWeightedRegressor` combines heterogeneous
regressors with weights on the simplex (non-negative, summing to one) that
minimise the out-of-fold squared error exactly. Here it is compared, on
scikit-learn's diabetes data, with choosing the single model of lowest
cross-validated error and with
:class:`~sklearn.ensemble.StackingRegressor` on a non-negative linear
regression.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Data and base models
# --------------------
# Five regressors of different kinds, and one shuffled 5-fold split shared by
# every method.
import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold, train_test_split
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR

X, y = load_diabetes(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
members = [
    ("ridge", make_pipeline(StandardScaler(), Ridge())),
    ("knn", make_pipeline(StandardScaler(), KNeighborsRegressor(10))),
    (
        "svr",
        TransformedTargetRegressor(
            make_pipeline(StandardScaler(), SVR()), transformer=StandardScaler()
        ),
    ),
    ("forest", RandomForestRegressor(50, min_samples_leaf=3, random_state=0)),
    ("boosting", HistGradientBoostingRegressor(max_iter=100, random_state=0)),
]
cv = KFold(5, shuffle=True, random_state=0)

# %%
# The exact convex ensemble
# -------------------------
# ``fit`` builds the out-of-fold predictions of each model, solves the
# simplex-constrained least squares exactly, and refits every model on all
# training rows.
from skreweight.ensemble import OptimallyWeightedRegressor

ens = OptimallyWeightedRegressor(members, cv=cv).fit(X_train, y_train)
for (name, _), w, loss in zip(members, ens.weights_, ens.cv_loss_):
    print(f"{name:>9}: weight {w:.3f}, out-of-fold MSE {loss:.0f}")
print(f" ensemble: out-of-fold MSE {ens.ensemble_cv_loss_:.0f}")

# %%
# The out-of-fold MSE of the ensemble is below that of every model: each model
# is a vertex of the simplex, so the optimum can only be better. (It is an
# optimistic figure, since the weights were chosen on those predictions; the
# test rows below are the honest check.)
#
# Test error against model selection and stacking
# -----------------------------------------------
from sklearn.ensemble import StackingRegressor
from sklearn.linear_model import LinearRegression

stack = StackingRegressor(
    members, final_estimator=LinearRegression(positive=True), cv=cv
).fit(X_train, y_train)
single = np.array([np.mean((y_test - e.predict(X_test)) ** 2) for e in ens.estimators_])
results = {
    "best CV single model": single[np.argmin(ens.cv_loss_)],
    "stacking (positive LR)": np.mean((y_test - stack.predict(X_test)) ** 2),
    "convex ensemble": np.mean((y_test - ens.predict(X_test)) ** 2),
}
for name, mse in results.items():
    print(f"{name:>24}: test MSE {mse:.0f}")
print(
    "stacking coefficients",
    stack.final_estimator_.coef_.round(3),
    "sum",
    stack.final_estimator_.coef_.sum().round(3),
    "intercept",
    round(float(stack.final_estimator_.intercept_), 1),
)

# %%
# Stacking's coefficients are non-negative but need not sum to one, and it
# adds an intercept; the convex weights keep the ensemble on the scale of its
# members. One split of one small data set decides little: the benchmark
# (``benchmarks/bench_ensemble.py``) pairs the methods over 10 seeds on four
# data sets.
import matplotlib.pyplot as plt

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
names = [name for name, _ in members]
ax1.bar(names, ens.weights_, color="tab:blue", label="convex weights")
ax1.bar(
    names,
    stack.final_estimator_.coef_,
    color="none",
    edgecolor="tab:red",
    label="stacking coefficients",
)
ax1.set_ylabel("weight")
ax1.legend()
_ = ax1.set_title("Weights of the five models")
ax2.barh(list(results), list(results.values()), color="tab:gray")
ax2.set_xlim(0.9 * min(results.values()), 1.02 * max(results.values()))
ax2.set_xlabel("test MSE")
_ = ax2.set_title("Test error (one split)")
fig.tight_layout()
