"""The noise transition matrix: validation, cross-fitted posteriors, estimation.

``T[i, j] = P(noisy label j | clean label i)``; rows sum to 1, rows and
columns in the order of the sorted classes.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, check_cv
from sklearn.utils import check_random_state, get_tags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d, validate_data

from .._core.encoding import check_classes
from .._core.label_shift import aligned_proba, fit_classifier
from ..utils._sklearn_compat import (
    HasMethods,
    Interval,
    StrOptions,
    _fit_context,
    _safe_indexing,
)
from ..utils.validation import check_sample_weight

__all__ = ["NoiseTransitionEstimator", "check_transition_matrix"]

#: Largest condition number of an accepted transition matrix.
MAX_CONDITION = 1e12


def check_transition_matrix(
    transition_matrix, classes, *, name="transition_matrix", owner=None
):
    """Validate a transition matrix against the classes seen in ``fit``.

    Parameters
    ----------
    transition_matrix : array-like of shape (n_classes, n_classes)
        ``T[i, j] = P(noisy label j | clean label i)``, rows and columns in
        the order of ``classes``.
    classes : ndarray of shape (n_classes,)
        Sorted class labels.
    name : str, default="transition_matrix"
        Parameter name for the messages.
    owner : str, default=None
        Name of the estimator, for the messages.

    Returns
    -------
    T : ndarray of shape (n_classes, n_classes)
        A float64 copy, rows renormalised to sum exactly to 1.

    Warns
    -----
    UserWarning
        When a row's diagonal entry is not its largest entry: the noise is then
        beyond the limit at which it can be estimated from noisy labels.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.noisy import check_transition_matrix
    >>> check_transition_matrix([[0.9, 0.1], [0.2, 0.8]], np.array([0, 1]))
    array([[0.9, 0.1],
           [0.2, 0.8]])
    """
    who = f"{owner}: " if owner else ""
    K = len(classes)
    try:
        T = np.array(transition_matrix, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{who}{name} must be a numeric (n_classes, n_classes) array; "
            f"converting it failed ({exc})."
        ) from exc
    labels = [c.item() if hasattr(c, "item") else c for c in classes]
    if T.shape != (K, K):
        raise ValueError(
            f"{who}{name} has shape {T.shape}, but y has {K} classes {labels}: "
            f"pass a ({K}, {K}) matrix with T[i, j] = P(noisy label j | clean "
            "label i), rows and columns in the order of the sorted classes."
        )
    if not np.all(np.isfinite(T)):
        raise ValueError(f"{who}{name} contains NaN or infinity.")
    if np.any(T < 0):
        raise ValueError(
            f"{who}{name} has negative entries; its entries are probabilities."
        )
    sums = T.sum(axis=1)
    if not np.allclose(sums, 1.0, rtol=0, atol=1e-6):
        raise ValueError(
            f"{who}each row of {name} must sum to 1 (row i is the distribution "
            f"of the noisy label given clean label i), got row sums "
            f"{np.round(sums, 6).tolist()}. If you hold P(clean | noisy) or a "
            "column-stochastic matrix (cleanlab's noise_matrix), transpose it."
        )
    T = T / sums[:, None]
    cond = np.linalg.cond(T)
    if not np.isfinite(cond) or cond > MAX_CONDITION:
        raise ValueError(
            f"{who}{name} is singular (condition number {cond:.3g}): two clean "
            "classes produce the same noisy-label distribution, so the noise "
            "cannot be undone. Symmetric noise is singular at rate (K-1)/K, "
            "pair-flip noise at rate 1/2 when the number of classes is even."
        )
    off = T - np.diag(np.diag(T))
    bad = np.flatnonzero(np.diag(T) <= off.max(axis=1))
    if bad.size:
        warnings.warn(
            f"{who}{name} is at or beyond the identifiable limit: for class(es) "
            f"{[labels[i] for i in bad]} the probability of keeping the label "
            f"({np.round(np.diag(T)[bad], 3).tolist()}) is not larger than that "
            "of the most likely flip. Such noise cannot be told apart from a "
            "relabelling of the classes, so it cannot be estimated from noisy "
            "labels, and the corrections are only as good as this matrix. "
            "Check that rows are clean labels and columns noisy labels.",
            UserWarning,
            stacklevel=3,
        )
    return T


def _repeated_folds(cv, X, y, n_repeats, random_state):
    """The splits of ``cv``, or of ``n_repeats`` shuffled stratified K-folds."""
    if n_repeats == 1:
        return list(check_cv(cv, y, classifier=True).split(X, y))
    if cv is not None and (not isinstance(cv, Integral) or isinstance(cv, bool)):
        raise ValueError(
            f"n_repeats={n_repeats} draws shuffled StratifiedKFold splits and "
            f"needs an int cv (the number of folds), got {cv!r}; pass "
            "n_repeats=1 to use your own splitter."
        )
    rng = check_random_state(random_state)
    folds = []
    for _ in range(n_repeats):
        seed = rng.randint(np.iinfo(np.int32).max)
        splitter = StratifiedKFold(
            5 if cv is None else cv, shuffle=True, random_state=seed
        )
        folds.extend(splitter.split(X, y))
    return folds


def cross_fitted_proba(
    estimator, X, y, sample_weight, classes, cv, n_jobs, n_repeats=1, random_state=None
):
    """Out-of-fold ``predict_proba`` of ``estimator`` on every row.

    Parameters
    ----------
    estimator : classifier
        Unfitted probabilistic classifier (cloned per fold).
    X : array-like of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Noisy labels.
    sample_weight : ndarray of shape (n_samples,)
    classes : ndarray of shape (n_classes,)
        Sorted classes of ``y``; a class absent from a training fold gets
        probability 0 in that fold.
    cv : int, cross-validation generator or iterable
        Splits; an int gives :class:`~sklearn.model_selection.StratifiedKFold`.
    n_jobs : int or None
        Folds fitted in parallel (joblib).
    n_repeats : int, default=1
        With more than one, ``cv`` (an int) shuffled stratified splits are
        drawn ``n_repeats`` times and the out-of-fold probabilities averaged.
    random_state : int, RandomState instance or None, default=None
        Seed of the shuffled splits (``n_repeats > 1`` only).

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes)
    """
    folds = _repeated_folds(cv, X, y, n_repeats, random_state)
    sw_all_one = bool(np.all(sample_weight == 1))

    def one(train, test):
        est = fit_classifier(
            clone(estimator),
            _safe_indexing(X, train),
            y[train],
            None if sw_all_one else sample_weight[train],
        )
        return test, aligned_proba(est, _safe_indexing(X, test), classes)

    out = Parallel(n_jobs=n_jobs)(delayed(one)(tr, te) for tr, te in folds)
    proba = np.zeros((y.shape[0], classes.shape[0]))
    count = np.zeros(y.shape[0])
    for test, p in out:
        proba[test] += p
        count[test] += 1
    if np.any(count != n_repeats):
        raise ValueError(
            "The cross-validation splits do not cover every row once; pass a "
            "partition of the rows (e.g. KFold), not a subsample."
        )
    return proba / n_repeats


def _weighted_quantile_row(values, sample_weight, q):
    """Index of the row at the ``q`` quantile of ``values`` (inverted CDF)."""
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(sample_weight[order])
    pos = np.searchsorted(cum, q * cum[-1], side="left")
    return order[min(pos, order.shape[0] - 1)]


def _anchor_transition(proba, sample_weight, quantile):
    """Row ``i`` of ``T`` is the noisy posterior at the anchor of class ``i``."""
    K = proba.shape[1]
    keep = sample_weight > 0
    P, sw = proba[keep], sample_weight[keep]
    T = np.empty((K, K))
    for i in range(K):
        if quantile is None:
            idx = int(np.argmax(P[:, i]))
        else:
            idx = _weighted_quantile_row(P[:, i], sw, quantile)
        T[i] = P[idx]
    return T


def _confident_joint_transition(proba, y_index, sample_weight):
    """``T`` from the calibrated confident joint (Northcutt et al., 2021)."""
    n, K = proba.shape
    noisy_counts = np.bincount(y_index, weights=sample_weight, minlength=K)
    own = proba[np.arange(n), y_index]
    thresholds = np.bincount(y_index, weights=sample_weight * own, minlength=K)
    thresholds = thresholds / np.where(noisy_counts > 0, noisy_counts, 1.0)
    confident = proba >= thresholds - 1e-12
    any_confident = confident.any(axis=1)
    guess = np.argmax(np.where(confident, proba, -np.inf), axis=1)
    joint = np.zeros((K, K))  # [noisy, clean]
    np.add.at(
        joint,
        (y_index[any_confident], guess[any_confident]),
        sample_weight[any_confident],
    )
    row = joint.sum(axis=1)
    empty = row <= 0
    joint[empty] = 0.0
    joint[empty, np.flatnonzero(empty)] = 1.0
    row[empty] = 1.0
    joint = joint / row[:, None] * noisy_counts[:, None]
    col = joint.sum(axis=0)
    T = np.eye(K)
    seen = col > 0
    T[seen] = (joint[:, seen] / col[seen]).T
    return T, np.flatnonzero(~seen)


def project_identifiable(T):
    """Project each row of ``T`` onto the rows whose diagonal is their largest.

    Identifiable noise keeps each clean class's own label the most likely
    (``T[i, i] >= T[i, j]``). A row that breaks this is replaced by its
    Euclidean projection onto that convex set: the diagonal and the entries
    above it are pooled to their mean (largest first, as long as the next
    entry exceeds the running mean); the row sum is kept.

    Returns the projected copy and the positions of the rows that changed.
    """
    T = np.array(T, dtype=np.float64)
    changed = []
    for i in range(T.shape[0]):
        row = T[i]
        others = np.delete(np.arange(row.shape[0]), i)
        pool = [i]
        for j in others[np.argsort(-row[others], kind="stable")]:
            if row[j] <= row[pool].mean():
                break
            pool.append(j)
        if len(pool) > 1:
            row[pool] = row[pool].mean()
            changed.append(i)
    return T, np.array(changed, dtype=int)


def estimate_transition(proba, y_index, sample_weight, method, quantile):
    """Estimate ``T`` from cross-fitted noisy posteriors.

    Returns the row-stochastic estimate, projected onto the identifiable
    rows (:func:`project_identifiable`), the classes the data said nothing
    about (their rows are left at the identity) and the classes whose rows
    the projection changed.
    """
    unseen = np.array([], dtype=int)
    if method == "confident_joint":
        T, unseen = _confident_joint_transition(proba, y_index, sample_weight)
    else:
        q = None if method == "anchor" else quantile
        T = _anchor_transition(proba, sample_weight, q)
    T = np.clip(T, 0.0, None)
    sums = T.sum(axis=1)
    zero = sums <= 0
    T[zero] = np.eye(T.shape[0])[zero]
    sums[zero] = 1.0
    T, projected = project_identifiable(T / sums[:, None])
    return T, unseen, projected


def clean_priors(T, noisy_priors):
    """Clean class priors ``pi`` solving ``noisy_priors = pi @ T`` (clipped)."""
    pi = np.linalg.solve(T.T, noisy_priors)
    pi = np.clip(pi, 0.0, None)
    total = pi.sum()
    return pi / total if total > 0 else np.full_like(pi, 1.0 / pi.shape[0])


class NoiseTransitionEstimator(BaseEstimator):
    """Estimate the noise transition matrix of class-conditional label noise.

    ``T[i, j] = P(noisy label j | clean label i)``. A probabilistic classifier
    is fitted on the noisy labels in ``cv`` folds; ``T`` is read off its
    out-of-fold probabilities ``p~(. | x)``:

    - ``"anchor"`` (Patrini et al., 2017): row ``i`` is ``p~(. | x)`` at the
      row with the largest ``p~(i | x)``, taken as an anchor point of class
      ``i`` (a row that is surely of class ``i``).
    - ``"quantile"``: the same at the row at the ``quantile`` of ``p~(i | x)``
      rather than its maximum (Patrini et al.'s robust variant, 0.97).
    - ``"confident_joint"`` (Northcutt et al., 2021, as in cleanlab): count
      the rows whose ``p~(j | x)`` reaches the mean ``p~(j | x)`` of the rows
      labelled ``j`` as truly of class ``j``, calibrate the counts to the
      noisy class sizes, and normalise per clean class.

    Estimated rows are clipped at 0, renormalised and projected onto the
    identifiable rows (diagonal largest; a row beyond it has its diagonal
    pooled with the larger entries, with a warning: the classes overlap and
    the estimate counts the classifier's confusion as noise). With
    ``transition_matrix`` given nothing is estimated: the matrix is validated
    (and must be square, finite, non-negative, row-stochastic and
    invertible) and reported with the same attributes.

    Read more in the :ref:`User Guide <noisy>`.

    Parameters
    ----------
    estimator : classifier, default=None
        Probabilistic classifier (with ``predict_proba``), cloned per fold;
        ``LogisticRegression()`` when None. Scale the features first (a
        :class:`~sklearn.pipeline.Pipeline`) when they differ in scale.
    method : {"confident_joint", "quantile", "anchor"}, \
            default="confident_joint"
        How ``T`` is read off the out-of-fold probabilities. The confident
        joint averages over many rows and was the most accurate in
        ``benchmarks/bench_noisy.py``; the anchor estimates need probabilities
        that level off at the noise plateau, which a logistic regression's
        do not.
    quantile : float in (0, 1], default=0.97
        Quantile of ``"quantile"``; 1 is ``"anchor"``.
    transition_matrix : array-like of shape (n_classes, n_classes), default=None
        A known ``T``; then no classifier is fitted.
    cv : int, cross-validation generator or iterable, default=5
        Folds of the out-of-fold probabilities (an int gives
        :class:`~sklearn.model_selection.StratifiedKFold`).
    n_jobs : int, default=None
        Folds fitted in parallel (joblib).
    n_repeats : int >= 1, default=1
        With more than one, the out-of-fold probabilities are averaged over
        ``n_repeats`` shuffled stratified ``cv``-fold splits (``cv`` must be
        an int): less variance from the choice of folds, ``n_repeats`` times
        the fits.
    random_state : int, RandomState instance or None, default=None
        Seed of those shuffled splits; unused when ``n_repeats=1``.

    Attributes
    ----------
    transition_matrix_ : ndarray of shape (n_classes, n_classes)
        Estimated (or given) ``T``, rows summing to 1.
    class_noise_rate_ : ndarray of shape (n_classes,)
        ``1 - diag(T)``: the flip probability of each clean class.
    noise_rate_ : float
        Share of flipped labels, ``sum_i pi_i (1 - T[i, i])``, with the clean
        priors ``pi`` solved from the noisy ones (``pi~ = pi T``).
    clean_priors_ : ndarray of shape (n_classes,)
        Those clean priors.
    oof_proba_ : ndarray of shape (n_samples, n_classes) or None
        Out-of-fold noisy posteriors of the training rows (None when
        ``transition_matrix`` was given).
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen in ``fit``, when X has string column names.

    See Also
    --------
    TransitionReweighting : Importance weights from ``T``.
    ForwardCorrectedClassifier : Logistic regression with a loss corrected by
        ``T``.
    skreweight.datasets.add_label_noise : Noise with a known ``T``.

    References
    ----------
    .. [1] G. Patrini, A. Rozza, A. K. Menon, R. Nock and L. Qu, "Making Deep
       Neural Networks Robust to Label Noise: a Loss Correction Approach",
       CVPR 2017.
    .. [2] C. G. Northcutt, L. Jiang and I. L. Chuang, "Confident Learning:
       Estimating Uncertainty in Dataset Labels", JAIR 70, 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.datasets import add_label_noise
    >>> from skreweight.noisy import NoiseTransitionEstimator
    >>> rng = np.random.RandomState(0)
    >>> y = rng.randint(0, 3, size=3000)
    >>> X = np.eye(3)[y] * 4 + rng.normal(size=(3000, 3))
    >>> y_noisy, T = add_label_noise(y, "pair", 0.2, random_state=0)
    >>> est = NoiseTransitionEstimator().fit(X, y_noisy)
    >>> est.transition_matrix_.round(1)
    array([[0.8, 0.2, 0. ],
           [0. , 0.8, 0.2],
           [0.2, 0. , 0.8]])
    >>> round(est.noise_rate_, 1)
    0.2
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "method": [StrOptions({"quantile", "anchor", "confident_joint"})],
        "quantile": [Interval(Real, 0, 1, closed="right")],
        "transition_matrix": ["array-like", None],
        "cv": ["cv_object"],
        "n_jobs": [Integral, None],
        "n_repeats": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        method="confident_joint",
        quantile=0.97,
        transition_matrix=None,
        cv=5,
        n_jobs=None,
        n_repeats=1,
        random_state=None,
    ):
        self.estimator = estimator
        self.method = method
        self.quantile = quantile
        self.transition_matrix = transition_matrix
        self.cv = cv
        self.n_jobs = n_jobs
        self.n_repeats = n_repeats
        self.random_state = random_state

    def _get_estimator(self):
        return LogisticRegression() if self.estimator is None else self.estimator

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Estimate ``T`` from the noisy labels ``y`` (or validate a known one).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,)
            Noisy class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, passed to the classifier and used in the estimate.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        tags = get_tags(self._get_estimator())
        X, y = validate_data(
            self,
            X,
            y,
            dtype=None,
            ensure_all_finite=not tags.input_tags.allow_nan,
            accept_sparse="csr" if tags.input_tags.sparse else False,
        )
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        self.classes_, y_index = check_classes(y, type(self).__name__)
        sw = check_sample_weight(sample_weight, X)
        self.oof_proba_ = None
        if self.transition_matrix is not None:
            T = check_transition_matrix(
                self.transition_matrix, self.classes_, owner=type(self).__name__
            )
        else:
            self.oof_proba_ = cross_fitted_proba(
                self._get_estimator(),
                X,
                y,
                sw,
                self.classes_,
                self.cv,
                self.n_jobs,
                self.n_repeats,
                self.random_state,
            )
            T = self._estimate(self.oof_proba_, y_index, sw)
        self._set_transition(T, y_index, sw)
        return self

    def _estimate(self, proba, y_index, sw):
        """Estimated ``T``, validated (errors when singular)."""
        T, unseen, projected = estimate_transition(
            proba, y_index, sw, self.method, self.quantile
        )
        name = type(self).__name__
        if unseen.size:
            warnings.warn(
                f"{name}: no row was confidently of class(es) "
                f"{self.classes_[unseen].tolist()}, so their rows of T are left "
                "at the identity (no noise). Use a better classifier or more rows.",
                UserWarning,
                stacklevel=4,
            )
        try:
            with warnings.catch_warnings():
                if projected.size:  # said below, more precisely
                    warnings.simplefilter("ignore", UserWarning)
                T = check_transition_matrix(
                    T, self.classes_, name="the estimated transition matrix", owner=name
                )
        except ValueError as exc:
            raise ValueError(
                f"{exc} The classifier's out-of-fold probabilities do not separate "
                "the classes well enough to estimate T: use a better classifier, "
                "another method, or pass a known transition_matrix."
            ) from exc
        if projected.size:
            warnings.warn(
                f"{name}: the estimated rows of T for class(es) "
                f"{self.classes_[projected].tolist()} kept the label less often "
                "than they flipped it, beyond the identifiable limit; they were "
                "projected onto it (the diagonal pooled with the larger entries). "
                "This happens when the classes overlap and the classifier's "
                "confusion is counted as label noise: the estimate of T is then "
                "too noisy. Use a better classifier or pass a known "
                "transition_matrix.",
                UserWarning,
                stacklevel=4,
            )
        return T

    def _set_transition(self, T, y_index, sw):
        K = self.classes_.shape[0]
        noisy_priors = np.bincount(y_index, weights=sw, minlength=K) / sw.sum()
        self.transition_matrix_ = T
        self.class_noise_rate_ = 1.0 - np.diag(T)
        self.clean_priors_ = clean_priors(T, noisy_priors)
        self.noise_rate_ = float(np.dot(self.clean_priors_, self.class_noise_rate_))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        est_tags = get_tags(self._get_estimator())
        tags.target_tags.required = True
        tags.input_tags.allow_nan = est_tags.input_tags.allow_nan
        tags.input_tags.sparse = est_tags.input_tags.sparse
        tags.non_deterministic = self.n_repeats > 1 and self.random_state is None
        return tags
