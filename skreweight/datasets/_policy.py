"""Logged bandit feedback and missing-not-at-random ratings with known truth."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from functools import lru_cache
from importlib import resources
from numbers import Integral, Real

import numpy as np
from scipy.special import expit, softmax
from sklearn.utils import Bunch, check_random_state

from ..utils._sklearn_compat import Interval, StrOptions, validate_params

__all__ = ["load_open_bandit", "make_bandit_feedback", "make_mnar_ratings"]

_ENV_SEED = 20240430


def _environment(n_actions, n_features):
    rng = np.random.RandomState(_ENV_SEED + 1000 * n_actions + n_features)
    theta = rng.normal(scale=1.0 / np.sqrt(n_features), size=(n_features, n_actions))
    bias = rng.normal(scale=0.5, size=n_actions)
    phi = rng.normal(scale=0.5 / np.sqrt(n_features), size=(n_features, n_actions))
    return theta, bias, phi


def _policies(X, n_actions, logging_temperature, epsilon):
    theta, bias, phi = _environment(n_actions, X.shape[1])
    q = expit(X @ theta + bias)
    logging = softmax((X @ phi) / logging_temperature, axis=1)
    best = np.argmax(q, axis=1)
    target = np.full_like(q, epsilon / n_actions)
    target[np.arange(X.shape[0]), best] += 1.0 - epsilon
    return q, logging, target


@lru_cache(maxsize=32)
def _population_value(n_actions, n_features, logging_temperature, epsilon):
    rng = np.random.RandomState(_ENV_SEED)
    total, draws = 0.0, 5
    for _ in range(draws):
        X = rng.normal(size=(100_000, n_features))
        q, _, target = _policies(X, n_actions, logging_temperature, epsilon)
        total += float(np.mean(np.sum(q * target, axis=1)))
    return total / draws


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_actions": [Interval(Integral, 2, None, closed="left")],
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "logging_temperature": [Interval(Real, 0, None, closed="neither")],
        "epsilon": [Interval(Real, 0, 1, closed="both")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_bandit_feedback(
    n_samples=1000,
    *,
    n_actions=5,
    n_features=5,
    logging_temperature=1.0,
    epsilon=0.3,
    random_state=None,
):
    """Logged bandit feedback with a known evaluation-policy value.

    Contexts are standard normal; the reward of action ``a`` is Bernoulli
    with mean ``q(x, a) = sigmoid(x . theta_a + b_a)``. The logging policy is
    the softmax of ``x . phi_a / logging_temperature`` (a multinomial logit,
    so a logistic regression is a correct propensity model); the evaluation
    policy is epsilon-greedy with respect to the true ``q``. The environment
    (``theta``, ``b``, ``phi``) is fixed for given ``n_actions`` and
    ``n_features``; ``random_state`` draws only the sample, so the
    evaluation policy's value ``target_value`` is the same for every sample
    (it is computed once, from 500,000 fresh contexts: with the defaults the
    policy's expected reward has standard deviation 0.11 over contexts, so
    the Monte Carlo standard error of ``target_value`` is about 1.5e-4).

    Read more in the :ref:`User Guide <policy>`.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of logged rows.
    n_actions : int, default=5
        Number of actions.
    n_features : int, default=5
        Number of context features.
    logging_temperature : float, default=1.0
        Temperature of the logging softmax (small: nearly deterministic
        logging, small propensities).
    epsilon : float, default=0.3
        Exploration share of the evaluation policy.
    random_state : int, RandomState instance or None, default=None
        Seeds the sample.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With ``X``, ``action``, ``reward``, ``logging_proba`` (propensity of
        the logged action), ``logging_policy`` and ``target_proba`` (shape
        ``(n_samples, n_actions)``), ``expected_reward`` (``q`` at every
        row and action) and ``target_value``.

    Examples
    --------
    >>> from skreweight.datasets import make_bandit_feedback
    >>> d = make_bandit_feedback(500, random_state=0)
    >>> d.X.shape, d.target_proba.shape
    ((500, 5), (500, 5))
    >>> round(d.target_value, 2)
    0.6...
    """
    rng = check_random_state(random_state)
    X = rng.normal(size=(n_samples, n_features))
    q, logging, target = _policies(X, n_actions, logging_temperature, epsilon)
    u = rng.uniform(size=(n_samples, 1))
    action = np.minimum((u > np.cumsum(logging, axis=1)).sum(axis=1), n_actions - 1)
    rows = np.arange(n_samples)
    reward = (rng.uniform(size=n_samples) < q[rows, action]).astype(np.float64)
    return Bunch(
        X=X,
        action=action,
        reward=reward,
        logging_proba=logging[rows, action],
        logging_policy=logging,
        target_proba=target,
        expected_reward=q,
        target_value=_population_value(
            n_actions, n_features, float(logging_temperature), float(epsilon)
        ),
    )


@validate_params(
    {
        "n_users": [Interval(Integral, 2, None, closed="left")],
        "n_items": [Interval(Integral, 2, None, closed="left")],
        "n_factors": [Interval(Integral, 1, None, closed="left")],
        "observation_rate": [Interval(Real, 0, 1, closed="neither")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_mnar_ratings(
    n_users=100,
    n_items=50,
    *,
    n_factors=3,
    observation_rate=0.1,
    noise=0.5,
    random_state=None,
):
    """User-item ratings observed missing not at random, with the full truth.

    Users and items have latent factors ``u, v ~ N(0, I)``; the pair's
    features are ``x = [u, v, u * v]`` (so that a linear model can represent
    the preference ``z = sum(u * v) / sqrt(k)``). The rating of every pair
    is ``3 + 1.5 tanh(z) + noise``. Users rate what they love or hate: the
    pair is observed with probability ``sigmoid(c + 1.2 z + 0.8 z^2)``,
    with ``c`` set so that about ``observation_rate`` of the pairs are
    observed (the U-shaped selection of Marlin and Zemel 2009). A logistic
    model linear in ``x`` is thus misspecified for the propensity, which is
    the setting where balancing propensities help. All ratings are returned:
    the full-information truth against which debiased estimates are judged.

    Read more in the :ref:`User Guide <policy>`.

    Parameters
    ----------
    n_users, n_items : int, default=100, 50
        Number of users and items (``n_users * n_items`` pairs).
    n_factors : int, default=3
        Dimension ``k`` of the latent factors.
    observation_rate : float, default=0.1
        Approximate share of observed pairs.
    noise : float, default=0.5
        Standard deviation of the rating noise.
    random_state : int, RandomState instance or None, default=None
        Seeds the factors, the ratings and the observation.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With ``X`` (features of all pairs), ``y`` (the rating of every
        pair), ``expected_rating``, ``observed`` (bool mask), ``propensity``
        (true observation probability), ``user`` and ``item`` (indices).

    Examples
    --------
    >>> from skreweight.datasets import make_mnar_ratings
    >>> d = make_mnar_ratings(50, 40, random_state=0)
    >>> d.X.shape
    (2000, 9)
    >>> bool(d.y[d.observed].mean() != d.y.mean())  # the observed are biased
    True
    """
    rng = check_random_state(random_state)
    U = rng.normal(size=(n_users, n_factors))
    V = rng.normal(size=(n_items, n_factors))
    user, item = np.divmod(np.arange(n_users * n_items), n_items)
    uv = U[user] * V[item]
    X = np.hstack([U[user], V[item], uv])
    z = uv.sum(axis=1) / np.sqrt(n_factors)
    expected = 3.0 + 1.5 * np.tanh(z)
    y = expected + noise * rng.normal(size=z.shape[0])
    score = 1.2 * z + 0.8 * z**2
    lo, hi = -20.0, 20.0
    for _ in range(60):  # bisection on the intercept
        c = 0.5 * (lo + hi)
        if expit(c + score).mean() > observation_rate:
            hi = c
        else:
            lo = c
    propensity = expit(c + score)
    observed = rng.uniform(size=z.shape[0]) < propensity
    return Bunch(
        X=X,
        y=y,
        expected_rating=expected,
        observed=observed,
        propensity=propensity,
        user=user,
        item=item,
    )


# the two logs, and the Bernoulli Thompson sampling policy's action
# distribution per item and position
_OBD_FILE = "open_bandit_men.csv.gz"
_OBD_BTS_FILE = "open_bandit_men_bts_policy.csv.gz"


@validate_params(
    {"policy": [StrOptions({"random", "bts"})], "as_frame": ["boolean"]},
    prefer_skip_nested_validation=True,
)
def load_open_bandit(policy="random", *, as_frame=False):
    """Load a slice of the Open Bandit Dataset (ZOZOTOWN, "men" campaign).

    The Open Bandit Dataset (Saito et al. 2021) logs a fashion e-commerce
    recommender that ran two policies side by side on the same traffic: a
    uniform random policy and Bernoulli Thompson sampling (BTS). This is
    the 10,000-row sample of each log that Open Bandit Pipeline ships, for
    the "men" campaign (34 items, 3 positions), with the user features
    recoded as integers (sources and licence, CC BY 4.0, in
    ``data/PROVENANCE_policy.md``). Each row is an impression: the item
    shown (``action``), its ``position``, the ``reward`` (click) and the
    logging propensity ``logging_proba`` of the item at that position.

    The BTS policy's on-policy value (its mean click rate in its own log) is
    the truth against which an off-policy estimate of BTS from the random
    log can be checked. ``target_proba`` holds BTS's action probabilities
    on each row (at the row's position), computed from the posterior that
    Open Bandit Pipeline ships for the campaign.

    Read more in the :ref:`User Guide <policy>`.

    Parameters
    ----------
    policy : {"random", "bts"}, default="random"
        Which log.
    as_frame : bool, default=False
        Return the features as a pandas DataFrame (and the whole log as
        ``frame``).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With ``data`` (the user features ``user_feature_0..3``, integer
        codes, and ``position``), ``action``, ``position``, ``reward``,
        ``logging_proba``, ``target_proba`` (BTS's probabilities, shape
        ``(n_samples, 34)``), ``bts_action_dist`` (shape ``(34, 3)``),
        ``bts_value`` (BTS's on-policy click rate), ``feature_names``,
        ``frame`` and ``DESCR``.

    References
    ----------
    .. [1] Y. Saito, S. Aihara, M. Matsutani and Y. Narita, "Open Bandit
       Dataset and Pipeline: Towards Realistic and Reproducible Off-Policy
       Evaluation", NeurIPS Datasets and Benchmarks 2021.

    Examples
    --------
    >>> from skreweight.datasets import load_open_bandit
    >>> d = load_open_bandit("random")
    >>> d.data.shape, d.target_proba.shape
    ((10000, 5), (10000, 34))
    >>> float(d.logging_proba.max()) == 1 / 34
    True
    """
    import pandas as pd

    base = resources.files("skreweight.datasets") / "data"
    with resources.as_file(base / _OBD_FILE) as p:
        frame = pd.read_csv(p, compression="gzip")
    with resources.as_file(base / _OBD_BTS_FILE) as p:
        dist = pd.read_csv(p, compression="gzip").to_numpy(dtype=np.float64)
    bts_value = float(frame.loc[frame["policy"] == "bts", "reward"].mean())
    frame = frame[frame["policy"] == policy].drop(columns="policy")
    frame = frame.reset_index(drop=True)
    features = [f"user_feature_{j}" for j in range(4)] + ["position"]
    X = frame[features]
    position = frame["position"].to_numpy()
    target = dist[:, position].T.copy()
    out = Bunch(
        data=X if as_frame else X.to_numpy(dtype=np.float64),
        action=frame["action"].to_numpy(),
        position=position,
        reward=frame["reward"].to_numpy(dtype=np.float64),
        logging_proba=frame["logging_proba"].to_numpy(dtype=np.float64),
        target_proba=target,
        bts_action_dist=dist,
        bts_value=bts_value,
        feature_names=features,
        frame=frame if as_frame else None,
        DESCR=(
            f"Open Bandit Dataset, men campaign, {policy} policy log "
            f"({frame.shape[0]} rows). See data/PROVENANCE_policy.md."
        ),
    )
    return out
