"""
==================================================
Weighted neural networks: whole-sample normalising
==================================================

:class:`~skreweight.neural.WeightedNeuralNetClassifier` weights each row's
loss and divides by the weight of the *whole* training sample, never by the
weight of one mini-batch. This example shows why it matters. The training set
is sorted so that heavy rows (weight 50) and light rows (weight 1) fall into
different mini-batches, as can happen with any batching. Normalising each
batch by its own weight (scikit-learn#11723) gives every batch the same total
weight, so the light rows count as much as the heavy ones; the whole-sample
rule keeps the loss equal to the weighted mean, exactly as if the heavy rows
had been repeated 50 times.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Data: the heavy rows say "class 1", the light rows mostly "class 0"
# -------------------------------------------------------------------
import numpy as np

from skreweight.neural import WeightedNeuralNetClassifier

rng = np.random.RandomState(0)
X = rng.normal(size=(200, 2))
heavy = np.arange(200) < 100
y = np.where(heavy, 1, (rng.uniform(size=200) < 0.2).astype(int))
w = np.where(heavy, 50.0, 1.0)
print("weighted share of class 1:", np.average(y, weights=w).round(3))

# %%
# Whole-sample normalisation (skreweight) versus per-batch normalisation
# ----------------------------------------------------------------------
# Batches of 100 rows, not shuffled: batch one holds the heavy rows, batch two
# the light ones. Dividing each batch by its own total weight makes both
# batches count the same: here that is the same as giving every row weight 1.
common = dict(
    module__hidden_units=(),
    batch_size=100,
    iterator_train__shuffle=False,
    max_epochs=200,
    lr=0.05,
    random_state=0,
)
whole = WeightedNeuralNetClassifier(**common).fit(X, y, sample_weight=w)
per_batch = WeightedNeuralNetClassifier(**common).fit(X, y, sample_weight=np.ones(200))
repeated = np.repeat(np.arange(200), w.astype(int))
reference = WeightedNeuralNetClassifier(
    module__hidden_units=(), batch_size=-1, max_epochs=200, lr=0.05, random_state=0
).fit(X[repeated], y[repeated])

for name, model in [
    ("whole-sample weights", whole),
    ("per-batch weights", per_batch),
    ("repeated rows", reference),
]:
    p1 = model.predict_proba(X)[:, 1].mean()
    print(f"{name:22s} mean P(class 1) = {p1:.3f}")

# %%
# The training curve is the weighted mean loss
# --------------------------------------------
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(whole.history[:, "train_loss"], label="whole-sample (weights 50 / 1)")
ax.plot(reference.history[:, "train_loss"], "--", label="repeated rows, full batch")
ax.plot(per_batch.history[:, "train_loss"], ":", label="per-batch")
ax.set_xlabel("epoch")
ax.set_ylabel("training loss")
ax.legend()
_ = ax.set_title("Weighted loss, two batches per epoch")
