import numpy as np
import pytest

from skreweight.datasets import IMBALANCED_DATASETS, load_imbalanced


@pytest.mark.parametrize(
    "name, shape, share",
    [
        ("caravan", (5822, 85), 348 / 5822),
        ("redwine_low_quality", (1599, 11), 63 / 1599),
        ("adult_under_30", (14515, 14), None),
    ],
)
def test_load_imbalanced(name, shape, share):
    X, y = load_imbalanced(name, return_X_y=True)
    assert X.shape == shape and X.dtype == np.float64
    assert set(np.unique(y)) == {0, 1}
    assert y.mean() <= 0.10
    if share is not None:
        assert y.mean() == pytest.approx(share)
    bunch = load_imbalanced(name, as_frame=True)
    assert list(bunch.data.columns) == bunch.feature_names
    # as in load_lalonde: the frame holds the data and the target
    assert list(bunch.frame.columns) == bunch.feature_names + ["target"]
    assert bunch.frame.shape == (shape[0], shape[1] + 1)
    assert (bunch.frame["target"].to_numpy() == y).all()
    assert load_imbalanced(name).frame is None
    assert name in IMBALANCED_DATASETS


def test_unknown_name():
    with pytest.raises(ValueError, match="Unknown data set 'nope'"):
        load_imbalanced("nope")
