"""Warnings and errors raised by skreweight."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from sklearn.exceptions import ConvergenceWarning

__all__ = ["ConvergenceWarning", "PositivityWarning", "WeightDegeneracyWarning"]


class WeightDegeneracyWarning(UserWarning):
    """Warn that the weights concentrate on few rows.

    Raised when the Kish effective sample size of a weight vector falls below
    :data:`skreweight.base.ESS_WARNING_THRESHOLD` times the number of rows, or
    when a large share of the target distribution is not covered by the source
    rows. Estimates computed with such weights have a high variance.
    """


class PositivityWarning(UserWarning):
    """Warn that treatment or group probabilities reach 0 or 1 (overlap fails)."""
