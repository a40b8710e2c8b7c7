"""Benchmark: sensitivity bounds under hidden confounding (issue 22).

Procedure
---------
- ``validity``: a hidden confounder ``U = 1{eps > 0}`` (``eps`` the outcome
  noise) moves the treatment odds of units with the same ``X`` by exactly
  ``gamma0``: ``logit e(x, u) = 0.5 x1 - 0.5 x2 + log(gamma0) (u - 1/2)``,
  ``Y = x1 + eps + T`` (true ATE 1), ``X ~ N(0, I_2)``, n = 1000. For each
  ``gamma0`` in {1.5, 2, 3} and 200 seeded replications: ``ATEBounds(gamma=
  gamma0)`` (cross-fitted logistic propensity, linear outcome models,
  ``cv=2``); share of replications whose identified-set 95 % interval holds
  the true ATE, against the share for the AIPW interval (``gamma=1``).
- ``gamma1``: on Kang-Schafer (n = 1000, 5 seeds) the bounds at ``gamma=1``
  against ``WeightingEstimator(method="dr")`` with the same weighter,
  outcome model and folds: largest absolute difference of the estimate, the
  standard error and the interval ends.
- ``sharpness``: ``Y | T = a ~ N(a, 1)``, ``P(T = 1) = 0.4`` independent of
  two noise covariates, n = 5000, 50 seeds. The sharp bounds of the model
  have the closed form ``1 -/+ k(gamma)``, ``k`` the N(0, 1) expectile at
  ``gamma / (1 + gamma)`` (computed by maximising the worst-case weighted
  mean over thresholds). Reported beside the Dorn-Guo sharp bounds of Tan's
  marginal model, ``1 -/+ (L - 1/L) phi(Phi^-1(L / (1 + L)))`` at ``L =
  sqrt(gamma)`` (a smaller model) and ``L = gamma`` (a larger one).
- ``lalonde``: NSW treated against PSID-1 and CPS-1 (``load_lalonde``), ATT
  of ``re78`` on the eight covariates. skreweight: ``ATEBounds(estimand=
  "ATT")`` with (a) cross-fitted logistic propensities and (b)
  ``EntropyBalancing`` weights, linear outcome models, 5 folds; bounds and
  intervals at gamma 1.25, 1.5, 2 and the robustness value. DoubleML
  (``.venv-bench``): ``DoubleMLIRM(score="ATTE")`` with the same learners
  (``LinearRegression``; ``LogisticRegression(C=1e6)`` on standardised
  covariates), 5 folds, default trimming 0.01, and its
  ``sensitivity_analysis`` at ``cf_y = cf_d`` in {0.01, 0.03, 0.1}, rho 1,
  with its robustness values ``RV`` and ``RVa``.
- ``speed``: fit CPU time (``time.process_time``; one BLAS/OpenMP thread, so
  the CPU time of the work, robust to the load of the shared machine) of
  ``ATEBounds(gamma=2)`` (both bounds and the AIPW
  point, one pass) over the fit time of ``WeightingEstimator(
  PropensityWeighting(), method="dr", cv=5)`` in the same run: after a
  warm-up, 3 interleaved rounds (each fit once per round), the ratio taken
  within each round and its median reported, on Kang-Schafer n = 1000 with
  ``LinearRegression`` and ``HistGradientBoostingRegressor`` (20 trees of
  depth 3) outcome models,
  and on Lalonde CPS-1 with ``LinearRegression``; also with ``max_iter=1``
  (one-step expectiles), the only setting timed for boosting (it never meets
  the stopping rule, so the default makes ``max_iter=20`` refits), with the
  boosted or a linear ``normalizer_model``. Also the CPU time of
  ``robustness_value`` (the cost of ``WeightingEstimator.summary(
  robustness=True)``) on the outcome plus an effect of 4 standard errors,
  timed once, as a multiple of the AIPW fit; ``--label`` names the code
  timed (before / after a change, run one after the other).
- BLAS/OpenMP pinned to 1 thread; one JSON line per record with the load
  average and package versions.

Usage::

    python benchmarks/bench_sensitivity.py --out benchmarks/results_sensitivity.jsonl
    .venv-bench/bin/python benchmarks/bench_sensitivity.py --doubleml \
        --out benchmarks/results_sensitivity.jsonl
    python benchmarks/bench_sensitivity.py --summarize \
        benchmarks/results_sensitivity.jsonl
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from scipy import optimize, stats  # noqa: E402
from scipy.special import expit  # noqa: E402

GAMMAS_LALONDE = (1.25, 1.5, 2.0)


def _versions():
    import sklearn

    import skreweight

    out = {"skreweight": skreweight.__version__, "sklearn": sklearn.__version__}
    try:
        import doubleml

        out["doubleml"] = doubleml.__version__
    except ImportError:
        pass
    return out


def _emit(fh, record):
    record = {**record, "load1": os.getloadavg()[0], "versions": _versions()}
    line = json.dumps(record)
    print(line, flush=True)
    if fh is not None:
        fh.write(line + "\n")
        fh.flush()


def hidden_confounding(n, gamma0, rng, effect=1.0):
    X = rng.normal(size=(n, 2))
    eps = rng.normal(size=n)
    u = (eps > 0).astype(float)
    e = expit(0.5 * X[:, 0] - 0.5 * X[:, 1] + np.log(gamma0) * (u - 0.5))
    t = (rng.uniform(size=n) < e).astype(float)
    return X, X[:, 0] + eps + effect * t, t


def normal_expectile(gamma):
    """Sharp bound of E[Y | T=0] for Y | T=1 ~ N(0, 1) under the odds model."""

    def neg(c):
        up = stats.norm.sf(c)
        return -(gamma - 1) * stats.norm.pdf(c) / (gamma * up + 1 - up)

    return -optimize.minimize_scalar(neg, bounds=(-6, 6), method="bounded").fun


def dorn_guo(lam):
    """Sharp bound shift under Tan's marginal model (Dorn and Guo), N(0, 1)."""
    return (lam - 1 / lam) * stats.norm.pdf(stats.norm.ppf(lam / (1 + lam)))


# ----------------------------------------------------------------- parts
def run_validity(fh, reps=200, n=1000):
    from sklearn.linear_model import LogisticRegression

    from skreweight.causal import ATEBounds

    for gamma0 in (1.5, 2.0, 3.0):
        rng = np.random.default_rng(int(100 * gamma0))
        cover, cover_aipw, lows, highs, points = 0, 0, [], [], []
        for r in range(reps):
            X, y, t = hidden_confounding(n, gamma0, rng)
            est = ATEBounds(
                gamma=gamma0,
                model_t=LogisticRegression(),
                cv=2,
                random_state=r,
            ).fit(X, y, treatment=t)
            lo, hi = est.conf_int(0.05)
            cover += lo <= 1.0 <= hi
            z = stats.norm.ppf(0.975)
            cover_aipw += abs(est.effect_ - 1.0) <= z * est.stderr_
            lows.append(est.bounds_[0])
            highs.append(est.bounds_[1])
            points.append(est.effect_)
        _emit(
            fh,
            {
                "part": "validity",
                "gamma0": gamma0,
                "n": n,
                "reps": reps,
                "coverage_bounds_ci": cover / reps,
                "coverage_aipw_ci": cover_aipw / reps,
                "mean_lower": float(np.mean(lows)),
                "mean_upper": float(np.mean(highs)),
                "mean_aipw": float(np.mean(points)),
                "true_ate": 1.0,
            },
        )


def run_gamma1(fh, seeds=5):
    from skreweight.causal import ATEBounds, WeightingEstimator
    from skreweight.datasets import make_kang_schafer
    from skreweight.weighting import EntropyBalancing, PropensityWeighting

    for seed in range(seeds):
        d = make_kang_schafer(1000, propensity="correct", random_state=seed)
        for name, weighter in (
            ("PropensityWeighting", PropensityWeighting()),
            ("EntropyBalancing", EntropyBalancing()),
        ):
            for estimand in ("ATE", "ATT"):
                ref = WeightingEstimator(
                    weighter, estimand=estimand, method="dr", cv=5, random_state=seed
                ).fit(d.X, d.y, treatment=d.treatment)
                est = ATEBounds(
                    weighter, gamma=1.0, estimand=estimand, cv=5, random_state=seed
                ).fit(d.X, d.y, treatment=d.treatment)
                diff = max(
                    abs(est.bounds_[0] - ref.effect_),
                    abs(est.bounds_[1] - ref.effect_),
                    abs(est.bounds_stderr_[0] - ref.stderr_),
                    *(abs(a - b) for a, b in zip(est.conf_int(), ref.conf_int())),
                )
                _emit(
                    fh,
                    {
                        "part": "gamma1",
                        "seed": seed,
                        "weighter": name,
                        "estimand": estimand,
                        "max_abs_diff": diff,
                        "set_width": est.bounds_[1] - est.bounds_[0],
                        "ci_width": est.conf_int()[1] - est.conf_int()[0],
                        "aipw_ci_width": ref.conf_int()[1] - ref.conf_int()[0],
                    },
                )


def run_sharpness(fh, seeds=50, n=5000):
    from sklearn.linear_model import LogisticRegression

    from skreweight.causal import ATEBounds

    for gamma in (1.5, 2.0, 3.0):
        k = normal_expectile(gamma)
        lows, highs, ses = [], [], []
        for seed in range(seeds):
            rng = np.random.default_rng(seed)
            X = rng.normal(size=(n, 2))
            t = (rng.uniform(size=n) < 0.4).astype(float)
            y = t + rng.normal(size=n)
            est = ATEBounds(
                gamma=gamma,
                model_t=LogisticRegression(),
                cv=2,
                random_state=seed,
            ).fit(X, y, treatment=t)
            lows.append(est.bounds_[0])
            highs.append(est.bounds_[1])
            ses.append(est.bounds_stderr_[1])
        _emit(
            fh,
            {
                "part": "sharpness",
                "gamma": gamma,
                "n": n,
                "seeds": seeds,
                "mean_lower": float(np.mean(lows)),
                "mean_upper": float(np.mean(highs)),
                "sd_upper": float(np.std(highs, ddof=1)),
                "mean_stderr_upper": float(np.mean(ses)),
                "closed_form_lower": 1 - k,
                "closed_form_upper": 1 + k,
                "mean_width": float(np.mean(np.subtract(highs, lows))),
                "closed_form_width": 2 * k,
                "dorn_guo_width_sqrt_gamma": 2 * dorn_guo(np.sqrt(gamma)),
                "dorn_guo_width_gamma": 2 * dorn_guo(gamma),
            },
        )


def _lalonde(comparison):
    from skreweight.datasets import load_lalonde

    d = load_lalonde(comparison)
    return (
        np.asarray(d.data, dtype=float),
        np.asarray(d.target, dtype=float),
        (np.asarray(d.treatment, dtype=float)),
    )


def run_lalonde(fh):
    from skreweight.causal import ATEBounds, robustness_value
    from skreweight.weighting import EntropyBalancing

    for comparison in ("psid1", "cps1"):
        X, y, t = _lalonde(comparison)
        for source, kw in (
            ("logistic propensity", {}),
            ("EntropyBalancing", {"weighter": EntropyBalancing()}),
        ):
            with warnings.catch_warnings(record=True) as rec:
                warnings.simplefilter("always")
                est = ATEBounds(estimand="ATT", gamma=1.0, random_state=0, **kw)
                est.fit(X, y, treatment=t)
                path = est.sensitivity_path(GAMMAS_LALONDE)
                rv = robustness_value(est)
            _emit(
                fh,
                {
                    "part": "lalonde",
                    "impl": "skreweight",
                    "comparison": comparison,
                    "weights": source,
                    "att": est.effect_,
                    "stderr": est.stderr_,
                    "ci": est.conf_int(),
                    "robustness_value": rv,
                    "path": path.to_dict("records"),
                    "warnings": sorted({type(w.message).__name__ for w in rec}),
                },
            )


def run_doubleml(fh):
    import doubleml as dml
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    for comparison in ("psid1", "cps1"):
        X, y, t = _lalonde(comparison)
        data = dml.DoubleMLData.from_arrays(X, y, t)
        np.random.seed(0)  # DoubleML draws its folds from the global state
        model = dml.DoubleMLIRM(
            data,
            ml_g=LinearRegression(),
            ml_m=make_pipeline(
                StandardScaler(), LogisticRegression(C=1e6, max_iter=1000)
            ),
            n_folds=5,
            score="ATTE",
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit()
        rows = []
        for cf in (0.01, 0.03, 0.1):
            model.sensitivity_analysis(cf_y=cf, cf_d=cf, rho=1.0)
            p = model.sensitivity_params
            rows.append(
                {
                    "cf_y": cf,
                    "cf_d": cf,
                    "theta_lower": float(np.ravel(p["theta"]["lower"])[0]),
                    "theta_upper": float(np.ravel(p["theta"]["upper"])[0]),
                    "ci_lower": float(np.ravel(p["ci"]["lower"])[0]),
                    "ci_upper": float(np.ravel(p["ci"]["upper"])[0]),
                    "rv": float(np.ravel(p["rv"])[0]),
                    "rva": float(np.ravel(p["rva"])[0]),
                }
            )
        _emit(
            fh,
            {
                "part": "lalonde",
                "impl": "doubleml",
                "comparison": comparison,
                "att": float(model.coef[0]),
                "stderr": float(model.se[0]),
                "sensitivity": rows,
            },
        )


def run_speed(fh, repeats=3, label="current"):
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.linear_model import LinearRegression

    from skreweight.causal import ATEBounds, WeightingEstimator, robustness_value
    from skreweight.datasets import make_kang_schafer
    from skreweight.weighting import PropensityWeighting

    d = make_kang_schafer(1000, propensity="correct", random_state=0)
    datasets = {
        "kang_schafer_1000": (d.X, d.y, d.treatment, "ATE"),
        "lalonde_cps1": (*_lalonde("cps1"), "ATT"),
    }
    models = {
        "LinearRegression": LinearRegression(),
        "HistGradientBoosting": HistGradientBoostingRegressor(
            max_iter=20, max_depth=3, early_stopping=False
        ),
    }
    for dname, (X, y, t, estimand) in datasets.items():
        for mname, model in models.items():
            if dname == "lalonde_cps1" and mname != "LinearRegression":
                continue  # 16k rows of boosting refits: minutes on a shared core
            impls = {
                "aipw": lambda: WeightingEstimator(
                    PropensityWeighting(),
                    estimand=estimand,
                    method="dr",
                    model_y=model,
                    cv=5,
                    se="sandwich_fixed",
                    random_state=0,
                ),
                "bounds_one_step": lambda: ATEBounds(
                    PropensityWeighting(),
                    gamma=2.0,
                    estimand=estimand,
                    model_y=model,
                    cv=5,
                    max_iter=1,
                    random_state=0,
                ),
                "bounds": lambda: ATEBounds(
                    PropensityWeighting(),
                    gamma=2.0,
                    estimand=estimand,
                    model_y=model,
                    cv=5,
                    random_state=0,
                ),
            }
            if mname != "LinearRegression":
                # boosting never meets the stopping rule: the default runs
                # max_iter=20 refits per expectile model; time the one-step,
                # also with a linear normaliser model
                impls.pop("bounds")
                impls["bounds_one_step_linear_d"] = lambda: ATEBounds(
                    PropensityWeighting(),
                    gamma=2.0,
                    estimand=estimand,
                    model_y=model,
                    normalizer_model=LinearRegression(),
                    cv=5,
                    max_iter=1,
                    random_state=0,
                )
            times, fitted = {}, {}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for make in impls.values():
                    make().fit(X, y, treatment=t)  # warm-up
                # interleaved rounds (each fit once per round), so that a change
                # of the machine's load hits the AIPW and the bounds alike
                runs = {name: [] for name in impls}
                walls = {name: [] for name in impls}
                for _ in range(repeats):
                    for name, make in impls.items():
                        c0, t0 = time.process_time(), time.perf_counter()
                        fitted[name] = make().fit(X, y, treatment=t)
                        runs[name].append(time.process_time() - c0)
                        walls[name].append(time.perf_counter() - t0)
                for name in impls:
                    times[name] = float(np.median(runs[name]))
                    times[name + "_wall"] = float(np.median(walls[name]))
                    # median over rounds of the ratio within the round
                    times[name + "_ratio"] = float(
                        np.median(np.divide(runs[name], runs["aipw"]))
                    )
                n_iter = fitted["bounds_one_step"].n_iter_
                if "bounds" in fitted:
                    n_iter = fitted["bounds"].n_iter_
                # the cost of summary(robustness=True): a root search refitting
                # the bound models at each gamma it tries (timed once), on the
                # outcome plus an effect of 4 standard errors (a true effect of
                # 0 stops the search at gamma = 1)
                name = "bounds" if "bounds" in impls else "bounds_one_step"
                shift = 4 * fitted[name].stderr_ * np.asarray(t, dtype=float)
                rv_est = impls[name]().fit(X, y + shift, treatment=t)
                c0 = time.process_time()
                rv = robustness_value(rv_est)
                rv_s = time.process_time() - c0
            _emit(
                fh,
                {
                    "part": "speed",
                    "code": label,
                    "data": dname,
                    "model_y": mname,
                    "aipw_s": times["aipw"],
                    "bounds_s": times.get("bounds"),
                    "bounds_one_step_s": times["bounds_one_step"],
                    "ratio_one_step_linear_d": times.get(
                        "bounds_one_step_linear_d_ratio"
                    ),
                    "ratio": times.get("bounds_ratio"),
                    "ratio_one_step": times["bounds_one_step_ratio"],
                    "cpu_s_by_round": runs,
                    "n_iter": n_iter,
                    "robustness_value": rv,
                    "robustness_value_s": rv_s,
                    "ratio_robustness_value": rv_s / times["aipw"],
                    "clock": "process_time (CPU seconds, one thread)",
                    "wall_s": {k: v for k, v in times.items() if k.endswith("_wall")},
                },
            )


def summarize(path):
    """Print the markdown tables of RESULTS.md from the JSON lines."""
    recs = [json.loads(line) for line in open(path) if line.strip()]
    by = {}
    for r in recs:
        by.setdefault(r["part"], []).append(r)
    if "validity" in by:
        print(
            "| gamma0 | reps | coverage, bounds CI | coverage, AIPW CI |"
            " mean lower | mean upper | mean AIPW | true ATE |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for r in by["validity"]:
            print(
                f"| {r['gamma0']:g} | {r['reps']} | {r['coverage_bounds_ci']:.3f} | "
                f"{r['coverage_aipw_ci']:.3f} | {r['mean_lower']:.3f} | "
                f"{r['mean_upper']:.3f} | {r['mean_aipw']:.3f} | 1 |"
            )
    if "gamma1" in by:
        rs = by["gamma1"]
        print(
            f"\ngamma=1 vs WeightingEstimator(dr): {len(rs)} fits, largest "
            f"|difference| {max(r['max_abs_diff'] for r in rs):.2e}; largest set "
            f"width {max(abs(r['set_width']) for r in rs):.2e}; largest CI width "
            f"difference {max(abs(r['ci_width'] - r['aipw_ci_width']) for r in rs):.2e}"
        )
    if "sharpness" in by:
        print(
            "\n| gamma | mean lower | closed form | mean upper | closed form |"
            " sd upper | mean width | closed-form width | Dorn-Guo sqrt(gamma) |"
            " Dorn-Guo gamma |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        for r in by["sharpness"]:
            print(
                f"| {r['gamma']:g} | {r['mean_lower']:.4f} | "
                f"{r['closed_form_lower']:.4f} | {r['mean_upper']:.4f} | "
                f"{r['closed_form_upper']:.4f} | {r['sd_upper']:.4f} | "
                f"{r['mean_width']:.4f} | {r['closed_form_width']:.4f} | "
                f"{r['dorn_guo_width_sqrt_gamma']:.4f} | "
                f"{r['dorn_guo_width_gamma']:.4f} |"
            )
    if "speed" in by:
        print(
            "\n| code | data | outcome model | AIPW fit (s) | bounds fit (s) | ratio |"
            " one-step ratio | one-step, linear D | expectile fits |"
            " robustness_value / AIPW fit |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")

        def fmt(v, spec):
            return "-" if v is None else format(v, spec)

        def run(r):
            return f", run {r['run']}" if "run" in r else ""

        for r in by["speed"]:
            print(
                f"| {r.get('code', '-')}{run(r)} | {r['data']} | "
                f"{r.get('model_y', r.get('outcome_model'))} | {r['aipw_s']:.3f} | "
                f"{fmt(r['bounds_s'], '.3f')} | {fmt(r['ratio'], '.2f')} | "
                f"{r['ratio_one_step']:.2f} | "
                f"{fmt(r.get('ratio_one_step_linear_d'), '.2f')} | {r['n_iter']} | "
                f"{fmt(r.get('ratio_robustness_value'), '.1f')} |"
            )
    if "lalonde" in by:
        for r in by["lalonde"]:
            if r["impl"] == "skreweight":
                print(
                    f"\nskreweight {r['comparison']} ({r['weights']}): ATT "
                    f"{r['att']:.0f} (se {r['stderr']:.0f}), CI "
                    f"[{r['ci'][0]:.0f}, {r['ci'][1]:.0f}], robustness value "
                    f"{r['robustness_value']:.3f}, warnings {r['warnings']}"
                )
                for p in r["path"]:
                    print(
                        f"  gamma {p['gamma']:g}: bounds [{p['lower']:.0f}, "
                        f"{p['upper']:.0f}], CI [{p['ci_lower']:.0f}, "
                        f"{p['ci_upper']:.0f}]"
                    )
            else:
                print(
                    f"\nDoubleML {r['comparison']}: ATTE {r['att']:.0f} "
                    f"(se {r['stderr']:.0f})"
                )
                for p in r["sensitivity"]:
                    print(
                        f"  cf_y=cf_d={p['cf_y']:g}: bounds [{p['theta_lower']:.0f},"
                        f" {p['theta_upper']:.0f}], CI [{p['ci_lower']:.0f}, "
                        f"{p['ci_upper']:.0f}], RV {p['rv']:.4f}, RVa {p['rva']:.4f}"
                    )


PARTS = {
    "validity": run_validity,
    "gamma1": run_gamma1,
    "sharpness": run_sharpness,
    "lalonde": run_lalonde,
    "speed": run_speed,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="*", default=list(PARTS))
    parser.add_argument("--doubleml", action="store_true", help="run the peer only")
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--out", default=None)
    parser.add_argument("--summarize", default=None, help="JSON lines to tabulate")
    parser.add_argument(
        "--label", default="current", help="names the code timed (speed part)"
    )
    args = parser.parse_args()
    if args.summarize:
        summarize(args.summarize)
        return
    fh = open(args.out, "a") if args.out else None
    try:
        if args.doubleml:
            run_doubleml(fh)
            return
        for part in args.parts:
            if part == "validity":
                run_validity(fh, reps=args.reps)
            elif part == "speed":
                run_speed(fh, label=args.label)
            else:
                PARTS[part](fh)
    finally:
        if fh is not None:
            fh.close()


if __name__ == "__main__":
    main()
