"""scikit-learn's common checks and skreweight's weighter checks, over the registry."""

import pytest
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import parametrize_with_checks

from skreweight.base import is_weighter
from skreweight.utils.discovery import all_estimators
from skreweight.utils.estimator_checks import _yield_weighter_checks

from _test_common import (
    _construct_instances,
    _get_expected_failed_checks,
)


def _tested_estimators(type_filter=None):
    for _, cls in all_estimators(type_filter=type_filter):
        yield from _construct_instances(cls)


@parametrize_with_checks(
    list(_tested_estimators()), expected_failed_checks=_get_expected_failed_checks
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def _weighter_checks():
    for weighter in _tested_estimators("weighter"):
        expected = _get_expected_failed_checks(weighter)
        for check in _yield_weighter_checks(weighter):
            marks = []
            if check.__name__ in expected:
                marks = [pytest.mark.xfail(reason=expected[check.__name__])]
            yield pytest.param(
                weighter, check, marks=marks, id=f"{weighter!r}-{check.__name__}"
            )


@pytest.mark.parametrize("weighter, check", list(_weighter_checks()))
def test_weighter_checks(weighter, check):
    check(type(weighter).__name__, weighter)


def test_registry_has_foundation_estimators():
    names = {name for name, _ in all_estimators()}
    assert {
        "ClassBalance",
        "ClassifierDensityRatio",
        "GroupBalance",
        "ReweightedClassifier",
        "ReweightedRegressor",
        "WeightProduct",
    } <= names
    for _, cls in all_estimators("weighter"):
        assert is_weighter(cls)
        assert get_tags(next(_construct_instances(cls))).weighter_tags is not None
