"""
=====================================================
How strong a hidden confounder? Bounds on Lalonde ATT
=====================================================

Weighting the PSID-1 survey controls to the NSW treated recovers an ATT of
job training on 1978 earnings close to the experimental 1,794 dollars -- if
the eight covariates hold every confounder. This example asks how strong an
unobserved confounder would have to be to overturn that conclusion, with the
sensitivity bounds of Yadlowsky et al. (2022):
:class:`~skreweight.causal.ATEBounds` bounds the ATT when a hidden factor may
move the odds of training of two men with the same covariates by at most a
factor ``gamma``, :func:`~skreweight.causal.robustness_value` finds the
``gamma`` at which the 95 % interval reaches 0, and
:func:`~skreweight.causal.sensitivity_plot` draws the bounds against
``gamma``.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# The data and the point estimate
# -------------------------------
# Entropy-balancing weights for the controls, a linear outcome model, five
# cross-fitting folds. At ``gamma=1`` (no hidden confounding) the bounds are
# the augmented (doubly robust) ATT of
# :class:`~skreweight.causal.WeightingEstimator`.
from skreweight.causal import ATEBounds
from skreweight.datasets import load_lalonde
from skreweight.weighting import EntropyBalancing

data = load_lalonde("psid1", as_frame=True)
X = data.data.assign(u74=(data.data.re74 == 0) * 1.0, u75=(data.data.re75 == 0) * 1.0)
y, t = data.target.to_numpy(), data.treatment.to_numpy()

est = ATEBounds(EntropyBalancing(), gamma=1.5, estimand="ATT", random_state=0)
est.fit(X, y, treatment=t)
low, high = est.conf_int(0.05)
print(f"AIPW ATT at gamma=1: {est.effect_:,.0f} (s.e. {est.stderr_:,.0f})")
print(f"bounds at gamma=1.5: {est.bounds_[0]:,.0f} to {est.bounds_[1]:,.0f}")
print(f"95% interval of the bounds: {low:,.0f} to {high:,.0f}")

# %%
# Bounds on a grid of gamma
# -------------------------
# The bound models are refitted at each ``gamma`` with the same weights and
# folds. ``gamma=2`` lets a hidden factor double the odds of training of some
# men against others who look identical on the covariates.
path = est.sensitivity_path([1.0, 1.25, 1.5, 2.0])
print(
    path.round({"lower": 0, "upper": 0, "ci_lower": 0, "ci_upper": 0}).to_string(
        index=False
    )
)

# %%
# The robustness value and the sensitivity plot
# ---------------------------------------------
# The robustness value is the smallest ``gamma`` at which the 95 % interval
# of the bounds contains 0. Read it against the observed covariates: a hidden
# confounder would need an odds ratio of that size on training, *beyond* what
# age, schooling, race, marriage and past earnings already explain.
from skreweight.causal import robustness_value, sensitivity_plot

rv = robustness_value(est)
print(f"robustness value: {rv:.3f}")
ax = sensitivity_plot(est, [1.0, 1.1, 1.2, 1.35, 1.5, 1.75, 2.0], robustness=rv)
_ = ax.set_title("Lalonde (NSW vs PSID-1): ATT bounds against gamma")

# %%
# Reading the result
# ------------------
# With 185 treated men the interval is already wide at ``gamma=1``, so a
# modest ``gamma`` suffices to reach 0. Compare the robustness value with the
# odds ratios of the observed covariates in a propensity model: if some
# observed covariate moves the odds of training by more, a hidden confounder
# of similar strength is not far-fetched. The analysis does not say that such
# a confounder exists, only how strong it would have to be.

# %%
# The robustness value in the summary table
# -----------------------------------------
# :meth:`~skreweight.causal.WeightingEstimator.summary` shows it beside the
# estimate when asked (``robustness=True`` refits the bound models along the
# root search; the default summary fits nothing). With the same weighter,
# outcome model and folds it is the robustness value found above.
from skreweight.causal import WeightingEstimator

dr = WeightingEstimator(
    EntropyBalancing(), estimand="ATT", method="dr", cv=5, random_state=0
)
print(dr.fit(X, y, treatment=t).summary(robustness=True))
