"""One warning per estimator and condition over the many fits of a search."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings
from contextlib import contextmanager

from ..utils._warnings import condition

__all__ = ["summarize_warnings"]


def _condition(record):
    return condition(record.category, record.message)


@contextmanager
def summarize_warnings():
    """Collapse repeated warnings of a search into one per estimator and condition.

    A search fits every candidate on every fold, and each fit checks its own
    weights: 4 candidates x 3 folds of degenerate weights print 12
    :class:`~skreweight.exceptions.WeightDegeneracyWarning` lines that differ
    only in their numbers. Inside this context the warnings are collected;
    on exit each distinct condition -- same category, same message once the
    numbers are blanked, and so the same estimator, whose name leads the
    message -- is issued once, with the first fit's numbers and the count of
    fits that raised it.

    It sees the warnings of fits that run in this process (``n_jobs=None``,
    or joblib's threading backend); warnings raised in worker processes do
    not reach it.

    Yields
    ------
    records : list of warnings.WarningMessage
        Every warning caught, in order (before collapsing), for inspection.

    Examples
    --------
    >>> import warnings
    >>> from skreweight.model_selection import summarize_warnings
    >>> with warnings.catch_warnings(record=True) as shown:
    ...     warnings.simplefilter("always")
    ...     with summarize_warnings() as caught:
    ...         for ess in (3.1, 2.7, 4.0):
    ...             warnings.warn(f"Weighter: ESS {ess} of 100 rows", UserWarning)
    >>> len(caught), len(shown)
    (3, 1)
    >>> print(shown[0].message)  # doctest: +ELLIPSIS
    Weighter: ESS 3.1 of 100 rows [the same warning came from 3 fits; ...]
    """
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        yield records
    groups = {}
    for record in records:
        groups.setdefault(_condition(record), []).append(record)
    for (category, _), group in groups.items():
        first = group[0]
        message = str(first.message)
        if len(group) > 1:
            message += (
                f" [the same warning came from {len(group)} fits; numbers from "
                "the first]"
            )
        warnings.warn_explicit(
            message,
            category,
            first.filename,
            first.lineno,
            module="skreweight",
            registry={},
        )
