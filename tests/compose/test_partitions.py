"""score_partitions: block-wise scoring of dask collections equals in-memory."""

import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.linear_model import LogisticRegression

from skreweight.compose import ReweightedClassifier, score_partitions
from skreweight.datasets import make_covariate_shift
from skreweight.weighting import ULSIF, ClassifierDensityRatio

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
dask = pytest.importorskip("dask")


@pytest.fixture(scope="module")
def fitted():
    d = make_covariate_shift(n_source=300, n_target=300, random_state=0)
    ratio = ClassifierDensityRatio().fit(d.X_source, X_target=d.X_target)
    clf = ReweightedClassifier(ClassifierDensityRatio(), LogisticRegression())
    clf.fit(d.X_source, d.y_source, X_target=d.X_target)
    return d, ratio, clf


def test_dask_array_matches_in_memory(fitted):
    d, ratio, clf = fitted
    X = da.from_array(d.X_target, chunks=(70, 1))  # column chunks are merged
    with dask.config.set(scheduler="synchronous"):
        w = score_partitions(ratio, X)
        assert w.numblocks == (5,)
        assert_allclose(w.compute(), ratio.compute_weights(d.X_target))
        assert_allclose(
            score_partitions(clf, X, "predict").compute(), clf.predict(d.X_target)
        )
        proba = score_partitions(clf, X, "predict_proba")
        assert proba.shape[1] == 2
        assert_allclose(proba.compute(), clf.predict_proba(d.X_target))


def test_dask_dataframe_matches_in_memory(fitted):
    d, ratio, clf = fitted
    frame = pd.DataFrame(d.X_target, columns=["a", "b"])
    ratio_named = ClassifierDensityRatio().fit(
        pd.DataFrame(d.X_source, columns=["a", "b"]), X_target=frame
    )
    ddf = dd.from_pandas(frame, npartitions=3)
    with dask.config.set(scheduler="synchronous"):
        w = score_partitions(ratio_named, ddf)
        assert w.npartitions == 3
        out = w.compute()
        assert isinstance(out, pd.Series) and out.index.equals(frame.index)
        assert_allclose(out.to_numpy(), ratio_named.compute_weights(frame))
        ddf = dd.from_pandas(pd.DataFrame(d.X_target), npartitions=3)
        proba = score_partitions(clf, ddf, "predict_proba").compute()
    assert list(proba.columns) == ["0", "1"]
    assert_allclose(proba.to_numpy(), clf.predict_proba(d.X_target))


def test_in_memory_input_and_errors(fitted):
    d, ratio, clf = fitted
    assert_allclose(
        score_partitions(ratio, d.X_target), ratio.compute_weights(d.X_target)
    )
    with pytest.raises(ValueError, match="method must be one of"):
        score_partitions(ratio, d.X_target, "transform")
    with pytest.raises(AttributeError, match="has no compute_weights"):
        score_partitions(clf, d.X_target)
    with pytest.raises(TypeError, match="cannot split"):
        score_partitions(ratio, d.X_target, y=da.zeros(3))
    with pytest.raises(Exception, match="fitted"):
        score_partitions(ULSIF(), d.X_target)


def test_ulsif_on_dask_array(fitted):
    d = fitted[0]
    Xs, Xt = d.X_source[:120], d.X_target[:120]
    ulsif = ULSIF(bandwidth=1.0, reg=0.1, n_centers=50).fit(Xs, X_target=Xt)
    with dask.config.set(scheduler="synchronous"):
        w = score_partitions(ulsif, da.from_array(Xs, chunks=(40, 2)))
        assert_allclose(w.compute(), ulsif.compute_weights(Xs))
