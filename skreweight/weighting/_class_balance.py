"""Class-balancing weights computed from the labels."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator

from .._core.docstrings import fill_doc
from .._core.encoding import inverse_effective_number
from ..base import WeighterMixin
from ..utils._sklearn_compat import Interval, StrOptions

__all__ = ["ClassBalance"]


@fill_doc
class ClassBalance(WeighterMixin, BaseEstimator):
    """Weight rows by a decreasing function of their class frequency.

    Every row of class ``c`` gets the weight ``f(n_c)``, where ``n_c`` is the
    (sample-weighted) number of rows of class ``c``:

    - ``"inverse"``: ``f(n) = 1 / n``; every class then holds the same total
      weight (scikit-learn's ``class_weight="balanced"``);
    - ``"sqrt"``: ``f(n) = 1 / sqrt(n)``, a milder correction;
    - ``"effective_number"``: ``f(n) = (1 - beta) / (1 - beta ** n)``, the
      inverse of the *effective number of samples* of Cui et al. (2019); it
      moves from no reweighting (``beta=0``) to ``"inverse"`` (``beta -> 1``).

    Weights average 1 over the training rows (under ``sample_weight``). They do
    not depend on X, so :meth:`compute_weights` needs ``y``.

    Read more in the :ref:`User Guide <contract>`.

    Parameters
    ----------
    scheme : {"inverse", "sqrt", "effective_number"}, default="inverse"
        How a class's frequency maps to its weight.
    beta : float in [0, 1), default=0.999
        Hyperparameter of ``"effective_number"``; ignored otherwise.

    Attributes
    ----------
    weights_ : ndarray of shape (n_samples,)
        Weights of the training rows, averaging 1.
    classes_ : ndarray of shape (n_classes,)
        Class labels seen in ``fit``.
    class_weight_ : dict
        Weight of each class, on the scale of ``weights_``.
    class_count_ : ndarray of shape (n_classes,)
        Sample-weighted count of each class.
    %(weighter_diagnostics)s

    See Also
    --------
    sklearn.utils.class_weight.compute_sample_weight : The ``"inverse"`` scheme.
    GroupBalance : The same idea for groups instead of classes.

    References
    ----------
    .. [1] Y. Cui, M. Jia, T.-Y. Lin, Y. Song and S. Belongie, "Class-Balanced
       Loss Based on Effective Number of Samples", CVPR 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.weighting import ClassBalance
    >>> X = np.zeros((4, 1))
    >>> y = np.array([0, 0, 0, 1])
    >>> ClassBalance().fit(X, y).weights_
    array([0.666..., 0.666..., 0.666..., 2. ])
    """

    _requires_y = True
    _X_dtype = None

    _parameter_constraints = {
        "scheme": [StrOptions({"inverse", "sqrt", "effective_number"})],
        "beta": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(self, scheme="inverse", beta=0.999):
        self.scheme = scheme
        self.beta = beta

    def _class_factor(self, counts):
        if self.scheme == "inverse":
            return 1.0 / counts
        if self.scheme == "sqrt":
            return 1.0 / np.sqrt(counts)
        return inverse_effective_number(counts, self.beta)

    def _fit(self, X, y, sample_weight):
        self.classes_, inverse = np.unique(y, return_inverse=True)
        if self.classes_.shape[0] < 2:
            raise ValueError(
                f"ClassBalance needs at least 2 classes in y; got one class "
                f"{self.classes_.tolist()}. There is nothing to balance."
            )
        self.class_count_ = np.bincount(
            inverse, weights=sample_weight, minlength=self.classes_.shape[0]
        )
        if np.any(self.class_count_ == 0):
            empty = self.classes_[self.class_count_ == 0].tolist()
            raise ValueError(
                f"{type(self).__name__}: the classes {empty} have zero total "
                "sample_weight, so fewer than 2 classes are left to balance; drop "
                "them from y or give their rows positive weight."
            )
        self._factor = self._class_factor(self.class_count_)
        return self._factor[inverse]

    def _compute_weights(self, X, y):
        pos = np.searchsorted(self.classes_, y)
        pos = np.clip(pos, 0, self.classes_.shape[0] - 1)
        unseen = self.classes_[pos] != y
        if np.any(unseen):
            raise ValueError(
                f"y contains classes not seen in fit: {np.unique(y[unseen]).tolist()}."
            )
        return self._factor[pos]

    @property
    def class_weight_(self):
        scale = self._weight_scale[0]
        return {
            (c.item() if hasattr(c, "item") else c): float(f * scale)
            for c, f in zip(self.classes_, self._factor)
        }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        return tags
