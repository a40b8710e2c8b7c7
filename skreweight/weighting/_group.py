"""Group-balancing weights computed from a per-row group label."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator

from .._core.docstrings import fill_doc
from ..base import WeighterMixin
from ..utils._sklearn_compat import Interval

__all__ = ["GroupBalance"]


@fill_doc
class GroupBalance(WeighterMixin, BaseEstimator):
    """Give every group (or every group x class cell) the same total weight.

    A row of group ``g`` gets weight ``1 / n_g`` (``n_g`` the sample-weighted
    size of its group), rescaled so that weights average 1. With
    ``by_class=True`` the cells are the (group, class) pairs, which removes a
    spurious correlation between group and label from the weighted training
    data. ``sample_group=None`` means one group: the weights are then uniform
    (or class-balanced when ``by_class=True``).

    Read more in the :ref:`User Guide <contract>`.

    Parameters
    ----------
    by_class : bool, default=False
        Balance the (group, class) cells instead of the groups; needs ``y``.
    min_group_size : int, default=2
        Groups (cells) with fewer rows raise an error: a single row would
        carry a whole group's weight.

    Attributes
    ----------
    weights_ : ndarray of shape (n_samples,)
        Weights of the training rows, averaging 1.
    cells_ : ndarray of shape (n_cells,)
        Groups, or ``(group, class)`` pairs when ``by_class=True``.
    cell_count_ : ndarray of shape (n_cells,)
        Sample-weighted count of each cell.
    %(weighter_diagnostics)s

    See Also
    --------
    ClassBalance : Balance the classes instead.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.weighting import GroupBalance
    >>> X = np.zeros((6, 1))
    >>> g = np.array(["a", "a", "a", "a", "b", "b"])
    >>> GroupBalance().fit(X, sample_group=g).weights_
    array([0.75, 0.75, 0.75, 0.75, 1.5 , 1.5 ])
    """

    _context = ("sample_group",)
    _context_fallbacks = {
        "sample_group": "a single group: every weight is 1 (with by_class=True, "
        "only the classes are balanced)"
    }
    _X_dtype = None
    __metadata_request__fit = {"sample_group": True}

    _parameter_constraints = {
        "by_class": ["boolean"],
        "min_group_size": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, by_class=False, min_group_size=2):
        self.by_class = by_class
        self.min_group_size = min_group_size

    def _cell_labels(self, y, sample_group, n):
        g = np.zeros(n, dtype=int) if sample_group is None else sample_group
        if not self.by_class:
            return g.astype(str) if g.dtype.kind == "O" else g
        if y is None:
            raise ValueError("GroupBalance(by_class=True) requires y.")
        return np.array([f"{a!r}|{b!r}" for a, b in zip(g, np.asarray(y))])

    def _fit(self, X, y, sample_weight, sample_group=None):
        if self.by_class and y is not None:
            y = self._validate_y(y, X.shape[0])
        cells = self._cell_labels(y, sample_group, X.shape[0])
        self.cells_, inverse, raw_count = np.unique(
            cells, return_inverse=True, return_counts=True
        )
        small = self.cells_[raw_count < self.min_group_size]
        if sample_group is not None and small.shape[0]:
            raise ValueError(
                f"Groups {small.tolist()} have fewer than min_group_size="
                f"{self.min_group_size} rows; a single row would carry a whole "
                "group's weight. Merge small groups or lower min_group_size."
            )
        self.cell_count_ = np.bincount(inverse, weights=sample_weight)
        if np.any(self.cell_count_ == 0):
            raise ValueError(
                f"Groups {self.cells_[self.cell_count_ == 0].tolist()} have zero "
                "total sample_weight."
            )
        self._factor = 1.0 / self.cell_count_
        return self._factor[inverse]

    def _compute_weights(self, X, y, sample_group=None):
        cells = self._cell_labels(y, sample_group, X.shape[0])
        lookup = {c: i for i, c in enumerate(self.cells_.tolist())}
        try:
            idx = np.array([lookup[c] for c in cells.tolist()], dtype=int)
        except KeyError as exc:
            raise ValueError(f"Group {exc.args[0]!r} was not seen in fit.") from None
        return self._factor[idx]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        return tags
