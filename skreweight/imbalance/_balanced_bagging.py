"""Bagging with class-balanced bootstrap weights instead of resampled rows."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.metrics import balanced_accuracy_score
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils import check_random_state, get_tags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_is_fitted,
    has_fit_parameter,
    validate_data,
)

from ..base import _CONTEXT_KEYS
from ..utils._sklearn_compat import HasMethods, Interval, StrOptions, _safe_indexing
from ..utils.validation import check_sample_weight
from ..weighting import ClassBalance

__all__ = ["ClassBalancedBaggingClassifier"]

_MAX_INT = np.iinfo(np.int32).max
_MAX_REDRAWS = 10


def _set_random_states(estimator, seed):
    """Seed every ``random_state`` parameter of ``estimator`` (nested too)."""
    params = {
        key: seed
        for key in estimator.get_params(deep=True)
        if key == "random_state" or key.endswith("__random_state")
    }
    if params:
        estimator.set_params(**params)
    return estimator


def _draw_counts(rng, bootstrap, rates, groups, draws, pools):
    """Integer bootstrap counts whose expected class totals are ``draws``.

    ``rates[i]`` is row i's share of its class's mass (rates sum to 1 within
    each class); ``groups`` lists the row indices of each class. A class with
    a ``pools`` size is first cut to that many of its rows of positive rate,
    drawn uniformly without replacement, and its counts are drawn from them.
    """
    counts = np.zeros(rates.shape[0], dtype=np.int64)
    for rows, n_draws, pool in zip(groups, draws, pools):
        p = rates[rows]
        if pool is not None:
            rows = np.sort(rng.choice(rows[p > 0], pool, replace=False))
            p = rates[rows] / rates[rows].sum()
        if bootstrap == "poisson":
            counts[rows] = rng.poisson(n_draws * p)
        else:
            counts[rows] = rng.multinomial(int(round(n_draws)), p)
    return counts


def _fit_one(estimator, X, y, counts, est_seed):
    rows = np.flatnonzero(counts)
    est = _set_random_states(clone(estimator), est_seed)
    return est.fit(
        _safe_indexing(X, rows), y[rows], sample_weight=counts[rows].astype(np.float64)
    )


class ClassBalancedBaggingClassifier(
    ClassifierMixin, MetaEstimatorMixin, BaseEstimator
):
    """Bagging whose bootstrap is a random class-balanced weight vector.

    Each of ``n_estimators`` clones of ``estimator`` is fitted with
    ``sample_weight`` equal to integer bootstrap counts drawn so that every
    class has the same expected total weight (Chen, Liaw and Breiman's
    balanced bootstrap, written as weights). The probabilities of the clones
    are averaged. With the default ``DecisionTreeClassifier(max_features=
    "sqrt")`` this is a balanced random forest; any classifier whose ``fit``
    takes ``sample_weight`` works (gradient boosting, logistic regression).

    With ``undersample=True`` (the default) every class with more rows than
    its expected total ``m_c`` is first cut to ``m_c`` of its rows, drawn
    uniformly without replacement, so that all classes draw their counts
    from pools of the same size and end with the same number of distinct
    rows in expectation, not only the same total weight. The counts of row
    ``i`` in the pool ``P_c`` of class ``c`` (the whole class when not cut)
    are then

    - ``"multinomial"``: exactly ``m_c`` draws with replacement from
      ``P_c``, row ``i`` drawn with probability ``r_i / sum_{j in P_c} r_j``;
    - ``"poisson"``: independent ``Poisson(m_c r_i / sum_{j in P_c} r_j)``
      counts, whose class totals are random with mean ``m_c``;

    where ``r_i`` is the row's ``sample_weight`` times the weights of
    ``weighter`` (when given; e.g. a covariate-shift ratio, or a
    :class:`~skreweight.compose.WeightProduct`), and the expected class
    totals ``m_c`` are proportional to the class masses under
    ``class_balance`` (``ClassBalance("inverse")``: all equal), scaled to
    ``max_samples`` draws in all. ``undersample=False`` with
    ``"multinomial"`` is the resampling of imbalanced-learn's
    ``BalancedRandomForestClassifier(sampling_strategy="all",
    replacement=True)``; ``undersample=True`` with ``"multinomial"`` is close
    to its defaults before 0.13 (``sampling_strategy="auto",
    replacement=False, bootstrap=True``: the majority cut to the minority's
    size without replacement, then one bootstrap of the union), with the
    class totals kept exact instead of random. Only
    rows with a positive count reach the clone's ``fit``, once each, with
    their count as weight: a tree then equals the tree fitted on the repeated
    rows, and the cost follows the size of the balanced sample, not of the
    data.

    Read more in the :ref:`User Guide <balanced_bagging>`.

    Parameters
    ----------
    estimator : classifier, default=None
        Base classifier, cloned for every bootstrap; its ``fit`` must take
        ``sample_weight``. ``DecisionTreeClassifier(max_features="sqrt")``
        when None.
    n_estimators : int, default=100
        Number of bootstrap fits.
    bootstrap : {"multinomial", "poisson"}, default="multinomial"
        Distribution of the counts (see above).
    class_balance : ClassBalance, default=None
        Relative expected class totals: class ``c`` gets a share proportional
        to its (sample-weighted) row count times its ``class_weight_``.
        ``ClassBalance()`` (``"inverse"``, equal totals) when None;
        ``ClassBalance("sqrt")`` balances halfway.
    max_samples : int or float, default=None
        Expected number of draws per bootstrap, over all classes. None: the
        number of classes times the row count of the smallest class (with
        equal totals, every class is drawn as often as the minority has
        rows). A float in (0, 1] is a fraction of the rows.
    undersample : bool, default=True
        Cut each class to a random subset of ``round(m_c)`` rows (without
        replacement) before drawing its counts, so that every class has the
        same expected number of distinct rows. Without it a bootstrap of the
        minority repeats rows (about 63 % distinct) while the majority's
        draws are nearly all distinct, and fully grown trees then give the
        majority more of the feature space; on the shipped imbalanced sets
        the cut raises the balanced accuracy (``benchmarks/RESULTS.md``).
        With unequal rates ``r_i`` the expected counts are proportional to
        them only approximately.
    weighter : weighter, default=None
        A skreweight weighter fitted once on all rows (with the context
        passed to ``fit``); its weights multiply ``sample_weight`` in the
        sampling rates. The class totals stay balanced.
    oob_score : bool, default=False
        Compute the out-of-bag balanced accuracy (``oob_score_``).
    n_jobs : int, default=None
        Number of clones fitted in parallel (joblib threads). None means 1
        unless in a :obj:`joblib.parallel_backend` context.
    random_state : int, RandomState instance or None, default=None
        Seeds the counts and the clones' own ``random_state``.
    verbose : int, default=0
        Verbosity of the joblib loop.

    Attributes
    ----------
    estimators_ : list of classifiers
        The fitted clones.
    estimators_weights_ : list of ndarray of shape (n_samples,)
        The integer bootstrap counts (as floats) each clone was fitted with,
        regenerated from the stored seeds on access.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    class_draws_ : ndarray of shape (n_classes,)
        Expected total count of each class per bootstrap.
    weighter_ : weighter or None
        The fitted ``weighter``.
    n_redraws_ : int
        Bootstraps drawn again because a class got no row.
    oob_score_ : float
        Out-of-bag balanced accuracy (when ``oob_score=True``), over the
        rows that are out of bag for at least one clone.
    oob_decision_function_ : ndarray of shape (n_samples, n_classes)
        Out-of-bag probabilities (NaN for rows never out of bag).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen in ``fit``, when X has string column names.

    See Also
    --------
    skreweight.weighting.ClassBalance : Deterministic class-balancing weights.
    LogitAdjustedClassifier : Move the decision rule instead of the weights.

    Notes
    -----
    Without ``undersample``, integer ``sample_weight`` is equivalent to
    repeated rows *in distribution* (for the same class totals): with
    ``"poisson"``, ``m`` copies of a row have a ``Poisson(m * lam)`` total
    count, the law of one row of weight ``m``; with ``"multinomial"``, its
    draw probability is ``m`` times larger. The pool of ``undersample`` is
    drawn among rows, not weight, so there the two agree only approximately,
    in expected counts. The draws themselves differ, so the fits are not
    equal draw by draw.

    References
    ----------
    .. [1] C. Chen, A. Liaw and L. Breiman, "Using Random Forest to Learn
       Imbalanced Data", Technical Report 666, Statistics Department, UC
       Berkeley, 2004.
    .. [2] N. C. Oza and S. Russell, "Online Bagging and Boosting", AISTATS
       2001 (Poisson bootstrap counts).

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skreweight.imbalance import ClassBalancedBaggingClassifier
    >>> X, y = make_classification(500, weights=[0.95], random_state=0)
    >>> clf = ClassBalancedBaggingClassifier(n_estimators=20, random_state=0)
    >>> clf = clf.fit(X, y)
    >>> clf.class_draws_
    array([26., 26.])
    >>> w = clf.estimators_weights_[0]
    >>> [float(w[y == c].sum()) for c in (0, 1)]  # total weight per class
    [26.0, 26.0]
    >>> [int((w[y == c] > 0).sum()) for c in (0, 1)]  # distinct rows per class
    [18, 16]
    """

    __metadata_request__fit = {key: True for key in _CONTEXT_KEYS}

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "bootstrap": [StrOptions({"multinomial", "poisson"})],
        "class_balance": [HasMethods(["fit"]), None],
        "max_samples": [
            Interval(Integral, 1, None, closed="left"),
            Interval(Real, 0, 1, closed="right"),
            None,
        ],
        "undersample": ["boolean"],
        "weighter": [HasMethods(["fit", "fit_compute_weights"]), None],
        "oob_score": ["boolean"],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        estimator=None,
        n_estimators=100,
        *,
        bootstrap="multinomial",
        class_balance=None,
        max_samples=None,
        undersample=True,
        weighter=None,
        oob_score=False,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.bootstrap = bootstrap
        self.class_balance = class_balance
        self.max_samples = max_samples
        self.undersample = undersample
        self.weighter = weighter
        self.oob_score = oob_score
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def _get_estimator(self):
        if self.estimator is None:
            return DecisionTreeClassifier(max_features="sqrt")
        return self.estimator

    def _class_draws(self, y_enc, sw, n_rows):
        """Expected total count of each class in one bootstrap."""
        n_classes = self.classes_.shape[0]
        mass = np.bincount(y_enc, weights=sw, minlength=n_classes)
        balance = clone(self.class_balance or ClassBalance())
        with warnings.catch_warnings():
            # only the class factors are used: a low ESS of the deterministic
            # weights says nothing about the bootstrap
            warnings.simplefilter("ignore")
            balance.fit(np.zeros((n_rows, 1)), y_enc, sample_weight=sw)
        factor = np.array([balance.class_weight_[c] for c in range(n_classes)])
        share = mass * factor / np.dot(mass, factor)
        rows_per_class = np.bincount(y_enc, minlength=n_classes)
        if self.max_samples is None:
            total = n_classes * rows_per_class.min()
        elif isinstance(self.max_samples, Integral):
            total = self.max_samples
        else:
            total = self.max_samples * n_rows
        draws = total * share
        if self.bootstrap == "multinomial":
            draws = np.round(draws)
        if np.any(draws < 1):
            few = self.classes_[draws < 1].tolist()
            raise ValueError(
                f"{type(self).__name__}: classes {few} get fewer than one expected "
                f"draw per bootstrap ({draws.round(3).tolist()} for "
                f"{self.classes_.tolist()}); increase max_samples."
            )
        return draws

    def _pool_sizes(self):
        """Rows kept per class before its draws (None: all of them)."""
        pools = []
        for rows, draws in zip(self._groups, self.class_draws_):
            size = max(1, int(round(draws)))
            n_rows = np.count_nonzero(self._rates[rows] > 0)
            pools.append(size if self.undersample and size < n_rows else None)
        return pools

    def _sampling_rates(self, X, y, sw, context):
        """Row rates within each class: ``sample_weight`` times the weighter's."""
        rate = sw.copy()
        self.weighter_ = None
        if self.weighter is not None:
            accepted = get_tags(self.weighter).weighter_tags.context
            own = {k: v for k, v in context.items() if k in accepted}
            self.weighter_ = clone(self.weighter).fit(X, y, sample_weight=sw, **own)
            rate = rate * self.weighter_.weights_
        elif any(v is not None for v in context.values()):
            raise TypeError(
                f"{type(self).__name__} got {sorted(context)} but has no weighter "
                "to use them; pass weighter=..., or drop the argument."
            )
        return rate

    def _draw_all(self):
        """Counts of every bootstrap, redrawing those that leave a class empty."""
        out, redraws, empty = [], 0, set()
        for seed in self._draw_seeds:
            rng = np.random.RandomState(seed)
            for _ in range(_MAX_REDRAWS):
                counts = _draw_counts(
                    rng,
                    self.bootstrap,
                    self._rates,
                    self._groups,
                    self.class_draws_,
                    self._pools,
                )
                got = np.array([counts[g].sum() > 0 for g in self._groups])
                if got.all():
                    break
                redraws += 1
                empty.update(self.classes_[~got].tolist())
            else:
                raise ValueError(
                    f"{type(self).__name__}: classes {sorted(empty)} got no row in "
                    f"{_MAX_REDRAWS} consecutive bootstraps (expected draws "
                    f"{self.class_draws_.tolist()}). Increase max_samples or use "
                    "bootstrap='multinomial'."
                )
            out.append(counts)
        return out, redraws, sorted(empty)

    def _checked_estimator(self, context):
        """The estimator to clone, once ``context`` and it are checked."""
        unknown = set(context) - set(_CONTEXT_KEYS)
        if unknown:
            raise TypeError(
                f"{type(self).__name__}.fit got unexpected argument(s) "
                f"{sorted(unknown)}; it accepts {list(_CONTEXT_KEYS)} for its "
                "weighter."
            )
        estimator = self._get_estimator()
        if not has_fit_parameter(estimator, "sample_weight"):
            raise TypeError(
                f"{type(estimator).__name__} does not accept sample_weight in fit, "
                f"so {type(self).__name__} cannot give it the bootstrap weights. "
                "Use an estimator that does."
            )
        return estimator

    def fit(self, X, y, *, sample_weight=None, **context):
        """Fit the clones on class-balanced bootstrap weights.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights; they scale each row's sampling rate within its class
            and the class masses.
        **context : dict
            Context for ``weighter`` (``X_target``, ``sample_group``, ...).

        Returns
        -------
        self : object
            Fitted ensemble.
        """
        self._validate_params()
        estimator = self._checked_estimator(context)
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            dtype=None,
            ensure_all_finite=False,
        )
        check_classification_targets(y)
        self.classes_, y_enc = np.unique(y, return_inverse=True)
        if self.classes_.shape[0] < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 classes in y; got one "
                f"class {self.classes_.tolist()}."
            )
        sw = check_sample_weight(sample_weight, X)
        rate = self._sampling_rates(X, y, sw, context)
        mass = np.bincount(y_enc, weights=rate, minlength=self.classes_.shape[0])
        if np.any(mass <= 0):
            raise ValueError(
                f"{type(self).__name__}: classes "
                f"{self.classes_[mass <= 0].tolist()} have zero total weight, so "
                "no bootstrap can draw them; drop them from y or give their rows "
                "positive weight."
            )
        self.class_draws_ = self._class_draws(y_enc, sw, X.shape[0])
        self._rates = rate / mass[y_enc]
        self._groups = [np.flatnonzero(y_enc == c) for c in range(len(self.classes_))]
        self._pools = self._pool_sizes()
        rng = check_random_state(self.random_state)
        self._draw_seeds = rng.randint(_MAX_INT, size=self.n_estimators)
        est_seeds = rng.randint(_MAX_INT, size=self.n_estimators)
        all_counts, self.n_redraws_, empty = self._draw_all()
        if self.n_redraws_:
            draws = dict(
                zip(self.classes_.tolist(), self.class_draws_.round(3).tolist())
            )
            warnings.warn(
                f"{type(self).__name__}: {self.n_redraws_} bootstrap(s) gave no row "
                f"to classes {empty} (expected draws "
                f"{draws}) "
                "and were drawn again, which slightly favours that class's rows. "
                "Increase max_samples or use bootstrap='multinomial'.",
                UserWarning,
                stacklevel=2,
            )
        self.estimators_ = Parallel(
            n_jobs=self.n_jobs, verbose=self.verbose, prefer="threads"
        )(
            delayed(_fit_one)(estimator, X, y, counts, seed)
            for counts, seed in zip(all_counts, est_seeds)
        )
        if self.oob_score:
            self._set_oob_score(X, y, sw, all_counts)
        return self

    def _set_oob_score(self, X, y, sw, all_counts):
        n, k = X.shape[0], self.classes_.shape[0]
        total, seen = np.zeros((n, k)), np.zeros(n)
        for est, counts in zip(self.estimators_, all_counts):
            rows = np.flatnonzero((counts == 0) & (sw > 0))
            if rows.size:
                total[rows] += self._aligned_proba(est, _safe_indexing(X, rows))
                seen[rows] += 1
        has = seen > 0
        if not has.all():
            warnings.warn(
                f"{type(self).__name__}: {int((~has).sum())} rows were in every "
                "bootstrap and have no out-of-bag prediction; oob_score_ leaves "
                "them out. Use more estimators.",
                UserWarning,
                stacklevel=3,
            )
        with np.errstate(invalid="ignore", divide="ignore"):
            self.oob_decision_function_ = total / seen[:, None]
        self.oob_score_ = float(
            balanced_accuracy_score(
                y[has],
                self.classes_[np.argmax(self.oob_decision_function_[has], axis=1)],
                sample_weight=sw[has],
            )
        )

    @property
    def estimators_weights_(self):
        """Bootstrap counts of each clone, regenerated from the stored seeds."""
        check_is_fitted(self, "estimators_")
        return [c.astype(np.float64) for c in self._draw_all()[0]]

    def _aligned_proba(self, est, X):
        proba = est.predict_proba(X)
        if proba.shape[1] == self.classes_.shape[0]:
            return proba
        out = np.zeros((proba.shape[0], self.classes_.shape[0]))
        out[:, np.searchsorted(self.classes_, est.classes_)] = proba
        return out

    def predict_proba(self, X):
        """Average of the clones' class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to predict.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self, "estimators_")
        X = validate_data(
            self,
            X,
            reset=False,
            accept_sparse=["csr", "csc"],
            dtype=None,
            ensure_all_finite=False,
        )
        total = np.zeros((X.shape[0], self.classes_.shape[0]))
        for est in self.estimators_:
            total += self._aligned_proba(est, X)
        return total / len(self.estimators_)

    def predict(self, X):
        """Class with the highest average probability.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to predict.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        est_tags = get_tags(self._get_estimator())
        tags.input_tags.sparse = est_tags.input_tags.sparse
        tags.input_tags.allow_nan = est_tags.input_tags.allow_nan
        return tags
