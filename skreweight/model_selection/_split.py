"""Splitters that keep every group in every fold."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.model_selection import BaseCrossValidator, StratifiedKFold

from ..utils.validation import check_sample_group

__all__ = ["GroupStratifiedKFold"]


class GroupStratifiedKFold(BaseCrossValidator):
    """K-fold stratified on (group, class) cells, so every fold sees every group.

    Unlike :class:`~sklearn.model_selection.GroupKFold`, which holds whole
    groups out, this splitter keeps the share of each (group, class) cell the
    same in every fold -- what worst-group evaluation needs. It requests
    ``sample_group`` under metadata routing; with routing off pass
    ``cv=list(GroupStratifiedKFold().split(X, y, sample_group=g))``.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds.
    shuffle : bool, default=False
        Shuffle within cells before splitting.
    random_state : int, RandomState instance or None, default=None
        Seed, when ``shuffle``.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.model_selection import GroupStratifiedKFold
    >>> X, y = np.zeros((8, 1)), np.array([0, 1] * 4)
    >>> g = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    >>> [sorted(set(g[test].tolist())) for _, test in
    ...  GroupStratifiedKFold(2).split(X, y, sample_group=g)]
    [[0, 1], [0, 1]]
    """

    __metadata_request__split = {"sample_group": True}

    def __init__(self, n_splits=5, *, shuffle=False, random_state=None):
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.random_state = random_state

    def _cells(self, X, y, sample_group):
        n = X.shape[0] if hasattr(X, "shape") else len(X)
        g = check_sample_group(sample_group, n)
        y = np.zeros(n, dtype=int) if y is None else np.asarray(y)
        if g is None:
            return y
        _, cells = np.unique(
            np.array([f"{a!r}|{b!r}" for a, b in zip(g, y)]), return_inverse=True
        )
        counts = np.bincount(cells)
        if np.any(counts < self.n_splits):
            small = np.unique(g[np.isin(cells, np.flatnonzero(counts < self.n_splits))])
            raise ValueError(
                f"Groups {small.tolist()} have a (group, class) cell with fewer than "
                f"n_splits={self.n_splits} rows, so some fold would miss them. "
                "Lower n_splits or merge small groups."
            )
        return cells

    def split(self, X, y=None, groups=None, sample_group=None):
        """Generate train/test indices stratified on (group, class).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows.
        y : array-like of shape (n_samples,), default=None
            Labels.
        groups : None
            Ignored; scikit-learn passes ``groups`` to splitters, and this one
            stratifies on ``sample_group`` instead.
        sample_group : array-like of shape (n_samples,), default=None
            Group of each row; None stratifies on y alone.

        Yields
        ------
        train, test : ndarray
            Indices of the training and test rows.
        """
        cells = self._cells(X, y, sample_group)
        skf = StratifiedKFold(
            self.n_splits, shuffle=self.shuffle, random_state=self.random_state
        )
        yield from skf.split(np.zeros((cells.shape[0], 1)), cells)

    def get_n_splits(self, X=None, y=None, groups=None, sample_group=None):
        """Number of splits.

        Parameters
        ----------
        X, y, groups, sample_group : object
            Ignored.

        Returns
        -------
        n_splits : int
        """
        return self.n_splits
