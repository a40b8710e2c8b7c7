"""Shift beyond covariates: conformal coverage under shift, and ReTaSA weights.

skreweight (LRQRConformalRegressor, WeightedConformalRegressor,
LabelShiftConformalClassifier, ContinuousTargetShift) against MAPIE 1.6's
unweighted SplitConformalRegressor / SplitConformalClassifier, on the same
data, splits and base learners. Run it in ``.venv-bench`` (skreweight plus
``pip install mapie``).

Procedure
---------
* ``coverage``: 200 seeded replications of a known covariate shift. Source
  ``x ~ N(0, I_5)``, target ``x_1`` shifted by +1; ``y = x'1/sqrt(5) + (0.3
  + |x_1|) e``. 1,000 source rows (half calibration), 1,000 target rows.
  Base learner ``LinearRegression`` fitted on the same proper-training half
  for every method (MAPIE gets it pre-fitted, ``prefit=True``, and
  conformalises on the same calibration half). Nominal coverage 0.90.
* ``label``: 200 replications of a known label shift: 3 classes with priors
  (0.6, 0.3, 0.1) -> (0.1, 0.3, 0.6), ``x | y ~ N(1.2 y, I_2)``; 1,500
  source and 1,000 target rows; ``LogisticRegression``; MAPIE's
  ``SplitConformalClassifier`` (LAC score, the same one) unweighted.
* ``highdim``: d = 50 and 100, 50 replications, otherwise as ``coverage``.
* ``real``: three shipped real regression sets (scikit-learn's diabetes,
  UCI red wine quality, Lalonde NSW-treated + PSID-1 with ``re78`` in
  thousands of dollars), standardised features, 50 replications each. The
  x-selection shift: a row joins the target with probability
  ``expit(1.5 z)``, ``z`` its standardised first principal component score;
  the other rows are the labelled source. Base learner ``Ridge(1.0)``.
* ``real_poly``: the same three sets and x-selection shift, with the
  features replaced by the standardised degree-2 expansion (squares and
  pairwise products, repeated columns dropped): 64, 77 and 50 features,
  10 replications each, so that the real-data comparison has d >= 50.
* LR-QR rows: ``lrqr`` is the default ``lam="auto"`` (the paper's rule),
  ``lrqr_lam0.1`` the former fixed default; ``lam`` records the value used.
* ``retasa_sim``: ISE of the estimated ``w(y)`` against the truth (source
  ``y ~ N(0, 1)``, target ``N(0.8, 0.7^2)``, ``x = y 1/sqrt(2) + N(0,
  0.25 I_2)``, 400 + 400 rows), ReTaSA (``alpha="cv"``) vs the binned
  label-shift baselines (10 bins, EM and BBSE), 50 replications.
* ``retasa_real``: the same three real sets with a y-selection shift (a row
  joins the target with probability ``expit(1.5 z_y)``, ``z_y`` the
  standardised label), 20 replications: target MSE of ``Ridge`` unweighted
  vs ``ReweightedRegressor(ContinuousTargetShift(...), Ridge())``.
* Metrics: target coverage, median interval width (median set size),
  fit time (weights + model + calibration) as a ratio to MAPIE's in the same
  run; BLAS pinned to one thread; 1-minute load average recorded.

Usage::

    .venv-bench/bin/python benchmarks/bench_shift_conformal.py run [SECTION ...]
    .venv-bench/bin/python benchmarks/bench_shift_conformal.py summary
"""

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from scipy.special import expit  # noqa: E402
from scipy.stats import norm  # noqa: E402
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge  # noqa: E402

HERE = Path(__file__).resolve().parent
OUT = HERE / "results_shift_conformal.jsonl"
ALPHA = 0.1


def _versions():
    import sklearn

    import skreweight

    out = {"skreweight": skreweight.__version__, "sklearn": sklearn.__version__}
    try:
        import mapie

        out["mapie"] = mapie.__version__
    except ImportError:  # pragma: no cover
        out["mapie"] = None
    return out


VERSIONS = _versions()


def _record(f, **rec):
    rec.update(versions=VERSIONS, load1=os.getloadavg()[0])
    f.write(json.dumps(rec) + "\n")
    f.flush()


def _split(X, y, seed, owner):
    """The split skreweight's conformal estimators draw for ``random_state=seed``
    (one shared helper: distinct rows, stratified for a classifier)."""
    from skreweight.covariate_shift._conformal import _calibration_split

    cal, train = _calibration_split(
        owner, X, y, np.ones(X.shape[0]), calibration_size=0.5, random_state=seed
    )
    return train, cal


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


# ----------------------------------------------------------------- regression
def _regression_methods(X, y, Xt, seed, base, weighters=("cdr",)):
    """Fit every interval method on the same split; yield (name, lo, hi, time)."""
    from mapie.regression import SplitConformalRegressor

    from skreweight.covariate_shift import (
        LRQRConformalRegressor,
        WeightedConformalRegressor,
    )
    from skreweight.weighting import ULSIF, ClassifierDensityRatio

    train, cal = _split(X, y, seed, LRQRConformalRegressor())

    def mapie_fit():
        est = base().fit(X[train], y[train])
        scr = SplitConformalRegressor(est, confidence_level=1 - ALPHA, prefit=True)
        return scr.conformalize(X[cal], y[cal])

    mapie, t_mapie = _timed(mapie_fit)
    _, pis = mapie.predict_interval(Xt)
    yield "mapie_split", pis[:, 0, 0], pis[:, 1, 0], t_mapie, {}
    makers = {"cdr": ClassifierDensityRatio, "ulsif": ULSIF}
    for key in weighters:
        wcp, t = _timed(
            lambda key=key: WeightedConformalRegressor(
                makers[key](), base(), alpha=ALPHA, random_state=seed
            ).fit(X, y, X_target=Xt)
        )
        lo, hi = wcp.predict_interval(Xt).T
        yield f"weighted_{key}", lo, hi, t, {}
    # the default (lam="auto", the paper's rule) and the former fixed lam=0.1
    for name, lam in (("lrqr", "auto"), ("lrqr_lam0.1", 0.1)):
        lrqr, t = _timed(
            lambda lam=lam: LRQRConformalRegressor(
                base(), alpha=ALPHA, lam=lam, random_state=seed
            ).fit(X, y, X_target=Xt)
        )
        lo, hi = lrqr.predict_interval(Xt).T
        yield name, lo, hi, t, {"lam": lrqr.lam_}


def _draw_cov(rng, n, shift, d):
    X = rng.normal(size=(n, d))
    X[:, 0] += shift
    y = X @ (np.ones(d) / np.sqrt(d)) + rng.normal(size=n) * (0.3 + np.abs(X[:, 0]))
    return X, y


def _simulated_coverage(f, task, d, reps, weighters=("cdr",)):
    for seed in range(reps):
        rng = np.random.RandomState(seed)
        X, y = _draw_cov(rng, 1000, 0.0, d)
        Xt, yt = _draw_cov(rng, 1000, 1.0, d)
        for name, lo, hi, t, extra in _regression_methods(
            X, y, Xt, seed, LinearRegression, weighters
        ):
            _record(
                f,
                task=task,
                dataset=f"sim_d{d}",
                method=name,
                seed=seed,
                coverage=float(np.mean((yt >= lo) & (yt <= hi))),
                median_width=float(np.median(hi - lo)),
                fit_time=t,
                status="ok",
                **extra,
            )


def _real_regression_sets():
    from sklearn.datasets import load_diabetes

    from skreweight.datasets import load_dataset, load_lalonde

    X, y = load_diabetes(return_X_y=True)
    yield "diabetes_sklearn", X, y
    X, y = load_dataset("redwine", return_X_y=True)
    yield "redwine", np.asarray(X, float), np.asarray(y, float)
    d = load_lalonde("psid1")
    yield "lalonde_psid1", np.column_stack([d.data, d.treatment]), d.target / 1000.0


def _standardise(X):
    sd = X.std(axis=0)
    return (X - X.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


def _select(score, rng, strength=1.5):
    z = (score - score.mean()) / score.std()
    return rng.uniform(size=z.shape[0]) < expit(strength * z)


def _degree2(Z):
    """Standardised features, their squares and pairwise products (d >= 50)."""
    from sklearn.preprocessing import PolynomialFeatures

    P = PolynomialFeatures(2, include_bias=False).fit_transform(Z)
    keep = P.std(axis=0) > 0
    P = _standardise(P[:, keep])
    _, first = np.unique(P.round(12), axis=1, return_index=True)
    return P[:, np.sort(first)]  # drop repeated columns (a binary's square)


def _real_coverage(f, reps, task="real", expand=False, weighters=("cdr", "ulsif")):
    for name, X, y in _real_regression_sets():
        Z = _standardise(X)
        pc1 = Z @ np.linalg.svd(Z, full_matrices=False)[2][0]
        F = _degree2(Z) if expand else Z
        for seed in range(reps):
            rng = np.random.RandomState(1000 + seed)
            tgt = _select(pc1, rng)
            Xs, ys, Xt, yt = F[~tgt], y[~tgt], F[tgt], y[tgt]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for meth, lo, hi, t, extra in _regression_methods(
                    Xs, ys, Xt, seed, lambda: Ridge(1.0), weighters
                ):
                    _record(
                        f,
                        task=task,
                        dataset=name,
                        method=meth,
                        seed=seed,
                        n_features=int(F.shape[1]),
                        n_source=int(Xs.shape[0]),
                        n_target=int(Xt.shape[0]),
                        coverage=float(np.mean((yt >= lo) & (yt <= hi))),
                        median_width=float(np.median(hi - lo)),
                        fit_time=t,
                        status="ok",
                        **extra,
                    )


# ------------------------------------------------------------- classification
def _label_shift(f, reps):
    from mapie.classification import SplitConformalClassifier

    from skreweight.covariate_shift import LabelShiftConformalClassifier

    for seed in range(reps):
        rng = np.random.RandomState(seed)
        y = rng.choice(3, size=1500, p=[0.6, 0.3, 0.1])
        X = rng.normal(1.2 * y[:, None], 1.0, size=(1500, 2))
        yt = rng.choice(3, size=1000, p=[0.1, 0.3, 0.6])
        Xt = rng.normal(1.2 * yt[:, None], 1.0, size=(1000, 2))
        train, cal = _split(X, y, seed, LabelShiftConformalClassifier())

        def mapie_fit():
            est = LogisticRegression().fit(X[train], y[train])
            scc = SplitConformalClassifier(est, confidence_level=1 - ALPHA, prefit=True)
            return scc.conformalize(X[cal], y[cal])

        mapie, t_mapie = _timed(mapie_fit)
        sets = {"mapie_split": (mapie.predict_set(Xt)[1][:, :, 0], t_mapie)}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for meth, kw in (("label_shift_em", {"X_target": Xt}),):
                clf, t = _timed(
                    lambda kw=kw: LabelShiftConformalClassifier(
                        alpha=ALPHA, random_state=seed
                    ).fit(X, y, **kw)
                )
                sets[meth] = (clf.predict_set(Xt), t)
        for meth, (S, t) in sets.items():
            _record(
                f,
                task="label",
                dataset="sim_3class",
                method=meth,
                seed=seed,
                coverage=float(S[np.arange(1000), yt].mean()),
                median_width=float(np.median(S.sum(axis=1))),
                mean_set_size=float(S.sum(axis=1).mean()),
                fit_time=t,
                status="ok",
            )


# ------------------------------------------------------------------- ReTaSA
def _retasa_sim(f, reps):
    from skreweight.weighting import ContinuousTargetShift

    grid = np.linspace(-2.5, 2.5, 201)
    ps = norm.pdf(grid)
    true = norm.pdf(grid, 0.8, 0.7) / ps
    b = np.ones(2) / np.sqrt(2)
    for seed in range(reps):
        rng = np.random.RandomState(seed)
        y, yt = rng.normal(0, 1, 400), rng.normal(0.8, 0.7, 400)
        X = y[:, None] * b + rng.normal(0, 0.5, (400, 2))
        Xt = yt[:, None] * b + rng.normal(0, 0.5, (400, 2))
        for meth, kw in (
            ("retasa_cv", {}),
            ("binned_em", {"method": "binned"}),
            ("binned_bbse", {"method": "binned", "label_shift_method": "bbse"}),
        ):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cts, t = _timed(
                    lambda kw=kw: ContinuousTargetShift(random_state=seed, **kw).fit(
                        X, y, X_target=Xt
                    )
                )
            w = cts.compute_weights(y=grid)
            _record(
                f,
                task="retasa_sim",
                dataset="sim_gauss",
                method=meth,
                seed=seed,
                ise=float(np.sum((w - true) ** 2 * ps) * (grid[1] - grid[0])),
                fit_time=t,
                status="ok",
            )


def _retasa_real(f, reps):
    from skreweight.compose import ReweightedRegressor
    from skreweight.weighting import ContinuousTargetShift

    for name, X, y in _real_regression_sets():
        Z = _standardise(X)
        for seed in range(reps):
            rng = np.random.RandomState(2000 + seed)
            tgt = _select(y, rng)
            Xs, ys, Xt, yt = Z[~tgt], y[~tgt], Z[tgt], y[tgt]
            fits = {
                "unweighted": lambda: Ridge(1.0).fit(Xs, ys),
                "retasa_x": lambda: ReweightedRegressor(
                    ContinuousTargetShift(cv=3, random_state=seed), Ridge(1.0)
                ).fit(Xs, ys, X_target=Xt),
                "retasa_fx": lambda: ReweightedRegressor(
                    ContinuousTargetShift(
                        estimator=Ridge(1.0), cv=3, random_state=seed
                    ),
                    Ridge(1.0),
                ).fit(Xs, ys, X_target=Xt),
                "binned_em_fx": lambda: ReweightedRegressor(
                    ContinuousTargetShift(
                        method="binned", estimator=Ridge(1.0), cv=3, random_state=seed
                    ),
                    Ridge(1.0),
                ).fit(Xs, ys, X_target=Xt),
            }
            for meth, fit in fits.items():
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        model, t = _timed(fit)
                    rec = dict(
                        mse=float(np.mean((model.predict(Xt) - yt) ** 2)),
                        fit_time=t,
                        status="ok",
                    )
                except Exception as exc:  # keep the failed record
                    rec = dict(status="error", error=repr(exc)[:300])
                    traceback.print_exc()
                _record(
                    f,
                    task="retasa_real",
                    dataset=name,
                    method=meth,
                    seed=seed,
                    n_source=int(Xs.shape[0]),
                    n_target=int(Xt.shape[0]),
                    **rec,
                )


SECTIONS = {
    "coverage": lambda f: _simulated_coverage(f, "coverage", 5, 200),
    "label": lambda f: _label_shift(f, 200),
    "highdim": lambda f: [
        _simulated_coverage(f, "highdim", d, 50, ("cdr", "ulsif")) for d in (50, 100)
    ],
    "real": lambda f: _real_coverage(f, 50),
    "real_poly": lambda f: _real_coverage(f, 10, "real_poly", expand=True),
    "retasa_sim": lambda f: _retasa_sim(f, 50),
    "retasa_real": lambda f: _retasa_real(f, 20),
}


def run(sections):
    with open(OUT, "a") as f:
        for s in sections:
            t0 = time.perf_counter()
            SECTIONS[s](f)
            print(f"{s}: {time.perf_counter() - t0:.0f} s", flush=True)


def summary():
    import pandas as pd

    df = pd.DataFrame([json.loads(line) for line in open(OUT)])
    df = df[df.status == "ok"]
    print("versions:", df.versions.iloc[0], f"load1 median {df.load1.median():.1f}")
    conf = df[df.task.isin(["coverage", "label", "highdim", "real", "real_poly"])]
    for (task, ds), g in conf.groupby(["task", "dataset"], sort=False):
        ref = g[g.method == "mapie_split"].fit_time.median()
        print(f"\n{task} / {ds} ({g.seed.nunique()} reps)")
        print(
            "| method | mean coverage | MC s.e. | median width | time / MAPIE "
            "| median lam |"
        )
        print("|---|---|---|---|---|---|")
        for m, h in g.groupby("method", sort=False):
            se = h.coverage.std(ddof=1) / np.sqrt(len(h))
            lam = f"{h.lam.median():.3f}" if "lam" in h and h.lam.notna().any() else ""
            print(
                f"| {m} | {h.coverage.mean():.3f} | {se:.3f} | "
                f"{h.median_width.median():.3f} | {h.fit_time.median() / ref:.1f} "
                f"| {lam} |"
            )
    sim = df[df.task == "retasa_sim"]
    if len(sim):
        print(f"\nretasa_sim ({sim.seed.nunique()} reps)")
        print("| method | median ISE | mean ISE | wins vs binned_em |")
        print("|---|---|---|---|")
        piv = sim.pivot(index="seed", columns="method", values="ise")
        for m in piv.columns:
            wins = int((piv[m] < piv["binned_em"]).sum())
            print(f"| {m} | {piv[m].median():.3f} | {piv[m].mean():.3f} | {wins} |")
    real = df[df.task == "retasa_real"]
    for ds, g in real.groupby("dataset", sort=False):
        piv = g.pivot(index="seed", columns="method", values="mse")
        print(f"\nretasa_real / {ds} ({len(piv)} reps)")
        print("| method | median target MSE | MSE / unweighted | wins vs unweighted |")
        print("|---|---|---|---|")
        for m in piv.columns:
            ratio = (piv[m] / piv["unweighted"]).median()
            wins = int((piv[m] < piv["unweighted"]).sum())
            print(f"| {m} | {piv[m].median():.4g} | {ratio:.3f} | {wins} |")


if __name__ == "__main__":
    if sys.argv[1] == "run":
        run(sys.argv[2:] or list(SECTIONS))
    else:
        summary()
