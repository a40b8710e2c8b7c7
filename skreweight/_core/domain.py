"""Density ratios from a domain classifier: the source-vs-target problem.

Shared by :class:`~skreweight.weighting.ClassifierDensityRatio` and
:class:`~skreweight.neural.NeuralDensityRatio`: the pooled rows and their
domain labels and weights, the prior correction, the uncovered-target rule
and the ratio ``prior * p / (1 - p)``.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from .encoding import domain_cut, uncovered_target_share, warn_uncovered_target


def domain_problem(X, X_target, sample_weight, *, balance_domains, label_dtype):
    """Pooled rows ``Z``, domain labels (1 = target) and their weights.

    With ``balance_domains`` the target rows weigh as much in total as the
    (weighted) source rows.
    """
    n_s, n_t = float(sample_weight.sum()), float(X_target.shape[0])
    Z = np.vstack([X, X_target])
    d = np.r_[
        np.zeros(X.shape[0], dtype=label_dtype),
        np.ones(X_target.shape[0], dtype=label_dtype),
    ]
    target_w = n_s / n_t if balance_domains else 1.0
    dw = np.r_[sample_weight, np.full(X_target.shape[0], target_w)]
    return Z, d, dw


class DomainRatioMixin:
    """The ratio of a fitted domain classifier; the host defines
    ``_proba_target(X, clip)`` and sets ``estimator_``."""

    def _finish_domain_fit(self, X, X_target, sample_weight):
        """Set the prior and the uncovered share (warning); return the ratio."""
        n_s, n_t = float(sample_weight.sum()), float(X_target.shape[0])
        self._prior = 1.0 if self.balance_domains else n_s / n_t
        p_target = self._proba_target(X_target, clip=False)
        # With balanced domains, P(target|x) > 0.99 means p_t(x) > 99 p_s(x).
        self.uncovered_target_share_ = uncovered_target_share(
            p_target, domain_cut(n_s, n_t, self.balance_domains)
        )
        warn_uncovered_target(
            type(self).__name__,
            self.uncovered_target_share_,
            "target density over 99 times the source density",
        )
        return self._ratio(X)

    def _ratio(self, X):
        p = self._proba_target(X)
        with np.errstate(divide="ignore"):
            return self._prior * p / (1.0 - p)

    def _compute_weights(self, X, y, X_target=None):
        if self.estimator_ is None:
            return np.ones(X.shape[0])
        return self._ratio(X)
