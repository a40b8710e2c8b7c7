"""Weighters: estimators that learn which rows should count how much."""

from ._balancing import CBPS, EntropyBalancing, PropensityWeighting
from ._class_balance import ClassBalance
from ._classifier_ratio import ClassifierDensityRatio
from ._double_weighting import DoubleWeighting
from ._fairness import FairnessReweighing
from ._group import GroupBalance
from ._ipm import IPMBalancing
from ._kliep import KLIEP
from ._kmm import KernelMeanMatching
from ._label_shift import LabelShiftWeighting
from ._lsif import ULSIF, RuLSIF
from ._nn_ratio import NearestNeighborsDensityRatio
from ._target_shift import ContinuousTargetShift

__all__ = [
    "CBPS",
    "ClassBalance",
    "ClassifierDensityRatio",
    "ContinuousTargetShift",
    "DoubleWeighting",
    "EntropyBalancing",
    "FairnessReweighing",
    "GroupBalance",
    "IPMBalancing",
    "KLIEP",
    "KernelMeanMatching",
    "LabelShiftWeighting",
    "NearestNeighborsDensityRatio",
    "PropensityWeighting",
    "RuLSIF",
    "ULSIF",
]
