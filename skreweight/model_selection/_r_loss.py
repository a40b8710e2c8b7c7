"""The R-loss of Nie & Wager: a model-selection criterion for CATE models."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from sklearn.utils.metadata_routing import MetadataRequest

from .._core.crossfit import r_loss_value

__all__ = ["r_loss", "r_loss_scorer"]


def r_loss(y_true, tau_pred, *, treatment, m_hat, e_hat, sample_weight=None):
    """R-loss of predicted effects against cross-fitted nuisances.

    ``R(tau) = sum_i w_i ((y_i - m_i) - (t_i - e_i) tau_i)^2 / sum_i w_i``,

    where ``m`` estimates ``E[Y | X]`` and ``e`` estimates ``E[T | X]`` (the
    propensity for a binary treatment). Up to a term that does not depend on
    ``tau``, it estimates the ``(t - e)^2``-weighted mean squared error of
    ``tau`` (Nie & Wager, 2021), so lower is better. Compare candidates only
    against the *same* nuisances, e.g. from
    :func:`~skreweight.causal.cross_fit_nuisances`.

    Read more in the :ref:`User Guide <cate>`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Observed outcomes.
    tau_pred : array-like of shape (n_samples,)
        Predicted conditional effects.
    treatment : array-like of shape (n_samples,)
        Observed treatment (0/1 or a dose).
    m_hat : array-like of shape (n_samples,)
        Cross-fitted ``E[Y | X]``.
    e_hat : array-like of shape (n_samples,)
        Cross-fitted ``E[T | X]``.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.

    Returns
    -------
    loss : float
        Weighted mean squared R-residual (non-negative).

    See Also
    --------
    r_loss_scorer : The scorer for ``GridSearchCV`` (returns ``-r_loss``).

    References
    ----------
    .. [1] X. Nie and S. Wager, "Quasi-oracle estimation of heterogeneous
       treatment effects", Biometrika 108(2), 2021.

    Examples
    --------
    >>> from skreweight.model_selection import r_loss
    >>> r_loss([1.0, 0.0], [2.0, 2.0], treatment=[1, 0], m_hat=[0.0, 0.0],
    ...        e_hat=[0.5, 0.5])
    0.5
    """
    return r_loss_value(
        y_true,
        tau_pred,
        treatment=treatment,
        m_hat=m_hat,
        e_hat=e_hat,
        sample_weight=sample_weight,
    )


class _RLossScorer:
    """Scorer returning ``-r_loss``; requests ``treatment``, ``m_hat``, ``e_hat``.

    Used as ``scoring=r_loss_scorer`` with metadata routing enabled; the three
    arrays are row-aligned, so cross-validation slices them with ``X``.
    """

    _keys = ("treatment", "m_hat", "e_hat")

    def __call__(
        self,
        estimator,
        X,
        y_true,
        *,
        treatment=None,
        m_hat=None,
        e_hat=None,
        sample_weight=None,
    ):
        given = {"treatment": treatment, "m_hat": m_hat, "e_hat": e_hat}
        missing = [k for k, v in given.items() if v is None]
        if missing:
            raise ValueError(
                f"r_loss_scorer needs {missing}: enable metadata routing "
                "(sklearn.set_config(enable_metadata_routing=True)) and pass "
                "treatment, m_hat and e_hat to the search's fit, with m_hat and "
                "e_hat from skreweight.causal.cross_fit_nuisances. Without them "
                "no R-loss can be computed."
            )
        tau = estimator.predict(X)
        return -r_loss(
            y_true,
            tau,
            treatment=treatment,
            m_hat=m_hat,
            e_hat=e_hat,
            sample_weight=sample_weight,
        )

    def get_metadata_routing(self):
        """Metadata the scorer requests: ``treatment``, ``m_hat``, ``e_hat``.

        Returns
        -------
        routing : MetadataRequest
            The scorer's requests.
        """
        request = MetadataRequest(owner=self)
        for key in self._keys:
            request.score.add_request(param=key, alias=True)
        return request

    def __repr__(self):
        return "r_loss_scorer"


#: Scorer for model selection by R-loss: ``scorer(estimator, X, y,
#: treatment=t, m_hat=m, e_hat=e)`` returns ``-r_loss(y, estimator.predict(X),
#: ...)`` (greater is better). It requests ``treatment``, ``m_hat`` and
#: ``e_hat`` under metadata routing and raises ``ValueError`` when any is
#: missing, so a search never silently scores every candidate as NaN.
r_loss_scorer = _RLossScorer()
