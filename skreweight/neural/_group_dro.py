"""Group DRO with online group weights inside the training loop."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Real

import numpy as np
import torch
from skorch.utils import to_tensor

from ..utils._sklearn_compat import Interval
from ..utils.validation import check_sample_group, warn_missing_context
from ._net import WeightedNeuralNetClassifier, _batch_field

__all__ = ["NeuralGroupDROClassifier"]

_G_KEY = "_group"


class NeuralGroupDROClassifier(WeightedNeuralNetClassifier):
    """Neural classifier trained by online Group DRO (Sagawa et al., 2020).

    Minimises the worst group's loss, ``min_theta max_{q in simplex}
    sum_g q_g (L_g(theta) + C / sqrt(n_g))``, with the online algorithm of the
    authors' code. For every mini-batch:

    1. the (sample-weighted) mean loss ``L_g`` of each group present in the
       batch is computed (an absent group gets 0);
    2. when ``adjustment > 0``, ``C / sqrt(n_g)`` is added (``n_g`` the
       weighted size of group ``g`` in the training rows);
    3. ``q_g <- q_g * exp(step_size * L_g)``, then ``q`` is normalised
       (``q`` starts uniform);
    4. one optimiser step is taken on ``sum_g q_g L_g``; with
       ``robustness < 1`` on ``sum_g ((1 - rho) pi_g + rho q_g) L_g``
       instead, ``pi_g`` being the group's share of the training weight
       (``rho = 0`` is plain weighted training, ``rho = 1`` Group DRO).

    Groups are passed as ``fit(X, y, sample_group=g)`` (requested by default
    under metadata routing); ``sample_group=None`` is one group, i.e. plain
    weighted training. The group means are per batch by construction; with a
    full batch (``batch_size=-1``) integer ``sample_weight`` is exactly
    equivalent to repeated rows.

    Read more in the :ref:`User Guide <neural>`.

    Parameters
    ----------
    step_size : float, default=0.01
        Exponentiated-gradient step ``eta_q`` on the group weights.
    adjustment : float, default=0.0
        Generalisation adjustment ``C`` (the paper tunes it in {0, ..., 5}).
    robustness : float in [0, 1], default=1.0
        Weight of the adversarial group weights against the group shares, as
        in :class:`~skreweight.robust.GroupDROClassifier`: 1 is Group DRO, 0
        plain weighted training; in between trades average accuracy for
        worst-group accuracy.
    module : torch module class or instance, default=None
        The network (:class:`MLPModule` when None).
    criterion : torch loss class or instance, default=None
        Per-row loss; cross-entropy when None.
    optimizer : torch optimizer class, default=torch.optim.Adam
        Optimizer; the paper uses SGD with strong weight decay
        (``optimizer__weight_decay``).
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
        Other skorch arguments.

    Attributes
    ----------
    group_weights_ : ndarray of shape (n_groups,)
        Final group weights: the adversarial ``q``, mixed with the group
        shares as ``(1 - robustness) * pi + robustness * q``.
    groups_ : ndarray of shape (n_groups,)
        Group labels, in the order of ``group_weights_``.
    group_counts_ : ndarray of shape (n_groups,)
        Sample-weighted group sizes.
    weights_ : ndarray of shape (n_samples,)
        Row weights implied by the final ``q``: ``q_g / n_g`` per row, scaled
        to average 1 under ``sample_weight``.
    module_ : torch.nn.Module
        The trained network.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    history_ : skorch.History
        Per-epoch record, including ``group_weights``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen in ``fit``, when X has string column names.

    See Also
    --------
    WeightedNeuralNetClassifier : Weighted training with fixed weights.

    References
    ----------
    .. [1] S. Sagawa, P. W. Koh, T. B. Hashimoto and P. Liang,
       "Distributionally Robust Neural Networks for Group Shifts", ICLR 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.neural import NeuralGroupDROClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(100, 2))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> g = (rng.uniform(size=100) < 0.2).astype(int)
    >>> clf = NeuralGroupDROClassifier(max_epochs=10, random_state=0)
    >>> clf.fit(X, y, sample_group=g).group_weights_.shape
    (2,)
    """

    __metadata_request__fit = {"sample_group": True}

    _parameter_constraints = {
        **WeightedNeuralNetClassifier._parameter_constraints,
        "step_size": [Interval(Real, 0, None, closed="left")],
        "adjustment": [Interval(Real, 0, None, closed="left")],
        "robustness": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(
        self,
        step_size=0.01,
        *,
        adjustment=0.0,
        robustness=1.0,
        module=None,
        criterion=None,
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
            criterion=criterion,
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
        self.step_size = step_size
        self.adjustment = adjustment
        self.robustness = robustness

    def fit(self, X, y, sample_group=None, sample_weight=None, **fit_params):
        """Train by online Group DRO.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_group : array-like of shape (n_samples,), default=None
            Group label of each row; None is a single group.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights; an integer weight is equivalent to repeating the row.
        **fit_params : dict
            Passed to the module's ``forward``.

        Returns
        -------
        self : object
            Fitted classifier.
        """
        return self._train(X, y, sample_weight, fit_params, sample_group=sample_group)

    def _before_training(self, X, y_enc, sw, sample_group=None):
        g = check_sample_group(sample_group, X.shape[0])
        if g is None:
            warn_missing_context(
                type(self).__name__,
                "sample_group",
                "a single group: Group DRO reduces to ordinary (weighted) training",
            )
            g = np.zeros(X.shape[0], dtype=int)
        self.groups_, codes = np.unique(g, return_inverse=True)
        self.group_counts_ = np.bincount(codes, weights=sw)
        empty = self.groups_[self.group_counts_ <= 0]
        if empty.shape[0]:
            raise ValueError(
                f"Groups {empty.tolist()} have zero total sample_weight; drop them "
                "or give their rows positive weights."
            )
        n_groups = self.groups_.shape[0]
        self._q = torch.full((n_groups,), 1.0 / n_groups, dtype=torch.float64)
        share = self.group_counts_ / self.group_counts_.sum()
        self._share = torch.as_tensor(share, dtype=torch.float64)
        adj = self.adjustment / np.sqrt(self.group_counts_)
        self._adj = torch.as_tensor(adj, dtype=torch.float64)
        self._codes = codes
        return {_G_KEY: codes.astype(np.int64)}

    def _after_training(self, sw):
        codes = self.__dict__.pop("_codes")
        self.group_weights_ = self._mixed(self._q).numpy().copy()
        params = [p.detach() for p in self.module_.parameters()]
        if not (
            np.all(np.isfinite(self.group_weights_))
            and all(bool(torch.isfinite(p).all()) for p in params)
        ):
            raise ValueError(
                f"{type(self).__name__}: training diverged (the losses or the "
                "network weights became non-finite). Standardise the features "
                "(e.g. make_pipeline(StandardScaler(), ...)), or lower lr."
            )
        per_row = self.group_weights_[codes] / self.group_counts_[codes]
        self.weights_ = per_row * sw.sum() / np.dot(per_row, sw)

    def _weighted_loss(self, losses, w, y_true, X, training):
        codes = _batch_field(X, _G_KEY)
        if codes is None:
            return super()._weighted_loss(losses, w, y_true, X, training)
        codes = to_tensor(codes, device=self.device)
        n_groups = self._q.shape[0]
        w_sum = torch.zeros(n_groups, dtype=losses.dtype, device=losses.device)
        w_sum = w_sum.index_add(0, codes, w)
        l_sum = torch.zeros_like(w_sum).index_add(0, codes, w * losses)
        present = w_sum > 0
        # absent groups get 0 (a safe denominator keeps their gradient finite)
        safe = torch.where(present, w_sum, torch.ones_like(w_sum))
        group_loss = torch.where(present, l_sum / safe, 0.0)
        q = self._q.to(device=losses.device, dtype=losses.dtype)
        if training:
            adjusted = group_loss.detach()
            if self.adjustment > 0:
                adjusted = adjusted + self._adj.to(adjusted)
            # exponentiated gradient in log space: a huge (finite) loss moves
            # all the mass to that group instead of overflowing to NaN
            q = torch.softmax(torch.log(q) + self.step_size * adjusted, dim=0)
            self._q = q.detach().to("cpu", torch.float64)
        return (self._mixed(q) * group_loss).sum()

    def _mixed(self, q):
        """``(1 - robustness) * shares + robustness * q``."""
        if self.robustness == 1.0:
            return q
        share = self._share.to(device=q.device, dtype=q.dtype)
        return (1.0 - self.robustness) * share + self.robustness * q

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        super().on_epoch_end(net, dataset_train, dataset_valid, **kwargs)
        self.history.record("group_weights", self._mixed(self._q).numpy().tolist())
