"""Simulators of heterogeneous treatment effects with a known CATE.

Setups A-D are those of Nie & Wager (2021, ``run_simu.R``); setups E and F are
the one-dimensional designs that Fisher (2024) adds in ``wpor::sim_data``.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils import Bunch, check_random_state

__all__ = ["CATE_SETUPS", "make_heterogeneous_effects"]

#: Names of the simulation setups of :func:`make_heterogeneous_effects`.
CATE_SETUPS = ("A", "B", "C", "D", "E", "F")


def _softplus(z):
    return np.logaddexp(0.0, z)


def _setup_a(rng, n, d):
    X = rng.uniform(0.0, 1.0, size=(n, d))
    s = np.sin(np.pi * X[:, 0] * X[:, 1])
    b = s + 2 * (X[:, 2] - 0.5) ** 2 + X[:, 3] + 0.5 * X[:, 4]
    e = np.clip(s, 0.1, 0.9)
    tau = (X[:, 0] + X[:, 1]) / 2
    return X, b, e, tau


def _setup_b(rng, n, d):
    X = rng.normal(size=(n, d))
    b = np.maximum.reduce([np.zeros(n), X[:, 0] + X[:, 1], X[:, 2]]) + np.maximum(
        0.0, X[:, 3] + X[:, 4]
    )
    e = np.full(n, 0.5)
    tau = X[:, 0] + _softplus(X[:, 1])
    return X, b, e, tau


def _setup_c(rng, n, d):
    X = rng.normal(size=(n, d))
    b = 2 * _softplus(X[:, 0] + X[:, 1] + X[:, 2])
    e = 1 / (1 + np.exp(X[:, 1] + X[:, 2]))
    tau = np.ones(n)
    return X, b, e, tau


def _setup_d(rng, n, d):
    X = rng.normal(size=(n, d))
    p1 = np.maximum(X[:, 0] + X[:, 1] + X[:, 2], 0.0)
    p2 = np.maximum(X[:, 3] + X[:, 4], 0.0)
    b = (p1 + p2) / 2
    e = 1 / (1 + np.exp(-X[:, 0]) + np.exp(-X[:, 1]))
    tau = p1 - p2
    return X, b, e, tau


def _setup_e(rng, n, d):
    X = rng.uniform(-1.0, 1.0, size=(n, 1))
    x = X[:, 0]
    e = 0.1 + 0.8 * (x > 0)
    b = (
        (x <= -0.5) * 0.5 * (x + 2) ** 2
        + (x / 2 + 0.875) * ((x > -0.5) & (x < 0))
        + ((x > 0) & (x < 0.5)) * (-5 * (x - 0.2) ** 2 + 1.075)
        + (x > 0.5) * (x + 0.125)
    )
    tau = np.zeros(n)
    return X, b, e, tau


def _setup_f(rng, n, d):
    X = rng.uniform(0.05, 0.95, size=(n, 1))
    e = X[:, 0].copy()
    b = np.ones(n)
    tau = np.ones(n)
    return X, b, e, tau


_SETUPS = {
    "A": _setup_a,
    "B": _setup_b,
    "C": _setup_c,
    "D": _setup_d,
    "E": _setup_e,
    "F": _setup_f,
}


def make_heterogeneous_effects(
    setup="A", n_samples=500, n_features=6, *, noise=1.0, random_state=None
):
    """Draw data with a known conditional average treatment effect (CATE).

    Every setup draws covariates ``X``, a propensity ``e(X)``, a baseline
    ``b(X)`` and an effect ``tau(X)``, then ``W ~ Bernoulli(e(X))`` and

    ``y = b(X) + (W - 0.5) tau(X) + noise * eps``, with ``eps ~ N(0, 1)``.

    Setups "A" to "D" are exactly those of Nie & Wager (2021):

    - "A": ``X ~ U[0, 1]^d``, ``b = sin(pi X1 X2) + 2 (X3 - 0.5)^2 + X4 +
      0.5 X5``, ``e = clip(sin(pi X1 X2), 0.1, 0.9)``, ``tau = (X1 + X2) / 2``
      (hard nuisances, simple effect).
    - "B": ``X ~ N(0, I_d)``, ``b = max(0, X1 + X2, X3) + max(0, X4 + X5)``,
      ``e = 0.5`` (a randomised trial), ``tau = X1 + log(1 + exp(X2))``.
    - "C": ``X ~ N(0, I_d)``, ``b = 2 log(1 + exp(X1 + X2 + X3))``,
      ``e = 1 / (1 + exp(X2 + X3))``, ``tau = 1`` (strong confounding,
      constant effect).
    - "D": ``X ~ N(0, I_d)``, ``b = (max(X1 + X2 + X3, 0) + max(X4 + X5,
      0)) / 2``, ``e = 1 / (1 + exp(-X1) + exp(-X2))``, ``tau = max(X1 + X2 +
      X3, 0) - max(X4 + X5, 0)``.

    Setups "E" and "F" are the one-dimensional designs of Fisher's ``wpor``
    package (``n_features`` is ignored, ``X`` has one column):

    - "E" (Kennedy): ``X ~ U(-1, 1)``, ``e = 0.1 + 0.8 1{X > 0}``, a
      piecewise-quadratic baseline, ``tau = 0``.
    - "F": ``X ~ U(0.05, 0.95)``, ``e = X``, ``b = 1``, ``tau = 1``.

    Parameters
    ----------
    setup : {"A", "B", "C", "D", "E", "F"}, default="A"
        Which data-generating process to draw from.
    n_samples : int, default=500
        Number of rows.
    n_features : int, default=6
        Number of covariates for setups "A" to "D" (at least 5).
    noise : float, default=1.0
        Standard deviation ``sigma`` of the outcome noise.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``X`` (n_samples, n_features), ``y`` (n_samples,), ``treatment``
        (0/1 floats), ``tau`` (the true CATE at each row), ``propensity``
        (the true ``e(X)``) and ``baseline`` (the true ``b(X)``).

    References
    ----------
    .. [1] X. Nie and S. Wager, "Quasi-oracle estimation of heterogeneous
       treatment effects", Biometrika 108(2), 2021.
    .. [2] A. Fisher, "The connection between R-learning and inverse-variance
       weighting for estimation of heterogeneous treatment effects",
       arXiv:2307.09700, 2024.

    Examples
    --------
    >>> from skreweight.datasets import make_heterogeneous_effects
    >>> d = make_heterogeneous_effects("A", n_samples=200, random_state=0)
    >>> d.X.shape, d.treatment.shape, bool(d.tau.min() >= 0)
    ((200, 6), (200,), True)
    """
    if setup not in _SETUPS:
        raise ValueError(f"setup must be one of {CATE_SETUPS}, got {setup!r}.")
    if setup in "ABCD" and n_features < 5:
        raise ValueError(
            f"Setup {setup!r} uses the first 5 covariates: n_features must be >= 5, "
            f"got {n_features}."
        )
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}.")
    rng = check_random_state(random_state)
    X, b, e, tau = _SETUPS[setup](rng, int(n_samples), int(n_features))
    treatment = rng.binomial(1, e).astype(np.float64)
    y = b + (treatment - 0.5) * tau + noise * rng.normal(size=X.shape[0])
    return Bunch(X=X, y=y, treatment=treatment, tau=tau, propensity=e, baseline=b)
