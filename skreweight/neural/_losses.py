"""Per-row losses for long-tailed classification: LDAM, focal, logit-adjusted."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .._core.encoding import inverse_effective_number

__all__ = [
    "FocalLoss",
    "LDAMLoss",
    "LogitAdjustedLoss",
    "class_balanced_weights",
]


def _check_reduction(reduction):
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(
            f"reduction must be 'none', 'mean' or 'sum', got {reduction!r}"
        )


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_counts(class_counts):
    counts = np.asarray(class_counts, dtype=np.float64)
    if counts.ndim != 1 or counts.shape[0] < 2:
        raise ValueError(
            f"class_counts must be a 1-D array with one count per class (at least "
            f"2), got shape {counts.shape}."
        )
    if np.any(counts <= 0) or not np.all(np.isfinite(counts)):
        raise ValueError(
            "class_counts must be finite and positive: every class needs at least "
            f"one training row, got {counts.tolist()}."
        )
    return counts


def class_balanced_weights(class_counts, beta=0.9999):
    """Class-balanced weights of Cui et al. (2019), summing to the number of classes.

    ``w_c = (1 - beta) / (1 - beta ** n_c)``, the inverse "effective number"
    of class ``c``, rescaled so that ``sum(w) == n_classes``. ``beta = 0``
    gives uniform weights; ``beta -> 1`` gives inverse class frequencies.

    Parameters
    ----------
    class_counts : array-like of shape (n_classes,)
        (Weighted) number of training rows of each class.
    beta : float in [0, 1), default=0.9999
        Smoothing of the effective number.

    Returns
    -------
    weights : ndarray of shape (n_classes,)

    Examples
    --------
    >>> from skreweight.neural import class_balanced_weights
    >>> class_balanced_weights([100, 10], beta=0.0)
    array([1., 1.])
    >>> class_balanced_weights([100, 10], beta=0.9999).round(3)
    array([0.183, 1.817])
    """
    counts = _check_counts(class_counts)
    if not 0 <= beta < 1:
        raise ValueError(f"beta must be in [0, 1), got {beta}.")
    w = inverse_effective_number(counts, beta)
    return w * counts.shape[0] / w.sum()


class LDAMLoss(nn.Module):
    """Label-distribution-aware margin loss (Cao et al., NeurIPS 2019).

    The true-class logit ``z_y`` (a cosine, from a normalised head) is lowered
    by the margin ``Delta_y = C / n_y ** (1/4)``, with ``C`` chosen so that the
    largest margin is ``max_margin``; the loss is the cross-entropy of
    ``scale * z``. Rare classes get the largest margins.

    Parameters
    ----------
    class_counts : array-like of shape (n_classes,)
        Number of training rows of each class.
    max_margin : float, default=0.5
        Margin of the rarest class.
    scale : float, default=30.0
        Logit scale ``s`` (the paper's cosine classifier uses 30).
    weight : array-like of shape (n_classes,), default=None
        Class weights multiplying each row's loss.
    reduction : {"none", "mean", "sum"}, default="none"
        Reduction over rows.
    """

    def __init__(
        self, class_counts, max_margin=0.5, scale=30.0, weight=None, reduction="none"
    ):
        super().__init__()
        _check_reduction(reduction)
        counts = _check_counts(class_counts)
        margins = counts**-0.25
        margins = margins * (max_margin / margins.max())
        self.register_buffer("margins", torch.as_tensor(margins))
        self.register_buffer(
            "weight", None if weight is None else torch.as_tensor(weight)
        )
        self.scale = scale
        self.reduction = reduction

    def forward(self, logits, target):
        margin = self.margins.to(logits.dtype)[target]
        onehot = F.one_hot(target, logits.shape[1]).to(logits.dtype)
        adjusted = logits - onehot * margin[:, None]
        loss = F.cross_entropy(self.scale * adjusted, target, reduction="none")
        if self.weight is not None:
            loss = loss * self.weight.to(loss.dtype)[target]
        return _reduce(loss, self.reduction)


class FocalLoss(nn.Module):
    """Focal loss ``-(1 - p_t) ** gamma * log p_t`` (Lin et al., 2017).

    ``p_t`` is computed from the *unweighted* cross-entropy, and class weights
    multiply the result afterwards (the LDAM-DRW code weights the
    cross-entropy first, which corrupts ``p_t``).

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing parameter; 0 gives the cross-entropy.
    weight : array-like of shape (n_classes,), default=None
        Class weights (the ``alpha_t`` of the paper).
    reduction : {"none", "mean", "sum"}, default="none"
        Reduction over rows.
    """

    def __init__(self, gamma=2.0, weight=None, reduction="none"):
        super().__init__()
        _check_reduction(reduction)
        if gamma < 0:
            raise ValueError(f"gamma must be >= 0, got {gamma}.")
        self.gamma = gamma
        self.register_buffer(
            "weight", None if weight is None else torch.as_tensor(weight)
        )
        self.reduction = reduction

    def forward(self, logits, target):
        ce = F.cross_entropy(logits, target, reduction="none")
        p_t = torch.exp(-ce)
        loss = (1.0 - p_t) ** self.gamma * ce
        if self.weight is not None:
            loss = loss * self.weight.to(loss.dtype)[target]
        return _reduce(loss, self.reduction)


class LogitAdjustedLoss(nn.Module):
    """Logit-adjusted cross-entropy (Menon et al., ICLR 2021).

    ``CE(y, z + tau * log(pi))`` with ``pi`` the training class priors; the
    network's plain ``argmax z`` then targets the balanced error.

    Parameters
    ----------
    class_counts : array-like of shape (n_classes,)
        Number of training rows of each class (gives ``pi``).
    tau : float, default=1.0
        Strength of the adjustment.
    weight : array-like of shape (n_classes,), default=None
        Class weights multiplying each row's loss.
    reduction : {"none", "mean", "sum"}, default="none"
        Reduction over rows.
    """

    def __init__(self, class_counts, tau=1.0, weight=None, reduction="none"):
        super().__init__()
        _check_reduction(reduction)
        counts = _check_counts(class_counts)
        self.register_buffer(
            "log_prior", torch.as_tensor(np.log(counts / counts.sum()))
        )
        self.register_buffer(
            "weight", None if weight is None else torch.as_tensor(weight)
        )
        self.tau = tau
        self.reduction = reduction

    def forward(self, logits, target):
        shifted = logits + self.tau * self.log_prior.to(logits.dtype)
        loss = F.cross_entropy(shifted, target, reduction="none")
        if self.weight is not None:
            loss = loss * self.weight.to(loss.dtype)[target]
        return _reduce(loss, self.reduction)
