"""Label-shift (prior-shift) weights: Saerens EM and black-box shift estimation.

Under label shift the class-conditional distributions ``p(x | y)`` are shared
and only the class priors move, from ``pi_s`` in the training rows to ``pi_t``
in the target population. The importance weight of a row is then a function of
its class alone, ``w(y) = pi_t(y) / pi_s(y)``, and ``pi_t`` can be estimated
from unlabelled target covariates with any probabilistic classifier.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.base import BaseEstimator

from .._core.docstrings import fill_doc
from .._core.encoding import check_classes, class_frequencies
from .._core.label_shift import (
    LabelShiftMixin,
    fit_classifier,
)
from ..base import WeighterMixin

__all__ = ["LabelShiftWeighting"]


@fill_doc
class LabelShiftWeighting(LabelShiftMixin, WeighterMixin, BaseEstimator):
    """Class weights ``pi_target(y) / pi_source(y)`` for label shift.

    Under label shift only the class priors differ between the training rows
    and the target population; ``p(x | y)`` is shared. The target priors are
    estimated from the unlabelled ``X_target`` with a probabilistic
    classifier trained on the labelled rows, and every row of class ``y``
    gets the weight ``pi_t(y) / pi_s(y)``:

    - ``method="em"`` (Saerens et al., 2002): the maximum-likelihood priors,
      by EM on the classifier's posteriors for the target rows. Needs
      calibrated probabilities (see ``calibration``).
    - ``method="bbse"`` (Lipton et al., 2018): solve ``C w = mu``, where ``C``
      is the joint confusion matrix of cross-fitted (held-out) predictions on
      the training rows and ``mu`` the predicted-class shares on the target;
      consistent without calibration. The hard predictions are those of the
      balanced-error classifier, ``argmax p(y|x) / pi_s(y)``, which keeps
      ``C`` well conditioned when a class is rare. ``"bbse_soft"`` uses
      probabilities instead of hard predictions, which lowers the variance.

    ``X_target=None`` means no shift: all weights are 1. Weights average 1
    over the training rows, and :meth:`compute_weights` needs ``y``.

    Read more in the :ref:`User Guide <imbalance>`.

    Parameters
    ----------
    estimator : classifier, default=None
        Probabilistic classifier (with ``predict_proba``);
        ``LogisticRegression()`` when None. Scale the features (a
        :class:`~sklearn.pipeline.Pipeline`) when they differ in scale.
    method : {"em", "bbse", "bbse_soft"}, default="em"
        How the target priors are estimated.
    cv : int, cross-validation generator or iterable, default=5
        Folds of the cross-fitted predictions that BBSE's confusion matrix
        needs; ignored by ``"em"``. An int gives
        :class:`~sklearn.model_selection.StratifiedKFold`.
    calibration : {"sigmoid", "isotonic"} or None, default=None
        Calibrate the classifier with
        :class:`~sklearn.calibration.CalibratedClassifierCV` (3 folds) first;
        useful for EM with boosted trees or forests.
    max_iter : int, default=1000
        Maximum number of EM iterations.
    tol : float, default=1e-8
        EM stops when the L1 change of the priors falls below ``tol``.
    n_jobs : int, default=None
        Number of BBSE folds fitted in parallel (joblib; ``None`` means 1
        unless in a :func:`joblib.parallel_backend` context, e.g. dask).

    Attributes
    ----------
    weights_ : ndarray of shape (n_samples,)
        ``pi_t(y_i) / pi_s(y_i)`` for the training rows; they average 1.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    source_priors_ : ndarray of shape (n_classes,)
        (Sample-weighted) class shares of the training rows.
    target_priors_ : ndarray of shape (n_classes,)
        Estimated class priors of the target population.
    class_weight_ : dict
        ``{class: pi_t / pi_s}``, usable as a classifier's ``class_weight``.
    estimator_ : classifier or None
        The classifier fitted on all rows (``"em"`` only).
    n_iter_ : int
        EM iterations run (0 for BBSE or without ``X_target``).
    confusion_matrix_ : ndarray of shape (n_classes, n_classes) or None
        BBSE's held-out joint confusion matrix, ``[predicted, true]``.
    %(weighter_diagnostics)s

    See Also
    --------
    skreweight.imbalance.LabelShiftAdapter : Correct a classifier's posteriors
        with the estimated priors.
    ClassBalance : Weights that equalise the classes instead.

    References
    ----------
    .. [1] M. Saerens, P. Latinne and C. Decaestecker, "Adjusting the Outputs
       of a Classifier to New a Priori Probabilities: A Simple Procedure",
       Neural Computation 14(1), 2002.
    .. [2] Z. C. Lipton, Y.-X. Wang and A. J. Smola, "Detecting and Correcting
       for Label Shift with Black Box Predictors", ICML 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.weighting import LabelShiftWeighting
    >>> rng = np.random.RandomState(0)
    >>> y = (rng.uniform(size=2000) < 0.5).astype(int)          # 50 % positives
    >>> X = rng.normal(2.0 * y[:, None], 1.0, size=(2000, 2))
    >>> y_t = (rng.uniform(size=2000) < 0.2).astype(int)        # 20 % positives
    >>> X_t = rng.normal(2.0 * y_t[:, None], 1.0, size=(2000, 2))
    >>> lsw = LabelShiftWeighting().fit(X, y, X_target=X_t)
    >>> lsw.target_priors_.round(2)
    array([0.8, 0.2])
    >>> {c: round(w, 1) for c, w in lsw.class_weight_.items()}
    {0: 1.6, 1: 0.4}
    """

    _context = ("X_target",)
    _context_fallbacks = {
        "X_target": "no shift: the target class priors are the training priors, "
        "so every weight is 1"
    }
    _requires_y = True
    __metadata_request__fit = {"X_target": True}

    _parameter_constraints = dict(LabelShiftMixin._label_shift_constraints)

    def __init__(
        self,
        estimator=None,
        *,
        method="em",
        cv=5,
        calibration=None,
        max_iter=1000,
        tol=1e-8,
        n_jobs=None,
    ):
        self.estimator = estimator
        self.method = method
        self.cv = cv
        self.calibration = calibration
        self.max_iter = max_iter
        self.tol = tol
        self.n_jobs = n_jobs

    def _fit(self, X, y, sample_weight, X_target=None):
        self.classes_, y_index = check_classes(y, type(self).__name__)
        self.source_priors_ = class_frequencies(y_index, sample_weight, self.classes_)
        self.estimator_ = None
        if X_target is not None and self.method == "em":
            self.estimator_ = fit_classifier(
                self._make_estimator(), X, y, sample_weight
            )
        self.target_priors_ = self._estimate_target_priors(
            X, y, y_index, sample_weight, X_target, fitted=self.estimator_
        )
        self._ratio = self.target_priors_ / self.source_priors_
        return self._ratio[y_index]

    def _compute_weights(self, X, y, X_target=None):
        pos = np.clip(np.searchsorted(self.classes_, y), 0, len(self.classes_) - 1)
        unseen = self.classes_[pos] != y
        if np.any(unseen):
            raise ValueError(
                f"y contains classes not seen in fit: {np.unique(y[unseen]).tolist()}."
            )
        return self._ratio[pos]

    @property
    def class_weight_(self):
        """``{class: pi_t / pi_s}`` on the scale of ``weights_``."""
        scale = self._weight_scale[0]
        return {
            (c.item() if hasattr(c, "item") else c): float(r * scale)
            for c, r in zip(self.classes_, self._ratio)
        }
