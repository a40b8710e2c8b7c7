"""Weighters: estimators that learn which rows should count how much."""

from ._class_balance import ClassBalance
from ._classifier_ratio import ClassifierDensityRatio
from ._group import GroupBalance

__all__ = [
    "ClassBalance",
    "ClassifierDensityRatio",
    "GroupBalance",
]

from ._balancing import CBPS, EntropyBalancing, PropensityWeighting  # noqa: E402

__all__ += ["CBPS", "EntropyBalancing", "PropensityWeighting"]

from ._ipm import IPMBalancing  # noqa: E402

__all__ += ["IPMBalancing"]
