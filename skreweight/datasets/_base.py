"""Loaders for the real data sets shipped inside the package (no network)."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from importlib import resources

import numpy as np
from sklearn.utils import Bunch

__all__ = ["REAL_DATASETS", "load_dataset"]

REAL_DATASETS = {
    "adult": "UCI Adult census income (48,842 rows); groups: race, sex.",
    "auto_mpg": "UCI Auto MPG (392 rows), fuel economy; data/PROVENANCE_regression.md.",
    "credit": "UCI Statlog Australian credit approval (690 rows).",
    "diabetes": "Pima Indians diabetes (768 rows).",
    "haberman": "UCI Haberman's survival (306 rows).",
    "indian_liver": "UCI Indian liver patient dataset (583 rows).",
    "mammographic": "UCI mammographic mass (961 rows, with missing values).",
    "redwine": "UCI red wine quality (1,599 rows, multiclass).",
}


def load_dataset(name, *, return_X_y=False, as_frame=False):
    """Load a real tabular data set shipped with skreweight.

    The files are gzip-compressed CSVs inside the package (source and licence
    in ``skreweight/datasets/data/PROVENANCE.md``); nothing is downloaded.

    Parameters
    ----------
    name : str
        One of the keys of :data:`REAL_DATASETS`: ``"adult"``, ``"auto_mpg"``,
        ``"credit"``,
        ``"diabetes"``, ``"haberman"``, ``"indian_liver"``, ``"mammographic"``,
        ``"redwine"``.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        Return a pandas DataFrame and Series instead of numpy arrays.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With ``data``, ``target``, ``feature_names``, ``frame`` (when
        ``as_frame``) and ``DESCR``.
    (data, target) : tuple
        When ``return_X_y`` is True.

    Examples
    --------
    >>> from skreweight.datasets import load_dataset
    >>> X, y = load_dataset("diabetes", return_X_y=True)
    >>> X.shape, sorted(set(y.tolist()))
    ((768, 8), [0, 1])
    """
    import pandas as pd

    if name not in REAL_DATASETS:
        raise ValueError(
            f"Unknown data set {name!r}; choose one of {sorted(REAL_DATASETS)}."
        )
    path = resources.files("skreweight.datasets") / "data" / f"{name}.csv.gz"
    with resources.as_file(path) as p:
        frame = pd.read_csv(p, compression="gzip")
    X, y = frame.iloc[:, :-1], frame.iloc[:, -1]
    if not as_frame:
        X, y = X.to_numpy(dtype=np.float64), y.to_numpy()
    if return_X_y:
        return X, y
    return Bunch(
        data=X,
        target=y,
        frame=frame if as_frame else None,
        feature_names=list(frame.columns[:-1]),
        DESCR=REAL_DATASETS[name] + " See data/PROVENANCE.md for source and licence.",
    )
