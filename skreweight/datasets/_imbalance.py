"""Rare-class tasks built from the real data shipped with skreweight."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from importlib import resources

import numpy as np
from sklearn.utils import Bunch

from ._base import load_dataset

__all__ = ["IMBALANCED_DATASETS", "load_imbalanced"]

IMBALANCED_DATASETS = {
    "adult_under_30": "UCI Adult, rows with age < 30 (14,515); income > 50K: 5.1 %.",
    "caravan": "CoIL 2000 caravan insurance (5,822 rows, 85 features); buyers: 6.0 %.",
    "redwine_low_quality": "UCI red wine (1,599 rows); quality <= 4: 3.9 %.",
}


def _load_caravan():
    import pandas as pd

    path = resources.files("skreweight.datasets") / "data" / "caravan.csv.gz"
    with resources.as_file(path) as p:
        frame = pd.read_csv(p, compression="gzip")
    return frame.iloc[:, :-1], frame.iloc[:, -1]


def load_imbalanced(name, *, return_X_y=False, as_frame=False):
    """Load a real binary task whose positive class is rare (<= 10 %).

    The rows come from files inside the package (nothing is downloaded); see
    ``skreweight/datasets/data/PROVENANCE_imbalance.md``. The positive class
    is labelled 1.

    Parameters
    ----------
    name : str
        One of the keys of :data:`IMBALANCED_DATASETS`: ``"adult_under_30"``,
        ``"caravan"``, ``"redwine_low_quality"``.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        Return a pandas DataFrame and Series instead of numpy arrays.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With ``data``, ``target``, ``feature_names``, ``frame`` (data and
        target in one DataFrame when ``as_frame``, else None, as in
        :func:`load_lalonde`) and ``DESCR``.
    (data, target) : tuple
        When ``return_X_y`` is True.

    Examples
    --------
    >>> from skreweight.datasets import load_imbalanced
    >>> X, y = load_imbalanced("redwine_low_quality", return_X_y=True)
    >>> X.shape, round(float(y.mean()), 3)
    ((1599, 11), 0.039)
    """
    if name not in IMBALANCED_DATASETS:
        raise ValueError(
            f"Unknown data set {name!r}; choose one of {sorted(IMBALANCED_DATASETS)}."
        )
    if name == "caravan":
        X, y = _load_caravan()
    elif name == "redwine_low_quality":
        X, y = load_dataset("redwine", return_X_y=True, as_frame=True)
        y = (y <= 4).astype(int)
    else:
        X, y = load_dataset("adult", return_X_y=True, as_frame=True)
        keep = (X["age"] < 30).to_numpy()
        X, y = X[keep].reset_index(drop=True), y[keep].reset_index(drop=True)
    y = y.rename("target")
    frame = X.join(y) if as_frame else None
    if not as_frame:
        X, y = X.to_numpy(dtype=np.float64), y.to_numpy(dtype=np.int64)
    if return_X_y:
        return X, y
    return Bunch(
        data=X,
        target=y,
        feature_names=list(X.columns) if as_frame else None,
        frame=frame,
        DESCR=IMBALANCED_DATASETS[name]
        + " See data/PROVENANCE_imbalance.md for source and licence.",
    )
