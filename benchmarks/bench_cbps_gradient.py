"""CBPS over-identified fit time: analytic vs finite-difference GMM gradient.

Procedure: Lalonde NSW treated + CPS-1 controls (16,177 rows, the 8
covariates of ``load_lalonde("cps1")``), ``CBPS(method="over")`` for the ATT
and the ATE. "numerical" is the same criterion minimised by the same BFGS
with scipy's finite-difference gradient (what CBPS did before it had the
analytic gradient); "analytic" is the shipped solver. One untimed warm-up
call per implementation, then ``--repeats`` timed fits (median reported),
single-threaded BLAS, the 1-minute load average next to each record. Quality
next to speed: Hansen's J statistic (smaller is a better optimum).

Run: ``python benchmarks/bench_cbps_gradient.py [--repeats 3]``; one JSON line
per record on stdout, then a table.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import sklearn  # noqa: E402
from scipy import linalg, optimize  # noqa: E402

import skreweight  # noqa: E402
from skreweight.datasets import load_lalonde  # noqa: E402
from skreweight.weighting import CBPS  # noqa: E402


class NumericalGradientCBPS(CBPS):
    """The same GMM criterion, minimised with a finite-difference gradient."""

    def _solve_gmm(self, start, Z, t, sw):
        def crit(beta):  # CBPS's criterion before the analytic gradient
            g, S = self._moments(beta, Z, t, sw)
            try:
                return float(g @ linalg.solve(S, g, assume_a="pos"))
            except (linalg.LinAlgError, ValueError):
                return float(g @ np.linalg.pinv(S) @ g)

        sol = optimize.minimize(
            crit,
            start,
            method="BFGS",
            options={"maxiter": self.max_iter, "gtol": self.tol},
        )
        beta = sol.x if np.isfinite(sol.fun) else start
        self.j_statistic_ = float(sw.sum() * crit(beta))
        return beta, bool(sol.success or np.max(np.abs(sol.jac)) < 1e-4)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    data = load_lalonde("cps1")
    X, t = np.asarray(data.data, dtype=float), np.asarray(data.treatment)
    versions = {
        "skreweight": skreweight.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "sklearn": sklearn.__version__,
    }
    rows = {}
    for estimand in ("ATT", "ATE"):
        for name, cls in (("numerical", NumericalGradientCBPS), ("analytic", CBPS)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # positivity / ESS warnings
                cls(estimand=estimand, method="over").fit(X, treatment=t)  # warm-up
                for rep in range(args.repeats):
                    est = cls(estimand=estimand, method="over")
                    start = time.perf_counter()
                    est.fit(X, treatment=t)
                    seconds = time.perf_counter() - start
                    record = {
                        "task": "cbps_over_fit",
                        "dataset": "lalonde_cps1",
                        "estimand": estimand,
                        "gradient": name,
                        "repeat": rep,
                        "seconds": seconds,
                        "j_statistic": est.j_statistic_,
                        "converged": bool(est.converged_),
                        "load1": os.getloadavg()[0],
                        "n_samples": X.shape[0],
                        "versions": versions,
                    }
                    print(json.dumps(record), flush=True)
                    rows.setdefault((estimand, name), []).append(record)
    print(
        "\n| estimand | numerical (s) | analytic (s) | speed-up "
        "| J numerical | J analytic |"
    )
    print("|---|---|---|---|---|---|")
    for estimand in ("ATT", "ATE"):
        num, ana = rows[(estimand, "numerical")], rows[(estimand, "analytic")]
        tn = np.median([r["seconds"] for r in num])
        ta = np.median([r["seconds"] for r in ana])
        print(
            f"| {estimand} | {tn:.2f} | {ta:.2f} | {tn / ta:.1f}x "
            f"| {num[0]['j_statistic']:.4f} | {ana[0]['j_statistic']:.4f} |"
        )


if __name__ == "__main__":
    main()
