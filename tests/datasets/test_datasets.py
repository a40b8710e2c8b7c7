import numpy as np
import pytest
from numpy.testing import assert_allclose

from skreweight.datasets import (
    REAL_DATASETS,
    biased_split,
    load_dataset,
    make_covariate_shift,
)


@pytest.mark.parametrize("name", sorted(REAL_DATASETS))
def test_real_datasets_load_offline(name):
    X, y = load_dataset(name, return_X_y=True)
    assert X.ndim == 2 and X.shape[0] == y.shape[0] > 100
    bunch = load_dataset(name, as_frame=True)
    assert list(bunch.data.columns) == bunch.feature_names
    assert "PROVENANCE" in bunch.DESCR


def test_unknown_dataset():
    with pytest.raises(ValueError, match="Unknown data set"):
        load_dataset("iris2")


def test_true_ratio_is_the_gaussian_density_ratio():
    from scipy.stats import multivariate_normal

    d = make_covariate_shift(50, 50, n_features=3, shift=1.5, random_state=0)
    ps = multivariate_normal(np.zeros(3)).pdf(d.X_source)
    pt = multivariate_normal(np.array([1.5, 0, 0])).pdf(d.X_source)
    assert_allclose(d.ratio(d.X_source), pt / ps)
    assert_allclose(d.ratio_source, (pt / ps) / (pt / ps).mean())


def test_biased_split_shifts_the_scored_feature():
    X, y = load_dataset("diabetes", return_X_y=True)
    Xs, ys, Xt, yt = biased_split(X, y, method="feature", feature=1, random_state=0)
    assert 300 < Xs.shape[0] <= 384 and 300 < Xt.shape[0] <= 384
    # rows above the median go to the source w.p. 0.7
    assert Xs[:, 1].mean() > Xt[:, 1].mean()
    with pytest.raises(ValueError, match="method"):
        biased_split(X, y, method="nope")


def test_biased_split_keeps_pandas_containers():
    X, y = load_dataset("diabetes", return_X_y=True, as_frame=True)
    X_before = X.copy()
    parts = biased_split(X, y, random_state=0)
    arrays = biased_split(X.to_numpy(), y.to_numpy(), random_state=0)
    for part, array in zip(parts, arrays):
        assert type(part) is type(X if part.ndim == 2 else y)
        np.testing.assert_array_equal(part.to_numpy(), array)
    assert list(parts[0].columns) == list(X.columns) == list(parts[2].columns)
    # the original row labels come along, and the input is untouched
    np.testing.assert_array_equal(parts[0].index, parts[1].index)
    assert X.equals(X_before)


def test_lalonde_experimental_att_is_exported():
    from skreweight.datasets import LALONDE_EXPERIMENTAL_ATT, load_lalonde

    assert load_lalonde().experimental_att == LALONDE_EXPERIMENTAL_ATT
    assert 1700 < LALONDE_EXPERIMENTAL_ATT < 1900
