"""verbose: 0 prints nothing, 1 reports progress, in one format everywhere."""

import re

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from skreweight.causal import RLearner, WeightingEstimator
from skreweight.datasets import make_kang_schafer
from skreweight.robust import GroupDROClassifier
from skreweight.utils._progress import Progress, track
from skreweight.weighting import IPMBalancing

LINE = re.compile(r"^\[[\w -]+\] [\w ]+ \d+(/\d+)?(: .*)? \([\d.]+ s elapsed.*\)$")


def test_progress_levels(capsys):
    for verbose, expected in [(0, 0), (1, 3), (2, 10)]:
        progress = Progress("owner", verbose, total=10, every=4)
        for step in range(1, 11):
            progress(step, loss=0.5)
        lines = capsys.readouterr().out.splitlines()
        assert len(lines) == expected  # 1: steps 4, 8 and the last
        assert all(LINE.match(line) for line in lines), lines
    assert track(iter("abc"), "x", 0) == ["a", "b", "c"]
    assert capsys.readouterr().out == ""


@pytest.fixture(scope="module")
def data():
    return make_kang_schafer(200, random_state=0)


def test_bootstrap_verbose(data, capsys):
    kw = dict(se="bootstrap", n_bootstrap=10, random_state=0)
    WeightingEstimator(**kw).fit(data.X, data.y, treatment=data.treatment)
    assert capsys.readouterr().out == ""
    WeightingEstimator(verbose=1, **kw).fit(data.X, data.y, treatment=data.treatment)
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].startswith("[WeightingEstimator] bootstrap refit 10/10")
    assert len(lines) == 10 and all(LINE.match(line) for line in lines)


@pytest.mark.filterwarnings("ignore::skreweight.exceptions.PositivityWarning")
def test_cross_fitting_verbose(data, capsys):
    RLearner(cv=3, random_state=0).fit(data.X, data.y, treatment=data.treatment)
    assert capsys.readouterr().out == ""
    RLearner(cv=3, verbose=1, random_state=0).fit(
        data.X, data.y, treatment=data.treatment
    )
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" (")[0] for line in lines] == [
        f"[cross-fitting] fold {k}/3" for k in (1, 2, 3)
    ]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_group_dro_and_ipm_verbose(capsys):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 2))
    g = (rng.uniform(size=120) < 0.3).astype(int)
    y = (X[:, 0] + g > 0.5).astype(int)
    kw = dict(max_iter=3, tol=0.0)
    GroupDROClassifier(LogisticRegression(), **kw).fit(X, y, sample_group=g)
    assert capsys.readouterr().out == ""
    GroupDROClassifier(LogisticRegression(), verbose=1, **kw).fit(X, y, sample_group=g)
    lines = capsys.readouterr().out.splitlines()
    assert lines and lines[0].startswith("[GroupDROClassifier] round 1/3: ")
    assert all(LINE.match(line) for line in lines)
    t = (X[:, 0] + rng.normal(size=120) > 0).astype(int)
    IPMBalancing(max_iter=50).fit(X, treatment=t)
    assert capsys.readouterr().out == ""
    IPMBalancing(max_iter=50, verbose=1).fit(X, treatment=t)
    assert capsys.readouterr().out.startswith("[IPMBalancing] ")
