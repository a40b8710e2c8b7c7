"""Group-robust and distributionally robust estimators."""

from ._group_dro import GroupDROClassifier
from ._jtt import JTTClassifier

__all__ = ["GroupDROClassifier", "JTTClassifier"]
