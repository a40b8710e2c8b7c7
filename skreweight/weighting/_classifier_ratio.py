"""Density-ratio weights from a probabilistic domain classifier."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import has_fit_parameter

from .._core.docstrings import fill_doc
from .._core.domain import DomainRatioMixin, domain_problem
from ..base import WeighterMixin
from ..utils._sklearn_compat import HasMethods, Interval, StrOptions

__all__ = ["ClassifierDensityRatio"]


@fill_doc
class ClassifierDensityRatio(DomainRatioMixin, WeighterMixin, BaseEstimator):
    """Importance weights ``p_target(x) / p_source(x)`` from a domain classifier.

    A probabilistic classifier learns ``P(target | x)`` on the source rows
    (label 0) stacked with the target rows (label 1). By Bayes' rule the
    density ratio is ``w(x) = (n_s / n_t) * P(target | x) / P(source | x)``
    (Qin 1998; Bickel et al. 2007). With a logistic regression the ratio is
    log-linear, which is exact for Gaussian shifts with a shared covariance.

    Probabilities are clipped to ``[clip, 1 - clip]`` before the ratio is
    taken, which caps the largest weight (Tibshirani et al. 2019 clip at 0.01).
    ``X_target=None`` means no shift: all weights are 1.

    Read more in the :ref:`User Guide <contract>`.

    Parameters
    ----------
    estimator : classifier, default=None
        Probabilistic classifier with ``predict_proba``;
        ``LogisticRegression()`` when None.
    balance_domains : bool, default=True
        Weight the target rows so that both domains hold the same total weight
        in the classifier's fit (the class-prior correction); the prior ratio
        ``n_s / n_t`` then drops out of the formula. Helps regularised
        classifiers when ``n_t`` and ``n_s`` differ a lot.
    calibration : {"sigmoid", "isotonic"} or None, default=None
        Calibrate ``P(target | x)`` with
        :class:`~sklearn.calibration.CalibratedClassifierCV` (3-fold), useful
        for boosted trees and forests, whose scores are not probabilities.
    clip : float in [0, 0.5), default=0.01
        Clip ``P(target | x)`` to ``[clip, 1 - clip]``.

    Attributes
    ----------
    weights_ : ndarray of shape (n_samples,)
        Importance weights of the source rows, averaging 1.
    estimator_ : classifier
        The fitted domain classifier (None when ``X_target`` was None).
    uncovered_target_share_ : float
        Share of target rows where the estimated target density exceeds 99
        times the source density: target mass the source rows barely cover
        (computed before clipping). Above 5 % a
        :class:`~skreweight.exceptions.WeightDegeneracyWarning` is raised.
    %(weighter_diagnostics)s

    See Also
    --------
    skreweight.compose.ReweightedClassifier : Fit any classifier with these weights.

    References
    ----------
    .. [1] S. Bickel, M. Brueckner and T. Scheffer, "Discriminative Learning for
       Differing Training and Test Distributions", ICML 2007.
    .. [2] R. Tibshirani, R. Foygel Barber, E. Candes and A. Ramdas, "Conformal
       Prediction Under Covariate Shift", NeurIPS 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.datasets import make_covariate_shift
    >>> from skreweight.weighting import ClassifierDensityRatio
    >>> data = make_covariate_shift(n_source=500, n_target=500, random_state=0)
    >>> cdr = ClassifierDensityRatio().fit(data.X_source, X_target=data.X_target)
    >>> float(cdr.weights_.mean())
    1.0...
    >>> bool(np.corrcoef(cdr.weights_, data.ratio_source)[0, 1] > 0.95)
    True
    """

    _context = ("X_target",)
    __metadata_request__fit = {"X_target": True}

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "balance_domains": ["boolean"],
        "calibration": [StrOptions({"sigmoid", "isotonic"}), None],
        "clip": [Interval(Real, 0, 0.5, closed="left")],
    }

    def __init__(
        self, estimator=None, *, balance_domains=True, calibration=None, clip=0.01
    ):
        self.estimator = estimator
        self.balance_domains = balance_domains
        self.calibration = calibration
        self.clip = clip

    def _get_estimator(self):
        est = LogisticRegression() if self.estimator is None else clone(self.estimator)
        if self.calibration is not None:
            est = CalibratedClassifierCV(est, method=self.calibration, cv=3)
        return est

    _uniform_without_context = "X_target"

    def _no_context_attributes(self, X):
        return {"estimator_": None, "uncovered_target_share_": 0.0}

    def _fit(self, X, y, sample_weight, X_target):
        Z, d, dw = domain_problem(
            X,
            X_target,
            sample_weight,
            balance_domains=self.balance_domains,
            label_dtype=np.float64,
        )
        self.estimator_ = self._get_estimator()
        if not has_fit_parameter(self.estimator_, "sample_weight"):
            raise TypeError(
                f"{type(self.estimator_).__name__} does not accept sample_weight; "
                "the domain classifier needs it. Use a classifier that does."
            )
        self.estimator_.fit(Z, d, sample_weight=dw)
        return self._finish_domain_fit(X, X_target, sample_weight)

    def _proba_target(self, X, clip=True):
        p = self.estimator_.predict_proba(X)[:, 1]
        return np.clip(p, self.clip, 1 - self.clip) if clip else p
