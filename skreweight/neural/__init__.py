"""Neural reweighting estimators (skorch/torch); needs ``skreweight[neural]``."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

try:
    import skorch  # noqa: F401
    import torch  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised without torch
    raise ImportError(
        "skreweight.neural needs torch and skorch, which are optional. Install "
        "them with `pip install skreweight[neural]` (choose the torch build for "
        "your hardware first, see https://pytorch.org)."
    ) from exc

from ._density_ratio import NeuralDensityRatio
from ._group_dro import NeuralGroupDROClassifier
from ._imbalance import CosineMLPModule, LDAMClassifier
from ._ipm import NeuralIPMBalancing
from ._losses import FocalLoss, LDAMLoss, LogitAdjustedLoss, class_balanced_weights
from ._net import MLPModule, WeightedNeuralNetClassifier, WeightedNeuralNetRegressor
from ._noisy import ForwardCorrectedLoss

__all__ = [
    "CosineMLPModule",
    "FocalLoss",
    "ForwardCorrectedLoss",
    "LDAMClassifier",
    "LDAMLoss",
    "LogitAdjustedLoss",
    "MLPModule",
    "NeuralDensityRatio",
    "NeuralGroupDROClassifier",
    "NeuralIPMBalancing",
    "WeightedNeuralNetClassifier",
    "WeightedNeuralNetRegressor",
    "class_balanced_weights",
]
