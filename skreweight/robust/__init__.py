"""Group-robust and distributionally robust estimators."""

from ._group_dro import GroupDROClassifier
from ._gsr import GSRClassifier
from ._jtt import JTTClassifier
from ._spectral import (
    SpectralRiskClassifier,
    SpectralRiskRegressor,
    spectral_risk_weights,
    spectrum_cdf,
)

__all__ = [
    "GSRClassifier",
    "GroupDROClassifier",
    "JTTClassifier",
    "SpectralRiskClassifier",
    "SpectralRiskRegressor",
    "spectral_risk_weights",
    "spectrum_cdf",
]
