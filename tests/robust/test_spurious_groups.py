import numpy as np
import pytest
from scipy.stats import norm

from skreweight.datasets import make_spurious_groups


def test_groups_and_attributes():
    d = make_spurious_groups(n_samples=1000, minority_fraction=0.2, random_state=0)
    assert np.bincount(d.group).tolist() == [400, 100, 100, 400]
    np.testing.assert_array_equal(d.group, 2 * d.y + d.spurious)
    np.testing.assert_array_equal(d.minority, d.spurious != d.y)


def test_core_rule_worst_group_accuracy_is_phi_of_core_strength():
    # The rule "x_core > 0" has accuracy Phi(core_strength) in every group;
    # with 20,000 rows per group the standard error is about 0.003.
    d = make_spurious_groups(
        n_samples=80_000, minority_fraction=0.5, core_strength=1.0, random_state=0
    )
    pred = (d.X[:, 0] > 0).astype(int)
    accs = [np.mean(pred[d.group == k] == d.y[d.group == k]) for k in range(4)]
    np.testing.assert_allclose(accs, norm.cdf(1.0), atol=0.012)


def test_spurious_rule_fails_on_minority():
    d = make_spurious_groups(n_samples=4000, random_state=0)
    pred = (d.X[:, 1] > 0).astype(int)
    assert np.mean(pred[d.minority] == d.y[d.minority]) < 0.1
    assert np.mean(pred[~d.minority] == d.y[~d.minority]) > 0.95


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_features": 1}, "n_features must be >= 2"),
        ({"minority_fraction": 0.0}, r"minority_fraction must be in \(0, 0.5\]"),
        ({"minority_fraction": 0.7}, r"minority_fraction must be in \(0, 0.5\]"),
    ],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_spurious_groups(**kwargs)
