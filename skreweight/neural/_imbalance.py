"""LDAM with deferred re-weighting, and its focal / logit-adjusted variants."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral, Real

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..utils._sklearn_compat import Interval, StrOptions
from ._losses import FocalLoss, LDAMLoss, LogitAdjustedLoss, class_balanced_weights
from ._net import MLPModule, WeightedNeuralNetClassifier

__all__ = ["CosineMLPModule", "LDAMClassifier"]


class CosineMLPModule(MLPModule):
    """An MLP whose head returns cosines (``NormedLinear`` of the LDAM paper).

    Features and class weight vectors are L2-normalised, so each output is the
    cosine between the last hidden layer and a class direction, in [-1, 1].

    Parameters
    ----------
    n_features : int
        Number of input features.
    n_outputs : int
        Number of classes.
    hidden_units : tuple of int, default=(32,)
        Width of each hidden layer.
    dropout : float, default=0.0
        Dropout probability after each hidden layer.
    dtype : torch.dtype, default=None
        Parameter dtype.
    """

    def forward(self, X):
        h = F.normalize(self.body(X), dim=1)
        w = F.normalize(self.head.weight, dim=1)
        return h @ w.T


class LDAMClassifier(WeightedNeuralNetClassifier):
    """Neural classifier for long-tailed labels: LDAM-DRW and its variants.

    ``loss="ldam"`` trains a cosine classifier (:class:`CosineMLPModule`) with
    the label-distribution-aware margin loss of Cao et al. (2019): the
    true-class cosine is lowered by ``Delta_j = C / n_j ** (1/4)`` (``C`` set so
    that the rarest class gets ``max_margin``) and the cross-entropy of
    ``scale * z`` is minimised. The deferred re-weighting (DRW) schedule trains
    with uniform class weights until epoch ``drw_start``, then with the
    class-balanced weights ``(1 - beta) / (1 - beta ** n_j)`` of Cui et al.
    (normalised to sum to the number of classes), as in the authors' code
    (epoch 160 of 200, ``beta = 0.9999``). ``loss="focal"`` (focal loss),
    ``"logit_adjusted"`` (Menon et al. 2021) and ``"cross_entropy"`` use a
    linear head and the same optional schedule.

    Class counts ``n_j`` are sample-weighted, and class weights multiply the
    row weights; the loss is normalised by the total of those products over the
    whole training sample (never per batch), so integer ``sample_weight`` is
    equivalent to repeated rows.

    Read more in the :ref:`User Guide <neural>`.

    Parameters
    ----------
    loss : {"ldam", "focal", "logit_adjusted", "cross_entropy"}, default="ldam"
        Training loss.
    max_margin : float, default=0.5
        LDAM: margin of the rarest class.
    scale : float, default=30.0
        LDAM: logit scale ``s``; ``predict_proba`` is ``softmax(scale * z)``.
    gamma : float, default=2.0
        Focal loss focusing parameter.
    tau : float, default=1.0
        Logit adjustment strength.
    drw_start : int, float in (0, 1] or None, default=0.8
        Epoch from which the class-balanced weights apply; a float is a
        fraction of ``max_epochs`` (the paper: 160 of 200); None never
        re-weights.
    drw_beta : float in [0, 1), default=0.9999
        ``beta`` of the class-balanced weights.
    module : torch module class or instance, default=None
        ``None`` uses :class:`CosineMLPModule` for LDAM and :class:`MLPModule`
        otherwise.
    optimizer : torch optimizer class, default=torch.optim.Adam
        Optimizer.
    lr : float, default=0.01
        Learning rate.
    max_epochs : int, default=100
        Number of epochs.
    batch_size : int, default=128
        Rows per mini-batch; ``-1`` for full batch.
    train_split : callable or None, default=None
        skorch's internal validation split.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation and shuffling.
    device : str or torch.device, default="cpu"
        Training device; an absent accelerator raises a ``ValueError``.
    verbose : int, default=0
        0 prints nothing; 1 reports the loss about every tenth epoch; 2 and
        above every epoch.
    **kwargs : dict
        Other skorch arguments (``module__hidden_units=...``, ...).

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network.
    criterion_ : torch.nn.Module
        The loss, with the margins or priors of the training data.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    class_counts_ : ndarray of shape (n_classes,)
        Sample-weighted class counts.
    drw_weights_ : ndarray of shape (n_classes,)
        Class weights applied from epoch ``drw_start_`` on.
    drw_start_ : int or None
        First re-weighted epoch (0-based).
    history_ : skorch.History
        Per-epoch record.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen in ``fit``, when X has string column names.

    See Also
    --------
    WeightedNeuralNetClassifier : Plain weighted cross-entropy.

    References
    ----------
    .. [1] K. Cao, C. Wei, A. Gaidon, N. Arechiga and T. Ma, "Learning
       Imbalanced Datasets with Label-Distribution-Aware Margin Loss",
       NeurIPS 2019.
    .. [2] A. K. Menon et al., "Long-tail learning via logit adjustment",
       ICLR 2021.
    .. [3] T.-Y. Lin et al., "Focal Loss for Dense Object Detection", ICCV 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.neural import LDAMClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = np.r_[rng.normal(0, 1, (90, 2)), rng.normal(2, 1, (10, 2))]
    >>> y = np.r_[np.zeros(90, int), np.ones(10, int)]
    >>> clf = LDAMClassifier(max_epochs=20, random_state=0).fit(X, y)
    >>> clf.criterion_.margins.numpy().round(3)
    array([0.289, 0.5  ])
    """

    _parameter_constraints = {
        **WeightedNeuralNetClassifier._parameter_constraints,
        "loss": [StrOptions({"ldam", "focal", "logit_adjusted", "cross_entropy"})],
        "max_margin": [Interval(Real, 0, None, closed="left")],
        "scale": [Interval(Real, 0, None, closed="neither")],
        "gamma": [Interval(Real, 0, None, closed="left")],
        "tau": [Real],
        "drw_start": [
            Interval(Integral, 0, None, closed="left"),
            Interval(Real, 0, 1, closed="right"),
            None,
        ],
        "drw_beta": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(
        self,
        loss="ldam",
        *,
        max_margin=0.5,
        scale=30.0,
        gamma=2.0,
        tau=1.0,
        drw_start=0.8,
        drw_beta=0.9999,
        module=None,
        optimizer=torch.optim.Adam,
        lr=0.01,
        max_epochs=100,
        batch_size=128,
        train_split=None,
        random_state=None,
        device="cpu",
        verbose=0,
        **kwargs,
    ):
        super().__init__(
            module,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            train_split=train_split,
            random_state=random_state,
            device=device,
            verbose=verbose,
            **kwargs,
        )
        self.loss = loss
        self.max_margin = max_margin
        self.scale = scale
        self.gamma = gamma
        self.tau = tau
        self.drw_start = drw_start
        self.drw_beta = drw_beta

    def fit(self, X, y, sample_weight=None, **fit_params):
        """Train with the chosen long-tail loss and DRW schedule.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights; an integer weight is equivalent to repeating the row.
        **fit_params : dict
            Passed to the module's ``forward``.

        Returns
        -------
        self : object
            Fitted classifier.
        """
        return super().fit(X, y, sample_weight=sample_weight, **fit_params)

    def _set_class_counts(self, y_enc, sw):
        super()._set_class_counts(y_enc, sw)
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 classes, got one class "
                f"({self.classes_.tolist()}): the margins compare class sizes."
            )
        self.drw_weights_ = class_balanced_weights(self.class_counts_, self.drw_beta)
        start = self.drw_start
        if isinstance(start, Real) and not isinstance(start, Integral):
            start = int(np.floor(start * self.max_epochs))
        self.drw_start_ = start

    def _default_module(self):
        return CosineMLPModule if self.loss == "ldam" else MLPModule

    def initialize_criterion(self):
        counts = self.class_counts_
        if self.loss == "ldam":
            crit = LDAMLoss(counts, max_margin=self.max_margin, scale=self.scale)
        elif self.loss == "focal":
            crit = FocalLoss(gamma=self.gamma)
        elif self.loss == "logit_adjusted":
            crit = LogitAdjustedLoss(counts, tau=self.tau)
        else:
            crit = nn.CrossEntropyLoss(reduction="none")
        self.criterion_ = crit.to(self.device) if self.device else crit
        return self

    def _row_factor(self, y_true, X, training):
        epoch = len(self.history) - 1
        if self.drw_start_ is None or epoch < self.drw_start_:
            return None, 1.0
        cw = torch.as_tensor(self.drw_weights_, device=y_true.device)
        totals = self._train_class_totals_
        if training:
            mean = float(np.dot(self.drw_weights_, totals)) / self._n_train_
        else:  # validation rows: their own mean weight times the class factor
            mean = float(np.average(self.drw_weights_, weights=totals))
            mean *= self._weight_mean_[False]
        return cw[y_true], mean

    def _get_predict_nonlinearity(self):
        if self.predict_nonlinearity == "auto" and self.loss == "ldam":
            return lambda z: torch.softmax(self.scale * z, dim=-1)
        return super()._get_predict_nonlinearity()
