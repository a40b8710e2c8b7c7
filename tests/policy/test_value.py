"""PolicyValueEstimator: closed forms, inference, bad input, routing."""

import warnings

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression

from skreweight.datasets import make_bandit_feedback
from skreweight.exceptions import WeightDegeneracyWarning
from skreweight.policy import PolicyValueEstimator

METHODS = ["ipw", "snipw", "dm", "dr", "sndr", "switch-dr", "dr-os"]


@pytest.fixture(scope="module")
def d():
    return make_bandit_feedback(600, n_actions=3, random_state=0)


def _fit(d, method="dr", **kw):
    fit_kw = dict(
        action=d.action, target_proba=d.target_proba, logging_proba=d.logging_proba
    )
    fit_kw.update(kw.pop("fit", {}))
    return PolicyValueEstimator(method, cv=None, **kw).fit(d.X, d.reward, **fit_kw)


def _by_hand(d):
    n = d.X.shape[0]
    rows = np.arange(n)
    w = d.target_proba[rows, d.action] / d.logging_proba
    Z = np.hstack([d.X, np.eye(3)[d.action]])
    m = LinearRegression().fit(Z, d.reward)
    q = np.column_stack(
        [m.predict(np.hstack([d.X, np.eye(3)[np.full(n, k)]])) for k in range(3)]
    )
    direct = (d.target_proba * q).sum(axis=1)
    e = d.reward - q[rows, d.action]
    return w, direct, e


def test_closed_forms(d):
    w, direct, e = _by_hand(d)
    r = d.reward
    expected = {
        "ipw": np.mean(w * r),
        "snipw": np.mean(w * r) / np.mean(w),
        "dm": np.mean(direct),
        "dr": np.mean(direct + w * e),
        "sndr": np.mean(direct) + np.mean(w * e) / np.mean(w),
        "switch-dr": np.mean(direct + w * e),
        "dr-os": np.mean(direct + w * e),
    }
    for method, value in expected.items():
        assert_allclose(_fit(d, method).value_, value, rtol=1e-12, err_msg=method)
    # influence-function standard errors
    assert_allclose(_fit(d, "ipw").stderr_, np.std(w * r) / np.sqrt(len(r)), rtol=1e-12)
    assert_allclose(
        _fit(d, "dr").stderr_, np.std(direct + w * e) / np.sqrt(len(r)), rtol=1e-12
    )


def test_thresholds(d):
    w, direct, e = _by_hand(d)
    t = np.quantile(w, 0.8)
    assert_allclose(
        _fit(d, "ipw", threshold=t).value_, np.mean(np.minimum(w, t) * d.reward)
    )
    assert_allclose(
        _fit(d, "switch-dr", threshold=t).value_,
        np.mean(direct + w * (w <= t) * e),
    )
    assert_allclose(
        _fit(d, "dr-os", threshold=t).value_,
        np.mean(direct + t * w / (w**2 + t) * e),
    )
    # the limits: switch-dr and dr-os with threshold 0 are DM
    dm = _fit(d, "dm").value_
    assert_allclose(_fit(d, "switch-dr", threshold=0.0).value_, dm)
    assert_allclose(_fit(d, "dr-os", threshold=0.0).value_, dm)


def test_weights_and_diagnostics(d):
    est = _fit(d, "snipw")
    assert_allclose(est.weights_.mean(), 1.0)
    iw = est.importance_weights_
    assert_allclose(est.effective_sample_size_, iw.sum() ** 2 / np.sum(iw**2))
    assert_allclose(est.ess_ratio_, est.effective_sample_size_ / len(iw))
    assert_allclose(_fit(d, "dm").weights_, 0.0)


def test_unbiased_ipw_and_dr_with_misspecified_reward_model():
    # average over seeds: IPW and DR (with a useless reward model) are unbiased
    values = {"ipw": [], "dr": []}
    for seed in range(40):
        d = make_bandit_feedback(500, n_actions=3, random_state=seed)
        for m in values:
            values[m].append(
                _fit(
                    d, m, reward_model=DummyRegressor(strategy="constant", constant=0.2)
                ).value_
            )
    truth = make_bandit_feedback(1, n_actions=3).target_value
    for m, v in values.items():
        # the mean of 40 estimates has SE about 0.004; allow 4 SE
        assert abs(np.mean(v) - truth) < 4 * np.std(v) / np.sqrt(40), m


@pytest.mark.slow
@pytest.mark.parametrize("method", ["ipw", "snipw", "dr"])
def test_coverage(method):
    """95% intervals cover in 0.91-0.99 of 200 seeded logs (binomial SD 0.015)."""
    hits = []
    truth = make_bandit_feedback(1).target_value
    for seed in range(200):
        d = make_bandit_feedback(1000, random_state=1000 + seed)
        est = PolicyValueEstimator(method, cv=2, random_state=seed).fit(
            d.X,
            d.reward,
            action=d.action,
            target_proba=d.target_proba,
            logging_proba=d.logging_proba,
        )
        low, high = est.conf_int(0.05)
        hits.append(low <= truth <= high)
    assert 0.91 <= np.mean(hits) <= 0.99


def test_estimated_propensity_close_to_known(d):
    known = _fit(d, "dr").value_
    est = PolicyValueEstimator("dr", cv=3, random_state=0).fit(
        d.X, d.reward, action=d.action, target_proba=d.target_proba
    )
    assert est.propensity_models_ and len(est.propensity_models_) == 3
    assert abs(est.value_ - known) < 2 * est.stderr_
    corr = np.corrcoef(est.logging_proba_, d.logging_proba)[0, 1]
    assert corr > 0.9


def test_policy_as_classifier(d):
    clf = LogisticRegression().fit(d.X, np.argmax(d.expected_reward, axis=1))
    onehot = np.eye(3)[clf.predict(d.X)]
    for m in ("ipw", "dr"):
        a = _fit(d, m, fit={"target_proba": clf})
        b = _fit(d, m, fit={"target_proba": onehot})
        assert_allclose(a.value_, b.value_, rtol=1e-12)


def test_string_actions(d):
    labels = np.array(["a", "b", "c"])
    a = _fit(d, "dr", fit={"action": labels[d.action]})
    assert_allclose(a.value_, _fit(d, "dr").value_)
    assert list(a.actions_) == ["a", "b", "c"]


def test_integer_sample_weight_is_repetition(d):
    sw = np.random.RandomState(0).randint(0, 3, size=d.X.shape[0])
    rep = np.repeat(np.arange(d.X.shape[0]), sw)
    for m in METHODS:
        a = _fit(d, m, fit={"sample_weight": sw})
        b = PolicyValueEstimator(m, cv=None).fit(
            d.X[rep],
            d.reward[rep],
            action=d.action[rep],
            target_proba=d.target_proba[rep],
            logging_proba=d.logging_proba[rep],
        )
        assert_allclose(a.value_, b.value_, rtol=1e-6, err_msg=m)
        assert_allclose(a.stderr_, b.stderr_, rtol=1e-6, err_msg=m)


def test_inputs_not_mutated(d):
    copies = [
        x.copy() for x in (d.X, d.reward, d.action, d.target_proba, d.logging_proba)
    ]
    _fit(d, "sndr")
    for x, c in zip((d.X, d.reward, d.action, d.target_proba, d.logging_proba), copies):
        assert_allclose(x, c)


# ---------------------------------------------------------------- bad input
def test_missing_action(d):
    with pytest.raises(ValueError, match="requires `action`"):
        PolicyValueEstimator().fit(d.X, d.reward, target_proba=d.target_proba)


def test_missing_target_proba(d):
    with pytest.raises(ValueError, match="requires `target_proba`"):
        PolicyValueEstimator().fit(d.X, d.reward, action=d.action)


def test_action_outside_columns(d):
    a = d.action.copy()
    a[0] = 3
    with pytest.raises(ValueError, match="every logged action must be a column"):
        _fit(d, fit={"action": a})


def test_probabilities_not_summing_to_one(d):
    pi = d.target_proba.copy()
    pi[5] *= 0.5
    with pytest.raises(ValueError, match="must sum to 1.*row 5"):
        _fit(d, fit={"target_proba": pi})


def test_negative_probabilities(d):
    pi = d.target_proba.copy()
    pi[5] = [1.5, -0.5, 0.0]
    with pytest.raises(ValueError, match="negative"):
        _fit(d, fit={"target_proba": pi})


def test_target_rows_do_not_match(d):
    with pytest.raises(ValueError, match="target_proba has 599 rows but X has 600"):
        _fit(d, fit={"target_proba": d.target_proba[1:]})


def test_zero_logging_propensity(d):
    p = d.logging_proba.copy()
    p[7] = 0.0
    with pytest.raises(ValueError, match="positive logging propensity"):
        _fit(d, fit={"logging_proba": p})


def test_nan_logging_propensity(d):
    p = d.logging_proba.copy()
    p[7] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        _fit(d, fit={"logging_proba": p})


def test_near_zero_propensity_warns(d):
    p = d.logging_proba.copy()
    p[7] = 1e-5
    with pytest.warns(WeightDegeneracyWarning, match="propensity below"):
        _fit(d, "snipw", fit={"logging_proba": p})


def test_degenerate_weights_warn():
    # the target always takes the action the logging policy likes least
    d = make_bandit_feedback(300, logging_temperature=0.2, random_state=0)
    pi = np.eye(5)[np.argmin(d.logging_policy, axis=1)]
    with pytest.warns(WeightDegeneracyWarning, match="effective sample size"):
        PolicyValueEstimator("ipw").fit(
            d.X,
            d.reward,
            action=d.action,
            target_proba=pi,
            logging_proba=d.logging_proba,
        )


def test_negative_threshold(d):
    with pytest.raises(ValueError, match="threshold must be >= 0"):
        _fit(d, "ipw", threshold=-1.0)


def test_conf_int_alpha(d):
    with pytest.raises(ValueError, match="alpha"):
        _fit(d).conf_int(1.5)


def test_metadata_routing_in_cross_validate(d):
    from sklearn.model_selection import cross_validate  # noqa: F401

    # action, target_proba and logging_proba are requested by default
    est = PolicyValueEstimator()
    routing = est.get_metadata_routing()
    for key in ("action", "target_proba", "logging_proba"):
        assert routing.fit.requests[key] is True
    with sklearn.config_context(enable_metadata_routing=True):
        with warnings.catch_warnings():
            warnings.simplefilter("error", WeightDegeneracyWarning)
            _fit(d, "dr")


def test_pipeline_routes_the_context(d):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(StandardScaler(), PolicyValueEstimator("ipw", cv=None))
        pipe.fit(
            d.X,
            d.reward,
            action=d.action,
            target_proba=d.target_proba,
            logging_proba=d.logging_proba,
        )
    # IPW does not depend on the features: the routed context gives the same value
    assert_allclose(pipe[-1].value_, _fit(d, "ipw").value_)
    assert pipe[-1].n_features_in_ == d.X.shape[1]


# ------------------------------------------- fast validation, given rewards
@pytest.mark.parametrize("method", METHODS)
def test_estimated_rewards_given_equal_the_fitted_ones(d, method):
    fitted = _fit(d, method)
    q = fitted.estimated_rewards_
    kw = {} if q is None else {"estimated_rewards": q}
    given = _fit(d, method, fit=kw)
    assert given.value_ == pytest.approx(fitted.value_, rel=1e-12, abs=1e-15)
    assert given.stderr_ == pytest.approx(fitted.stderr_, rel=1e-12, abs=1e-15)
    if q is not None:
        assert given.reward_models_ == []


def test_estimated_rewards_bad_shape_and_nan(d):
    q = np.zeros((600, 3))
    with pytest.raises(ValueError, match=r"estimated_rewards has shape \(600, 2\)"):
        _fit(d, fit={"estimated_rewards": q[:, :2]})
    q[3, 1] = np.nan
    with pytest.raises(ValueError, match="estimated_rewards contains NaN"):
        _fit(d, fit={"estimated_rewards": q})


def test_fast_and_full_validation_agree(d):
    # an ndarray takes the fast path; lists and a frame take validate_data
    import pandas as pd

    fast = _fit(d, "dr")
    for X, y in (
        (d.X.tolist(), d.reward.tolist()),
        (pd.DataFrame(d.X, columns=[f"f{j}" for j in range(d.X.shape[1])]), d.reward),
        (d.X.astype(np.float32), d.reward.astype(np.int64)),
    ):
        est = PolicyValueEstimator("dr", cv=None).fit(
            X,
            y,
            action=d.action.tolist(),
            target_proba=d.target_proba.tolist(),
            logging_proba=d.logging_proba.tolist(),
        )
        assert est.value_ == pytest.approx(fast.value_, rel=1e-6)
        assert est.n_features_in_ == fast.n_features_in_
    assert hasattr(est, "feature_names_in_") is False
    # a refit on an array forgets the feature names of a frame
    frame = pd.DataFrame(d.X, columns=[f"f{j}" for j in range(d.X.shape[1])])
    est = PolicyValueEstimator("ipw").fit(
        frame,
        d.reward,
        action=d.action,
        target_proba=d.target_proba,
        logging_proba=d.logging_proba,
    )
    assert list(est.feature_names_in_) == list(frame.columns)
    est.fit(
        d.X,
        d.reward,
        action=d.action,
        target_proba=d.target_proba,
        logging_proba=d.logging_proba,
    )
    assert not hasattr(est, "feature_names_in_")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nonfinite_X_and_y_rejected(d, bad):
    X = d.X.copy()
    X[4, 1] = bad
    with pytest.raises(ValueError, match="NaN|infinity"):
        PolicyValueEstimator("ipw").fit(
            X,
            d.reward,
            action=d.action,
            target_proba=d.target_proba,
            logging_proba=d.logging_proba,
        )
    y = d.reward.astype(float)
    y[4] = bad
    with pytest.raises(ValueError, match="NaN|infinity"):
        PolicyValueEstimator("ipw").fit(
            d.X,
            y,
            action=d.action,
            target_proba=d.target_proba,
            logging_proba=d.logging_proba,
        )


def test_nonfinite_target_proba_and_logging_above_one(d):
    pi = d.target_proba.copy()
    pi[2, 0] = np.nan
    with pytest.raises(ValueError, match="target_proba contains NaN"):
        _fit(d, fit={"target_proba": pi})
    p = d.logging_proba.copy()
    p[2] = 1.5
    with pytest.raises(ValueError, match="logging_proba has values above 1"):
        _fit(d, fit={"logging_proba": p})


@pytest.mark.parametrize(
    "params",
    [
        {"method": "iwp"},
        {"cv": 1},
        {"random_state": -1},
        {"threshold": "big"},
        {"reward_model": "linear"},
    ],
)
def test_invalid_parameters_still_rejected(d, params):
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError):
        PolicyValueEstimator(**params).fit(
            d.X,
            d.reward,
            action=d.action,
            target_proba=d.target_proba,
            logging_proba=d.logging_proba,
        )


# ------------------------------------------------------------------ summary
@pytest.mark.parametrize("method", ["ipw", "snipw", "dr"])
def test_summary_matches_attributes(d, method):
    from scipy import stats

    from skreweight.metrics import effective_sample_size
    from skreweight.policy import PolicyValueSummary

    est = _fit(d, method)
    table = est.summary(alpha=0.1)
    assert isinstance(table, PolicyValueSummary) and list(table.index) == ["value"]
    row = table.loc["value"]
    assert row["estimate"] == est.value_ and row["std_err"] == est.stderr_
    assert row["se_method"] == "influence"
    assert (row["ci_lower"], row["ci_upper"]) == pytest.approx(est.conf_int(0.1))
    z = est.value_ / est.stderr_
    assert row["z"] == pytest.approx(z)
    assert row["p_value"] == pytest.approx(2 * stats.norm.sf(abs(z)))
    assert row["n"] == 600
    ess = effective_sample_size(est.importance_weights_)
    assert row["ess"] == pytest.approx(ess)
    assert row["ess_ratio"] == pytest.approx(ess / 600)
    assert row["max_weight_share"] == pytest.approx(
        est.importance_weights_.max() / est.importance_weights_.sum()
    )
    assert row["min_logging_proba"] == d.logging_proba.min()


def test_summary_str_and_notes(d):
    text = str(_fit(d, "dr", threshold=5.0).summary())
    lines = text.splitlines()
    assert lines[0] == (
        "PolicyValueEstimator: value of the evaluation policy, method='dr'"
    )
    assert "P>|z|" in text and "ESS" in text and "[95%" in text
    assert "influence-function" in text and "threshold=5" in text
    assert max(map(len, lines)) <= 100
    dm = _fit(d, "dm", fit={"logging_proba": None}).summary()
    assert np.isnan(dm.loc["value", "ess"])
    assert "ignores the reward model" in str(dm) and " - " in str(dm)
    with pytest.raises(ValueError, match="alpha must be in"):
        dm = _fit(d, "dm").summary(alpha=1.5)
    assert type(dm.head()) is __import__("pandas").DataFrame


def test_summary_before_fit():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        PolicyValueEstimator().summary()
