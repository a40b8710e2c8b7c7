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


def _shift():
    from skreweight.datasets import make_covariate_shift

    d = make_covariate_shift(n_source=150, n_target=150, random_state=0)
    return (d.X_source,), {"X_target": d.X_target}


def _causal():
    d = make_kang_schafer(200, random_state=0)
    return (d.X,), {"treatment": d.treatment}


def _labelled_shift():
    from skreweight.datasets import make_covariate_shift

    d = make_covariate_shift(n_source=150, n_target=150, random_state=0)
    y = (d.X_source[:, 0] > np.median(d.X_source[:, 0])).astype(int)
    return (d.X_source, y), {"X_target": d.X_target}


def _groups():
    from skreweight.datasets import make_spurious_groups

    train = make_spurious_groups(n_samples=200, random_state=0)
    target = make_spurious_groups(n_samples=100, minority_fraction=0.5, random_state=1)
    return (train.X, train.y), {
        "X_target": target.X,
        "y_target": target.y,
        "target_group": target.group,
    }


def _ordinal():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(150, 3))
    return (X, np.digitize(X[:, 0] + rng.normal(size=150), [-0.5, 0.5])), {}


def _outcome():
    d = make_kang_schafer(200, random_state=0)
    return (d.X, d.y), {"treatment": d.treatment}


def _bandit():
    from skreweight.datasets import make_bandit_feedback

    d = make_bandit_feedback(200, n_actions=3, random_state=0)
    return (d.X,), {"action": d.action}


def _estimator(module, name, **params):
    return getattr(__import__(module, fromlist=[name]), name)(**params)


# every long fit of the package: (module, class, fast parameters, data)
LONG_FITS = [
    ("skreweight.weighting", "KernelMeanMatching", {"max_iter": 200}, _shift),
    ("skreweight.weighting", "DoubleWeighting", {"max_iter": 200}, _shift),
    ("skreweight.weighting", "KLIEP", {"random_state": 0}, _shift),
    ("skreweight.weighting", "ULSIF", {"random_state": 0}, _shift),
    ("skreweight.weighting", "RuLSIF", {"random_state": 0}, _shift),
    ("skreweight.weighting", "CBPS", {}, _causal),
    ("skreweight.weighting", "CBPS", {"method": "over"}, _causal),
    ("skreweight.weighting", "IPMBalancing", {"max_iter": 200}, _causal),
    (
        "skreweight.covariate_shift",
        "DoubleWeightingClassifier",
        {"D": 2.0, "max_iter": 200},
        _labelled_shift,
    ),
    ("skreweight.robust", "GSRClassifier", {"max_iter": 3, "random_state": 0}, _groups),
    ("skreweight.imbalance", "PRESTOClassifier", {"alphas": 3, "cv": 3}, _ordinal),
    ("skreweight.causal", "ATEBounds", {"gamma": 1.5, "random_state": 0}, _outcome),
    ("skreweight.policy", "BalancingPropensity", {"max_iter": 100}, _bandit),
]
NEURAL_FITS = [
    ("skreweight.neural", "NeuralDensityRatio", {"max_epochs": 20}, _shift),
    ("skreweight.neural", "NeuralIPMBalancing", {"max_iter": 200}, _causal),
    ("skreweight.neural", "LDAMClassifier", {"max_epochs": 20}, _ordinal),
]


@pytest.mark.filterwarnings("ignore::UserWarning")  # convergence, degeneracy
@pytest.mark.parametrize(
    "module, name, params, data",
    LONG_FITS + NEURAL_FITS,
    ids=[f"{case[1]}{case[2]}" for case in LONG_FITS + NEURAL_FITS],
)
def test_long_fit_verbose(module, name, params, data, capsys):
    """verbose=0 prints nothing; verbose=1 reports in the one format and
    changes nothing that is fitted."""
    if module == "skreweight.neural":
        pytest.importorskip("torch")
        params = {"random_state": 0, **params}
    args, context = data()
    quiet = _estimator(module, name, **params).fit(*args, **context)
    assert capsys.readouterr().out == ""
    loud = _estimator(module, name, verbose=1, **params).fit(*args, **context)
    lines = capsys.readouterr().out.splitlines()
    owner = re.compile(r"^\[(\w+)\] ")
    assert lines, f"{name}(verbose=1) printed nothing"
    assert all(owner.match(line) for line in lines), lines
    assert any(LINE.match(line) for line in lines) or len(lines) <= 2, lines
    for attr in ("weights_", "coef_"):
        if hasattr(quiet, attr) and getattr(quiet, attr) is not None:
            np.testing.assert_array_equal(getattr(quiet, attr), getattr(loud, attr))
