"""Group-robust and distributionally robust estimators."""

from ._group_dro import GroupDROClassifier

__all__ = ["GroupDROClassifier"]
