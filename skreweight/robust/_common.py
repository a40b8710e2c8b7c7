"""Helpers shared by the group-robust estimators: groups and linear losses."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from scipy.special import expit, logsumexp

from .._core.docstrings import fill_doc
from ..utils.validation import check_sample_group

__all__ = []


def _declared_categories(sample_group):
    """Categories of a pandas categorical, else None."""
    if hasattr(sample_group, "cat"):
        return list(sample_group.cat.categories)
    if hasattr(sample_group, "categories") and hasattr(sample_group, "codes"):
        return list(sample_group.categories)
    return None


def encode_groups(sample_group, sample_weight, n_samples, *, owner):
    """Encode group labels as integers and count each group's weight.

    A pandas categorical declares the groups through its categories: a
    declared group with no row of positive weight (for instance absent from a
    cross-validation training fold) raises an error naming it.

    Returns
    -------
    groups : ndarray of shape (n_groups,)
        Group labels (``[0]`` when ``sample_group`` is None).
    inverse : ndarray of shape (n_samples,)
        Index of each row's group in ``groups``.
    size : ndarray of shape (n_groups,)
        Sample-weighted size of each group.
    """
    categories = _declared_categories(sample_group)
    g = check_sample_group(sample_group, n_samples)
    if g is None:
        return (
            np.array([0]),
            np.zeros(n_samples, dtype=int),
            np.array([sample_weight.sum()]),
        )
    if categories is not None:
        groups = np.asarray(categories, dtype=object)
        lookup = {c: i for i, c in enumerate(categories)}
        inverse = np.array([lookup[v] for v in g.tolist()], dtype=int)
    else:
        groups, inverse = np.unique(g, return_inverse=True)
    size = np.bincount(inverse, weights=sample_weight, minlength=groups.shape[0])
    empty = groups[size <= 0]
    if empty.shape[0]:
        raise ValueError(
            f"{owner}: group(s) {empty.tolist()} have no rows with positive weight "
            "in the training data (for instance, absent from this cross-validation "
            "fold). Every group must appear in every training fold: split with a "
            "splitter stratified on (group, class), such as "
            "skreweight.model_selection.GroupStratifiedKFold, or drop the group."
        )
    return groups, inverse, size


def encode_labels(y):
    """Classes and 0..K-1 codes of a label vector."""
    classes, codes = np.unique(y, return_inverse=True)
    return classes, codes


# ----------------------------------------------------------------- losses
# Linear models: the parameter vector is ``theta = [coef.ravel(), intercept]``.
# For two classes ``coef`` has shape (d,) and the loss is the binary logistic
# loss; for K > 2 classes ``coef`` has shape (d, K) and the loss is the
# multinomial one; ``"squared"`` is 0.5 * (y - x @ coef - b) ** 2.


class LinearLoss:
    """Per-row loss and gradients of a linear model with an intercept."""

    def __init__(self, kind, n_features, n_classes=2, fit_intercept=True):
        self.kind = kind
        self.d = n_features
        self.k = 1 if kind != "multinomial" else n_classes
        self.fit_intercept = fit_intercept

    @property
    def n_params(self):
        return self.k * (self.d + int(self.fit_intercept))

    def unpack(self, theta):
        k, d = self.k, self.d
        coef = theta[: k * d].reshape(d, k)
        intercept = theta[k * d :] if self.fit_intercept else np.zeros(k)
        return coef, intercept

    def scores(self, theta, X):
        coef, intercept = self.unpack(theta)
        return X @ coef + intercept

    def loss_and_dscore(self, theta, X, y):
        """Per-row losses (n,) and their derivative in the scores (n, k)."""
        z = self.scores(theta, X)
        if self.kind == "logistic":
            # y in {0, 1}; m = signed margin
            s = 2.0 * y - 1.0
            m = s * z[:, 0]
            loss = np.logaddexp(0.0, -m)
            dz = (-s * expit(-m))[:, None]
        elif self.kind == "multinomial":
            lse = logsumexp(z, axis=1)
            loss = lse - z[np.arange(z.shape[0]), y]
            dz = np.exp(z - lse[:, None])
            dz[np.arange(z.shape[0]), y] -= 1.0
        else:
            r = z[:, 0] - y
            loss = 0.5 * r**2
            dz = r[:, None]
        return loss, dz

    def grad(self, X, dz_weighted):
        """Gradient in theta of sum_i dz_weighted[i] . scores_i."""
        g_coef = X.T @ dz_weighted
        parts = [g_coef.ravel()]
        if self.fit_intercept:
            parts.append(dz_weighted.sum(axis=0))
        return np.concatenate(parts)

    def penalty(self, theta, alpha):
        """(alpha / 2) ||coef||^2 and its gradient (intercept unpenalised)."""
        grad = np.zeros_like(theta)
        kd = self.k * self.d
        grad[:kd] = alpha * theta[:kd]
        return 0.5 * alpha * float(theta[:kd] @ theta[:kd]), grad


def linear_predict_proba(scores, kind):
    """Class probabilities from linear scores."""
    if kind == "logistic":
        p = expit(scores[:, 0])
        return np.column_stack([1.0 - p, p])
    return np.exp(scores - logsumexp(scores, axis=1, keepdims=True))


def linear_predict(scores, kind, classes):
    """Class labels from linear scores."""
    if kind == "logistic":
        return classes[(scores[:, 0] > 0).astype(int)]
    return classes[np.argmax(scores, axis=1)]


@fill_doc
class LinearClassifierOutputMixin:
    """Prediction methods of a fitted linear classifier.

    The host class sets ``classes_`` and ``_kind`` (``"logistic"`` or
    ``"multinomial"``) in ``fit`` and implements ``_decision(X)``, which
    validates X and returns the linear scores of shape (n_samples, n_scores).
    """

    def decision_function(self, X):
        """Linear scores.

        %(decision_function_doc)s
        """
        scores = self._decision(X)
        return scores[:, 0] if self._kind == "logistic" else scores

    def predict_proba(self, X):
        """Class probabilities.

        %(predict_proba_doc)s
        """
        return linear_predict_proba(self._decision(X), self._kind)

    def predict(self, X):
        """Predict class labels.

        %(predict_doc)s
        """
        return linear_predict(self._decision(X), self._kind, self.classes_)


def group_losses(loss, inverse, sample_weight, size):
    """Weighted mean loss of each group."""
    return np.bincount(
        inverse, weights=sample_weight * loss, minlength=size.shape[0]
    ) / (size)
