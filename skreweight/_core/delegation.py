"""Delegation to a fitted inner estimator: one home for the meta-estimators.

:class:`DelegatingClassifierMixin` forwards ``classes_``, ``predict``,
``predict_proba``, ``predict_log_proba`` and ``decision_function`` to
``estimator_``, each method present only when the inner estimator has it
(:func:`estimator_has`, as scikit-learn's meta-estimators do).
:class:`ProbaPredictMixin` derives ``predict`` and ``predict_log_proba``
from a host's own ``predict_proba``.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from .docstrings import fill_doc


def estimator_has(attr):
    """``available_if`` check: the fitted (or else the given) estimator has ``attr``.

    The host defines ``_get_estimator()``, the estimator it would fit.
    """

    def check(self):
        if hasattr(self, "estimator_"):
            return hasattr(self.estimator_, attr)
        return hasattr(self._get_estimator(), attr)

    return check


@fill_doc
class DelegatingClassifierMixin:
    """Prediction methods of a classifier that forwards to ``estimator_``.

    The host sets ``estimator_`` in ``fit`` and defines ``_get_estimator()``.
    With ``_validate_delegated_input = True`` the rows are validated against
    the features seen in ``fit`` before they are forwarded.
    """

    _validate_delegated_input = False

    def _delegated_input(self, X):
        check_is_fitted(self, "estimator_")
        if self._validate_delegated_input:
            return validate_data(self, X, reset=False)
        return X

    @property
    def classes_(self):
        """Class labels known to the classifier."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.classes_

    def predict(self, X):
        """Predict with the fitted classifier.

        %(predict_doc)s
        """
        X = self._delegated_input(X)
        return self.estimator_.predict(X)

    @available_if(estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities from the fitted classifier.

        %(predict_proba_doc)s
        """
        X = self._delegated_input(X)
        return self.estimator_.predict_proba(X)

    @available_if(estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities from the fitted classifier.

        %(predict_log_proba_doc)s
        """
        X = self._delegated_input(X)
        return self.estimator_.predict_log_proba(X)

    @available_if(estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the fitted classifier.

        %(decision_function_doc)s
        """
        X = self._delegated_input(X)
        return self.estimator_.decision_function(X)


@fill_doc
class ProbaPredictMixin:
    """``predict`` and ``predict_log_proba`` from the host's ``predict_proba``."""

    def predict(self, X):
        """Most probable class.

        %(predict_doc)s
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`.

        %(predict_log_proba_doc)s
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))
