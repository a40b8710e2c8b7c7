"""Scorers for model selection when the evaluation population differs."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.base import clone
from sklearn.metrics import accuracy_score, get_scorer, make_scorer
from sklearn.utils.metadata_routing import MetadataRequest

from ..utils._sklearn_compat import _safe_indexing
from ..utils.validation import check_sample_group

__all__ = [
    "IWCVScorer",
    "WorstGroupScorer",
    "importance_weighted_scorer",
    "worst_group_accuracy",
]


def importance_weighted_scorer(score_func=accuracy_score, *, alias="iw", **kwargs):
    """Make a scorer weighted by fixed, precomputed importance weights.

    ``score_func`` is a metric function or a scikit-learn scoring name
    (``"roc_auc"``, ``"neg_log_loss"``, ``"balanced_accuracy"``, ... as for
    ``GridSearchCV(scoring=...)``); a name keeps the scorer's response method
    and sign.

    The weights are routed to ``score_func`` as its ``sample_weight`` under
    the name ``alias``: compute them once, outside the search (from all source
    rows against all target rows, with a weighter independent of the
    candidates), then pass them to ``GridSearchCV.fit(..., iw=weights)``. Being
    row-aligned, they are sliced with each fold. This is importance-weighted
    cross-validation (Sugiyama et al., 2007) with any scikit-learn metric, and
    it needs metadata routing to be enabled.

    Parameters
    ----------
    score_func : callable or str, default=accuracy_score
        Metric with signature ``score_func(y_true, y_pred, sample_weight=...)``,
        or the name of a scikit-learn scorer that accepts ``sample_weight``.
    alias : str, default="iw"
        Name under which the weights are passed to ``fit`` of the search.
    **kwargs : dict
        Passed to :func:`sklearn.metrics.make_scorer` (e.g.
        ``response_method``, ``greater_is_better``); only with a callable.

    Returns
    -------
    scorer : callable
        A scorer requesting ``sample_weight`` under ``alias``.

    Examples
    --------
    >>> import sklearn
    >>> from skreweight.model_selection import importance_weighted_scorer
    >>> with sklearn.config_context(enable_metadata_routing=True):
    ...     scorer = importance_weighted_scorer(alias="iw")
    ...     auc = importance_weighted_scorer("roc_auc")
    """
    if isinstance(score_func, str):
        if kwargs:
            raise TypeError(
                f"importance_weighted_scorer({score_func!r}) takes no make_scorer "
                f"arguments ({sorted(kwargs)}): a scoring name fixes them. Pass "
                "the metric function instead to set them."
            )
        return get_scorer(score_func).set_score_request(sample_weight=alias)
    return make_scorer(score_func, **kwargs).set_score_request(sample_weight=alias)


def worst_group_accuracy(y_true, y_pred, *, sample_group):
    """Lowest accuracy over the groups in ``sample_group``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    sample_group : array-like of shape (n_samples,)
        Group of each row.

    Returns
    -------
    score : float
        ``min_g accuracy(y_true[g], y_pred[g])``.

    Examples
    --------
    >>> from skreweight.model_selection import worst_group_accuracy
    >>> worst_group_accuracy([0, 1, 1, 0], [0, 1, 0, 0], sample_group=[0, 0, 1, 1])
    0.5
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    g = check_sample_group(sample_group, y_true.shape[0], allow_none=False)
    return float(min(np.mean(y_true[g == v] == y_pred[g == v]) for v in np.unique(g)))


class _MetadataScorer:
    """A scorer object that requests metadata for its ``__call__``."""

    _requests = {}

    def get_metadata_routing(self):
        """Get the metadata this scorer requests.

        Returns
        -------
        routing : MetadataRequest
        """
        request = MetadataRequest(owner=self)
        for name in self._requests:
            request.score.add_request(param=name, alias=True)
        return request

    def __repr__(self):
        return f"{type(self).__name__}()"


class WorstGroupScorer(_MetadataScorer):
    """Scorer returning the worst score over groups; requests ``sample_group``.

    Use it as ``scoring=WorstGroupScorer()`` in ``GridSearchCV`` or
    ``cross_validate`` with metadata routing enabled, and pass
    ``sample_group`` to ``fit``. It raises when ``sample_group`` does not
    arrive, instead of silently scoring a single group.

    Parameters
    ----------
    scoring : str or callable, default="accuracy"
        Any scikit-learn scoring name (``"roc_auc"``, ``"neg_log_loss"``,
        ``"balanced_accuracy"``, ...) or scorer ``scorer(estimator, X, y)``.
        Each group is scored on its own rows and the lowest (scikit-learn
        scorers are "greater is better") is returned. A metric that needs
        both classes (``"roc_auc"``) fails on a group holding one class.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from skreweight.model_selection import WorstGroupScorer
    >>> X, y = np.zeros((4, 1)), np.array([0, 0, 1, 0])
    >>> clf = DummyClassifier().fit(X, y)
    >>> WorstGroupScorer()(clf, X, y, sample_group=[0, 0, 1, 1])
    0.5
    >>> y = np.array([0, 1, 1, 0])  # both classes in each group
    >>> clf = DummyClassifier().fit(X, y)
    >>> WorstGroupScorer("balanced_accuracy")(clf, X, y, sample_group=[0, 0, 1, 1])
    0.5
    """

    _requests = {"sample_group": True}

    def __init__(self, scoring="accuracy"):
        self.scoring = scoring

    def __call__(self, estimator, X, y, sample_group=None, **kwargs):
        if sample_group is None:
            raise ValueError(
                "WorstGroupScorer needs sample_group: enable metadata routing and "
                "pass sample_group=... to fit of the search."
            )
        if self.scoring == "accuracy":
            return worst_group_accuracy(
                y, estimator.predict(X), sample_group=sample_group
            )
        y = np.asarray(y)
        g = check_sample_group(sample_group, y.shape[0], allow_none=False)
        scorer = get_scorer(self.scoring)
        return float(
            min(
                scorer(estimator, _safe_indexing(X, idx), y[idx])
                for idx in (np.flatnonzero(g == v) for v in np.unique(g))
            )
        )

    def __repr__(self):
        if self.scoring == "accuracy":
            return "WorstGroupScorer()"
        return f"WorstGroupScorer(scoring={self.scoring!r})"


class IWCVScorer(_MetadataScorer):
    """Importance-weighted cross-validation scorer that estimates weights per fold.

    On each validation fold it fits a clone of ``weighter`` on the fold's rows
    against ``X_target`` and scores with those weights (Sugiyama, Krauledat
    and Mueller, 2007). The weights come from a weighter independent of the
    candidate, never from the candidate's own weights, which would let a
    degenerate candidate flatter itself. ``X_target`` is requested by
    default; the scorer raises when it does not arrive.

    Parameters
    ----------
    weighter : weighter
        Density-ratio weighter taking ``X_target`` (e.g.
        :class:`~skreweight.weighting.ClassifierDensityRatio`).
    scoring : str or callable, default="accuracy"
        A scikit-learn scoring name or scorer; it must accept
        ``sample_weight``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skreweight.datasets import make_covariate_shift
    >>> from skreweight.model_selection import IWCVScorer
    >>> from skreweight.weighting import ClassifierDensityRatio
    >>> d = make_covariate_shift(200, 200, random_state=0)
    >>> clf = LogisticRegression().fit(d.X_source, d.y_source)
    >>> s = IWCVScorer(ClassifierDensityRatio())
    >>> 0 <= s(clf, d.X_source, d.y_source, X_target=d.X_target) <= 1
    True
    """

    _requests = {"X_target": True}

    def __init__(self, weighter, scoring="accuracy"):
        self.weighter = weighter
        self.scoring = scoring

    def __call__(self, estimator, X, y, X_target=None, **kwargs):
        if X_target is None:
            raise ValueError(
                "IWCVScorer needs X_target: enable metadata routing and pass "
                "X_target=... (or the tuple (X_target,)) to fit of the search."
            )
        weights = clone(self.weighter).fit_compute_weights(X, X_target=X_target)
        scorer = get_scorer(self.scoring)
        return scorer(estimator, X, y, sample_weight=weights)

    def __repr__(self):
        return f"IWCVScorer(weighter={self.weighter!r}, scoring={self.scoring!r})"
