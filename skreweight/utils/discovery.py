"""Discover the public estimators, weighters and functions of skreweight."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import importlib.util
import inspect
import pkgutil
from operator import itemgetter
from pathlib import Path

from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    RegressorMixin,
    TransformerMixin,
)

__all__ = ["all_estimators"]

_MODULES_TO_IGNORE = {"tests", "utils", "datasets"}


def _public_modules():
    import skreweight

    root = str(Path(skreweight.__file__).parent)
    torch_missing = importlib.util.find_spec("torch") is None
    for _, module_name, _ in pkgutil.walk_packages(path=[root], prefix="skreweight."):
        parts = module_name.split(".")
        if any(p in _MODULES_TO_IGNORE for p in parts) or any(
            p.startswith("_") for p in parts[1:-1]
        ):
            continue
        if "neural" in parts and torch_missing:
            continue
        yield module_name


def all_estimators(type_filter=None):
    """List every public estimator class of skreweight.

    Parameters
    ----------
    type_filter : {"weighter", "classifier", "regressor", "transformer"}, \
            list of those, or None, default=None
        Keep only estimators of these kinds. None keeps all.

    Returns
    -------
    estimators : list of (str, type)
        ``(name, class)`` pairs sorted by name.

    Examples
    --------
    >>> from skreweight.utils.discovery import all_estimators
    >>> names = [name for name, _ in all_estimators(type_filter="weighter")]
    >>> "ClassBalance" in names
    True
    """
    from ..base import WeighterMixin

    found = {}
    for module_name in _public_modules():
        module = importlib.import_module(module_name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if (
                name.startswith("_")
                or not cls.__module__.startswith("skreweight")
                or not issubclass(cls, BaseEstimator)
                or inspect.isabstract(cls)
            ):
                continue
            found[name] = cls
    estimators = sorted(found.items(), key=itemgetter(0))
    if type_filter is None:
        return estimators
    filters = [type_filter] if isinstance(type_filter, str) else list(type_filter)
    kinds = {
        "weighter": WeighterMixin,
        "classifier": ClassifierMixin,
        "regressor": RegressorMixin,
        "transformer": TransformerMixin,
    }
    unknown = set(filters) - set(kinds)
    if unknown:
        raise ValueError(f"Unknown type_filter {sorted(unknown)}; use {list(kinds)}.")
    return [
        (n, c) for n, c in estimators if any(issubclass(c, kinds[f]) for f in filters)
    ]
