"""Forward-corrected cross-entropy for noisy labels (Patrini et al., 2017)."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import torch
from torch import nn

from ._losses import _check_reduction, _reduce

__all__ = ["ForwardCorrectedLoss"]


class ForwardCorrectedLoss(nn.Module):
    """Cross-entropy of the noisy label against the clean posterior times ``T``.

    With class-conditional label noise ``T[i, j] = P(noisy j | clean i)``, the
    loss of a row with logits ``z`` and noisy label ``y~`` is
    ``-log((softmax(z) T)[y~])`` (forward correction, Patrini et al., 2017),
    computed as a log-sum-exp. The network's own softmax then estimates the
    *clean* posterior, so a :class:`WeightedNeuralNetClassifier` trained with
    this criterion predicts clean labels; ``T = I`` is the cross-entropy.

    Pass it as ``WeightedNeuralNetClassifier(criterion=ForwardCorrectedLoss,
    criterion__transition_matrix=T)``. The matrix is validated as in
    :class:`skreweight.noisy.ForwardCorrectedClassifier` (square,
    row-stochastic, invertible); its rows and columns follow the net's
    ``classes_``.

    Parameters
    ----------
    transition_matrix : array-like of shape (n_classes, n_classes)
        ``T``, rows: clean classes, columns: noisy classes.
    reduction : {"none", "mean", "sum"}, default="none"
        Reduction over rows (the weighted nets need ``"none"``).

    Examples
    --------
    >>> import torch
    >>> from skreweight.neural import ForwardCorrectedLoss
    >>> loss = ForwardCorrectedLoss([[0.8, 0.2], [0.2, 0.8]])
    >>> logits = torch.tensor([[0.0, 0.0], [5.0, -5.0]], dtype=torch.float64)
    >>> loss(logits, torch.tensor([1, 1])).exp().reciprocal()  # P(noisy = 1)
    tensor([0.5000, 0.2000], dtype=torch.float64)
    """

    def __init__(self, transition_matrix, reduction="none"):
        from ..noisy import check_transition_matrix  # one family, lazily

        super().__init__()
        _check_reduction(reduction)
        T = np.asarray(transition_matrix, dtype=np.float64)
        K = T.shape[0] if T.ndim == 2 else 0
        T = check_transition_matrix(
            T, np.arange(max(K, 1)), owner="ForwardCorrectedLoss"
        )
        with np.errstate(divide="ignore"):
            self.register_buffer("log_T", torch.as_tensor(np.log(T)))
        self.reduction = reduction

    def forward(self, logits, target):
        log_p = torch.log_softmax(logits, dim=-1)
        log_T = self.log_T.to(device=logits.device, dtype=log_p.dtype)
        loss = -torch.logsumexp(log_p + log_T[:, target].T, dim=-1)
        return _reduce(loss, self.reduction)
