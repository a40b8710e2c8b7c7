"""Benchmark of the causal balancing weighters (issue 4).

Procedure
---------
lalonde
    NSW treated (185, Dehejia-Wahba sample) against the PSID-1 (2,490) and the
    CPS-1 (15,992) comparison groups, shipped in skreweight. Covariates, the
    same for every implementation: age, educ, black, hisp, marr, nodegree,
    re74, re75 and the zero-earnings indicators u74 = (re74 == 0), u75 =
    (re75 == 0). Estimand: the ATT; error against the experimental benchmark
    1,794.34 (NSW treated minus NSW randomised controls).
    skreweight: every weighter, each in three forms: Hajek (weighted
    difference in means), DR with a weighted linear outcome model, and DR
    with ``HistGradientBoostingRegressor(random_state=0)`` as the outcome
    model, fit in-sample ("dr-hgb") or cross-fitted over 5 folds stratified
    by treatment ("dr-hgb-cf", ``WeightingEstimator(cv=5,
    random_state=0)``); one timed fit after a warm-up fit on a 200-row
    subset.
    Weighters with random parts (IPM random features on CPS-1's 15,992
    controls) run with ``random_state`` 0..``--seeds``-1; medians reported.
    Peers, each in its own venv (``--peer``), with the same three nuisance
    learner sets (linear: LinearRegression / standardised
    LogisticRegression; random forest: 100 trees, min_samples_leaf=5;
    hist gradient boosting: defaults), ``--seeds`` seeds (default 3) of
    their cross-fitting splits, medians reported:
    DoubleML ``DoubleMLIRM(score="ATTE", n_folds=5)`` (cross-fitted AIPW for
    the ATT); EconML ``DRLearner(cv=5)`` and CausalML ``BaseDRRegressor``
    (linear final stage; CausalML given 5-fold cross-fitted propensities
    from the same classifier, clipped to [0.001, 0.999]), whose ATT is the
    mean of their CATE over the treated rows (neither has an ATT estimator).
    ``--resample R`` repeats everything on R bootstrap resamples of the data
    (within-arm, resample r drawn with ``RandomState(r)``, one seed each),
    the same resamples for everyone: mean error and RMSE around 1,794 over
    them show how much of a single-sample error is luck.
kang_schafer
    The CBIPM paper's Kang-Schafer design, formula by formula
    (``skreweight.datasets.make_kang_schafer``; the paper's R generator):
    true ATE = ATT = 0, n in {200, 1000}, sigma in {1, 2}, propensity
    correct or misspecified, ``--reps`` replications (seeds 1..reps) per cell.
    Bias = mean estimate, RMSE = sqrt(mean estimate^2), for the ATT and the
    ATE, weighted (Hajek) and OLS-augmented (DR). The paper's baseline is
    regenerated: IPW with a logistic GLM (``PropensityWeighting`` with an
    unpenalised ``LogisticRegression``), normalised weights.
timing
    Entropy balancing (ATT) on NSW + CPS-1 (16,177 rows, 10 covariates)
    against one scikit-learn ``LogisticRegression()`` fit on the same data,
    measured side by side in one process: one warm-up call each, then the
    median of 7 timed calls.

BLAS is pinned to one thread; the 1-minute load average is recorded with
every record. One JSON line per record goes to ``--out``; ``summary`` turns
the JSON lines into the tables of RESULTS.md.

Usage::

    python benchmarks/bench_balancing.py lalonde --out results.jsonl
    /work/venvs/doubleml/bin/python benchmarks/bench_balancing.py lalonde \
        --peer doubleml --out results.jsonl     # also econml, causalml
    python benchmarks/bench_balancing.py lalonde --datasets psid1 \
        --resample 20 --only "EntropyBalancing" ... --out resample.jsonl
    python benchmarks/bench_balancing.py kang_schafer --reps 200 --out ks.jsonl
    python benchmarks/bench_balancing.py timing --out results.jsonl
    python benchmarks/bench_balancing.py summary results.jsonl ks.jsonl
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

EXPERIMENTAL_ATT = 1794.3423848544699
DATA = Path(__file__).resolve().parents[1] / "skreweight/datasets/data/lalonde.csv.gz"
FEATURES = ["age", "educ", "black", "hisp", "marr", "nodegree", "re74", "re75"]


def _versions(*names):
    import importlib.metadata as md

    out = {}
    for name in names:
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = None
    return out


def _emit(record, out):
    record["load1"] = os.getloadavg()[0]
    line = json.dumps(record)
    print(line, flush=True)
    if out:
        with open(out, "a") as fh:
            fh.write(line + "\n")


def load_lalonde_frame(comparison):
    """The shipped file read with pandas only (so peers need no skreweight)."""
    import pandas as pd

    frame = pd.read_csv(DATA, compression="gzip")
    frame = frame[frame["sample"].isin(["nsw_treated", comparison])]
    X = frame[FEATURES].to_numpy(dtype=float)
    X = np.column_stack([X, X[:, 6] == 0, X[:, 7] == 0]).astype(float)
    return X, frame["re78"].to_numpy(float), frame["treat"].to_numpy(float)


def _datasets(args):
    """(comparison, resample, X, y, t): the data, or bootstrap resamples of it.

    ``--resample R`` draws R bootstrap resamples of each comparison, with
    replacement within each arm (resample r uses ``RandomState(r)``), the
    same for every implementation: the spread of the ATT error over them
    shows how much a single error on the one real sample owes to luck.
    """
    for comparison in args.datasets:
        X, y, t = load_lalonde_frame(comparison)
        if not args.resample:
            yield comparison, None, X, y, t
            continue
        for r in range(args.resample):
            rng = np.random.RandomState(r)
            idx = np.concatenate(
                [rng.choice(np.flatnonzero(t == a), (t == a).sum()) for a in (1, 0)]
            )
            yield comparison, r, X[idx], y[idx], t[idx]


# ------------------------------------------------------------------ skreweight
def _weighters(kind):
    from sklearn.linear_model import LogisticRegression

    from skreweight.weighting import (
        CBPS,
        EntropyBalancing,
        IPMBalancing,
        PropensityWeighting,
    )

    glm = LogisticRegression(C=np.inf, max_iter=10_000)
    out = {
        "IPW (logistic GLM)": PropensityWeighting(glm),
        "EntropyBalancing": EntropyBalancing(estimand="ATT"),
        "EntropyBalancing(moments=2)": EntropyBalancing(estimand="ATT", moments=2),
        "CBPS(exact)": CBPS(),
        "CBPS(over)": CBPS(method="over"),
        "IPMBalancing(mmd)": IPMBalancing(estimand="ATT"),
        "IPMBalancing(mmd, bw=1,3,10)": IPMBalancing(
            estimand="ATT", bandwidth=(1.0, 3.0, 10.0)
        ),
        "IPMBalancing(mmd, linear)": IPMBalancing(
            estimand="ATT", parametrization="linear"
        ),
        "IPMBalancing(energy)": IPMBalancing(estimand="ATT", discriminator="energy"),
    }
    if kind == "ks":  # the multi-bandwidth kernel triples the cost of a fit
        del out["IPMBalancing(mmd, bw=1,3,10)"]
    if kind == "lalonde":
        out["IPW (logistic GLM, overlap-trimmed 0.01)"] = PropensityWeighting(
            glm, trim=0.01
        )
    return out


def _fit_effect(weighter, estimand, method, X, y, t, outcome_model=None, cv=None):
    from skreweight.causal import WeightingEstimator

    est = WeightingEstimator(
        weighter,
        estimand=estimand,
        method=method,
        model_y=outcome_model,
        cv=cv,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        est.fit(X, y, treatment=t)
        dt = time.perf_counter() - t0
    return est, dt


def _outcome_forms():
    """The effect forms every weighter is run with (name -> method, model)."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    hgb = HistGradientBoostingRegressor(random_state=0)
    return {
        "hajek": ("hajek", None, None),
        "dr": ("dr", None, None),  # weighted linear regression adjustment
        "dr-hgb": ("dr", hgb, None),  # boosted outcome models, in-sample
        "dr-hgb-cf": ("dr", hgb, 5),  # the same, cross-fitted over 5 folds
    }


def _seeds_for(weighter, n_controls, n_seeds):
    """Seeds of the random parts: random features or directions (IPM) on
    large arms only."""
    params = weighter.get_params()
    if "random_state" not in params:
        return [None]
    exact = params.get("n_components") is None and n_controls <= 4000
    discriminator = params.get("discriminator", "mmd")
    if discriminator == "energy" and exact:
        return [0]  # deterministic: the seed is never used
    if discriminator == "mmd" and (exact or params.get("parametrization") == "linear"):
        return [0]
    return list(range(n_seeds))


def run_lalonde(args):
    import skreweight

    versions = _versions("scikit-learn", "numpy", "scipy")
    versions["skreweight"] = getattr(skreweight, "__version__", "dev")
    for comparison, resample, X, y, t in _datasets(args):
        # every weighter here is affine invariant except a raw logistic GLM,
        # which converges slowly on unscaled earnings: standardise once
        X = (X - X.mean(0)) / X.std(0)
        for name, weighter in _weighters("lalonde").items():
            if args.only and name not in args.only:
                continue
            # warm-up on a small stratified subset (imports, first calls)
            sub = np.r_[np.flatnonzero(t == 1)[:50], np.flatnonzero(t == 0)[:150]]
            if not resample:
                _fit_effect(weighter, "ATT", "dr", X[sub], y[sub], t[sub])
            seeds = _seeds_for(weighter, int((t == 0).sum()), args.seeds)
            for seed in seeds if resample is None else seeds[:1]:
                if seed is not None:
                    weighter = weighter.set_params(random_state=seed)
                for form, (method, model, cv) in _outcome_forms().items():
                    if args.forms and form not in args.forms:
                        continue
                    est, dt = _fit_effect(weighter, "ATT", method, X, y, t, model, cv)
                    _emit(
                        {
                            "task": "lalonde",
                            "impl": "skreweight",
                            "method": f"{name} [{form}]",
                            "dataset": comparison,
                            "seed": seed,
                            "resample": resample,
                            "att": est.effect_,
                            "se": est.stderr_,
                            "error": est.effect_ - EXPERIMENTAL_ATT,
                            "ess_control": est.arm_effective_sample_size_[1],
                            "fit_time": dt,
                            "status": "ok",
                            "versions": versions,
                        },
                        args.out,
                    )


def _peer_learners():
    """The nuisance learners every peer is run with (name -> factory(seed))."""
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
        RandomForestClassifier,
        RandomForestRegressor,
    )
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return {
        "linear": lambda s: (
            LinearRegression(),
            make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        ),
        "random forest": lambda s: (
            RandomForestRegressor(100, min_samples_leaf=5, random_state=s, n_jobs=1),
            RandomForestClassifier(100, min_samples_leaf=5, random_state=s, n_jobs=1),
        ),
        "hist gradient boosting": lambda s: (
            HistGradientBoostingRegressor(random_state=s),
            HistGradientBoostingClassifier(random_state=s),
        ),
    }


def _att_doubleml(X, y, t, ml_g, ml_m, seed):
    import doubleml as dml

    np.random.seed(seed)  # DoubleML draws its folds from np.random
    data = dml.DoubleMLData.from_arrays(X, y, t)
    model = dml.DoubleMLIRM(data, ml_g, ml_m, score="ATTE", n_folds=5)
    model.fit()
    return float(np.ravel(model.coef)[0]), float(np.ravel(model.se)[0])


def _att_econml(X, y, t, ml_g, ml_m, seed):
    from econml.dr import DRLearner

    # cross-fitted AIPW pseudo-outcomes, a linear CATE model, its average
    # over the treated rows (with its standard error)
    model = DRLearner(
        model_propensity=ml_m, model_regression=ml_g, cv=5, random_state=seed
    )
    model.fit(y, t, X=X)
    inf = model.ate_inference(X=X[t == 1])
    return float(inf.mean_point), float(inf.stderr_mean)


def _att_causalml(X, y, t, ml_g, ml_m, seed):
    from causalml.inference.meta import BaseDRRegressor
    from sklearn.base import clone
    from sklearn.linear_model import LinearRegression
    from sklearn.model_selection import cross_val_predict

    # CausalML's DR-learner needs propensities: cross-fitted ones from the
    # same classifier as the other peers (5 folds), clipped as CausalML does
    p = cross_val_predict(clone(ml_m), X, t, cv=5, method="predict_proba")[:, 1]
    p = np.clip(p, 1e-3, 1 - 1e-3)
    model = BaseDRRegressor(
        control_outcome_learner=clone(ml_g),
        treatment_outcome_learner=clone(ml_g),
        treatment_effect_learner=LinearRegression(),
    )
    model.fit(X, t.astype(int), y, p=p, seed=seed)
    return float(np.mean(model.predict(X[t == 1]))), float("nan")


PEERS = {
    "doubleml": ("DoubleMLIRM ATTE", _att_doubleml),
    "econml": ("DRLearner ATT", _att_econml),
    "causalml": ("BaseDRRegressor ATT", _att_causalml),
}


def run_lalonde_peer(args):
    label, fit = PEERS[args.peer]
    versions = _versions(args.peer, "scikit-learn", "numpy")
    for comparison, resample, X, y, t in _datasets(args):
        for lname, make in _peer_learners().items():
            name = f"{label} ({lname})"
            if args.only and name not in args.only:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sub = np.r_[np.flatnonzero(t == 1)[:50], np.flatnonzero(t == 0)[:150]]
                if not resample:
                    fit(X[sub], y[sub], t[sub], *make(0), 0)  # warm-up
                for seed in range(args.seeds) if resample is None else [0]:
                    t0 = time.perf_counter()
                    att, se = fit(X, y, t, *make(seed), seed)
                    dt = time.perf_counter() - t0
                    _emit(
                        {
                            "task": "lalonde",
                            "impl": args.peer,
                            "method": name,
                            "dataset": comparison,
                            "seed": seed,
                            "resample": resample,
                            "att": att,
                            "se": se,
                            "error": att - EXPERIMENTAL_ATT,
                            "fit_time": dt,
                            "status": "ok",
                            "versions": versions,
                        },
                        args.out,
                    )


# ---------------------------------------------------------------- Kang-Schafer
def run_kang_schafer(args):
    from skreweight.datasets import make_kang_schafer

    weighters = _weighters("ks")
    if args.only:
        weighters = {k: v for k, v in weighters.items() if k in args.only}
    cells = [
        (n, sigma, prop)
        for n in args.n
        for sigma in (1.0, 2.0)
        for prop in ("correct", "misspecified")
    ]
    # seed-major order, so that a run cut short still covers every cell
    for seed in range(args.start, args.reps + 1):
        for n, sigma, prop in cells:
            data = make_kang_schafer(n, noise=sigma, propensity=prop, random_state=seed)
            for name, weighter in weighters.items():
                for estimand in ("ATT", "ATE"):
                    base = dict(
                        task="kang_schafer",
                        impl="skreweight",
                        dataset=f"n={n},sigma={sigma:g},ps={prop}",
                        estimand=estimand,
                        seed=seed,
                    )
                    try:
                        # one weight fit gives both forms: DR from the
                        # estimator, Hajek from its weights
                        est, dt = _fit_effect(
                            weighter, estimand, "dr", data.X, data.y, data.treatment
                        )
                        hajek = _hajek(est.weights_, data.y, data.treatment)
                        out = {"hajek": hajek, "dr": est.effect_}
                        status = "ok"
                    except Exception as exc:  # keep failed records
                        out, dt, status = {"hajek": None, "dr": None}, None, repr(exc)
                    for method, value in out.items():
                        rec = dict(base, method=f"{name} [{method}]", estimate=value)
                        rec.update(fit_time=dt, status=status)
                        _emit(rec, args.out)


def _hajek(w, y, t):
    m1 = np.average(y[t == 1], weights=w[t == 1])
    return float(m1 - np.average(y[t == 0], weights=w[t == 0]))


# ----------------------------------------------------------------------- timing
def run_timing(args):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from skreweight.weighting import EntropyBalancing

    X, _, t = load_lalonde_frame("cps1")
    Xs = StandardScaler().fit_transform(X)
    jobs = {
        "EntropyBalancing(ATT)": lambda: EntropyBalancing(estimand="ATT").fit(
            X, treatment=t
        ),
        "LogisticRegression() raw X": lambda: LogisticRegression().fit(X, t),
        "LogisticRegression() standardised X": lambda: LogisticRegression().fit(Xs, t),
    }
    res = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, job in jobs.items():
            job()  # warm-up
        for _ in range(7):  # interleave so that load spikes hit all alike
            for name, job in jobs.items():
                t0 = time.perf_counter()
                job()
                res.setdefault(name, []).append(time.perf_counter() - t0)
    for name, times in res.items():
        _emit(
            {
                "task": "timing",
                "impl": "skreweight" if "Entropy" in name else "scikit-learn",
                "method": name,
                "dataset": "nsw+cps1",
                "n_rows": int(X.shape[0]),
                "fit_time": float(np.median(times)),
                "times": times,
                "status": "ok",
                "versions": _versions("scikit-learn", "numpy", "scipy"),
            },
            args.out,
        )


# ---------------------------------------------------------------------- summary
def run_summary(args):
    import pandas as pd

    recs = []
    for path in args.files:
        with open(path) as fh:
            recs += [json.loads(line) for line in fh if line.strip()]
    df = pd.DataFrame(recs)
    lal = df[df.task == "lalonde"]
    if "resample" not in lal:
        lal = lal.assign(resample=np.nan)
    one = lal[lal["resample"].isna()]
    if len(one):
        tab = (
            one.groupby(["impl", "method", "dataset"])
            .agg(
                att=("att", "median"),
                se=("se", "median"),
                fit_time=("fit_time", "median"),
            )
            .reset_index()
            .pivot(index=["impl", "method"], columns="dataset")
        )
        tab.columns = [f"{a}_{b}" for a, b in tab.columns]
        for c in ("psid1", "cps1"):
            if f"att_{c}" in tab:
                tab[f"error_{c}"] = tab[f"att_{c}"] - EXPERIMENTAL_ATT
        print("\n## Lalonde ATT (experimental benchmark 1,794)\n")
        print(tab.round(3).to_markdown())
    res = lal[lal["resample"].notna()]
    if len(res):
        err = res.att - EXPERIMENTAL_ATT
        res = res.assign(err=err, abs_err=err.abs(), sq=err**2)
        tab = res.groupby(["dataset", "impl", "method"]).agg(
            resamples=("err", "size"),
            mean_error=("err", "mean"),
            median_abs_error=("abs_err", "median"),
            rmse=("sq", lambda v: float(np.sqrt(v.mean()))),
            median_fit_s=("fit_time", "median"),
        )
        print("\n## Lalonde ATT over bootstrap resamples\n")
        print(tab.sort_values(["dataset", "rmse"]).round(1).to_markdown())
    ks = df[(df.task == "kang_schafer") & (df.status == "ok")]
    ks = ks.drop_duplicates(["dataset", "estimand", "method", "seed"], keep="last")
    if len(ks) and not args.all_seeds:  # compare on the same replications
        per = ks.groupby(["dataset", "method"])["seed"].apply(set)
        common = {
            d: set.intersection(*per.loc[d].tolist())
            for d in per.index.get_level_values(0).unique()
        }
        ks = ks[[seed in common[d] for d, seed in zip(ks.dataset, ks.seed)]]
    if len(ks):
        g = ks.groupby(["dataset", "estimand", "method"])["estimate"]
        summ = pd.DataFrame(
            {
                "bias": g.mean(),
                "rmse": g.apply(lambda v: float(np.sqrt(np.mean(np.square(v))))),
                "reps": g.size(),
            }
        ).reset_index()
        times = ks.groupby(["dataset", "method"])["fit_time"].median()
        print("\n## Kang-Schafer (true effect 0)\n")
        for (dataset, estimand), part in summ.groupby(["dataset", "estimand"]):
            print(f"\n### {dataset}, {estimand}\n")
            part = part.drop(columns=["dataset", "estimand"]).set_index("method")
            part["median_fit_time_s"] = times.loc[dataset].reindex(part.index).values
            print(part.sort_values("rmse").round(3).to_markdown())
    tim = df[df.task == "timing"]
    if len(tim):
        print("\n## Entropy balancing vs one LogisticRegression fit (NSW + CPS-1)\n")
        t = tim.set_index("method")[["fit_time", "load1"]]
        base = t.loc["LogisticRegression() raw X", "fit_time"]
        t["ratio_to_LR_raw"] = t["fit_time"] / base
        print(t.round(4).to_markdown())


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("lalonde")
    a.add_argument("--peer", choices=sorted(PEERS), default=None)
    a.add_argument("--seeds", type=int, default=3, help="seeds of random parts")
    a.add_argument("--resample", type=int, default=0, help="bootstrap resamples")
    a.add_argument("--forms", nargs="*", default=None, help="skreweight forms")
    a.add_argument("--out", default=None)
    a.add_argument("--only", nargs="*", default=None)
    a.add_argument("--datasets", nargs="+", default=["psid1", "cps1"])
    k = sub.add_parser("kang_schafer")
    k.add_argument("--reps", type=int, default=200)
    k.add_argument("--start", type=int, default=1, help="first seed (resume)")
    k.add_argument("--n", type=int, nargs="+", default=[200, 1000])
    k.add_argument("--only", nargs="*", default=None)
    k.add_argument("--out", default=None)
    tm = sub.add_parser("timing")
    tm.add_argument("--out", default=None)
    s = sub.add_parser("summary")
    s.add_argument("files", nargs="+")
    s.add_argument("--all-seeds", action="store_true", help="no common-seed filter")
    args = p.parse_args(argv)
    if args.cmd == "lalonde":
        (run_lalonde_peer if args.peer else run_lalonde)(args)
    elif args.cmd == "kang_schafer":
        run_kang_schafer(args)
    elif args.cmd == "timing":
        run_timing(args)
    else:
        run_summary(args)


if __name__ == "__main__":
    sys.exit(main())
