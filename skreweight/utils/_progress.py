"""One progress reporter for every long fit, so the output reads the same.

The ``verbose`` convention (DESIGN.md): at 0 nothing is printed; at 1 a line
every ``every`` steps and at the last one; at 2 and above a line per step.
Lines go to standard output, as scikit-learn's ``verbose`` does::

    [IPMBalancing] iteration 200/1000: gap=3.1e-04 (0.4 s elapsed, ~1.6 s left)
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import time

from joblib import Parallel

__all__ = ["Progress", "progress_parallel", "track"]


def _fmt(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    if hasattr(value, "__len__") and not isinstance(value, str):
        return "[" + ", ".join(_fmt(float(v)) for v in value) + "]"
    return str(value)


class Progress:
    """Report the progress of a long computation, the way ``verbose`` asks.

    Parameters
    ----------
    owner : str or object
        Printed in brackets: a name, or an estimator (its class name).
    verbose : int
        0 prints nothing; 1 prints every ``every`` steps and the last one;
        2 and above print every step.
    total : int, default=None
        Number of steps, when known (then the time left is estimated).
    unit : str, default="iteration"
        What a step is ("iteration", "fold", "bootstrap refit", "round").
    every : int, default=1
        At ``verbose=1``, print one step in ``every``.

    Examples
    --------
    >>> from skreweight.utils._progress import Progress
    >>> progress = Progress("KLIEP", verbose=1, total=3, unit="round")
    >>> for step in range(1, 4):
    ...     progress(step, objective=1.0 / step)  # doctest: +ELLIPSIS
    [KLIEP] round 1/3: objective=1 (... s elapsed, ~... s left)
    [KLIEP] round 2/3: objective=0.5 (... s elapsed, ~... s left)
    [KLIEP] round 3/3: objective=0.3333 (... s elapsed)
    """

    def __init__(self, owner, verbose, *, total=None, unit="iteration", every=1):
        self.owner = owner if isinstance(owner, str) else type(owner).__name__
        self.verbose = int(verbose or 0)
        self.total = total
        self.unit = unit
        self.every = max(1, int(every))
        self._start = time.perf_counter()

    def due(self, step):
        """Whether ``step`` would be printed."""
        if self.verbose <= 0:
            return False
        if self.verbose >= 2 or step == self.total:
            return True
        return step % self.every == 0

    def __call__(self, step, *, force=False, **metrics):
        """Print a line for ``step`` if it is due (or ``force``)."""
        if self.verbose <= 0 or not (force or self.due(step)):
            return
        elapsed = time.perf_counter() - self._start
        of = f"/{self.total}" if self.total else ""
        parts = ", ".join(f"{k}={_fmt(v)}" for k, v in metrics.items())
        timing = f"{elapsed:.1f} s elapsed"
        if self.total and 0 < step < self.total:
            timing += f", ~{elapsed / step * (self.total - step):.1f} s left"
        head = f"[{self.owner}] {self.unit} {step}{of}"
        print(
            f"{head}: {parts} ({timing})" if parts else f"{head} ({timing})", flush=True
        )

    def message(self, text):
        """Print ``[owner] text`` when verbose."""
        if self.verbose > 0:
            print(f"[{self.owner}] {text}", flush=True)


def track(iterable, owner, verbose, *, total=None, unit="step", every=1):
    """Consume ``iterable`` (e.g. a joblib generator), reporting each item.

    Returns the list of items. With ``Parallel(return_as="generator")`` the
    items arrive in order as the workers finish them, so the report shows
    real progress on any joblib backend (loky, dask, Ray).

    Parameters
    ----------
    iterable : iterable
        The work.
    owner, verbose, total, unit, every
        As :class:`Progress`.

    Returns
    -------
    items : list
    """
    progress = Progress(owner, verbose, total=total, unit=unit, every=every)
    items = []
    for item in iterable:
        items.append(item)
        progress(len(items))
    return items


def progress_parallel(n_jobs):
    """A joblib ``Parallel`` that yields results as they finish, if it can.

    ``return_as="generator"`` lets :func:`track` report each task as it
    completes; backends that only return lists (Ray's) get a plain
    ``Parallel``, and the report then comes when all tasks are done.

    Parameters
    ----------
    n_jobs : int or None
        joblib's ``n_jobs``.

    Returns
    -------
    parallel : joblib.Parallel
    """
    try:
        return Parallel(n_jobs=n_jobs, return_as="generator")
    except ValueError:  # the active backend cannot return a generator
        return Parallel(n_jobs=n_jobs)
