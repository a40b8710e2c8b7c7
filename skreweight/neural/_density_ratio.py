"""Covariate-shift density ratio from a neural domain classifier."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.preprocessing import StandardScaler

from .._core.docstrings import fill_doc
from .._core.domain import DomainRatioMixin, domain_problem
from ..base import WeighterMixin
from ..utils._sklearn_compat import Interval
from ._net import (
    _TORCH_PARAM_CONSTRAINTS,
    WeightedNeuralNetClassifier,
    _SeededMixin,
)

__all__ = ["NeuralDensityRatio"]


@fill_doc
class NeuralDensityRatio(_SeededMixin, DomainRatioMixin, WeighterMixin, BaseEstimator):
    """Importance weights ``p_target(x) / p_source(x)`` from a neural classifier.

    A small MLP (:class:`WeightedNeuralNetClassifier`) learns ``P(target | x)``
    on the source rows (label 0, weighted by ``sample_weight``) stacked with
    the target rows (label 1). With ``balance_domains=True`` the target rows
    carry the same total weight as the source rows, and Bayes' rule gives the
    density ratio ``w(x) = P(target | x) / P(source | x)`` (Qin 1998; Bickel
    et al. 2007); otherwise it is multiplied by ``n_s / n_t``. Inputs are
    standardised on the pooled rows. Probabilities are clipped to
    ``[clip, 1 - clip]``. ``X_target=None`` means no shift: all weights are 1.

    Use it over :class:`~skreweight.weighting.ClassifierDensityRatio` with a
    logistic regression when the log-ratio is not linear in ``x``.

    Read more in the :ref:`User Guide <neural>`.

    Parameters
    ----------
    hidden_units : tuple of int, default=(32,)
        Hidden layer widths of the domain classifier.
    max_epochs : int, default=200
        Training epochs.
    lr : float, default=0.01
        Adam learning rate.
    batch_size : int, default=-1
        Rows per mini-batch; ``-1`` is full batch.
    weight_decay : float, default=1e-4
        L2 penalty of the optimiser.
    balance_domains : bool, default=True
        Give both domains the same total weight in the classifier's loss.
    clip : float in [0, 0.5), default=0.01
        Clip ``P(target | x)`` to ``[clip, 1 - clip]``.
    random_state : int, RandomState instance or None, default=None
        Seeds the network's initialisation and shuffling.
    device : str or torch.device, default="cpu"
        Training device; an absent accelerator raises a ``ValueError``.
    verbose : int, default=0
        0 prints nothing; 1 reports the loss about every tenth epoch; 2 and
        above every epoch.

    Attributes
    ----------
    weights_ : ndarray of shape (n_samples,)
        Importance weights of the source rows, averaging 1.
    estimator_ : WeightedNeuralNetClassifier or None
        The fitted domain classifier (None when ``X_target`` was None).
    scaler_ : StandardScaler or None
        Standardisation fitted on the pooled rows.
    uncovered_target_share_ : float
        Share of target rows where the target density is over 99 times the
        source density (the rule of
        :class:`~skreweight.weighting.ClassifierDensityRatio`); above 5 % a
        :class:`~skreweight.exceptions.WeightDegeneracyWarning` is raised.
    %(weighter_diagnostics)s

    See Also
    --------
    skreweight.weighting.ClassifierDensityRatio : Any sklearn classifier.
    skreweight.compose.ReweightedClassifier : Fit a model with these weights.

    References
    ----------
    .. [1] S. Bickel, M. Brueckner and T. Scheffer, "Discriminative Learning for
       Differing Training and Test Distributions", ICML 2007.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.datasets import make_covariate_shift
    >>> from skreweight.neural import NeuralDensityRatio
    >>> data = make_covariate_shift(n_source=400, n_target=400, random_state=0)
    >>> ndr = NeuralDensityRatio(random_state=0)
    >>> ndr.fit(data.X_source, X_target=data.X_target).weights_.mean()
    np.float64(1.0...)
    >>> bool(np.corrcoef(ndr.weights_, data.ratio_source)[0, 1] > 0.9)
    True
    """

    _context = ("X_target",)
    __metadata_request__fit = {"X_target": True}

    _parameter_constraints = {
        "hidden_units": [tuple, list],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, -1, None, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "balance_domains": ["boolean"],
        "clip": [Interval(Real, 0, 0.5, closed="left")],
        **_TORCH_PARAM_CONSTRAINTS,
    }

    def __init__(
        self,
        hidden_units=(32,),
        *,
        max_epochs=200,
        lr=0.01,
        batch_size=-1,
        weight_decay=1e-4,
        balance_domains=True,
        clip=0.01,
        random_state=None,
        device="cpu",
        verbose=0,
    ):
        self.hidden_units = hidden_units
        self.max_epochs = max_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.balance_domains = balance_domains
        self.clip = clip
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    def _make_net(self):
        return WeightedNeuralNetClassifier(
            module__hidden_units=tuple(self.hidden_units),
            optimizer=torch.optim.Adam,
            optimizer__weight_decay=self.weight_decay,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            random_state=self.random_state,
            device=self.device,
            verbose=self.verbose,
        )

    _uniform_without_context = "X_target"

    def _no_context_attributes(self, X):
        return {"estimator_": None, "scaler_": None, "uncovered_target_share_": 0.0}

    def _fit(self, X, y, sample_weight, X_target):
        Z, d, dw = domain_problem(
            X,
            X_target,
            sample_weight,
            balance_domains=self.balance_domains,
            label_dtype=int,
        )
        self.scaler_ = StandardScaler().fit(Z, sample_weight=dw)
        self.estimator_ = self._make_net().fit(
            self.scaler_.transform(Z), d, sample_weight=dw
        )
        return self._finish_domain_fit(X, X_target, sample_weight)

    def _proba_target(self, X, clip=True):
        p = self.estimator_.predict_proba(self.scaler_.transform(X))[:, 1]
        return np.clip(p, self.clip, 1 - self.clip) if clip else p
