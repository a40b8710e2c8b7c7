"""model_selection."""

from ..causal._cross_fit import cross_fit_nuisances
from ._r_loss import r_loss, r_loss_scorer

__all__ = ["cross_fit_nuisances", "r_loss", "r_loss_scorer"]
