"""Device benchmark of the kernel weighters (issue 16): NumPy on the CPU
against torch on a device, through scikit-learn's Array API dispatch.

Procedure
---------
Data: ``make_covariate_shift(n, n, 10, random_state=0)`` (``n`` source and
``n`` target rows, 10 covariates), default parameters, ``random_state=0``.
For each method and ``n``: one NumPy fit on the CPU (skipped above
``--cpu-max-n``) and one fit with torch tensors on ``--device`` under
``sklearn.config_context(array_api_dispatch=True)``, in ``--dtype``; each
after an untimed warm-up fit at 500 rows. Reported: wall time of each fit
(``time.perf_counter``, the device synchronised before the clock stops),
their ratio, the peak device memory of the device fit
(``torch.cuda.max_memory_allocated``; "-" on the CPU) and the largest
difference between the two weight vectors. Then ``tests/neural/test_cuda.py``
runs on the device, and the table and the test summary are appended to
``benchmarks/RESULTS.md`` in the issue-16 section.

Without a CUDA device the script says so and exits 0. ``--quick`` runs a tiny
size with torch on the CPU as the "device" and writes nothing (a smoke test of
the script itself). ``--device cpu`` times torch on the CPU against NumPy in
CPU time (``time.process_time``, one thread each) and writes nothing;
``--numpy-only`` times the NumPy fits alone, so that the code of another
checkout (``PYTHONPATH=/tmp/before``) is timed the same way.

Usage::

    python benchmarks/bench_device.py                  # on a CUDA machine
    python benchmarks/bench_device.py --quick          # anywhere
"""

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
import warnings

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np  # noqa: E402
import sklearn  # noqa: E402

from skreweight.datasets import make_covariate_shift  # noqa: E402
from skreweight.weighting import (  # noqa: E402
    KLIEP,
    ULSIF,
    DoubleWeighting,
    KernelMeanMatching,
    RuLSIF,
)

METHODS = {
    "KMM": KernelMeanMatching,
    "ULSIF": ULSIF,
    "RuLSIF": RuLSIF,
    "KLIEP": KLIEP,
    "DoubleWeighting": DoubleWeighting,
}
HERE = os.path.dirname(os.path.abspath(__file__))
SECTION = "## Kernel weighters on a GPU (issue 16)"


def _fit(cls, X, Xt, sync, clock):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = clock()
        w = cls(random_state=0).fit(X, X_target=Xt).weights_
        sync()
        return clock() - start, w


def cell(torch, name, n, device, dtype, cpu_max_n, numpy_only=False):
    """One (method, n) row: NumPy CPU and torch-device times and memory."""
    d = make_covariate_shift(n, n, 10, random_state=0)
    cuda = device.startswith("cuda")
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    cls = METHODS[name]
    clock = time.perf_counter if cuda else time.process_time
    t_np, w_np = (None, None)
    if n <= cpu_max_n:
        t_np, w_np = _fit(cls, d.X_source, d.X_target, lambda: None, clock)
    if numpy_only:
        return dict(method=name, n=n, t_np=t_np, checksum=float(np.sum(w_np**2)))
    dt = getattr(torch, dtype)
    X = torch.asarray(d.X_source, dtype=dt, device=device)
    Xt = torch.asarray(d.X_target, dtype=dt, device=device)
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    with sklearn.config_context(array_api_dispatch=True):
        t_dev, w_dev = _fit(cls, X, Xt, sync, clock)
    mem = torch.cuda.max_memory_allocated() / 2**20 if cuda else None
    diff = None if w_np is None else float(np.max(np.abs(w_dev.cpu().numpy() - w_np)))
    return dict(method=name, n=n, t_np=t_np, t_dev=t_dev, mem=mem, diff=diff)


def _fmt(v, spec):
    return "not timed" if v is None else format(v, spec)


def table(rows, device, dtype):
    head = (
        f"| method | n per side | NumPy CPU (s) | torch {device} {dtype} (s) "
        "| speed-up | peak device MiB | max abs weight diff |\n"
        "|---|---:|---:|---:|---:|---:|---:|"
    )
    lines = [head]
    for r in rows:
        ratio = None if r["t_np"] is None else r["t_np"] / r["t_dev"]
        lines.append(
            f"| {r['method']} | {r['n']:,} | {_fmt(r['t_np'], '.2f')} | "
            f"{r['t_dev']:.2f} | {_fmt(ratio, '.1f')} | "
            f"{'-' if r['mem'] is None else format(r['mem'], '.0f')} | "
            f"{_fmt(r['diff'], '.1e')} |"
        )
    return "\n".join(lines)


def cuda_tests():
    """Run tests/neural/test_cuda.py; return its summary line."""
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        + [os.path.join(HERE, "..", "tests", "neural", "test_cuda.py")],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return out.splitlines()[-1] if out else "no output"


def write(text, path):
    """Append ``text`` to the issue-16 section of RESULTS.md."""
    with open(path, encoding="utf-8") as f:
        doc = f.read()
    start = doc.index(SECTION)
    nxt = doc.find("\n## ", start + len(SECTION))
    end = len(doc) if nxt < 0 else nxt
    doc = doc[:end].rstrip("\n") + "\n\n" + text + "\n" + doc[end:]
    with open(path, "w", encoding="utf-8") as f:
        f.write(doc)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[10_000, 50_000, 200_000])
    ap.add_argument("--methods", nargs="+", default=list(METHODS))
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--cpu-max-n", type=int, default=200_000)
    ap.add_argument("--quick", action="store_true", help="torch CPU, n=400")
    ap.add_argument("--numpy-only", action="store_true")
    ap.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"))
    args = ap.parse_args(argv)
    if args.numpy_only:
        for name in args.methods:  # warm-up
            cell(None, name, 500, "cpu", None, 500, numpy_only=True)
        for n in args.n:
            for name in args.methods:
                print(cell(None, name, n, "cpu", None, n, numpy_only=True))
        return 0
    import torch

    torch.set_num_threads(1)
    if args.quick:
        args.device, args.n = "cpu", [400]
    elif args.device.startswith("cuda") and not torch.cuda.is_available():
        print("no CUDA device: nothing measured, RESULTS.md left unchanged.")
        return 0
    for name in args.methods:  # warm-up: imports, kernels, allocator
        cell(torch, name, 500, args.device, args.dtype, 500)
    rows = []
    for n in args.n:
        for name in args.methods:
            rows.append(cell(torch, name, n, args.device, args.dtype, args.cpu_max_n))
            print(table(rows[-1:], args.device, args.dtype).splitlines()[-1])
    text = table(rows, args.device, args.dtype)
    if args.quick or args.device == "cpu":
        print(text)
        return 0
    gpu = torch.cuda.get_device_name(0)
    versions = (
        f"torch {torch.__version__}, numpy {np.__version__}, scikit-learn "
        f"{sklearn.__version__}, Python {platform.python_version()}"
    )
    stamp = datetime.date.today().isoformat()
    tests = cuda_tests()
    text = (
        f"### Measured by `bench_device.py` on {gpu} ({stamp})\n\n{versions}; "
        f"CPU: {os.cpu_count()} cores, 1 BLAS thread, load average "
        f"{os.getloadavg()[0]:.1f}.\n\n{text}\n\n"
        f"`tests/neural/test_cuda.py` on this device: {tests}"
    )
    print(text)
    write(text, args.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
