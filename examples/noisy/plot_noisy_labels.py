"""
=====================================================
Noisy labels: estimate the noise, then undo it
=====================================================

A third of the training labels of a real data set are flipped at random. A
classifier trained on them as they are learns the noise along with the
signal. When the flips follow a class-dependent *transition matrix*
:math:`T_{ij} = P(\\tilde y = j \\mid y = i)`, the matrix can be estimated
from the noisy data (:class:`~skreweight.noisy.NoiseTransitionEstimator`) and
then undone: by importance weights for any classifier
(:class:`~skreweight.noisy.TransitionReweighting`), by random weights around
them (:class:`~skreweight.noisy.DirichletReweighting`, RENT), or by a logistic
regression whose loss sees the clean posterior through :math:`T`
(:class:`~skreweight.noisy.ForwardCorrectedClassifier`).
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Pair-flip noise on the wine data
# --------------------------------
# Three classes; each label moves to the next class with probability 0.3.
# The test labels stay clean.
import numpy as np
from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skreweight.datasets import add_label_noise

X, y = load_wine(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
y_noisy, T = add_label_noise(y_train, "pair", 0.3, random_state=0)
print(f"flipped training labels: {np.mean(y_noisy != y_train):.2f}")
print("true T:\n", T)

# %%
# Estimating the transition matrix
# --------------------------------
# Out-of-fold probabilities of a logistic regression fitted on the noisy
# labels; the confident joint (the estimator cleanlab uses) reads :math:`T`
# off them.
import matplotlib.pyplot as plt
from sklearn.linear_model import LogisticRegression

from skreweight.noisy import NoiseTransitionEstimator

est = NoiseTransitionEstimator(LogisticRegression(max_iter=1000)).fit(X_train, y_noisy)
T_hat = est.transition_matrix_
print(
    f"estimated noise rate {est.noise_rate_:.2f}, "
    f"mean absolute error of T {np.abs(T_hat - T).mean():.3f}"
)

fig, axes = plt.subplots(1, 2, figsize=(7, 3.2))
for ax, M, title in zip(axes, (T, T_hat), ("true T", "estimated T")):
    ax.imshow(M, vmin=0, vmax=1, cmap="Blues")
    for (i, j), v in np.ndenumerate(M):
        ax.text(j, i, f"{v:.2f}", ha="center", va="center")
    ax.set(
        title=title,
        xlabel="noisy label",
        ylabel="clean label",
        xticks=range(3),
        yticks=range(3),
    )
fig.tight_layout()

# %%
# Undoing the noise
# -----------------
# Each correction, with the estimated :math:`T` and with the true one. Flipped
# rows get small importance weights: their noisy label is unlikely under the
# clean posterior.
from skreweight.compose import ReweightedClassifier
from skreweight.noisy import (
    DirichletReweighting,
    ForwardCorrectedClassifier,
    TransitionReweighting,
)

lr = LogisticRegression(max_iter=1000)
models = {
    "noisy labels as they are": lr,
    "importance reweighting": ReweightedClassifier(TransitionReweighting(lr), lr),
    "RENT (resampling)": ReweightedClassifier(
        DirichletReweighting(lr, sampling="multinomial", random_state=0), lr
    ),
    "forward correction": ForwardCorrectedClassifier(
        NoiseTransitionEstimator(LogisticRegression(max_iter=1000))
    ),
    "forward correction, true T": ForwardCorrectedClassifier(T),
}
for name, model in models.items():
    model.fit(X_train, y_noisy)
    print(f"{name:28s} clean test accuracy {model.score(X_test, y_test):.3f}")

weights = models["importance reweighting"].weights_
flipped = y_noisy != y_train
fig, ax = plt.subplots(figsize=(5, 3))
bins = np.linspace(0, weights.max(), 25)
ax.hist(weights[~flipped], bins=bins, alpha=0.6, label="label kept")
ax.hist(weights[flipped], bins=bins, alpha=0.6, label="label flipped")
ax.set(xlabel="importance weight", ylabel="training rows")
ax.legend()
fig.tight_layout()

# %%
# The corrections are only as good as :math:`T` and the probabilities the
# weights come from. ``benchmarks/bench_noisy.py`` compares them with
# cleanlab's pruning on six data sets; see the :ref:`User Guide <noisy>`.
