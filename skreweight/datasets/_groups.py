"""A synthetic classification task with a spurious, group-defining attribute."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils import Bunch, check_random_state

__all__ = ["make_spurious_groups"]


def make_spurious_groups(
    n_samples=1000,
    n_features=5,
    *,
    minority_fraction=0.1,
    core_strength=1.0,
    spurious_strength=2.0,
    random_state=None,
):
    """Binary classification with a spurious attribute that defines four groups.

    Each row has a label ``y`` in {0, 1} and a spurious attribute ``a`` in
    {0, 1} that agrees with the label on the *majority* groups (a fraction
    ``1 - minority_fraction`` of the rows) and disagrees on the *minority*
    groups. The groups are the four ``(y, a)`` cells, coded
    ``group = 2 * y + a``: groups 0 and 3 are the majority, 1 and 2 the
    minority. The features are

    - column 0, the **core** feature: ``N(core_strength * (2y - 1), 1)``;
      it predicts ``y`` equally well in every group;
    - column 1, the **spurious** feature: ``N(spurious_strength * (2a - 1), 1)``;
      it predicts ``y`` better than the core feature on the majority, and is
      wrong on the minority;
    - the remaining ``n_features - 2`` columns: ``N(0, 1)`` noise.

    Empirical risk minimisation leans on the spurious feature and fails on the
    minority groups; the best *worst-group* linear rule uses the core feature
    only, with worst-group accuracy ``Phi(core_strength)`` (about 0.84 at
    the default). This is the synthetic setting of Sagawa et al. (2020).

    Parameters
    ----------
    n_samples : int, default=1000
        Number of rows.
    n_features : int, default=5
        Number of columns (>= 2).
    minority_fraction : float in (0, 0.5], default=0.1
        Fraction of rows in the minority groups (where ``a != y``); 0.5
        removes the spurious correlation.
    core_strength : float, default=1.0
        Class separation of the core feature (mean ``+-core_strength``).
    spurious_strength : float, default=2.0
        Separation of the spurious feature (mean ``+-spurious_strength``).
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``X`` (n_samples, n_features), ``y`` (n_samples,), ``group``
        (n_samples,) with values 0..3, ``spurious`` (the attribute ``a``)
        and ``minority`` (boolean mask of the minority rows).

    References
    ----------
    .. [1] S. Sagawa, A. Raghunathan, P. W. Koh and P. Liang, "An
       Investigation of Why Overparameterization Exacerbates Spurious
       Correlations", ICML 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.datasets import make_spurious_groups
    >>> d = make_spurious_groups(n_samples=1000, random_state=0)
    >>> d.X.shape, np.bincount(d.group).tolist()
    ((1000, 5), [450, 50, 50, 450])
    """
    if n_features < 2:
        raise ValueError(
            f"n_features must be >= 2 (one core and one spurious column); got "
            f"{n_features}."
        )
    if not 0 < minority_fraction <= 0.5:
        raise ValueError(
            f"minority_fraction must be in (0, 0.5]; got {minority_fraction}."
        )
    rng = check_random_state(random_state)
    y = np.tile([0, 1], n_samples // 2 + 1)[:n_samples]
    n_minority = int(round(minority_fraction * n_samples))
    minority = np.zeros(n_samples, dtype=bool)
    # balance the minority over the two classes
    for c in (0, 1):
        idx = np.flatnonzero(y == c)
        minority[idx[: n_minority // 2 + (c == 0) * (n_minority % 2)]] = True
    perm = rng.permutation(n_samples)
    y, minority = y[perm], minority[perm]
    a = np.where(minority, 1 - y, y)
    X = rng.normal(size=(n_samples, n_features))
    X[:, 0] += core_strength * (2 * y - 1)
    X[:, 1] += spurious_strength * (2 * a - 1)
    return Bunch(X=X, y=y, group=2 * y + a, spurious=a, minority=minority)
