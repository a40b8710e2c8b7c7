"""Fairness reweighing: make the label independent of the sensitive group."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings

import numpy as np
from sklearn.base import BaseEstimator

from .._core.docstrings import fill_doc
from ..base import WeighterMixin

__all__ = ["FairnessReweighing"]


@fill_doc
class FairnessReweighing(WeighterMixin, BaseEstimator):
    """Kamiran-Calders reweighing: weights that remove statistical disparity.

    A row with sensitive group ``s`` and label ``y`` gets the weight

    .. math::

        W(s, y) = \\frac{P(S = s)\\, P(Y = y)}{P(S = s, Y = y)}
                = \\frac{N_s N_y}{N N_{s, y}},

    computed with ``sample_weight``-weighted counts. Under these weights the
    label is independent of the group: the weighted ``P(Y = y | S = s)``
    equals ``P(Y = y)`` for every group, so the weighted statistical-parity
    difference of the training labels is exactly 0, and each group keeps its
    total weight. Any number of groups and classes is supported (the
    intersection of several sensitive attributes is one group label). The
    weights average 1 over the training rows; ``sample_group=None`` (one
    group) gives uniform weights.

    Read more in the :ref:`User Guide <group_robustness>`.

    Attributes
    ----------
    weights_ : ndarray of shape (n_samples,)
        Weights of the training rows, averaging 1 (under ``sample_weight``).
    groups_ : ndarray of shape (n_groups,)
        Sensitive groups seen in ``fit``.
    classes_ : ndarray of shape (n_classes,)
        Classes seen in ``fit``.
    reweigh_factors_ : ndarray of shape (n_groups, n_classes)
        ``W(s, y)`` for every group and class.
    %(weighter_diagnostics)s

    See Also
    --------
    GroupBalance : Equal total weight per group or per (group, class) cell.
    skreweight.robust.GroupDROClassifier : Minimise the worst group's loss.

    Notes
    -----
    This matches AIF360's ``Reweighing`` (its scikit-learn flavour stores the
    same ``reweigh_factors_``), but returns the weights through the weighter
    contract instead of ``fit_transform -> (X, sample_weight)``. Train any
    classifier on them with
    :class:`~skreweight.compose.ReweightedClassifier`.

    References
    ----------
    .. [1] F. Kamiran and T. Calders, "Data preprocessing techniques for
       classification without discrimination", Knowledge and Information
       Systems 33(1), 2012.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.weighting import FairnessReweighing
    >>> X = np.zeros((6, 1))
    >>> y = np.array([1, 1, 0, 1, 0, 0])
    >>> sex = np.array(["m", "m", "m", "f", "f", "f"])
    >>> w = FairnessReweighing().fit(X, y, sample_group=sex).weights_
    >>> w
    array([0.75, 0.75, 1.5 , 1.5 , 0.75, 0.75])
    >>> [float(np.average(y[sex == s], weights=w[sex == s])) for s in ("f", "m")]
    [0.5, 0.5]
    """

    _context = ("sample_group",)
    _context_fallbacks = {
        "sample_group": "a single group: there is no dependence between group and "
        "label to remove, so every weight is 1"
    }
    _requires_y = True
    _X_dtype = None
    __metadata_request__fit = {"sample_group": True}

    _parameter_constraints = {}

    def __init__(self):
        pass

    def _encode(self, y, sample_group):
        n = y.shape[0]
        g = np.zeros(n, dtype=int) if sample_group is None else sample_group
        return g, y

    def _fit(self, X, y, sample_weight, sample_group=None):
        g, y = self._encode(y, sample_group)
        self.groups_, gi = np.unique(g, return_inverse=True)
        self.classes_, yi = np.unique(y, return_inverse=True)
        if sample_group is not None and self.groups_.shape[0] == 1:
            warnings.warn(
                f"sample_group holds a single group {self.groups_.tolist()}: there "
                "is no disparity to remove and the weights are uniform.",
                UserWarning,
                stacklevel=3,
            )
        n_g, n_c = self.groups_.shape[0], self.classes_.shape[0]
        joint = np.bincount(gi * n_c + yi, weights=sample_weight, minlength=n_g * n_c)
        joint = joint.reshape(n_g, n_c)
        total = joint.sum()
        expected = np.outer(joint.sum(axis=1), joint.sum(axis=0)) / total
        empty = (joint == 0) & (expected > 0)
        if np.any(empty):
            cells = [
                (self.groups_[i].item(), self.classes_[j].item())
                for i, j in zip(*np.nonzero(empty))
            ]
            raise ValueError(
                f"FairnessReweighing: the (group, class) cells {cells} have no rows "
                "with positive weight, so no reweighting can make the label "
                "independent of the group. Merge small groups or collect rows "
                "for those cells."
            )
        with np.errstate(invalid="ignore", divide="ignore"):
            self.reweigh_factors_ = np.where(joint > 0, expected / joint, 0.0)
        return self.reweigh_factors_[gi, yi]

    def _compute_weights(self, X, y, sample_group=None):
        g, y = self._encode(y, sample_group)
        gi = np.searchsorted(self.groups_, g)
        yi = np.searchsorted(self.classes_, y)
        gi_ok = gi < self.groups_.shape[0]
        yi_ok = yi < self.classes_.shape[0]
        seen_g = gi_ok & (self.groups_[np.minimum(gi, len(self.groups_) - 1)] == g)
        seen_y = yi_ok & (self.classes_[np.minimum(yi, len(self.classes_) - 1)] == y)
        if not np.all(seen_g):
            raise ValueError(
                f"Groups {np.unique(np.asarray(g)[~seen_g]).tolist()} were not "
                "seen in fit."
            )
        if not np.all(seen_y):
            raise ValueError(
                f"Classes {np.unique(y[~seen_y]).tolist()} were not seen in fit."
            )
        return self.reweigh_factors_[gi, yi]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        return tags
