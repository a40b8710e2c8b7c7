"""Off-policy evaluation: skreweight.policy against Open Bandit Pipeline 0.5.7.

Run in the benchmark environment (obp installed only there, see RESULTS.md):

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
        .venv-bench/bin/python benchmarks/bench_policy.py [--quick]

Five parts, all seeded:

1. Exactness. On ``make_bandit_feedback(5000)`` both libraries get the same
   inputs: the logged rewards, actions, propensities and the evaluation
   policy's action probabilities. (a) The same estimated rewards (those our
   cross-fitted reward model produced) are handed to every obp estimator;
   (b) end to end, obp's ``RegressionModel(LinearRegression())`` with
   ``n_folds=1`` and with ``n_folds=3`` (``KFold(shuffle=True,
   random_state=12345)``) against ``PolicyValueEstimator(cv=None)`` and
   ``cv=KFold(3, shuffle=True, random_state=12345)``. The largest absolute
   difference of the values is reported per estimator (target: 1e-10).
2. Real data. The Bernoulli-TS policy's value (its on-policy click rate in
   its own log) is estimated from the uniform-random log of the Open Bandit
   Dataset's "men" campaign (shipped: ``load_open_bandit``). 50 bootstrap
   resamples of the random log; both libraries use a logistic-regression
   reward model on the one-hot user features (obp: one model per position,
   its design; skreweight: one model with the position one-hot among the
   features) and the true propensities. Relative error |V - V_BTS| / V_BTS,
   median and interquartile range over the resamples.
3. Coverage. 1,000 seeded logs of ``make_bandit_feedback(1000)`` (true value
   known); share of 95 % intervals covering it for IPW, SNIPW and DR (obp has
   no standard errors; its bootstrap ``estimate_interval`` is timed in 5).
4. Balancing. ``make_mnar_ratings(60, 40)`` (U-shaped, missing-not-at-random
   selection; a logistic propensity linear in the features is misspecified).
   A rating model's full-information mean squared error over all pairs is
   known; the IPS and DR estimates of it use the logistic or the balancing
   propensities (and the true ones, for reference). MSE of the estimates
   over 50 seeds with paired differences against logistic, for a rating model
   fit on another matrix and for one fit on the same observed pairs; and the
   all-pairs error of DebiasedRatingRegressor fits.
5. Speed. On 20,000 logged rows, 5 actions, the CPU time of every estimator
   obp has, both libraries given the same arrays (the model-based ones the
   same precomputed estimated rewards), medians of 101 interleaved runs; DR
   end to end with a linear reward model fit in-sample; the IPW interval.
"""

import argparse
import json
import os
import sys
import time
import warnings
from importlib.metadata import version

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")

import obp  # noqa: E402
from obp.ope import (  # noqa: E402
    DirectMethod,
    DoublyRobust,
    DoublyRobustWithShrinkage,
    InverseProbabilityWeighting,
    RegressionModel,
    SelfNormalizedDoublyRobust,
    SelfNormalizedInverseProbabilityWeighting,
    SwitchDoublyRobust,
)
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge  # noqa: E402
from sklearn.model_selection import KFold  # noqa: E402

from skreweight.datasets import (  # noqa: E402
    load_open_bandit,
    make_bandit_feedback,
    make_mnar_ratings,
)
from skreweight.policy import (  # noqa: E402
    BalancingPropensity,
    DebiasedRatingRegressor,
    PolicyValueEstimator,
)

warnings.simplefilter("ignore")


def obp_estimators(threshold):
    return {
        "ipw": InverseProbabilityWeighting(),
        "snipw": SelfNormalizedInverseProbabilityWeighting(),
        "dm": DirectMethod(),
        "dr": DoublyRobust(),
        "sndr": SelfNormalizedDoublyRobust(),
        "switch-dr": SwitchDoublyRobust(lambda_=threshold),
        "dr-os": DoublyRobustWithShrinkage(lambda_=threshold),
    }


def _obp_value(est, d, q, pos=None):
    if isinstance(est, DirectMethod):
        return est.estimate_policy_value(
            action_dist=d["action_dist"], estimated_rewards_by_reg_model=q, position=pos
        )
    kw = dict(
        reward=d["reward"],
        action=d["action"],
        pscore=d["pscore"],
        action_dist=d["action_dist"],
        position=pos,
    )
    if isinstance(est, DoublyRobust):
        kw["estimated_rewards_by_reg_model"] = q
    return est.estimate_policy_value(**kw)


def exactness(n=5000):
    d = make_bandit_feedback(n, random_state=0)
    K = d.target_proba.shape[1]
    inputs = {
        "reward": d.reward,
        "action": d.action,
        "pscore": d.logging_proba,
        "action_dist": d.target_proba[:, :, None],
    }
    threshold = float(
        np.quantile(d.target_proba[np.arange(n), d.action] / d.logging_proba, 0.9)
    )
    rows = []
    for method, est in obp_estimators(threshold).items():
        ours_kw = dict(
            action=d.action, target_proba=d.target_proba, logging_proba=d.logging_proba
        )
        thr = threshold if method in ("switch-dr", "dr-os") else np.inf
        # (a) the same estimated rewards
        ours = PolicyValueEstimator(method, cv=3, random_state=0, threshold=thr).fit(
            d.X, d.reward, **ours_kw
        )
        q = ours.estimated_rewards_
        qq = None if q is None else q[:, :, None]
        diff_a = abs(ours.value_ - _obp_value(est, inputs, qq))
        # (b) end to end, in-sample and 3-fold
        diffs_b = []
        for folds in (1, 3):
            reg = RegressionModel(n_actions=K, base_model=LinearRegression())
            q_obp = reg.fit_predict(
                context=d.X,
                action=d.action,
                reward=d.reward,
                n_folds=folds,
                random_state=12345,
            )
            cv = None if folds == 1 else KFold(3, shuffle=True, random_state=12345)
            ours_b = PolicyValueEstimator(method, cv=cv, threshold=thr).fit(
                d.X, d.reward, **ours_kw
            )
            diffs_b.append(abs(ours_b.value_ - _obp_value(est, inputs, q_obp)))
        rows.append(
            {
                "part": "exactness",
                "method": method,
                "value": ours.value_,
                "abs_diff_same_q": diff_a,
                "abs_diff_end_to_end_in_sample": diffs_b[0],
                "abs_diff_end_to_end_3fold": diffs_b[1],
            }
        )
    return rows


def _onehot_users(data):
    import pandas as pd

    return pd.get_dummies(
        data.frame[[f"user_feature_{j}" for j in range(4)]].astype(str)
    ).to_numpy(dtype=np.float64)


def real_data(n_boot=50):
    import pandas as pd

    rnd = load_open_bandit("random", as_frame=True)
    truth = rnd.bts_value
    Xu = _onehot_users(rnd)
    pos = rnd.position
    Xs = np.hstack([Xu, np.eye(3)[pos]])
    n, K = Xu.shape[0], 34
    action_dist = np.repeat(rnd.bts_action_dist[None], n, axis=0)  # (n, 34, 3)
    rng = np.random.RandomState(0)
    records = {}
    for b in range(n_boot):
        idx = rng.randint(0, n, n)
        d = {
            "reward": rnd.reward[idx],
            "action": rnd.action[idx],
            "pscore": rnd.logging_proba[idx],
            "action_dist": action_dist[idx],
        }
        reg = RegressionModel(
            n_actions=K, len_list=3, base_model=LogisticRegression(max_iter=1000)
        )
        q_obp = reg.fit_predict(
            context=Xu[idx],
            action=d["action"],
            reward=d["reward"],
            position=pos[idx],
            n_folds=1,
        )
        for method, est in obp_estimators(np.inf).items():
            if method in ("switch-dr", "dr-os"):
                continue  # with no threshold they equal DR
            v = _obp_value(est, d, q_obp, pos[idx])
            records.setdefault(("obp", method), []).append(abs(v - truth) / truth)
        for method in ("ipw", "snipw", "dm", "dr", "sndr"):
            est = PolicyValueEstimator(
                method, cv=None, reward_model=LogisticRegression(max_iter=1000)
            ).fit(
                Xs[idx],
                d["reward"],
                action=d["action"],
                target_proba=rnd.target_proba[idx],
                logging_proba=d["pscore"],
            )
            records.setdefault(("skreweight", method), []).append(
                abs(est.value_ - truth) / truth
            )
    rows = []
    for (lib, method), errs in records.items():
        errs = np.asarray(errs)
        rows.append(
            {
                "part": "real_data",
                "library": lib,
                "method": method,
                "n_boot": n_boot,
                "rel_error_median": float(np.median(errs)),
                "rel_error_q25": float(np.quantile(errs, 0.25)),
                "rel_error_q75": float(np.quantile(errs, 0.75)),
                "rel_error_mean": float(errs.mean()),
                "rel_error_sd": float(errs.std(ddof=1)),
                "truth": truth,
            }
        )
    del pd
    return rows


def coverage(n_rep=1000, n=1000):
    truth = make_bandit_feedback(1).target_value
    hits = {m: [] for m in ("ipw", "snipw", "dr")}
    for seed in range(n_rep):
        d = make_bandit_feedback(n, random_state=10_000 + seed)
        for m in hits:
            est = PolicyValueEstimator(m, cv=2, random_state=seed).fit(
                d.X,
                d.reward,
                action=d.action,
                target_proba=d.target_proba,
                logging_proba=d.logging_proba,
            )
            lo, hi = est.conf_int(0.05)
            hits[m].append(lo <= truth <= hi)
    return [
        {
            "part": "coverage",
            "method": m,
            "n_rep": n_rep,
            "n": n,
            "coverage": float(np.mean(h)),
            "binomial_se": float(np.sqrt(np.mean(h) * (1 - np.mean(h)) / n_rep)),
        }
        for m, h in hits.items()
    ]


def _loss_estimates(r, f, props):
    """Squared error of IPS / DR loss estimates of ``f`` per propensity."""
    o = r.observed
    e = (f - r.y) ** 2
    ideal, N = e.mean(), len(r.y)
    imp = Ridge().fit(r.X[o], e[o]).predict(r.X)
    out = {}
    for name, p in props.items():
        ips = np.sum(e[o] / p) / N
        dr = (imp.sum() + np.sum((e[o] - imp[o]) / p)) / N
        out[("ips", name)] = ips - ideal
        out[("dr", name)] = dr - ideal
    return out


_PROPENSITIES = (
    ("logistic", lambda: None),
    ("balancing", lambda: BalancingPropensity()),
    ("balancing, bandwidth=10", lambda: BalancingPropensity(bandwidth=10.0)),
)


def balancing(n_rep=50):
    """IPS / DR estimates of a rating model's full-information loss.

    Two designs. "independent": the rating model is a ridge fit on the
    observed pairs of another matrix (seed + 10,000), so its errors do not
    depend on which pairs of this matrix are observed, as the paper's bias
    analysis assumes (with the true propensities IPS and DR are then
    unbiased). "in-sample": the ridge is fit on this matrix's observed pairs
    (the previous design): its loss on the pairs it was fit on is optimistic,
    a bias no propensity can remove.
    """
    err, fits, widths = {}, {}, []
    for seed in range(n_rep):
        r = make_mnar_ratings(60, 40, random_state=seed)
        o = r.observed
        props = {"true": r.propensity[o]}
        for name, make in _PROPENSITIES:
            reg = DebiasedRatingRegressor(method="ips", propensity_model=make()).fit(
                r.X[o], r.y[o], X_target=r.X[~o]
            )
            props[name] = reg.propensity_
            if name == "balancing":
                bp = BalancingPropensity().fit(
                    np.vstack([r.X[o], r.X[~o]]),
                    action=np.r_[np.ones(o.sum()), np.zeros((~o).sum())],
                )
                widths.append(bp.bandwidth_)
        r2 = make_mnar_ratings(60, 40, random_state=10_000 + seed)
        designs = {
            "independent": Ridge().fit(r2.X[r2.observed], r2.y[r2.observed]),
            "in-sample": Ridge().fit(r.X[o], r.y[o]),
        }
        for design, model in designs.items():
            for key, v in _loss_estimates(r, model.predict(r.X), props).items():
                err.setdefault((design,) + key, []).append(v)
        for method in ("naive", "ips", "dr"):
            for name, make in _PROPENSITIES[:2]:
                if method == "naive" and name != "logistic":
                    continue
                reg = DebiasedRatingRegressor(
                    method=method, propensity_model=make()
                ).fit(r.X[o], r.y[o], X_target=r.X[~o])
                fits.setdefault((method, name), []).append(
                    float(np.mean((reg.predict(r.X) - r.y) ** 2))
                )
    rows = []
    for (design, est, name), e in err.items():
        e = np.asarray(e)
        v = e**2
        d = v - np.asarray(err[(design, est, "logistic")]) ** 2
        rows.append(
            {
                "part": "balancing_loss_estimation",
                "design": design,
                "estimator": est,
                "propensity": name,
                "n_rep": n_rep,
                "mse": float(v.mean()),
                "mse_se": float(v.std(ddof=1) / np.sqrt(len(v))),
                "bias": float(e.mean()),
                "bias_se": float(e.std(ddof=1) / np.sqrt(len(e))),
                "median_bandwidth_mean": float(np.mean(widths)),
                "paired_diff_vs_logistic": float(d.mean()),
                "paired_diff_se": float(d.std(ddof=1) / np.sqrt(len(d))),
                "share_below_logistic": float(np.mean(d < 0)),
            }
        )
    rows += [
        {
            "part": "balancing_rating_fit",
            "method": k[0],
            "propensity": k[1] if k[0] != "naive" else "-",
            "n_rep": n_rep,
            "all_pairs_mse_mean": float(np.mean(v)),
            "all_pairs_mse_sd": float(np.std(v, ddof=1)),
        }
        for k, v in fits.items()
    ]
    return rows


def _time(fn, reps=5):
    """Median CPU time (``time.process_time``) of ``reps`` runs after a warm-up."""
    fn()
    out = []
    for _ in range(reps):
        t = time.process_time()
        fn()
        out.append(time.process_time() - t)
    return float(np.median(out))


def _interleaved(pairs, reps):
    """CPU-time medians of (ours, obp) per task, the two runs interleaved."""
    times = {task: ([], []) for task in pairs}
    for task, (a, b) in pairs.items():
        a(), b()  # warm-up
    for _ in range(reps):
        for task, (a, b) in pairs.items():
            for fn, out in ((a, times[task][0]), (b, times[task][1])):
                t = time.process_time()
                fn()
                out.append(time.process_time() - t)
    return {
        k: (float(np.median(x)), float(np.median(y))) for k, (x, y) in times.items()
    }


def speed(n=20_000, reps=101):
    """Fit time of every obp estimator on the same inputs.

    Both get the logged rewards, actions, propensities and the evaluation
    policy's probabilities; the model-based ones also get the same
    precomputed estimated rewards (ours: ``estimated_rewards=``; obp:
    ``estimated_rewards_by_reg_model``), so the time is the estimator's own,
    input checks included. Then DR end to end with a linear reward model
    fit in-sample, and the 95 % interval of IPW.
    """
    d = make_bandit_feedback(n, random_state=0)
    K = d.target_proba.shape[1]
    inputs = {
        "reward": d.reward,
        "action": d.action,
        "pscore": d.logging_proba,
        "action_dist": d.target_proba[:, :, None],
    }
    threshold = float(
        np.quantile(d.target_proba[np.arange(n), d.action] / d.logging_proba, 0.9)
    )
    reg = RegressionModel(n_actions=K, base_model=LinearRegression())
    q = reg.fit_predict(context=d.X, action=d.action, reward=d.reward, n_folds=1)
    ours_kw = dict(
        action=d.action, target_proba=d.target_proba, logging_proba=d.logging_proba
    )
    pairs = {}
    for method, est in obp_estimators(threshold).items():
        thr = threshold if method in ("switch-dr", "dr-os") else np.inf
        kw = dict(ours_kw)
        if method not in ("ipw", "snipw"):
            kw["estimated_rewards"] = q[:, :, 0]
        ours = PolicyValueEstimator(method, threshold=thr)
        assert (
            abs(ours.fit(d.X, d.reward, **kw).value_ - _obp_value(est, inputs, q))
            < 1e-10
        )

        def a(ours=ours, kw=kw):
            return ours.fit(d.X, d.reward, **kw).value_

        def b(est=est):
            return _obp_value(est, inputs, q)

        pairs[method] = (a, b)

    def obp_dr():
        reg = RegressionModel(n_actions=K, base_model=LinearRegression())
        qq = reg.fit_predict(context=d.X, action=d.action, reward=d.reward, n_folds=1)
        return DoublyRobust().estimate_policy_value(
            estimated_rewards_by_reg_model=qq, **inputs
        )

    def ours_dr():
        return PolicyValueEstimator("dr", cv=None).fit(d.X, d.reward, **ours_kw).value_

    pairs["dr, reward model fit in-sample"] = (ours_dr, obp_dr)
    times = _interleaved(pairs, reps)

    def obp_ci():
        return InverseProbabilityWeighting().estimate_interval(
            n_bootstrap_samples=1000, random_state=0, **inputs
        )

    def ours_ci():
        return PolicyValueEstimator("ipw").fit(d.X, d.reward, **ours_kw).conf_int(0.05)

    times["ipw 95 % interval (ours: sandwich; obp: 1,000 bootstraps)"] = (
        _time(ours_ci),
        _time(obp_ci),
    )
    return [
        {
            "part": "speed",
            "task": task,
            "n": n,
            "n_actions": K,
            "reps": reps,
            "clock": "process_time",
            "skreweight_s": ta,
            "obp_s": tb,
            "ratio_skreweight_over_obp": ta / tb,
            "load1": os.getloadavg()[0],
        }
        for task, (ta, tb) in times.items()
    ]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--parts", default="exactness,real_data,coverage,balancing,speed"
    )
    args = parser.parse_args()
    q = args.quick
    versions = {
        "obp": obp.__version__,
        "skreweight": version("skreweight"),
        "scikit-learn": version("scikit-learn"),
        "numpy": np.__version__,
        "python": sys.version.split()[0],
    }
    parts = {
        "exactness": lambda: exactness(),
        "real_data": lambda: real_data(20 if q else 50),
        "coverage": lambda: coverage(100 if q else 1000),
        "balancing": lambda: balancing(5 if q else 50),
        "speed": lambda: speed(),
    }
    out_path = os.path.join(os.path.dirname(__file__), "results_policy.jsonl")
    run = args.parts.split(",")
    kept = []  # the records of the parts not rerun are kept
    if os.path.exists(out_path):
        with open(out_path) as fh:
            kept = [
                line
                for line in fh
                if json.loads(line)["part"].split("_")[0]
                not in {p.split("_")[0] for p in run}
            ]
    with open(out_path, "w") as fh:
        fh.writelines(kept)
        for name in run:
            t = time.perf_counter()
            for row in parts[name]():
                row["versions"] = versions
                row["load1"] = row.get("load1", os.getloadavg()[0])
                fh.write(json.dumps(row, default=float) + "\n")
                print(
                    {
                        k: (round(v, 12) if isinstance(v, float) else v)
                        for k, v in row.items()
                        if k != "versions"
                    },
                    flush=True,
                )
            print(f"# {name}: {time.perf_counter() - t:.1f} s", flush=True)
    print(versions)


if __name__ == "__main__":
    main()
