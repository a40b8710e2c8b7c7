"""Helpers shared by the class-imbalance estimators."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils.validation import has_fit_parameter

__all__ = ["check_priors", "class_frequencies", "fit_classifier"]


def class_frequencies(y_index, sample_weight, classes):
    """Sample-weighted share of each class (``y_index`` holds class positions)."""
    counts = np.bincount(y_index, weights=sample_weight, minlength=len(classes))
    if np.any(counts <= 0):
        raise ValueError(
            f"The class(es) {classes[counts <= 0].tolist()} have zero total "
            "sample_weight, so their prior is 0. Drop "
            "those rows from the data, or give them positive weight."
        )
    return counts / counts.sum()


def check_priors(priors, classes, *, name="priors", atol=1e-6):
    """Validate user class priors against the classes seen in ``fit``.

    Parameters
    ----------
    priors : dict or array-like of shape (n_classes,)
        A mapping ``{class: prior}`` or an array in the order of ``classes``.
    classes : ndarray of shape (n_classes,)
        Sorted class labels seen in ``fit``.
    name : str, default="priors"
        Parameter name for the error messages.
    atol : float, default=1e-6
        How far from 1 the sum may be.

    Returns
    -------
    priors : ndarray of shape (n_classes,)
        Positive priors in the order of ``classes``, summing to 1.
    """
    labels = [c.item() if hasattr(c, "item") else c for c in classes]
    if isinstance(priors, dict):
        unknown = [c for c in priors if c not in labels]
        if unknown:
            raise ValueError(
                f"{name} gives a prior to class(es) {unknown} that do not occur in "
                f"the training labels {labels}. A classifier cannot predict a class "
                "it never saw: drop those classes from the priors, or add labelled "
                "rows of them to the training data."
            )
        missing = [c for c in labels if c not in priors]
        if missing:
            raise ValueError(
                f"{name} has no prior for class(es) {missing}; give one for every "
                f"training class {labels}."
            )
        values = np.array([priors[c] for c in labels], dtype=np.float64)
    else:
        values = np.asarray(priors, dtype=np.float64)
        if values.ndim != 1 or values.shape[0] != len(labels):
            raise ValueError(
                f"{name} has shape {values.shape}, but the training labels have "
                f"{len(labels)} classes {labels}: pass one prior per class, in the "
                "order of classes_, or a dict {class: prior}."
            )
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise ValueError(
            f"{name} must be positive and finite, got {values.tolist()}. A class "
            "with prior 0 cannot be predicted; drop it from the training data "
            "instead."
        )
    total = float(values.sum())
    if abs(total - 1.0) > atol:
        raise ValueError(
            f"{name} must sum to 1, but they sum to {total:.6g}. Divide them by "
            "their sum if they are relative frequencies."
        )
    return values / total


def fit_classifier(estimator, X, y, sample_weight=None, **fit_params):
    """Fit ``estimator``; ``sample_weight`` of all ones may be dropped."""
    if sample_weight is None:
        return estimator.fit(X, y, **fit_params)
    if has_fit_parameter(estimator, "sample_weight"):
        return estimator.fit(X, y, sample_weight=sample_weight, **fit_params)
    if np.all(sample_weight == 1):
        return estimator.fit(X, y, **fit_params)
    raise TypeError(
        f"{type(estimator).__name__} does not accept sample_weight in fit, so it "
        "cannot honour the sample weights. Use a classifier that does (for a "
        "Pipeline, enable metadata routing and request sample_weight on its last "
        "step), or drop sample_weight."
    )
