"""A scorer that reports the weights' diagnostics beside the score."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from sklearn.metrics import get_scorer

__all__ = ["WeightDiagnosticsScorer"]


def _fitted_weighter(estimator):
    """The fitted weighter of an estimator, a meta-estimator or a pipeline."""
    if hasattr(estimator, "steps"):  # a Pipeline: its final step
        estimator = estimator.steps[-1][1]
    weighter = getattr(estimator, "weighter_", estimator)
    if not hasattr(weighter, "weights_"):
        raise TypeError(
            f"WeightDiagnosticsScorer needs a fitted weighter, or a fitted "
            f"meta-estimator with a weighter_; got {type(estimator).__name__}."
        )
    return weighter


class WeightDiagnosticsScorer:
    """Score a candidate and report its weights' diagnostics, for ``cv_results_``.

    A multi-metric scorer (a callable returning a dict, as scikit-learn's
    searches accept): ``"score"`` is the candidate's score under ``scoring``;
    ``"ess_ratio"`` and ``"max_weight_share"`` are those of the weights the
    candidate fitted on the training folds (``weighter_.ess_ratio_``,
    ``weighter_.max_weight_share_``). A search then shows
    ``mean_test_ess_ratio`` beside ``mean_test_score`` for every candidate, so
    a candidate that scores well on a handful of rows is visible. Use
    ``refit="score"``.

    Parameters
    ----------
    scoring : str or callable, default=None
        A scikit-learn scoring name or scorer; None uses the estimator's
        ``score``. Metadata routing of the inner scorer's requests is not
        forwarded: use a scorer without metadata.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skreweight.compose import ReweightedClassifier
    >>> from skreweight.datasets import make_covariate_shift
    >>> from skreweight.model_selection import WeightDiagnosticsScorer
    >>> from skreweight.weighting import ClassifierDensityRatio
    >>> d = make_covariate_shift(200, 200, random_state=0)
    >>> clf = ReweightedClassifier(ClassifierDensityRatio(), LogisticRegression())
    >>> clf = clf.fit(d.X_source, d.y_source, X_target=d.X_target)
    >>> sorted(WeightDiagnosticsScorer("accuracy")(clf, d.X_source, d.y_source))
    ['ess_ratio', 'max_weight_share', 'score']
    """

    def __init__(self, scoring=None):
        self.scoring = scoring

    def __call__(self, estimator, X, y=None, **kwargs):
        weighter = _fitted_weighter(estimator)
        if self.scoring is None:
            score = estimator.score(X, y)
        else:
            score = get_scorer(self.scoring)(estimator, X, y)
        return {
            "score": float(score),
            "ess_ratio": float(weighter.ess_ratio_),
            "max_weight_share": float(weighter.max_weight_share_),
        }

    def __repr__(self):
        return f"WeightDiagnosticsScorer(scoring={self.scoring!r})"
