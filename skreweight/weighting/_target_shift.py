"""Continuous target shift in regression: ReTaSA weights ``p_t(y) / p_s(y)``.

Under target shift ``p(x | y)`` is shared and the marginal of a continuous
``y`` moves. The weight ``omega(y) = p_t(y) / p_s(y)`` solves the Fredholm
equation ``E_s[omega(Y) - 1 | X = x] = p_t(x) / p_s(x) - 1``; ReTaSA (Kim,
Zhang, Zhao and Tian, ICLR 2024) solves it with Tikhonov regularisation and
kernel estimates, which reduces to one ``n x n`` linear system.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings
from numbers import Integral, Real

import numpy as np
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import KFold, check_cv
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, column_or_1d, has_fit_parameter

from ..base import WeighterMixin
from ..exceptions import WeightDegeneracyWarning
from ..utils._sklearn_compat import HasMethods, Interval, StrOptions
from ..utils.validation import check_weights

__all__ = ["ContinuousTargetShift"]

#: default grid of Tikhonov parameters searched by ``alpha="cv"``
DEFAULT_ALPHAS = (1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)


def _smoother(A, B, bw, log_w):
    """Row-normalised Gaussian kernel weights of rows ``A`` on rows ``B``.

    Computed as a softmax over ``log K(a, b) + log w(b)``, so a row far from
    every ``b`` falls back on its nearest neighbours instead of 0 / 0.
    """
    d2 = np.sum(A**2, axis=1)[:, None] - 2.0 * A @ B.T + np.sum(B**2, axis=1)[None, :]
    logits = -0.5 * np.maximum(d2, 0.0) / bw**2 + log_w[None, :]
    logits -= logsumexp(logits, axis=1, keepdims=True)
    return np.exp(logits)


def _silverman(Z, sw, scale):
    """Silverman's rule of thumb on standardised columns (weighted n)."""
    n_eff, d = float(sw.sum()), Z.shape[1]
    return scale * (4.0 / (d + 2.0)) ** (1.0 / (d + 4.0)) * n_eff ** (-1.0 / (d + 4.0))


def _weighted_std(v, sw):
    mean = np.average(v, axis=0, weights=sw)
    std = np.sqrt(np.average((v - mean) ** 2, axis=0, weights=sw))
    return mean, np.where(std > 0, std, 1.0)


class _RetasaSolution:
    """The kernel quantities of one ReTaSA fit, and its extension to new y.

    The kernels are built once; :meth:`solve` can then be called for several
    Tikhonov parameters.
    """

    def __init__(self, Zs, ys, sw, Zt, bw_x, bw_y):
        self.ys, self.sw, self.bw_y = ys, sw, bw_y
        self.Zs, self.bw_x = Zs, bw_x
        with np.errstate(divide="ignore"):
            self.log_sw = np.log(sw)
        total, m = sw.sum(), Zt.shape[0]
        self.PX = _smoother(Zs, Zs, bw_x, self.log_sw)
        Q = _smoother(Zt, Zs, bw_x, self.log_sw)
        # u_i = (S / m) sum_j K(x_j^t, x_i) / sum_k s_k K(x_j^t, x_k)
        pos = sw > 0
        self.u = np.zeros_like(sw)
        self.u[pos] = total / m * Q[:, pos].sum(axis=0) / sw[pos]
        PY = self._py(ys)
        self._M = PY @ self.PX
        self._b = PY @ self.u - 1.0

    def solve(self, alpha):
        self.alpha = alpha
        A = self._M + alpha * np.eye(self.ys.shape[0])
        self.rho = np.linalg.solve(A, self._b)
        return self

    def _py(self, y):
        return _smoother(y[:, None], self.ys[:, None], self.bw_y, self.log_sw)

    def rho_at(self, y):
        """``rho(y) = (b(y) - p_Y(y) P_X rho) / alpha``, the system read at y."""
        PY = self._py(y)
        return (PY @ self.u - 1.0 - PY @ (self.PX @ self.rho)) / self.alpha


class ContinuousTargetShift(WeighterMixin, BaseEstimator):
    """Weights ``p_target(y) / p_source(y)`` for a continuous target shift.

    ReTaSA (Kim, Zhang, Zhao and Tian, 2024). Under target shift the
    conditional ``p(x | y)`` is shared and the marginal of a continuous label
    ``y`` moves between the labelled source rows and an unlabelled target
    sample ``X_target``. The weight ``omega(y) = p_t(y) / p_s(y)`` solves the
    ill-posed integral equation ``E_s[omega(Y) - 1 | X = x] = p_t(x) / p_s(x)
    - 1``; ReTaSA regularises it (Tikhonov, parameter ``alpha``) and plugs in
    Gaussian kernel estimates, which leaves one linear system
    ``(alpha I + P_Y P_X) rho = b`` over the source rows, with ``omega = max(0,
    1 + rho)``. The weights of new labels solve the same equation read at
    ``y``. See the :ref:`User Guide <continuous_target_shift>` for the
    formulas.

    ``method="binned"`` is the discrete baseline: ``y`` is cut into
    ``n_bins`` quantile bins and :class:`LabelShiftWeighting` (EM or BBSE)
    estimates the bins' prior ratios.

    ``X_target=None`` means no shift: every weight is 1. Weights average 1
    over the training rows (under ``sample_weight``); :meth:`compute_weights`
    needs ``y`` and ignores ``X``.

    Read more in the :ref:`User Guide <continuous_target_shift>`.

    Parameters
    ----------
    method : {"kernel", "binned"}, default="kernel"
        ReTaSA's kernel estimator, or the binned label-shift baseline.
    alpha : "cv" or float > 0, default="cv"
        Tikhonov parameter. ``"cv"`` picks it from ``alphas`` by K-fold
        cross-validation of the regularised problem's own residual
        ``||S rho - eta||^2`` (the uLSIF loss of the implied covariate ratio
        ``1 + E_s[rho(Y) | x]``) on held-out source and target rows.
    alphas : array-like of float, default=None
        Grid for ``alpha="cv"``; ``(1e-3, 3e-3, ..., 1)`` when None.
    bandwidth_scale : float > 0, default=1.0
        Multiplies Silverman's rule-of-thumb bandwidths (features are
        standardised first).
    estimator : regressor, default=None
        Optional black-box summary of high-dimensional features: a regressor
        fitted on the source rows whose (cross-fitted) prediction replaces
        ``X`` in the kernels. None: the standardised features themselves.
    n_bins : int >= 2, default=10
        Number of quantile bins of ``method="binned"``.
    label_shift_method : {"em", "bbse", "bbse_soft"}, default="em"
        Prior estimator of ``method="binned"``.
    cv : int, cross-validation generator or iterable, default=5
        Source folds for ``alpha="cv"`` and for cross-fitting ``estimator``
        (an int gives a shuffled :class:`~sklearn.model_selection.KFold`);
        the target rows are cut into as many random folds.
    min_target_samples : int >= 2, default=10
        Fewer target rows than this raise a ``ValueError``: the kernel
        estimate of the target feature distribution needs some rows.
    random_state : int, RandomState instance or None, default=None
        Seeds the cross-validation folds.

    Attributes
    ----------
    weights_ : ndarray of shape (n_samples,)
        ``omega(y_i)`` for the training rows; they average 1.
    alpha_ : float or None
        Tikhonov parameter used (None for ``"binned"`` or without target).
    cv_scores_ : ndarray of shape (n_alphas,) or None
        Mean held-out residual per candidate ``alpha`` (``alpha="cv"``).
    bandwidth_ : tuple of (float, float) or None
        Feature and label bandwidths of the kernel estimator.
    label_shift_ : LabelShiftWeighting or None
        The fitted weighter of ``method="binned"``.
    bin_edges_ : ndarray or None
        Inner bin edges of ``method="binned"``.
    estimator_ : regressor or None
        The summary regressor fitted on all source rows.
    edge_warning_ : bool
        Whether the largest weight sat at the edge of the training range of
        ``y`` and was large (a ``WeightDegeneracyWarning`` was raised).
    y_range_ : tuple of (float, float)
        Smallest and largest training label.
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
    LabelShiftWeighting : The same question for class labels.
    skreweight.compose.ReweightedRegressor : Fit a regressor with these weights.

    References
    ----------
    .. [1] H. Kim, X. Zhang, J. Zhao and Q. Tian, "ReTaSA: A Nonparametric
       Functional Estimation Approach for Addressing Continuous Target
       Shift", ICLR 2024.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.weighting import ContinuousTargetShift
    >>> rng = np.random.RandomState(0)
    >>> y = rng.normal(0.0, 1.0, 600)
    >>> X = (y + rng.normal(0.0, 0.5, 600))[:, None]
    >>> y_t = rng.normal(0.5, 0.8, 600)                  # the label moved right
    >>> X_t = (y_t + rng.normal(0.0, 0.5, 600))[:, None]
    >>> cts = ContinuousTargetShift(alpha=0.03).fit(X, y, X_target=X_t)
    >>> w = cts.compute_weights(y=np.array([-1.0, 0.0, 1.0]))
    >>> bool(w[0] < w[1] < w[2])
    True
    """

    _context = ("X_target",)
    _requires_y = True
    __metadata_request__fit = {"X_target": True}

    _parameter_constraints = {
        "method": [StrOptions({"kernel", "binned"})],
        "alpha": [StrOptions({"cv"}), Interval(Real, 0, None, closed="neither")],
        "alphas": ["array-like", None],
        "bandwidth_scale": [Interval(Real, 0, None, closed="neither")],
        "estimator": [HasMethods(["fit", "predict"]), None],
        "n_bins": [Interval(Integral, 2, None, closed="left")],
        "label_shift_method": [StrOptions({"em", "bbse", "bbse_soft"})],
        "cv": ["cv_object"],
        "min_target_samples": [Interval(Integral, 2, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        method="kernel",
        alpha="cv",
        alphas=None,
        bandwidth_scale=1.0,
        estimator=None,
        n_bins=10,
        label_shift_method="em",
        cv=5,
        min_target_samples=10,
        random_state=None,
    ):
        self.method = method
        self.alpha = alpha
        self.alphas = alphas
        self.bandwidth_scale = bandwidth_scale
        self.estimator = estimator
        self.n_bins = n_bins
        self.label_shift_method = label_shift_method
        self.cv = cv
        self.min_target_samples = min_target_samples
        self.random_state = random_state

    # -- validation -------------------------------------------------------------
    def _validate_y(self, y, n_samples):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target "
                "y is None. The weights are a function of the continuous label: "
                "pass fit(X, y, X_target=...) or compute_weights(y=...)."
            )
        y = column_or_1d(y, warn=True)
        try:
            y = y.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"{type(self).__name__} needs a numeric (continuous) y; got dtype "
                f"{y.dtype}. For class labels use LabelShiftWeighting."
            ) from exc
        if y.shape[0] != n_samples:
            raise ValueError(f"y has {y.shape[0]} entries but X has {n_samples} rows.")
        if not np.all(np.isfinite(y)):
            raise ValueError(
                f"y contains NaN or infinity ({int(np.sum(~np.isfinite(y)))} of "
                f"{y.shape[0]} entries); {type(self).__name__} needs a finite "
                "label for every row. Drop or impute those rows first."
            )
        return y

    # -- fit ----------------------------------------------------------------------
    def _fit(self, X, y, sample_weight, X_target=None):
        self._validate_params()
        sw = sample_weight
        self.y_range_ = (float(y.min()), float(y.max()))
        self.alpha_ = self.cv_scores_ = self.bandwidth_ = None
        self.label_shift_ = self.bin_edges_ = self.estimator_ = None
        self.edge_warning_ = False
        self._solution = None
        if X_target is None:
            return np.ones(X.shape[0])
        if X_target.shape[0] < self.min_target_samples:
            raise ValueError(
                f"X_target has {X_target.shape[0]} rows, fewer than "
                f"min_target_samples={self.min_target_samples}: too few for the "
                "kernel estimate of the target feature distribution. Pass more "
                "unlabelled target rows, or lower min_target_samples."
            )
        rng = check_random_state(self.random_state)
        Fs, Ft = self._features(X, y, sw, X_target, rng)
        if self.method == "binned":
            raw = self._fit_binned(Fs, y, sw, Ft)
        else:
            raw = self._fit_kernel(Fs, y, sw, Ft, rng)
        self._check_edge(raw, y, sw)
        return raw

    def _features(self, X, y, sw, X_target, rng):
        """Standardised features, or the cross-fitted summary ``f(x)``."""
        if self.estimator is None:
            mean, std = _weighted_std(X, sw)
            return (X - mean) / std, (X_target - mean) / std
        fs = np.empty(X.shape[0])
        for train, test in self._source_folds(X, rng):
            est = self._fit_estimator(X[train], y[train], sw[train])
            fs[test] = est.predict(X[test])
        self.estimator_ = self._fit_estimator(X, y, sw)
        ft = self.estimator_.predict(X_target)
        mean, std = _weighted_std(fs[:, None], sw)
        return (fs[:, None] - mean) / std, (ft[:, None] - mean) / std

    def _source_folds(self, X, rng):
        if isinstance(self.cv, Integral):
            if X.shape[0] < 2 * self.cv:
                raise ValueError(
                    f"{type(self).__name__} needs at least 2 * cv = {2 * self.cv} "
                    f"source rows for its {self.cv} folds, got {X.shape[0]}; pass "
                    "a fixed alpha or lower cv."
                )
            cv = KFold(self.cv, shuffle=True, random_state=rng.randint(2**31 - 1))
        else:
            cv = check_cv(self.cv)
        return list(cv.split(X))

    def _fit_estimator(self, X, y, sw):
        est = clone(self.estimator)
        if np.all(sw == 1):
            return est.fit(X, y)
        if not has_fit_parameter(est, "sample_weight"):
            raise TypeError(
                f"{type(est).__name__} does not accept sample_weight in fit; use "
                "a regressor that does, or drop sample_weight."
            )
        return est.fit(X, y, sample_weight=sw)

    def _bandwidths(self, Zs, ys, sw):
        bw_x = _silverman(Zs, sw, self.bandwidth_scale)
        _, sd = _weighted_std(ys[:, None], sw)
        bw_y = 1.06 * float(sd[0]) * float(sw.sum()) ** (-0.2) * self.bandwidth_scale
        return bw_x, bw_y

    def _fit_kernel(self, Zs, y, sw, Zt, rng):
        if self.alpha == "cv":
            alphas = np.asarray(
                DEFAULT_ALPHAS if self.alphas is None else self.alphas, dtype=float
            )
            if alphas.ndim != 1 or alphas.size == 0 or np.any(alphas <= 0):
                raise ValueError(
                    f"alphas must be a non-empty 1D array of positive floats, got "
                    f"{alphas!r}."
                )
            self.alpha_, self.cv_scores_ = self._select_alpha(
                self._cv_scores(Zs, y, sw, Zt, alphas, rng), alphas
            )
        else:
            self.alpha_ = float(self.alpha)
        bw_x, bw_y = self._bandwidths(Zs, y, sw)
        self.bandwidth_ = (float(bw_x), float(bw_y))
        self._solution = _RetasaSolution(Zs, y, sw, Zt, bw_x, bw_y).solve(self.alpha_)
        return np.maximum(1.0 + self._solution.rho, 0.0)

    @staticmethod
    def _select_alpha(fold_scores, alphas):
        """Largest alpha within one standard error of the best mean score."""
        mean = fold_scores.mean(axis=0)
        se = fold_scores.std(axis=0, ddof=1) / np.sqrt(fold_scores.shape[0])
        best = int(np.argmin(mean))
        ok = np.flatnonzero(mean <= mean[best] + se[best])
        return float(alphas[ok[np.argmax(alphas[ok])]]), mean

    def _cv_scores(self, Zs, y, sw, Zt, alphas, rng):
        """Held-out Tikhonov residual per (fold, alpha)."""
        src = self._source_folds(Zs, rng)
        k_t = max(2, min(len(src), Zt.shape[0]))
        tgt = list(
            KFold(k_t, shuffle=True, random_state=rng.randint(2**31 - 1)).split(Zt)
        )
        scores = []
        for fold, (train, test) in enumerate(src):
            t_train, t_test = tgt[fold % k_t]
            if sw[train].sum() <= 0 or sw[test].sum() <= 0:
                continue
            bw_x, bw_y = self._bandwidths(Zs[train], y[train], sw[train])
            sol = _RetasaSolution(
                Zs[train], y[train], sw[train], Zt[t_train], bw_x, bw_y
            )
            log_sw = sol.log_sw
            S_s = _smoother(Zs[test], Zs[train], bw_x, log_sw)
            S_t = _smoother(Zt[t_test], Zs[train], bw_x, log_sw)
            row = []
            for alpha in alphas:
                rho = sol.solve(alpha).rho
                g_s, g_t = S_s @ rho, S_t @ rho
                row.append(
                    np.average(g_s**2 + 2.0 * g_s, weights=sw[test]) - 2.0 * g_t.mean()
                )
            scores.append(row)
        return np.asarray(scores)

    def _fit_binned(self, Fs, y, sw, Ft):
        from ._label_shift import LabelShiftWeighting

        qs = np.linspace(0, 1, self.n_bins + 1)[1:-1]
        edges = np.unique(np.quantile(y, qs))
        labels = np.searchsorted(edges, y, side="right")
        if np.unique(labels).shape[0] < 2:
            raise ValueError(
                "y takes a single value up to the bin edges, so binning gives one "
                "bin: the label carries no shift to estimate."
            )
        self.bin_edges_ = edges
        self.label_shift_ = LabelShiftWeighting(method=self.label_shift_method).fit(
            Fs, labels, sample_weight=sw, X_target=Ft
        )
        self._bin_ratio = {
            int(c): r
            for c, r in zip(self.label_shift_.classes_, self.label_shift_._ratio)
        }
        return self._binned_weights(y)

    def _binned_weights(self, y):
        labels = np.searchsorted(self.bin_edges_, y, side="right")
        return np.array([self._bin_ratio.get(int(b), 0.0) for b in labels])

    def _check_edge(self, raw, y, sw):
        """Warn when the largest weight sits at the edge of the y range."""
        order = np.argsort(y)
        cum = np.cumsum(sw[order]) / sw.sum()
        lo = y[order][np.searchsorted(cum, 0.025)]
        hi = y[order][min(np.searchsorted(cum, 0.975), y.shape[0] - 1)]
        pos = sw > 0
        top = np.flatnonzero(pos)[int(np.argmax(raw[pos]))]
        med = float(np.median(raw[pos]))
        at_edge = y[top] <= lo or y[top] >= hi
        if at_edge and raw[top] > 5.0 * max(med, 1e-12):
            self.edge_warning_ = True
            warnings.warn(
                f"{type(self).__name__}: the largest weight "
                f"({raw[top] / max(med, 1e-12):.1f} times the median) is at "
                f"y = {y[top]:.4g}, at the edge of the training range of y "
                f"[{self.y_range_[0]:.4g}, {self.y_range_[1]:.4g}] (in its outer "
                "5%): the target puts mass where the training labels are scarce, "
                "and the weights blow up there. Estimates that use them will be "
                "noisy; collect training labels near that edge, or raise alpha.",
                WeightDegeneracyWarning,
                stacklevel=4,
            )

    # -- new labels ---------------------------------------------------------------
    def _compute_weights(self, X, y, X_target=None):
        if self._solution is None and self.label_shift_ is None:
            return np.ones(y.shape[0])
        if self.method == "binned":
            return self._binned_weights(y)
        return np.maximum(1.0 + self._solution.rho_at(y), 0.0)

    def compute_weights(self, X=None, y=None, **context):
        """Weights ``omega(y)`` of new labels, on the scale learnt in ``fit``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), default=None
            Ignored (the weight is a function of ``y`` alone); when given it
            is validated and must have as many rows as ``y``.
        y : array-like of shape (n_samples,)
            Labels to weight.
        **context : dict
            Not used.

        Returns
        -------
        weights : ndarray of shape (n_samples,)
            Non-negative weights; ``compute_weights(y=y_fit)`` equals
            ``weights_``.
        """
        if X is None:
            check_is_fitted(self, "weights_")
            self._check_context_keys(context, fitting=False)
            y = self._validate_y(y, np.asarray(y).shape[0] if y is not None else 0)
            raw = self._compute_weights(None, y)
            raw = check_weights(raw, y.shape[0], owner=type(self).__name__)
            return self._apply_scale(raw, {})
        return super().compute_weights(X, y, **context)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.single_output = True
        return tags
