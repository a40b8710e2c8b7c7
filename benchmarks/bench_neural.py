"""Benchmark of skreweight.neural: training speed, and IPM balancing on Kang-Schafer.

Procedure
---------
Task ``speed``: binary classification, X ~ N(0, I_20), y = 1{x . beta + noise > 0},
integer sample weights in {1, 2, 3}. Both implementations train the same
module (MLP 20-64-2, float32, Adam lr 1e-2, batch 512, ``--epochs`` epochs,
full shuffle) on the same rows and seeds:

- ``skreweight``: ``WeightedNeuralNetClassifier`` with ``sample_weight``
  (whole-sample normalised weighted loss, tensor-slicing batches);
- ``skorch``: plain ``skorch.NeuralNetClassifier`` with cross-entropy and no
  weights (the peer: the cost of a skorch fit without weighting support).

Fit time after one untimed warm-up per implementation; accuracy on 20,000
held-out rows. Sizes n = 10,000 and 100,000, on CPU and, when
``torch.cuda.is_available()``, on CUDA (otherwise recorded as not available).

Task ``kang_schafer``: the Kang-Schafer (2007) design in the variant of Kong et
al. (2023), written here from the spec (research/algorithms-shift-causal.md
section 4.4): Z ~ N(0, I_4); the analyst sees X = (exp(Z1/2), Z2/(1+exp(Z1)) +
10, (Z1 Z3/25 + 0.6)^3, (Z2 + Z4 + 20)^2), standardised; Y = 210 + 27.4 Z1 +
13.7 (Z2 + Z3 + Z4) + sigma eps; logit e = -Z1 + 0.5 Z2 - 0.25 Z3 - 0.1 Z4
(misspecified in X). True ATT = 0, so RMSE = sqrt(mean(att_hat^2)). ATT
estimate: mean(Y | T=1) - sum_{T=0} w_i Y_i with the control weights of each
method, over the same draws:

- ``naive``: unweighted difference;
- ``ipw_logistic``: logistic propensity on X, odds weights e/(1-e);
- ``mmd_qp_gamma10``: RKHS/MMD balancing, the exact simplex QP (kernel mean
  matching of the controls to the treated) with the paper's Gaussian kernel
  width gamma=10 on standardised X, solved by cvxpy (Clarabel);
- ``mmd_qp_median``: the same QP with the median-heuristic width;
- ``neural_ipm``: ``NeuralIPMBalancing`` (WGAN-GP critic, paper defaults:
  1000 steps, lr 0.03, 5 critic steps at lr 0.3, one layer of 100 units).

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_neural.py --task all``.
One JSON line per record goes to ``--out``; a table is printed.
"""

import argparse
import json
import os
import platform
import time

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402


def _versions():
    import sklearn
    import skorch
    import torch

    import skreweight

    return {
        "skreweight": skreweight.__version__,
        "torch": torch.__version__,
        "skorch": skorch.__version__,
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def _load():
    return round(os.getloadavg()[0], 2)


# ---------------------------------------------------------------- speed ----
def _speed_data(n, seed):
    rng = np.random.RandomState(seed)
    beta = rng.normal(size=20)
    X = rng.normal(size=(n + 20_000, 20)).astype(np.float32)
    y = (X @ beta + rng.normal(scale=2.0, size=len(X)) > 0).astype(np.int64)
    sw = rng.randint(1, 4, size=n).astype(np.float64)
    return X[:n], y[:n], sw, X[n:], y[n:]


def _make(impl, device, epochs, seed):
    import torch
    from skorch import NeuralNetClassifier

    from skreweight.neural import MLPModule, WeightedNeuralNetClassifier

    common = dict(
        optimizer=torch.optim.Adam,
        lr=1e-2,
        max_epochs=epochs,
        batch_size=512,
        device=device,
        verbose=0,
        train_split=None,
        iterator_train__shuffle=True,
        module__n_features=20,
        module__n_outputs=2,
        module__hidden_units=(64,),
    )
    if impl == "skreweight":
        return WeightedNeuralNetClassifier(MLPModule, random_state=seed, **common)
    torch.manual_seed(seed)
    return NeuralNetClassifier(MLPModule, criterion=torch.nn.CrossEntropyLoss, **common)


def bench_speed(sizes, seeds, epochs, out):
    import torch

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    records = []
    if not torch.cuda.is_available():
        rec = {
            "task": "speed",
            "device": "cuda",
            "status": "not available on "
            "this machine (torch.cuda.is_available() is False)",
        }
        out.write(json.dumps(rec) + "\n")
        records.append(rec)
    for device in devices:
        for impl in ("skorch", "skreweight"):  # warm-up
            X, y, sw, _, _ = _speed_data(2000, 0)
            est = _make(impl, device, 1, 0)
            est.fit(X, y, **({"sample_weight": sw} if impl == "skreweight" else {}))
        for n in sizes:
            for seed in seeds:
                X, y, sw, Xte, yte = _speed_data(n, seed)
                for impl in ("skorch", "skreweight"):
                    est = _make(impl, device, epochs, seed)
                    kw = {"sample_weight": sw} if impl == "skreweight" else {}
                    load = _load()
                    t0 = time.perf_counter()
                    est.fit(X, y, **kw)
                    if device == "cuda":
                        torch.cuda.synchronize()
                    fit_s = time.perf_counter() - t0
                    acc = float(np.mean(np.asarray(est.predict(Xte)) == yte))
                    rec = dict(
                        task="speed",
                        impl=impl,
                        device=device,
                        n=n,
                        seed=seed,
                        epochs=epochs,
                        fit_s=round(fit_s, 3),
                        test_acc=round(acc, 4),
                        load1=load,
                        status="ok",
                        versions=_versions(),
                    )
                    out.write(json.dumps(rec) + "\n")
                    out.flush()
                    records.append(rec)
                    print(rec, flush=True)
    return records


# -------------------------------------------------------- Kang-Schafer ----
def kang_schafer(n, *, noise=1.0, random_state=None):
    """The Kong et al. (2023) variant of Kang-Schafer; true ATT = ATE = 0."""
    rng = np.random.RandomState(random_state)
    Z = rng.normal(size=(n, 4))
    X = np.c_[
        np.exp(Z[:, 0] / 2),
        Z[:, 1] / (1 + np.exp(Z[:, 0])) + 10,
        (Z[:, 0] * Z[:, 2] / 25 + 0.6) ** 3,
        (Z[:, 1] + Z[:, 3] + 20) ** 2,
    ]
    X = (X - X.mean(axis=0)) / X.std(axis=0, ddof=1)
    logit = -Z[:, 0] + 0.5 * Z[:, 1] - 0.25 * Z[:, 2] - 0.1 * Z[:, 3]
    t = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    y = 210 + 27.4 * Z[:, 0] + 13.7 * Z[:, 1:].sum(axis=1) + noise * rng.normal(size=n)
    return X, t, y


def _gauss(A, B, gamma):
    d2 = ((A[:, None, :] - B[None, :, :]) ** 2).sum(-1)
    return np.exp(-d2 / (2 * gamma**2))


def mmd_qp_weights(X, t, gamma):
    """Control weights on the simplex minimising the MMD to the treated."""
    import cvxpy as cp

    Xc, Xt = X[t == 0], X[t == 1]
    if gamma == "median":
        d = np.sqrt(((X[:, None] - X[None]) ** 2).sum(-1))
        gamma = float(np.median(d[d > 0]))
    K = _gauss(Xc, Xc, gamma) + 1e-8 * np.eye(len(Xc))
    b = _gauss(Xc, Xt, gamma).mean(axis=1)
    w = cp.Variable(len(Xc))
    obj = cp.quad_form(w, cp.psd_wrap(K)) - 2 * b @ w
    cp.Problem(cp.Minimize(obj), [w >= 0, cp.sum(w) == 1]).solve(solver="CLARABEL")
    return np.clip(w.value, 0, None)


def _att(y, t, wc):
    return float(y[t == 1].mean() - np.average(y[t == 0], weights=wc))


def _ks_methods():
    from sklearn.linear_model import LogisticRegression

    from skreweight.neural import NeuralIPMBalancing

    def ipw(X, t, seed):
        e = LogisticRegression(C=1e6, max_iter=1000).fit(X, t).predict_proba(X)[:, 1]
        return (e / (1 - e))[t == 0]

    def neural(X, t, seed):
        ipm = NeuralIPMBalancing("ATT", random_state=seed).fit(X, treatment=t)
        return ipm.weights_[t == 0]

    return {
        "naive": lambda X, t, s: np.ones(int(np.sum(t == 0))),
        "ipw_logistic": ipw,
        "mmd_qp_gamma10": lambda X, t, s: mmd_qp_weights(X, t, 10.0),
        "mmd_qp_median": lambda X, t, s: mmd_qp_weights(X, t, "median"),
        "neural_ipm": neural,
    }


def bench_kang_schafer(sizes, reps, out, first_seed=0):
    methods = _ks_methods()
    X, t, _ = kang_schafer(200, random_state=10_000)
    for fn in methods.values():  # warm-up
        fn(X, t, 0)
    records = []
    for n in sizes:
        for rep in range(first_seed, first_seed + reps):
            X, t, y = kang_schafer(n, random_state=rep)
            for name, fn in methods.items():
                load = _load()
                t0 = time.perf_counter()
                try:
                    wc = fn(X, t, rep)
                    att, status = _att(y, t, wc), "ok"
                except Exception as exc:  # keep failed records
                    att, status = float("nan"), f"error: {exc!r}"
                rec = dict(
                    task="kang_schafer",
                    impl=name,
                    n=n,
                    seed=rep,
                    estimand="ATT",
                    att=round(att, 4),
                    fit_s=round(time.perf_counter() - t0, 3),
                    load1=load,
                    status=status,
                    versions=_versions(),
                )
                out.write(json.dumps(rec) + "\n")
                out.flush()
                records.append(rec)
            print(f"n={n} rep={rep} done", flush=True)
    return records


def summarize(records):
    speed = [r for r in records if r.get("task") == "speed" and r.get("status") == "ok"]
    if speed:
        print("\nspeed (median over seeds; ratio = skreweight / skorch fit time)")
        print(
            f"{'device':6} {'n':>7} {'skorch s':>9} {'skreweight s':>12} "
            f"{'ratio':>6} {'acc skorch':>10} {'acc skrw':>9}"
        )
        keys = sorted({(r["device"], r["n"]) for r in speed})
        for dev, n in keys:

            def med(impl, field, dev=dev, n=n):
                return float(
                    np.median(
                        [
                            r[field]
                            for r in speed
                            if r["impl"] == impl and r["device"] == dev and r["n"] == n
                        ]
                    )
                )

            a, b = med("skorch", "fit_s"), med("skreweight", "fit_s")
            print(
                f"{dev:6} {n:>7} {a:>9.2f} {b:>12.2f} {b / a:>6.2f} "
                f"{med('skorch', 'test_acc'):>10.3f} "
                f"{med('skreweight', 'test_acc'):>9.3f}"
            )
    ks = [r for r in records if r.get("task") == "kang_schafer"]
    if ks:
        print("\nKang-Schafer, misspecified propensity, ATT (truth 0)")
        print(
            f"{'n':>5} {'method':16} {'reps':>4} {'bias':>7} {'RMSE':>7} {'fit s':>7}"
        )
        for n in sorted({r["n"] for r in ks}):
            for impl in dict.fromkeys(r["impl"] for r in ks):
                v = np.array(
                    [
                        r["att"]
                        for r in ks
                        if r["n"] == n and r["impl"] == impl and r["status"] == "ok"
                    ]
                )
                s = np.median(
                    [r["fit_s"] for r in ks if r["n"] == n and r["impl"] == impl]
                )
                print(
                    f"{n:>5} {impl:16} {len(v):>4} {v.mean():>7.2f} "
                    f"{np.sqrt(np.mean(v**2)):>7.2f} {s:>7.2f}"
                )


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--task", choices=["speed", "kang_schafer", "all", "summary"], default="all"
    )
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--ks-sizes", type=int, nargs="+", default=[200])
    p.add_argument("--ks-reps", type=int, default=20)
    p.add_argument("--ks-first-seed", type=int, default=0)
    p.add_argument("--out", default="benchmarks/results_neural.jsonl")
    args = p.parse_args()
    records = []
    if args.task == "summary":
        with open(args.out) as f:
            records = [json.loads(line) for line in f]
    else:
        with open(args.out, "a") as out:
            if args.task in ("speed", "all"):
                records += bench_speed(args.sizes, range(args.seeds), args.epochs, out)
            if args.task in ("kang_schafer", "all"):
                records += bench_kang_schafer(
                    args.ks_sizes, args.ks_reps, out, args.ks_first_seed
                )
    summarize(records)


if __name__ == "__main__":
    main()
