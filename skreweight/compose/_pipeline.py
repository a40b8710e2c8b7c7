"""Pipelines whose earlier steps also transform (or learn from) ``X_target``."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import scipy.sparse as sp
from sklearn import pipeline
from sklearn.base import BaseEstimator, MetaEstimatorMixin, TransformerMixin, clone
from sklearn.utils import check_array, get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils._sklearn_compat import HasMethods, _num_features, _num_samples
from ..utils.validation import warn_missing_context

__all__ = ["FitOnSourceAndTarget", "make_pipeline"]


def make_pipeline(*steps, memory=None, verbose=False):
    """Build a :class:`~sklearn.pipeline.Pipeline` that also transforms ``X_target``.

    Same as :func:`sklearn.pipeline.make_pipeline` with
    ``transform_input=["X_target"]``: every step before the final one
    transforms ``X_target`` as it transforms ``X``, so the weighter compares
    source and target rows in the same feature space. With a plain sklearn
    pipeline a scaler would scale ``X`` and leave ``X_target`` raw, silently.

    Passing ``X_target`` through a Pipeline needs metadata routing:
    ``sklearn.set_config(enable_metadata_routing=True)``.

    Parameters
    ----------
    *steps : list of estimators
        The steps.
    memory : str or object with the joblib.Memory interface, default=None
        Caching of the transformers, as in scikit-learn.
    verbose : bool, default=False
        Print the time of each step.

    Returns
    -------
    pipeline : Pipeline

    Examples
    --------
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skreweight.compose import ReweightedClassifier, make_pipeline
    >>> from skreweight.weighting import ClassifierDensityRatio
    >>> pipe = make_pipeline(StandardScaler(),
    ...                      ReweightedClassifier(ClassifierDensityRatio()))
    >>> pipe.transform_input
    ['X_target']
    """
    return pipeline.make_pipeline(
        *steps, memory=memory, verbose=verbose, transform_input=["X_target"]
    )


class FitOnSourceAndTarget(MetaEstimatorMixin, TransformerMixin, BaseEstimator):
    """Fit an unsupervised transformer on the source and target rows together.

    ``fit(X, X_target=Xt)`` fits a clone of ``transformer`` on
    ``vstack([X, Xt])``; ``transform`` applies it. Use it as an early pipeline
    step (a scaler, PCA) so the representation is shared by both domains.
    ``X_target`` is requested by default under metadata routing.

    Read more in the :ref:`User Guide <contract>`.

    Parameters
    ----------
    transformer : transformer
        Unsupervised transformer (``fit`` ignores y).

    Attributes
    ----------
    transformer_ : transformer
        The fitted clone.
    n_features_in_ : int
        Number of features seen in ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skreweight.compose import FitOnSourceAndTarget
    >>> X, Xt = np.zeros((3, 1)), np.full((1, 1), 4.0)
    >>> FitOnSourceAndTarget(StandardScaler()).fit(X, X_target=Xt).transformer_.mean_
    array([1.])
    """

    __metadata_request__fit = {"X_target": True}
    _parameter_constraints = {"transformer": [HasMethods(["fit", "transform"])]}

    def __init__(self, transformer):
        self.transformer = transformer

    def fit(self, X, y=None, *, X_target=None):
        """Fit the transformer on the source and target rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source rows.
        y : None
            Ignored.
        X_target : array-like of shape (n_target, n_features) or tuple, default=None
            Target rows; None fits on X alone.

        Returns
        -------
        self : object
        """
        self._validate_params()
        tags = get_tags(self.transformer)
        checked = validate_data(
            self,
            X,
            accept_sparse=tags.input_tags.sparse,
            ensure_all_finite="allow-nan" if tags.input_tags.allow_nan else True,
            dtype=None,
        )
        parts = [X if hasattr(X, "iloc") else checked]
        if X_target is None:
            warn_missing_context(
                type(self).__name__,
                "X_target",
                f"fitting {type(self.transformer).__name__} on X alone",
            )
        else:
            targets = list(X_target) if isinstance(X_target, tuple) else [X_target]
            for part in targets:
                self._check_target_part(part)
            parts += targets
        if all(hasattr(p, "iloc") for p in parts):
            import pandas as pd

            joint = pd.concat(parts, axis=0, ignore_index=True)
        elif any(sp.issparse(p) for p in parts):
            joint = sp.vstack(parts)
        else:
            joint = np.vstack([np.asarray(p) for p in parts])
        self.transformer_ = clone(self.transformer).fit(joint)
        return self

    def _check_target_part(self, part):
        if _num_samples(part) == 0:
            raise ValueError(
                "X_target has 0 rows: pass the target covariates, or X_target=None."
            )
        tags = get_tags(self.transformer)
        check_array(
            part,
            accept_sparse=tags.input_tags.sparse,
            ensure_all_finite="allow-nan" if tags.input_tags.allow_nan else True,
            dtype=None,
            input_name="X_target",
        )
        try:
            n_features = _num_features(part)
            validate_data(self, part, reset=False, skip_check_array=True)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"X_target does not match the X seen in fit: {exc} Pass target "
                "rows with the same columns as X."
            ) from exc
        if n_features != self.n_features_in_:
            raise ValueError(
                f"X_target has {n_features} features but X has "
                f"{self.n_features_in_}: pass target rows with the same columns."
            )

    def transform(self, X):
        """Transform X with the fitted transformer.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to transform.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
        """
        check_is_fitted(self, "transformer_")
        tags = get_tags(self.transformer)
        validate_data(
            self,
            X,
            reset=False,
            accept_sparse=tags.input_tags.sparse,
            ensure_all_finite="allow-nan" if tags.input_tags.allow_nan else True,
            dtype=None,
        )
        return self.transformer_.transform(X)

    @available_if(lambda self: hasattr(self.transformer, "get_feature_names_out"))
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.transformer)
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        return tags

    def get_feature_names_out(self, input_features=None):
        """Output feature names, from the wrapped transformer.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Input feature names.

        Returns
        -------
        names : ndarray of str
        """
        check_is_fitted(self, "transformer_")
        return self.transformer_.get_feature_names_out(input_features)
