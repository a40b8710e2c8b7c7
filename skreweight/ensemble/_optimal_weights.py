"""Convex combinations of regressors with exactly optimal weights."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from scipy.sparse import issparse
from sklearn import get_config
from sklearn.base import MetaEstimatorMixin, RegressorMixin, clone
from sklearn.model_selection import check_cv
from sklearn.utils import Bunch, check_array, get_tags
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    process_routing,
)
from sklearn.utils.validation import (
    check_is_fitted,
    column_or_1d,
    has_fit_parameter,
    validate_data,
)

from ..utils._sklearn_compat import (
    Interval,
    StrOptions,
    _BaseComposition,
    _num_samples,
    _safe_indexing,
)
from ..utils.validation import check_sample_weight
from ._simplex import simplex_least_squares, simplex_linear_loss

__all__ = ["OptimallyWeightedRegressor"]


def _loss(loss, quantile, y, pred, sw):
    """Weighted mean loss of ``pred`` (1D) or of each column of ``pred`` (2D)."""
    r = (y[:, None] if pred.ndim == 2 else y) - pred
    if loss == "squared_error":
        values = r * r
    elif loss == "absolute_error":
        values = np.abs(r)
    else:
        values = np.maximum(quantile * r, (quantile - 1.0) * r)
    sw = np.ones(y.shape[0]) if sw is None else sw
    return np.average(values, axis=0, weights=sw)


def _slice_params(params, indices, n_samples):
    """Rows ``indices`` of every row-aligned parameter; others unchanged."""
    out = {}
    for key, value in params.items():
        if value is not None and not np.isscalar(value):
            try:
                aligned = _num_samples(value) == n_samples
            except TypeError:
                aligned = False
            if aligned:
                value = _safe_indexing(value, indices)
        out[key] = value
    return out


def _as_2d(X):
    """X as given (arrays, frames, CSR/CSC), or as an array; must be 2D."""
    if issparse(X):
        # row-indexable for the folds
        X = X if X.format in ("csr", "csc") else X.tocsr()
    elif not hasattr(X, "shape"):
        X = check_array(
            X, dtype=None, ensure_2d=False, allow_nd=True, ensure_all_finite=False
        )
    ndim = len(X.shape)
    if ndim != 2:
        raise ValueError(
            f"Expected a 2D array for X, got {ndim}D instead. Reshape your data "
            "either using array.reshape(-1, 1) if it has a single feature or "
            "array.reshape(1, -1) if it contains a single sample."
        )
    return X


def _fit_predict(estimator, X, y, params, train, test):
    """Fit a clone on ``train`` rows; predict ``test`` rows (all rows: None)."""
    n = _num_samples(X)
    est = clone(estimator)
    if train is None:
        return est.fit(X, y, **params), None
    est.fit(_safe_indexing(X, train), y[train], **_slice_params(params, train, n))
    pred = np.asarray(est.predict(_safe_indexing(X, test)), dtype=np.float64)
    return None, pred.reshape(-1)


class OptimallyWeightedRegressor(RegressorMixin, MetaEstimatorMixin, _BaseComposition):
    """Convex combination of regressors with exactly optimal weights.

    ``fit`` builds the out-of-fold predictions ``P`` (one column per base
    regressor) over the splits of ``cv``, then finds the weights ``w`` on
    the probability simplex (``w >= 0``, ``sum(w) == 1``) that minimise the
    (sample-weighted) loss of ``P @ w``, and refits every base regressor on
    all rows. The prediction is ``sum_k w_k * estimator_k.predict(X)``.

    - ``loss="squared_error"``: a convex quadratic program in ``K`` variables
      (Echtenbruck et al., 2022), solved exactly by an active-set method on
      the ``K x K`` Gram matrix of ``P`` (or by cvxpy with OSQP,
      ``solver="cvxpy"``).
    - ``loss="absolute_error"`` and ``"quantile"``: linear programs (the
      residuals split into positive and negative parts), solved exactly by
      HiGHS through :func:`scipy.optimize.linprog`.

    Because the simplex contains every vertex, the out-of-fold loss of the
    ensemble is never above that of the best single model; unlike
    :class:`~sklearn.ensemble.StackingRegressor` with
    ``LinearRegression(positive=True)``, the weights sum to 1 and there is no
    intercept, so the ensemble stays on the scale of its members.

    Read more in the :ref:`User Guide <ensemble>`.

    Parameters
    ----------
    estimators : list of (str, estimator) tuples
        The base regressors, each cloned. Parameters are reachable as
        ``<name>__<param>``.
    cv : int, cross-validation generator or iterable, default=5
        Splits for the out-of-fold predictions, as in
        :func:`~sklearn.model_selection.check_cv` (``KFold(5)`` by default,
        without shuffling: pass ``KFold(5, shuffle=True, random_state=0)``
        for rows in a meaningful order).
    loss : {"squared_error", "absolute_error", "quantile"}, \
            default="squared_error"
        Loss of the combined out-of-fold predictions that the weights
        minimise.
    quantile : float in (0, 1), default=0.5
        Level of the pinball loss when ``loss="quantile"``.
    solver : {"active_set", "cvxpy"}, default="active_set"
        Solver of the quadratic program (``loss="squared_error"``). Both are
        exact; the active-set method is faster for few models (see the
        benchmark) and falls back to cvxpy if it ever fails its optimality
        check.
    n_jobs : int, default=None
        Number of parallel base fits (folds x models, and the refits) through
        joblib. ``None`` means 1 unless in a :obj:`joblib.parallel_backend`
        context.
    verbose : int, default=0
        Verbosity of the joblib loop.

    Attributes
    ----------
    estimators_ : list of estimators
        The base regressors refitted on all rows, in the order of
        ``estimators``.
    named_estimators_ : :class:`~sklearn.utils.Bunch`
        The same, by name.
    weights_ : ndarray of shape (n_estimators,)
        Convex weights of the base regressors.
    cv_predictions_ : ndarray of shape (n_samples, n_estimators)
        Out-of-fold predictions the weights were fitted on.
    cv_loss_ : ndarray of shape (n_estimators,)
        Out-of-fold loss of each base regressor.
    ensemble_cv_loss_ : float
        Out-of-fold loss of ``cv_predictions_ @ weights_``. It is optimistic:
        the weights were chosen on these predictions.
    train_loss_ : ndarray of shape (n_estimators,)
        In-sample loss of each refitted base regressor.
    ensemble_train_loss_ : float
        In-sample loss of the ensemble.
    solver_info_ : dict
        ``solver`` used, ``n_iter``, ``converged`` and, for the QP,
        ``unique``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen in ``fit``, when X has string column names.

    See Also
    --------
    sklearn.ensemble.StackingRegressor : Stacking with any final estimator.
    sklearn.ensemble.VotingRegressor : Fixed weights given by the user.

    Notes
    -----
    ``sample_weight`` weights both the base fits and the loss the weights
    minimise. With metadata routing enabled, each base regressor receives the
    metadata it requests (for instance ``sample_weight``), the splitter
    receives ``groups``, and ``sample_weight`` always enters the weight
    optimisation.

    Integer ``sample_weight`` is equivalent to repeated rows when the copies
    of a row fall in the same fold as the weighted row (group splits, e.g.
    ``GroupKFold`` on a row identifier); a ``KFold`` over rows puts them in
    different folds, which changes the out-of-fold predictions, as for every
    cross-validated ensemble.

    References
    ----------
    .. [1] P. Echtenbruck, M. Echtenbruck, J. Batenburg, T. Baeck, B. Naujoks
       and M. Emmerich, "Optimally Weighted Ensembles of Regression Models:
       Exact Weight Optimization and Applications", arXiv:2206.11263, 2022.
    .. [2] M. J. van der Laan, E. C. Polley and A. E. Hubbard, "Super
       Learner", Statistical Applications in Genetics and Molecular Biology
       6(1), 2007.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> from skreweight.ensemble import OptimallyWeightedRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> tree = DecisionTreeRegressor(max_depth=3, random_state=0)
    >>> members = [("ridge", Ridge(0.1)), ("tree", tree)]
    >>> reg = OptimallyWeightedRegressor(members).fit(X, y)
    >>> reg.weights_.round(3)
    array([0.959, 0.041])
    >>> bool(reg.ensemble_cv_loss_ <= reg.cv_loss_.min())
    True
    """

    _parameter_constraints = {
        "estimators": [list],
        "cv": ["cv_object"],
        "loss": [StrOptions({"squared_error", "absolute_error", "quantile"})],
        "quantile": [Interval(Real, 0, 1, closed="neither")],
        "solver": [StrOptions({"active_set", "cvxpy"})],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        estimators,
        *,
        cv=5,
        loss="squared_error",
        quantile=0.5,
        solver="active_set",
        n_jobs=None,
        verbose=0,
    ):
        self.estimators = estimators
        self.cv = cv
        self.loss = loss
        self.quantile = quantile
        self.solver = solver
        self.n_jobs = n_jobs
        self.verbose = verbose

    def get_params(self, deep=True):
        """Get parameters, including those of the base regressors.

        Parameters
        ----------
        deep : bool, default=True
            Include the base regressors' parameters as ``<name>__<param>``.

        Returns
        -------
        params : dict
        """
        return self._get_params("estimators", deep=deep)

    def set_params(self, **params):
        """Set parameters, including those of the base regressors.

        Parameters
        ----------
        **params : dict
            Parameters, ``<name>__<param>`` for the base regressors.

        Returns
        -------
        self : object
        """
        self._set_params("estimators", **params)
        return self

    def _validate_estimators(self):
        if not self.estimators:
            raise ValueError(
                f"{type(self).__name__} needs at least one (name, regressor) pair "
                "in `estimators`."
            )
        names, estimators = zip(*self.estimators)
        self._validate_names(list(names))
        for name, est in self.estimators:
            if not (hasattr(est, "fit") and hasattr(est, "predict")):
                raise TypeError(
                    f"Estimator {name!r} of {type(self).__name__} must implement "
                    f"fit and predict; got {type(est).__name__}."
                )
        return list(names), list(estimators)

    def _check_y(self, X, y):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        y = column_or_1d(y, warn=True)
        n = _num_samples(X)
        if y.shape[0] != n:
            raise ValueError(f"y has {y.shape[0]} entries but X has {n} rows.")
        return y

    def _route(self, names, estimators, sample_weight, fit_params):
        """Parameters for each base fit and for the splitter."""
        if get_config().get("enable_metadata_routing", False):
            routed = process_routing(
                self, "fit", sample_weight=sample_weight, **fit_params
            )
            per_est = {name: dict(routed[name].fit) for name in names}
            return per_est, dict(routed.splitter.split)
        if fit_params:
            raise TypeError(
                f"{type(self).__name__}.fit got unexpected argument(s) "
                f"{sorted(fit_params)}. To route them to the base regressors or "
                "the splitter, enable metadata routing: "
                "sklearn.set_config(enable_metadata_routing=True)."
            )
        per_est = {name: {} for name in names}
        if sample_weight is not None:
            for name, est in zip(names, estimators):
                if not has_fit_parameter(est, "sample_weight"):
                    raise TypeError(
                        f"Estimator {name!r} ({type(est).__name__}) does not accept "
                        "sample_weight in fit. Drop it, or enable metadata routing "
                        "and leave its sample_weight unrequested."
                    )
                per_est[name] = {"sample_weight": sample_weight}
        return per_est, {}

    def fit(self, X, y, *, sample_weight=None, **fit_params):
        """Fit the base regressors out of fold, the weights, then refit on all rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training rows, passed unchanged to the base regressors.
        y : array-like of shape (n_samples,)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, for the base fits and for the weight optimisation.
        **fit_params : dict
            With metadata routing enabled, metadata routed to the base
            regressors' ``fit`` and to the splitter (``groups``).

        Returns
        -------
        self : object
            Fitted ensemble.
        """
        self._validate_params()
        names, estimators = self._validate_estimators()
        validate_data(self, X, skip_check_array=True)
        X = _as_2d(X)
        y = self._check_y(X, y)
        sw = None if sample_weight is None else check_sample_weight(sample_weight, X)
        per_est, split_params = self._route(names, estimators, sw, fit_params)
        cv = check_cv(self.cv, y, classifier=False)
        n = y.shape[0]
        if n < 2 or n < cv.get_n_splits(X, y, **split_params):
            raise ValueError(
                f"{type(self).__name__} got {n} sample(s), fewer than the "
                f"{cv.get_n_splits(X, y, **split_params)} cross-validation folds; "
                "pass more rows or a smaller `cv`."
            )
        splits = list(cv.split(X, y, **split_params))
        jobs = [(k, train, test) for k in range(len(names)) for train, test in splits]
        jobs += [(k, None, None) for k in range(len(names))]
        results = Parallel(n_jobs=self.n_jobs, verbose=self.verbose)(
            delayed(_fit_predict)(estimators[k], X, y, per_est[names[k]], tr, te)
            for k, tr, te in jobs
        )
        P = np.full((n, len(names)), np.nan)
        covered = np.zeros(n, dtype=bool)
        for (k, train, test), (_, pred) in zip(jobs, results):
            if train is not None:
                P[test, k] = pred
                covered[test] = True
        self.estimators_ = [
            est for (_, tr, _), (est, _) in zip(jobs, results) if tr is None
        ]
        self.named_estimators_ = Bunch(**dict(zip(names, self.estimators_)))
        self._fit_weights(names, P, covered, y, sw)
        train_pred = self._member_predictions(X, skip_zero=False)
        self.train_loss_ = _loss(self.loss, self.quantile, y, train_pred, sw)
        self.ensemble_train_loss_ = float(
            _loss(self.loss, self.quantile, y, train_pred @ self.weights_, sw)
        )
        return self

    def _fit_weights(self, names, P, covered, y, sw):
        if not covered.all():
            raise ValueError(
                f"The splits of cv={self.cv!r} leave {int((~covered).sum())} rows "
                "out of every test fold, so they have no out-of-fold prediction; "
                "use a partition such as KFold."
            )
        bad = ~np.isfinite(P).all(axis=0)
        if bad.any():
            raise ValueError(
                f"Base regressor(s) {[n for n, b in zip(names, bad) if b]} made "
                "non-finite (NaN or infinite) out-of-fold predictions; fix them "
                "(e.g. scale the inputs or regularise) or drop them from "
                "`estimators`."
            )
        self.cv_predictions_ = P
        self.cv_loss_ = _loss(self.loss, self.quantile, y, P, sw)
        if len(names) == 1:
            warnings.warn(
                f"{type(self).__name__} has a single estimator {names[0]!r}: its "
                "weight is 1 and there is nothing to optimise (cv_loss_ is still "
                "computed). Add base regressors to combine them.",
                UserWarning,
                stacklevel=3,
            )
            self.weights_ = np.ones(1)
            self.solver_info_ = dict(solver=None, n_iter=0, converged=True)
        elif self.loss == "squared_error":
            self.weights_, self.solver_info_ = simplex_least_squares(
                P, y, sw, solver=self.solver
            )
        else:
            q = 0.5 if self.loss == "absolute_error" else self.quantile
            self.weights_, self.solver_info_ = simplex_linear_loss(P, y, sw, quantile=q)
        self._warn_not_unique(names, P)
        self.ensemble_cv_loss_ = float(
            _loss(self.loss, self.quantile, y, P @ self.weights_, sw)
        )

    def _warn_not_unique(self, names, P):
        K = P.shape[1]
        scale = np.abs(P).max() + 1.0
        same = [
            (names[i], names[j])
            for i in range(K)
            for j in range(i + 1, K)
            if np.max(np.abs(P[:, i] - P[:, j])) <= 1e-12 * scale
        ]
        if same:
            warnings.warn(
                f"{type(self).__name__}: estimators {same} give identical "
                "out-of-fold predictions, so the weights are not unique (any split "
                "of their total weight gives the same loss). Drop the duplicates.",
                UserWarning,
                stacklevel=4,
            )
        elif not self.solver_info_.get("unique", True):
            warnings.warn(
                f"{type(self).__name__}: the out-of-fold predictions of the "
                "weighted estimators are linearly dependent, so the weights are not "
                "unique (other weights give the same loss).",
                UserWarning,
                stacklevel=4,
            )

    def _member_predictions(self, X, skip_zero=True):
        cols = [
            np.zeros(_num_samples(X))
            if skip_zero and w == 0
            else np.asarray(est.predict(X), dtype=np.float64).reshape(-1)
            for est, w in zip(self.estimators_, self.weights_)
        ]
        return np.column_stack(cols)

    def predict(self, X):
        """Predict with the weighted sum of the base regressors.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to predict.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self, "weights_")
        X = _as_2d(X)
        validate_data(self, X, skip_check_array=True, reset=False)
        return self._member_predictions(X) @ self.weights_

    def get_metadata_routing(self):
        """Get the metadata routing of this object.

        Returns
        -------
        routing : MetadataRouter
            ``sample_weight`` is consumed by the weight optimisation and routed
            to the base regressors that request it; ``groups`` goes to the
            splitter.
        """
        router = MetadataRouter(owner=self).add_self_request(self)
        for name, est in self.estimators:
            router.add(
                **{name: est},
                method_mapping=MethodMapping().add(caller="fit", callee="fit"),
            )
        router.add(
            splitter=check_cv(self.cv),
            method_mapping=MethodMapping().add(caller="fit", callee="split"),
        )
        return router

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        members = [get_tags(est) for _, est in self.estimators or []]
        tags.input_tags.sparse = bool(members) and all(
            t.input_tags.sparse for t in members
        )
        tags.input_tags.allow_nan = bool(members) and all(
            t.input_tags.allow_nan for t in members
        )
        return tags
