"""Importance weights for noisy labels, and their Dirichlet / resampled draws."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.linear_model import LogisticRegression
from sklearn.utils import check_random_state, get_tags

from .._core.encoding import check_classes
from ..base import WeighterMixin
from ..utils._sklearn_compat import HasMethods, Interval, StrOptions
from ._transition import (
    NoiseTransitionEstimator,
    check_transition_matrix,
    cross_fitted_proba,
)

__all__ = ["DirichletReweighting", "TransitionReweighting"]

_TINY = 1e-300


def clean_posteriors(noisy_proba, T, *, max_iter=1000, tol=1e-10):
    """Clean posteriors ``p`` with ``p T`` closest to ``noisy_proba`` (KL).

    Row by row, ``p`` minimises ``KL(p~ || p T)`` over the simplex: the
    forward-corrected likelihood of the noisy posterior ``p~``. Where
    ``p~ T^{-1}`` is a distribution it is that exact solution; elsewhere
    (an estimated ``p~`` outside the image of ``T``) the minimiser is found by
    the EM iteration of a mixture with fixed components, the rows of ``T``,
    started at the clipped inverse.
    """
    K = T.shape[0]
    clean = np.linalg.solve(T.T, noisy_proba.T).T
    outside = np.flatnonzero(np.any(clean < 0, axis=1))
    clean = np.clip(clean, 0.0, None)
    clean /= np.maximum(clean.sum(axis=1, keepdims=True), _TINY)
    if outside.size:
        target = noisy_proba[outside]
        p = np.where(np.isfinite(clean[outside]), clean[outside], 1.0 / K)
        p = 0.5 * p + 0.5 / K  # an interior start: EM keeps zeros at zero
        for _ in range(max_iter):
            ratio = target / np.maximum(p @ T, _TINY)
            new = p * (ratio @ T.T)
            new /= new.sum(axis=1, keepdims=True)
            done = np.max(np.abs(new - p)) < tol
            p = new
            if done:
                break
        p[p < tol] = 0.0  # EM only approaches the boundary
        clean[outside] = p / p.sum(axis=1, keepdims=True)
    return clean


def importance_weights(noisy_proba, T, y_index):
    """``beta_i = p(y_i | x_i) / (p(. | x_i) T)_{y_i}`` for noisy labels ``y_i``.

    The clean posterior ``p`` is ``p~ T^{-1}`` where that is a distribution,
    and otherwise its Kullback-Leibler projection (:func:`clean_posteriors`).

    Parameters
    ----------
    noisy_proba : ndarray of shape (n_samples, n_classes)
        Noisy posteriors ``p~(. | x_i)``.
    T : ndarray of shape (n_classes, n_classes)
        Validated transition matrix.
    y_index : ndarray of shape (n_samples,)
        Noisy labels as class positions.

    Returns
    -------
    beta : ndarray of shape (n_samples,)
        Non-negative weights, each at most ``1 / T[y_i, y_i]``.
    clean_proba : ndarray of shape (n_samples, n_classes)
        The clean posteriors used.
    """
    clean = clean_posteriors(noisy_proba, T)
    rows = np.arange(y_index.shape[0])
    num = clean[rows, y_index]
    den = (clean @ T)[rows, y_index]
    beta = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    return beta, clean


def draw_weights(mass, sample_weight, concentration, sampling, rng):
    """One DWS (Dirichlet) or RENT (multinomial) draw of per-row weights.

    ``mass`` is ``beta * sample_weight``; the draw ``g`` has mean proportional
    to ``mass`` and ``concentration * sum(sample_weight)`` draws in all, and
    the returned weights are ``g / sample_weight`` (0 where it is 0).
    """
    sw = sample_weight
    total = mass.sum()
    n_eff = concentration * sw.sum()
    if sampling == "dirichlet":
        shape = n_eff * mass / total
        draw = np.zeros_like(shape)
        pos = shape > 0
        draw[pos] = rng.gamma(shape[pos])
        if draw.sum() <= 0:  # every gamma underflowed: tiny concentration
            draw[np.argmax(shape)] = 1.0
    else:
        draw = rng.multinomial(max(int(round(n_eff)), 1), mass / total)
        draw = draw.astype(np.float64)
    return np.divide(draw, sw, out=np.zeros_like(draw), where=sw > 0)


class _TransitionWeighterMixin:
    """Cross-fitted noisy posteriors and the transition matrix, shared."""

    _requires_y = True
    _transition_constraints = {
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "transition_matrix": [
            "array-like",
            HasMethods(["fit", "get_params"]),
            None,
        ],
        "cv": ["cv_object"],
        "n_jobs": [Integral, None],
    }

    _out_of_sample = False

    def _get_estimator(self):
        return LogisticRegression() if self.estimator is None else self.estimator

    def compute_weights(self, X, y=None, **context):
        """Not available: the weights exist only for the rows passed to ``fit``.

        The in-sample weights come from out-of-fold probabilities, which no
        rule for new rows reproduces. To weight other rows (e.g. a validation
        set with noisy labels), fit the weighter on them, or apply
        ``p_k / (p T)_k`` to a classifier's probabilities yourself.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to weight.
        y : array-like of shape (n_samples,), default=None
            Their noisy labels.
        **context : dict
            Unused.

        Returns
        -------
        weights : ndarray of shape (n_samples,)
            Never returned; the method raises.
        """
        raise NotImplementedError(
            f"{type(self).__name__} weights only the rows passed to fit (see "
            "`weights_`): the weights come from out-of-fold probabilities, which "
            "no rule for new rows reproduces. Fit it on the rows you want to "
            "weight."
        )

    def _importance(self, X, y, sample_weight):
        """Set ``classes_``, ``transition_matrix_``, ...; return ``beta``."""
        name = type(self).__name__
        self.classes_, y_index = check_classes(y, name)
        proba = cross_fitted_proba(
            self._get_estimator(),
            X,
            y,
            sample_weight,
            self.classes_,
            self.cv,
            self.n_jobs,
        )
        T_param = self.transition_matrix
        self.transition_estimator_ = None
        if T_param is None:
            # the default estimator reuses these out-of-fold probabilities
            est = NoiseTransitionEstimator(self.estimator, cv=self.cv)
            est.classes_ = self.classes_
            est.n_features_in_ = self.n_features_in_
            if hasattr(self, "feature_names_in_"):
                est.feature_names_in_ = self.feature_names_in_
            est._set_transition(
                est._estimate(proba, y_index, sample_weight), y_index, sample_weight
            )
            est.oof_proba_ = proba
            self.transition_estimator_ = est
            T = est.transition_matrix_
        elif isinstance(T_param, NoiseTransitionEstimator):
            est = clone(T_param).fit(X, y, sample_weight=sample_weight)
            self.transition_estimator_ = est
            T = est.transition_matrix_
        elif hasattr(T_param, "fit"):
            raise TypeError(
                f"{name}: transition_matrix must be an array, a "
                f"NoiseTransitionEstimator or None, got {type(T_param).__name__}."
            )
        else:
            T = check_transition_matrix(T_param, self.classes_, owner=name)
        self.transition_matrix_ = T
        beta, _ = importance_weights(proba, T, y_index)
        self.oof_proba_ = proba
        return beta, y_index

    def _more_tags_from_estimator(self, tags):
        est_tags = get_tags(self._get_estimator())
        tags.input_tags.allow_nan = est_tags.input_tags.allow_nan
        return tags


class TransitionReweighting(_TransitionWeighterMixin, WeighterMixin, BaseEstimator):
    """Importance weights that turn the noisy-label risk into the clean one.

    Under class-conditional label noise with transition matrix
    ``T[i, j] = P(noisy j | clean i)``, weighting a row with noisy label
    ``k`` by ``beta(x, k) = p(y = k | x) / p~(y~ = k | x)`` makes the
    expected weighted noisy loss equal the expected clean loss, for any loss
    and any model (Liu & Tao, 2016). The noisy posterior ``p~`` comes from a
    probabilistic classifier fitted on the noisy labels (out of fold, in
    ``cv`` folds), the clean one from ``p = p~ T^{-1}`` (where that is not
    a distribution, the distribution ``p`` whose ``p T`` is closest to
    ``p~`` in Kullback-Leibler divergence), and the weight is
    ``p_k / (p T)_k``, which is ``p / p~`` when ``p~ T^{-1}`` was a
    distribution and never exceeds ``1 / T[k, k]``.

    ``T`` is given, or estimated from the same out-of-fold probabilities by
    :class:`NoiseTransitionEstimator`. Weights average 1 (under
    ``sample_weight``). Use them with any classifier that takes
    ``sample_weight`` through :class:`~skreweight.compose.ReweightedClassifier`.
    They exist only for the rows passed to ``fit`` (out-of-fold
    probabilities have no rule for new rows): :meth:`compute_weights` raises.

    Read more in the :ref:`User Guide <noisy>`.

    Parameters
    ----------
    estimator : classifier, default=None
        Probabilistic classifier for ``p~(. | x)``; ``LogisticRegression()``
        when None.
    transition_matrix : array-like of shape (n_classes, n_classes), \
            NoiseTransitionEstimator or None, default=None
        A known ``T`` (rows: clean classes, columns: noisy classes, in the
        order of the sorted labels); a :class:`NoiseTransitionEstimator`
        (cloned and fitted on the same rows); or None to estimate it with
        ``NoiseTransitionEstimator(estimator, cv=cv)`` from this weighter's
        own out-of-fold probabilities (no extra fits).
    cv : int, cross-validation generator or iterable, default=5
        Folds of the out-of-fold probabilities.
    n_jobs : int, default=None
        Folds fitted in parallel (joblib).

    Attributes
    ----------
    weights_ : ndarray of shape (n_samples,)
        Importance weights of the training rows, averaging 1.
    transition_matrix_ : ndarray of shape (n_classes, n_classes)
        The ``T`` used.
    transition_estimator_ : NoiseTransitionEstimator or None
        The fitted estimator of ``T`` (None when ``T`` was given).
    oof_proba_ : ndarray of shape (n_samples, n_classes)
        Out-of-fold noisy posteriors of the training rows.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    effective_sample_size_ : float
        Kish effective sample size of the weights.
    ess_ratio_ : float
        ``effective_sample_size_`` over the number of rows.
    max_weight_share_ : float
        Largest share of the total weight held by one row.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen in ``fit``, when X has string column names.

    See Also
    --------
    DirichletReweighting : Random weights around these (DWS, RENT).
    ForwardCorrectedClassifier : Correct the loss instead of the rows.

    References
    ----------
    .. [1] T. Liu and D. Tao, "Classification with Noisy Labels by Importance
       Reweighting", IEEE TPAMI 38(3), 2016.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.compose import ReweightedClassifier
    >>> from skreweight.datasets import add_label_noise
    >>> from skreweight.noisy import TransitionReweighting
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(1000, 2))
    >>> y = (X[:, 0] + X[:, 1] > 0).astype(int)
    >>> y_noisy, T = add_label_noise(y, rate=0.3, random_state=0)
    >>> weighter = TransitionReweighting(transition_matrix=T).fit(X, y_noisy)
    >>> bool(weighter.weights_[y_noisy != y].mean() < weighter.weights_.mean())
    True
    >>> clf = ReweightedClassifier(TransitionReweighting(transition_matrix=T))
    >>> clf.fit(X, y_noisy).predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints = dict(_TransitionWeighterMixin._transition_constraints)

    def __init__(self, estimator=None, *, transition_matrix=None, cv=5, n_jobs=None):
        self.estimator = estimator
        self.transition_matrix = transition_matrix
        self.cv = cv
        self.n_jobs = n_jobs

    def _fit(self, X, y, sample_weight):
        return self._importance(X, y, sample_weight)[0]

    def __sklearn_tags__(self):
        return self._more_tags_from_estimator(super().__sklearn_tags__())


class DirichletReweighting(_TransitionWeighterMixin, WeighterMixin, BaseEstimator):
    """Random per-row weights around the noisy-label importance weights (DWS, RENT).

    Bae et al. (ICLR 2024) draw the per-row weights from a Dirichlet
    distribution whose mean is the normalised importance weight vector
    ``mu`` of :class:`TransitionReweighting` (*Dirichlet-based per-sample
    weight sampling*, DWS), ``w ~ Dirichlet(concentration * n * mu)``, or
    resample ``concentration * n`` rows with probabilities ``mu`` (*RENT*,
    resampling with the transition matrix). Large ``concentration``
    approaches importance reweighting; small values spread the weights, which
    the paper finds makes training more robust to errors in ``mu``.

    One draw is made per ``fit``, seeded by ``random_state``; the weights
    average 1 (under ``sample_weight``). ``concentration=1`` is the Bayesian
    bootstrap (``"dirichlet"``) or the bootstrap (``"multinomial"``) of the
    importance-weighted sample. The paper's ``alpha`` acts on a mini-batch of
    ``B`` rows and is this ``concentration`` times ``B``. The weights exist
    only for the rows passed to ``fit``: :meth:`compute_weights` raises.

    Read more in the :ref:`User Guide <noisy>`.

    Parameters
    ----------
    estimator : classifier, default=None
        Probabilistic classifier for the noisy posterior;
        ``LogisticRegression()`` when None.
    transition_matrix : array-like of shape (n_classes, n_classes), \
            NoiseTransitionEstimator or None, default=None
        As in :class:`TransitionReweighting`.
    concentration : float > 0, default=1.0
        Draws per row: the Dirichlet parameter is ``concentration * n * mu``,
        the resample size ``round(concentration * n)``.
    sampling : {"dirichlet", "multinomial"}, default="dirichlet"
        ``"dirichlet"`` (DWS) or ``"multinomial"`` (RENT: the weights are
        resampling counts; a row drawn zero times is dropped).
    cv : int, cross-validation generator or iterable, default=5
        Folds of the out-of-fold probabilities.
    n_jobs : int, default=None
        Folds fitted in parallel (joblib).
    random_state : int, RandomState instance or None, default=None
        Seed of the draw.

    Attributes
    ----------
    weights_ : ndarray of shape (n_samples,)
        The drawn weights of the training rows, averaging 1.
    importance_weights_ : ndarray of shape (n_samples,)
        The importance weights they are drawn around (averaging 1).
    transition_matrix_ : ndarray of shape (n_classes, n_classes)
        The ``T`` used.
    transition_estimator_ : NoiseTransitionEstimator or None
        The fitted estimator of ``T`` (None when ``T`` was given).
    oof_proba_ : ndarray of shape (n_samples, n_classes)
        Out-of-fold noisy posteriors of the training rows.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    effective_sample_size_ : float
        Kish effective sample size of the weights.
    ess_ratio_ : float
        ``effective_sample_size_`` over the number of rows.
    max_weight_share_ : float
        Largest share of the total weight held by one row.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen in ``fit``, when X has string column names.

    See Also
    --------
    TransitionReweighting : The deterministic importance weights.

    References
    ----------
    .. [1] H. Bae, S. Shin, B. Na and I.-C. Moon, "Dirichlet-based Per-Sample
       Weighting by Transition Matrix for Noisy Label Learning", ICLR 2024.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.datasets import add_label_noise
    >>> from skreweight.noisy import DirichletReweighting
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(500, 2))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> y_noisy, T = add_label_noise(y, rate=0.2, random_state=0)
    >>> rent = DirichletReweighting(
    ...     transition_matrix=T, sampling="multinomial", random_state=0
    ... ).fit(X, y_noisy)
    >>> bool(np.all(rent.weights_ == np.round(rent.weights_)))  # counts
    True
    >>> dws = DirichletReweighting(transition_matrix=T, concentration=1e6,
    ...                            random_state=0).fit(X, y_noisy)
    >>> bool(np.allclose(dws.weights_, dws.importance_weights_, rtol=0.05))
    True
    """

    _parameter_constraints = {
        **_TransitionWeighterMixin._transition_constraints,
        "concentration": [Interval(Real, 0, None, closed="neither")],
        "sampling": [StrOptions({"dirichlet", "multinomial"})],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        transition_matrix=None,
        concentration=1.0,
        sampling="dirichlet",
        cv=5,
        n_jobs=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.transition_matrix = transition_matrix
        self.concentration = concentration
        self.sampling = sampling
        self.cv = cv
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _fit(self, X, y, sample_weight):
        beta, _ = self._importance(X, y, sample_weight)
        sw = sample_weight
        mass = beta * sw
        total = mass.sum()
        if total <= 0:
            raise ValueError(
                f"{type(self).__name__}: every importance weight is 0; the "
                "classifier gives no row's noisy label any clean probability."
            )
        self.importance_weights_ = beta * sw.sum() / total
        rng = check_random_state(self.random_state)
        return draw_weights(mass, sw, self.concentration, self.sampling, rng)

    def __sklearn_tags__(self):
        tags = self._more_tags_from_estimator(super().__sklearn_tags__())
        tags.non_deterministic = self.random_state is None
        return tags
