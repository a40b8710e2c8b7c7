"""Encodings, positivity and clip checks, and the named thresholds.

One home for the numbers that decide a warning, and for the small formulas
that several families share.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from ..exceptions import PositivityWarning, WeightDegeneracyWarning
from ..utils._warnings import warn as warn_once

#: Above this share of target rows lying where the source has almost no mass,
#: a density-ratio or matching weighter raises a WeightDegeneracyWarning.
UNCOVERED_SHARE_WARN = 0.05

#: A target row is "uncovered" by a domain classifier when its estimated
#: P(target | x) exceeds this (with balanced domains: p_t(x) > 99 p_s(x)).
UNCOVERED_PROBA = 0.99

#: Propensity scores outside ``[POSITIVITY_THRESHOLD, 1 - POSITIVITY_THRESHOLD]``
#: count as positivity violations; a PositivityWarning is raised when more than
#: ``POSITIVITY_SHARE`` of the units violate it, or any propensity is 0 or 1
#: to within 1e-6.
POSITIVITY_THRESHOLD = 0.01
POSITIVITY_SHARE = 0.01


def inverse_effective_number(counts, beta):
    """``(1 - beta) / (1 - beta ** n)``: the inverse effective number of Cui et al.

    Computed stably, as ``(1 - beta) / -expm1(n log beta)``; 1 for
    ``beta = 0``.
    """
    counts = np.asarray(counts, dtype=np.float64)
    effective = -np.expm1(counts * np.log(beta)) / (1 - beta) if beta else counts**0
    return 1.0 / effective


def domain_cut(n_source, n_target, balance_domains):
    """The ``P(target|x)`` above which a target row is uncovered.

    :data:`UNCOVERED_PROBA` with balanced domains; otherwise
    ``0.99 n_target / (n_target + 0.01 n_source)``, the rule of
    ClassifierDensityRatio.
    """
    if balance_domains:
        return UNCOVERED_PROBA
    return UNCOVERED_PROBA * n_target / (n_target + 0.01 * n_source)


def uncovered_target_share(p_target, cut=UNCOVERED_PROBA):
    """Share of target rows whose domain-classifier ``P(target|x)`` exceeds ``cut``."""
    return float(np.mean(p_target > cut))


def warn_uncovered_target(owner, share, detail):
    """WeightDegeneracyWarning when ``share`` exceeds :data:`UNCOVERED_SHARE_WARN`."""
    if share > UNCOVERED_SHARE_WARN:
        warn_once(
            f"{owner}: {100 * share:.1f}% of the target rows lie where the source "
            f"has almost no mass ({detail}); reweighting the source rows cannot "
            "represent that part of the target. Expect a biased reweighted fit "
            "there.",
            WeightDegeneracyWarning,
            stacklevel=5,
        )


def warn_positivity(owner, e, t, threshold=POSITIVITY_THRESHOLD, overlap_weights=None):
    """Warn when propensities ``e`` of arms ``t`` come too close to 0 or 1.

    ``overlap_weights`` says how the owner offers overlap weights (default:
    ``estimand='ATO'``). Returns the share of units outside
    ``[threshold, 1 - threshold]``.
    """
    extreme = (e < threshold) | (e > 1 - threshold)
    share = float(np.mean(extreme))
    if share > POSITIVITY_SHARE or np.any((e < 1e-6) | (e > 1 - 1e-6)):
        warn_once(
            f"{owner}: {100 * share:.1f}% of the units have an estimated "
            f"propensity outside [{threshold}, {1 - threshold}] (treated: "
            f"{int(np.sum(extreme & (t == 1)))}, control: "
            f"{int(np.sum(extreme & (t == 0)))}). Positivity (overlap) is "
            "violated or nearly so, for instance by perfect separation: the "
            "weights of those units are extreme. Clip or trim the propensity, "
            f"use overlap weights ({overlap_weights or 'estimand=' + repr('ATO')}), "
            "or restrict the population.",
            PositivityWarning,
            stacklevel=4,
        )
    return share


def clip_propensity(e, clip, *, warn):
    """Clip propensities to ``[clip, 1 - clip]``; return them and the count clipped.

    Raises when ``clip`` is 0 and a propensity is exactly 0 or 1; warns
    (PositivityWarning) when ``warn`` and any row is clipped.
    """
    n_zero_one = int(np.sum((e <= 0) | (e >= 1)))
    if clip == 0 and n_zero_one:
        raise ValueError(
            f"{n_zero_one} propensity score(s) are exactly 0 or 1 and clip=0: "
            "the pseudo-outcomes would divide by zero. Set clip > 0 (e.g. "
            "0.01) or regularise model_t."
        )
    low, high = e < clip, e > 1 - clip
    n_clipped = int(np.sum(low | high))
    if warn and n_clipped:
        warn_once(
            f"Propensity scores were clipped to [{clip:g}, {1 - clip:g}] for "
            f"{n_clipped} of {e.shape[0]} rows ({int(low.sum())} below, "
            f"{int(high.sum())} above; {n_zero_one} exactly 0 or 1). "
            "Overlap is poor there: the CATE relies on extrapolation.",
            PositivityWarning,
            stacklevel=4,
        )
    return np.clip(e, clip, 1 - clip), n_clipped


# ---------------------------------------------------------- classes and priors
def class_frequencies(y_index, sample_weight, classes):
    """Sample-weighted share of each class (``y_index`` holds class positions)."""
    counts = np.bincount(y_index, weights=sample_weight, minlength=len(classes))
    if np.any(counts <= 0):
        raise ValueError(
            f"The class(es) {classes[counts <= 0].tolist()} have zero total "
            "sample_weight, so their prior is 0. Drop those rows from the data, "
            "or give them positive weight."
        )
    return counts / counts.sum()


def check_classes(y, owner):
    """Sorted classes and class positions of ``y``; at least two classes."""
    classes, y_index = np.unique(y, return_inverse=True)
    if classes.shape[0] < 2:
        raise ValueError(
            f"{owner} needs at least 2 classes in y, got 1 class: "
            f"{classes.tolist()}. A single-class problem has no priors to adjust."
        )
    return classes, y_index


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


def propensity_weights(e, t, estimand):
    """Raw weights implied by propensity scores ``e`` for an estimand."""
    with np.errstate(divide="ignore"):
        if estimand == "ATE":
            return np.where(t == 1, 1.0 / e, 1.0 / (1.0 - e))
        if estimand == "ATT":
            return np.where(t == 1, 1.0, e / (1.0 - e))
        if estimand == "ATC":
            return np.where(t == 1, (1.0 - e) / e, 1.0)
        return np.where(t == 1, 1.0 - e, e)  # ATO: overlap weights
