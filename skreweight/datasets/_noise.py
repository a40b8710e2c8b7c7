"""Class-conditional label noise with a known transition matrix."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

__all__ = ["add_label_noise", "noise_transition_matrix"]


def noise_transition_matrix(n_classes, noise="symmetric", rate=0.2):
    """Transition matrix ``T[i, j] = P(noisy label j | clean label i)``.

    Parameters
    ----------
    n_classes : int
        Number of classes, at least 2.
    noise : {"symmetric", "pair"}, default="symmetric"
        ``"symmetric"``: a label is flipped with probability ``rate`` to one of
        the other classes, chosen uniformly (``T = (1 - rate) I + rate / (K - 1)
        (J - I)``). ``"pair"``: a label of class ``i`` is flipped with
        probability ``rate`` to class ``(i + 1) mod K``. With two classes both
        give the same matrix.
    rate : float in [0, 1], default=0.2
        Probability that a label is flipped, the same for every class.

    Returns
    -------
    T : ndarray of shape (n_classes, n_classes)
        Row-stochastic transition matrix.

    Examples
    --------
    >>> from skreweight.datasets import noise_transition_matrix
    >>> noise_transition_matrix(3, "pair", 0.2)
    array([[0.8, 0.2, 0. ],
           [0. , 0.8, 0.2],
           [0.2, 0. , 0.8]])
    """
    if not isinstance(n_classes, (int, np.integer)) or n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}.")
    if not isinstance(rate, Real) or not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate must be a probability in [0, 1], got {rate!r}.")
    K = int(n_classes)
    if noise == "symmetric":
        T = np.full((K, K), rate / (K - 1))
        np.fill_diagonal(T, 1.0 - rate)
    elif noise == "pair":
        T = (1.0 - rate) * np.eye(K) + rate * np.roll(np.eye(K), 1, axis=1)
    else:
        raise ValueError(
            f"noise must be 'symmetric' or 'pair', got {noise!r}; for another "
            "kind of noise pass its matrix as add_label_noise(transition_matrix=T)."
        )
    return T


def add_label_noise(
    y, noise="symmetric", rate=0.2, *, transition_matrix=None, random_state=None
):
    """Flip labels at random with a class-conditional transition matrix.

    Each label of class ``classes[i]`` is replaced by ``classes[j]`` with
    probability ``T[i, j]``, independently of the features and of the other
    rows (class-conditional noise). The classes are the sorted unique values
    of ``y``.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Clean class labels (numbers or strings).
    noise : {"symmetric", "pair"}, default="symmetric"
        Kind of noise (see :func:`noise_transition_matrix`); ignored when
        ``transition_matrix`` is given.
    rate : float in [0, 1], default=0.2
        Flip probability of every class; ignored when ``transition_matrix``
        is given.
    transition_matrix : array-like of shape (n_classes, n_classes), default=None
        Any row-stochastic matrix, rows and columns in the order of the
        sorted classes of ``y``.
    random_state : int, RandomState instance or None, default=None
        Seed of the flips.

    Returns
    -------
    y_noisy : ndarray of shape (n_samples,)
        Noisy labels, of the dtype of ``y``.
    T : ndarray of shape (n_classes, n_classes)
        The transition matrix used, ``T[i, j] = P(y_noisy = classes[j] | y =
        classes[i])``.

    See Also
    --------
    skreweight.noisy.NoiseTransitionEstimator : Estimate ``T`` back from
        noisy labels.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.datasets import add_label_noise
    >>> y = np.repeat([0, 1, 2], 1000)
    >>> y_noisy, T = add_label_noise(y, "pair", 0.3, random_state=0)
    >>> T
    array([[0.7, 0.3, 0. ],
           [0. , 0.7, 0.3],
           [0.3, 0. , 0.7]])
    >>> round(float(np.mean(y_noisy != y)), 2)
    0.3
    """
    y = column_or_1d(y, warn=True)
    check_classification_targets(y)
    classes, index = np.unique(y, return_inverse=True)
    K = classes.shape[0]
    if K < 2:
        raise ValueError(
            f"y has a single class {classes.tolist()}; label noise needs at least "
            "two classes to flip between."
        )
    if transition_matrix is None:
        T = noise_transition_matrix(K, noise, rate)
    else:
        T = np.array(transition_matrix, dtype=np.float64)
        if T.shape != (K, K):
            raise ValueError(
                f"transition_matrix has shape {T.shape}, but y has {K} classes "
                f"{classes.tolist()}: pass a ({K}, {K}) matrix."
            )
        if not np.all(np.isfinite(T)) or np.any(T < 0):
            raise ValueError("transition_matrix must be finite and non-negative.")
        sums = T.sum(axis=1)
        if not np.allclose(sums, 1.0, atol=1e-6):
            raise ValueError(
                f"Each row of transition_matrix must sum to 1 (a distribution of "
                f"the noisy label), got row sums {np.round(sums, 6).tolist()}."
            )
    rng = check_random_state(random_state)
    cum = np.cumsum(T, axis=1)
    cum[:, -1] = 1.0
    u = rng.uniform(size=index.shape[0])
    noisy_index = (u[:, None] > cum[index]).sum(axis=1)
    return classes[noisy_index], T
