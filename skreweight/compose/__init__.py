"""Meta-estimators that consume weights, and tools to compose weighters."""

from ._binning import PrebinnedClassifier, PrebinnedRegressor
from ._partitions import score_partitions
from ._pipeline import FitOnSourceAndTarget, make_pipeline
from ._product import WeightProduct
from ._reweighted import ReweightedClassifier, ReweightedRegressor

__all__ = [
    "FitOnSourceAndTarget",
    "PrebinnedClassifier",
    "PrebinnedRegressor",
    "ReweightedClassifier",
    "ReweightedRegressor",
    "WeightProduct",
    "make_pipeline",
    "score_partitions",
]
