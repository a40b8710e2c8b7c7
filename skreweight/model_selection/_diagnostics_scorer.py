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
    if not hasattr(weighter, "diagnostics_"):
        raise TypeError(
            f"WeightDiagnosticsScorer needs a fitted weighter, or a fitted "
            f"meta-estimator with a weighter_; got {type(estimator).__name__}."
        )
    return weighter


class WeightDiagnosticsScorer:
    """Score a candidate and report its weights' diagnostics, for ``cv_results_``.

    A multi-metric scorer (a callable returning a dict, as scikit-learn's
    searches accept): ``"score"`` is the candidate's score under ``scoring``;
    ``"ess_ratio"``, ``"max_weight_share"`` and ``"n_weight_warnings"`` come
    from the ``diagnostics_`` of the weights the candidate fitted on the
    training folds (:class:`~skreweight.base.WeightDiagnostics`: its
    ``ess_ratio``, ``max_weight_share`` and the number of its ``warnings``).
    A search then shows ``mean_test_ess_ratio`` and
    ``mean_test_n_weight_warnings`` beside ``mean_test_score`` for every
    candidate, so a candidate that scores well on a handful of rows, or whose
    folds warned, is visible although the warning was printed only once.
    Use ``refit="score"``.

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
    ['ess_ratio', 'max_weight_share', 'n_weight_warnings', 'score']
    """

    def __init__(self, scoring=None):
        self.scoring = scoring

    def __call__(self, estimator, X, y=None, **kwargs):
        weighter = _fitted_weighter(estimator)
        if self.scoring is None:
            score = estimator.score(X, y)
        else:
            score = get_scorer(self.scoring)(estimator, X, y)
        diagnostics = weighter.diagnostics_
        return {
            "score": float(score),
            "ess_ratio": diagnostics.ess_ratio,
            "max_weight_share": diagnostics.max_weight_share,
            "n_weight_warnings": len(diagnostics.warnings),
        }

    def __repr__(self):
        return f"WeightDiagnosticsScorer(scoring={self.scoring!r})"
