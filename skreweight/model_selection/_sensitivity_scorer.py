"""The scorer of the sensitivity bounds of Yadlowsky et al."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from sklearn.utils.metadata_routing import MetadataRequest

from .._core.sensitivity import sensitivity_loss

__all__ = ["sensitivity_loss", "sensitivity_loss_scorer"]


class _SensitivityLossScorer:
    """Scorer returning minus the held-out sensitivity loss of a bounds model.

    ``scorer(estimator, X, y, treatment=t)`` returns ``estimator.score(X, y,
    treatment=t)``: for :class:`~skreweight.causal.CATEBounds`, minus the mean
    over rows of the upper and the lower expectile loss of the bound models
    of the row's own arm. It requests ``treatment`` under metadata routing.
    """

    def __call__(self, estimator, X, y_true, *, treatment=None, sample_weight=None):
        if treatment is None:
            raise ValueError(
                "sensitivity_loss_scorer needs treatment: enable metadata routing "
                "(sklearn.set_config(enable_metadata_routing=True)) and pass "
                "treatment to the search's fit. Without it the rows cannot be "
                "assigned to the bound models of their arm."
            )
        if not hasattr(estimator, "predict_bounds"):
            raise TypeError(
                "sensitivity_loss_scorer scores bounds models such as "
                "skreweight.causal.CATEBounds; got "
                f"{type(estimator).__name__}, which has no predict_bounds."
            )
        return estimator.score(
            X, y_true, treatment=treatment, sample_weight=sample_weight
        )

    def get_metadata_routing(self):
        """Metadata the scorer requests: ``treatment``.

        Returns
        -------
        routing : MetadataRequest
            The scorer's requests.
        """
        request = MetadataRequest(owner=self)
        request.score.add_request(param="treatment", alias=True)
        return request

    def __repr__(self):
        return "sensitivity_loss_scorer"


#: Scorer for tuning :class:`~skreweight.causal.CATEBounds` by the paper's
#: loss: ``scorer(estimator, X, y, treatment=t)`` returns minus the mean
#: held-out expectile loss of the bound models (greater is better). It
#: requests ``treatment`` under metadata routing and raises ``ValueError``
#: without it.
sensitivity_loss_scorer = _SensitivityLossScorer()
