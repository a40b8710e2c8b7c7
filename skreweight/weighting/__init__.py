"""Weighters: estimators that learn which rows should count how much."""

from ._class_balance import ClassBalance
from ._classifier_ratio import ClassifierDensityRatio
from ._double_weighting import DoubleWeighting
from ._group import GroupBalance
from ._kliep import KLIEP
from ._kmm import KernelMeanMatching
from ._lsif import ULSIF, RuLSIF
from ._nn_ratio import NearestNeighborsDensityRatio

__all__ = [
    "ClassBalance",
    "ClassifierDensityRatio",
    "DoubleWeighting",
    "GroupBalance",
    "KLIEP",
    "KernelMeanMatching",
    "NearestNeighborsDensityRatio",
    "RuLSIF",
    "ULSIF",
]

from ._balancing import CBPS, EntropyBalancing, PropensityWeighting  # noqa: E402

__all__ += ["CBPS", "EntropyBalancing", "PropensityWeighting"]

from ._ipm import IPMBalancing  # noqa: E402

__all__ += ["IPMBalancing"]
