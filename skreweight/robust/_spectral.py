"""Spectral-risk (CVaR, extremile, ESRM) linear models with a shift penalty."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings
from numbers import Integral, Real

import numpy as np
from scipy.optimize import minimize
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.isotonic import isotonic_regression
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .._core.docstrings import fill_doc
from ..utils._sklearn_compat import Interval, StrOptions
from ..utils.validation import check_sample_weight
from ._common import LinearClassifierOutputMixin, LinearLoss, encode_labels

__all__ = [
    "SpectralRiskClassifier",
    "SpectralRiskRegressor",
    "spectral_risk_weights",
    "spectrum_cdf",
]

_DEFAULT_LEVEL = {"cvar": 0.5, "extremile": 2.0, "esrm": 1.0, "erm": None}


def spectrum_cdf(spectrum, level=None):
    """Cumulative spectrum ``F`` on [0, 1] of a spectral risk measure.

    The row at sorted position ``i`` (ascending losses, ``n`` rows) gets
    ``sigma_i = F(i / n) - F((i - 1) / n)``.

    Parameters
    ----------
    spectrum : {"cvar", "extremile", "esrm", "erm"}
        ``"cvar"``: ``F(t) = max(0, t - a) / (1 - a)`` (the mean of the top
        ``1 - a`` share of losses); ``"extremile"``: ``F(t) = t ** r``;
        ``"esrm"`` (exponential spectral risk): ``F(t) = (exp(rho t) - 1) /
        (exp(rho) - 1)``; ``"erm"``: ``F(t) = t``.
    level : float, default=None
        ``a`` in [0, 1) for CVaR (0.5), ``r >= 1`` for the extremile (2),
        ``rho > 0`` for ESRM (1); None takes the default in brackets.

    Returns
    -------
    cdf : callable
        ``cdf(t)`` for an array ``t`` in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.robust import spectrum_cdf
    >>> F = spectrum_cdf("cvar", 0.5)
    >>> np.diff(F(np.linspace(0, 1, 5)))
    array([0. , 0. , 0.5, 0.5])
    """
    level = _DEFAULT_LEVEL[spectrum] if level is None else float(level)
    if spectrum == "cvar":
        if not 0 <= level < 1:
            raise ValueError(f"CVaR level must be in [0, 1); got {level}.")
        return lambda t: np.maximum(0.0, t - level) / (1.0 - level)
    if spectrum == "extremile":
        if level < 1:
            raise ValueError(f"Extremile level r must be >= 1; got {level}.")
        return lambda t: np.power(t, level)
    if spectrum == "esrm":
        if level <= 0:
            raise ValueError(f"ESRM level rho must be > 0; got {level}.")
        return lambda t: np.expm1(level * t) / np.expm1(level)
    return lambda t: np.asarray(t, dtype=float)


def _pav_kl(z, sw, mass):
    """Nondecreasing v minimising sum sw e^(z - v) + mass v, by pooling."""
    # blocks: [start, end, log sum sw e^z, sum mass]
    starts, ends, lse, msum, vals = [], [], [], [], []
    logsw = np.log(sw)
    for i in range(z.shape[0]):
        s, e, a, m = i, i + 1, z[i] + logsw[i], mass[i]
        v = a - np.log(m) if m > 0 else np.inf
        while vals and vals[-1] >= v:
            s = starts.pop()
            ends.pop()
            a = np.logaddexp(lse.pop(), a)
            m = msum.pop() + m
            vals.pop()
            v = a - np.log(m) if m > 0 else np.inf
        starts.append(s)
        ends.append(e)
        lse.append(a)
        msum.append(m)
        vals.append(v)
    out = np.empty_like(z)
    for s, e, v in zip(starts, ends, vals):
        out[s:e] = v
    return out


def spectral_risk_weights(loss, sample_weight, cdf, *, penalty="chi2", shift_cost=1.0):
    """Maximising distribution ``q`` of a penalised spectral risk, and its value.

    Solves ``max_{q in P(sigma)} q . loss - shift_cost * D(q || s / N)``
    over the permutahedron of the spectrum (the rows' shares of the spectral
    mass), where ``D`` is the chi-square divergence ``(N / 2) sum (q_i - s_i /
    N)^2 / s_i`` or the KL divergence, ``s`` the sample weights and ``N``
    their sum. The solution is exact: sort, one weighted isotonic regression
    (pool-adjacent-violators), unsort. Rows of integer weight ``k`` get the
    weight of ``k`` repeated rows.

    Parameters
    ----------
    loss : ndarray of shape (n_samples,)
        Per-row losses.
    sample_weight : ndarray of shape (n_samples,)
        Non-negative row weights.
    cdf : callable
        Cumulative spectrum, from :func:`spectrum_cdf`.
    penalty : {"chi2", "kl"}, default="chi2"
        Divergence to the empirical distribution.
    shift_cost : float > 0, default=1.0
        Penalty strength ``nu``.

    Returns
    -------
    q : ndarray of shape (n_samples,)
        Non-negative, summing to 1.
    value : float
        The penalised spectral risk ``q . loss - shift_cost * D(q)``.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.robust import spectral_risk_weights, spectrum_cdf
    >>> loss = np.array([0.0, 1.0, 2.0, 3.0])
    >>> q, value = spectral_risk_weights(loss, np.ones(4), spectrum_cdf("cvar"),
    ...                                  shift_cost=1e-6)
    >>> q.round(6), round(value, 4)
    (array([0. , 0. , 0.5, 0.5]), 2.5)
    """
    q = np.zeros_like(loss, dtype=float)
    keep = np.flatnonzero(sample_weight > 0)
    sw, ls = sample_weight[keep], loss[keep]
    order = np.argsort(ls, kind="stable")
    sw, ls = sw[order], ls[order]
    total = sw.sum()
    cum = np.cumsum(sw) / total
    mass = np.diff(cdf(np.r_[0.0, cum]))
    mass = np.maximum(mass, 0.0)
    if penalty == "chi2":
        s = total * shift_cost
        z = ls / s + 1.0 / total - mass / sw
        v = isotonic_regression(z, sample_weight=sw, increasing=True)
        # q = sw * (l / s + 1 / N - v), written to avoid cancelling large terms
        q_sorted = np.maximum(sw * (z - v) + mass, 0.0)
        q_sorted /= q_sorted.sum()
        div = 0.5 * s * np.sum((q_sorted - sw / total) ** 2 / sw)
    else:
        z = ls / shift_cost
        v = _pav_kl(z, sw, mass)
        with np.errstate(over="ignore"):
            q_sorted = sw * np.exp(np.minimum(z - v, 700.0))
        q_sorted /= q_sorted.sum()
        pos = q_sorted > 0
        div = shift_cost * np.sum(
            q_sorted[pos] * np.log(total * q_sorted[pos] / sw[pos])
        )
    q[keep[order]] = q_sorted
    return q, float(q_sorted @ ls - div)


class _BaseSpectralRisk(BaseEstimator):
    _parameter_constraints = {
        "spectrum": [StrOptions({"cvar", "extremile", "esrm", "erm"})],
        "level": [Interval(Real, 0, None, closed="left"), None],
        "penalty": [StrOptions({"chi2", "kl"})],
        "shift_cost": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        spectrum="cvar",
        *,
        level=None,
        penalty="chi2",
        shift_cost=1.0,
        alpha=1e-3,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-10,
    ):
        self.spectrum = spectrum
        self.level = level
        self.penalty = penalty
        self.shift_cost = shift_cost
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol

    def _objective(self, theta, X, y, sw, cdf, lin):
        loss, dz = lin.loss_and_dscore(theta, X, y)
        q, value = spectral_risk_weights(
            loss, sw, cdf, penalty=self.penalty, shift_cost=self.shift_cost
        )
        pen, pen_grad = lin.penalty(theta, self.alpha)
        return value + pen, lin.grad(X, dz * q[:, None]) + pen_grad

    def _solve(self, X, y, sw, kind, n_classes):
        cdf = spectrum_cdf(self.spectrum, self.level)
        lin = LinearLoss(kind, X.shape[1], n_classes, self.fit_intercept)
        res = minimize(
            self._objective,
            np.zeros(lin.n_params),
            args=(X, y, sw, cdf, lin),
            jac=True,
            method="L-BFGS-B",
            options={
                "maxiter": self.max_iter,
                "gtol": self.tol,
                "ftol": 1e-15,
                "maxcor": 20,
            },
        )
        if not res.success and res.nit >= self.max_iter:
            warnings.warn(
                f"{type(self).__name__}: L-BFGS did not converge in max_iter="
                f"{self.max_iter} iterations ({res.message}); increase max_iter or "
                "shift_cost.",
                ConvergenceWarning,
                stacklevel=3,
            )
        loss, _ = lin.loss_and_dscore(res.x, X, y)
        q, _ = spectral_risk_weights(
            loss, sw, cdf, penalty=self.penalty, shift_cost=self.shift_cost
        )
        coef, intercept = lin.unpack(res.x)
        self.coef_ = coef.T.copy()
        self.intercept_ = intercept.copy()
        self.objective_ = float(res.fun)
        self.n_iter_ = int(res.nit)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.weights_ = np.where(sw > 0, q * sw.sum() / sw, 0.0)
        return lin

    def _decision(self, X):
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return X @ self.coef_.T + self.intercept_


_PARAMS_DOC = """\
spectrum : {"cvar", "extremile", "esrm", "erm"}, default="cvar"
    Spectral risk measure: the weights ``sigma`` the sorted losses get
    (see :func:`spectrum_cdf`). ``"erm"`` is the plain mean.
level : float, default=None
    Parameter of the spectrum: the CVaR level ``a`` (0.5: mean of the top
    half of the losses), the extremile ``r`` (2) or the ESRM ``rho`` (1);
    None takes the value in brackets (Prospect's defaults).
penalty : {"chi2", "kl"}, default="chi2"
    Divergence ``D`` of the shifted distribution from the empirical one:
    ``(n / 2) ||q - 1/n||^2`` (Prospect's code) or ``KL(q || 1/n)``.
shift_cost : float > 0, default=1.0
    ``nu``, the price of shifting away from the empirical distribution;
    it smooths the objective (large values approach ERM).
alpha : float, default=1e-3
    L2 penalty ``alpha / 2 ||coef||^2`` (Prospect's ``mu``, ``1 / n``
    in its experiments). The intercept is not penalised.
fit_intercept : bool, default=True
    Whether to fit an unpenalised intercept.
max_iter : int, default=1000
    Maximum L-BFGS iterations.
tol : float, default=1e-10
    L-BFGS tolerance on the projected gradient."""


_ATTRIBUTES_DOC = """\
objective_ : float
    Objective value at the solution.
n_iter_ : int
    L-BFGS iterations.
n_features_in_ : int
    Number of features seen in ``fit``.
feature_names_in_ : ndarray of shape (n_features_in_,)
    Names of features seen in ``fit``, when X has string column names."""


@fill_doc(spectral_params=_PARAMS_DOC, spectral_attributes=_ATTRIBUTES_DOC)
class SpectralRiskRegressor(RegressorMixin, _BaseSpectralRisk):
    """Linear least squares minimising a penalised spectral risk of the losses.

    Fits the distributionally robust objective of Prospect (Mehta et al.,
    2024) with the squared loss ``l_i = (y_i - x_i w - b)^2 / 2``:

    .. math::

        \\min_{w, b} \\max_{q \\in \\mathcal{P}(\\sigma)} \\sum_i q_i l_i
        - \\nu D(q \\,\\|\\, \\tfrac{1}{n}) + \\frac{\\alpha}{2}\\lVert w
        \\rVert^2,

    where the permutahedron :math:`\\mathcal{P}(\\sigma)` holds the
    distributions that give the sorted losses the spectrum ``sigma`` (CVaR,
    extremile or ESRM) up to permutation. The inner maximum is solved
    exactly by sorting and one isotonic regression, so the objective is
    smooth and L-BFGS solves the problem to machine precision; a test checks
    it against a cvxpy solution of the same problem to 1e-6 relative. The
    weights ``q`` of the solution are exposed: the model is ordinary least
    squares on these row weights.

    Read more in the :ref:`User Guide <group_robustness>`.

    Parameters
    ----------
    %(spectral_params)s

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features)
        Coefficients.
    intercept_ : ndarray of shape (1,)
        Intercept (0 when ``fit_intercept=False``).
    weights_ : ndarray of shape (n_samples,)
        Row weights ``n q_i / s_i`` of the solution; they average 1 under
        ``sample_weight`` and put the mass on the worst losses.
    %(spectral_attributes)s

    See Also
    --------
    SpectralRiskClassifier : The same objective with the logistic loss.
    spectral_risk_weights : The inner maximisation.

    References
    ----------
    .. [1] R. Mehta, V. Roulet, K. Pillutla and Z. Harchaoui, "Distributionally
       Robust Optimization with Bias and Variance Reduction", ICLR 2024.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.robust import SpectralRiskRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 3))
    >>> y = X @ [1.0, -2.0, 0.5] + rng.standard_t(2, size=200)
    >>> reg = SpectralRiskRegressor("cvar", level=0.9).fit(X, y)
    >>> reg.coef_.shape, reg.weights_.shape
    ((1, 3), (200,))
    """

    def fit(self, X, y, sample_weight=None):
        """Minimise the penalised spectral risk.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights; integer weights are equivalent to repeated rows.

        Returns
        -------
        self : object
            Fitted regressor.
        """
        self._validate_params()
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True)
        sw = check_sample_weight(sample_weight, X)
        self._solve(X, y, sw, "squared", 1)
        return self

    def predict(self, X):
        """Predict targets.

        %(predict_doc)s
        """
        return self._decision(X)[:, 0]


@fill_doc(spectral_params=_PARAMS_DOC, spectral_attributes=_ATTRIBUTES_DOC)
class SpectralRiskClassifier(
    ClassifierMixin, LinearClassifierOutputMixin, _BaseSpectralRisk
):
    """Logistic regression minimising a penalised spectral risk of the losses.

    The classification counterpart of :class:`SpectralRiskRegressor`: the
    same Prospect objective with the logistic loss (multinomial for more
    than two classes). CVaR, extremile and ESRM spectra put more weight on
    the rows with the largest losses, which protects the worst-off
    subpopulations without group labels.

    Read more in the :ref:`User Guide <group_robustness>`.

    Parameters
    ----------
    %(spectral_params)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Coefficients.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts.
    weights_ : ndarray of shape (n_samples,)
        Row weights ``n q_i / s_i`` of the solution; they average 1 under
        ``sample_weight``.
    %(spectral_attributes)s

    See Also
    --------
    SpectralRiskRegressor : The same objective with the squared loss.
    GroupDROClassifier : The worst *group* loss, with group labels.

    References
    ----------
    .. [1] R. Mehta, V. Roulet, K. Pillutla and Z. Harchaoui, "Distributionally
       Robust Optimization with Bias and Variance Reduction", ICLR 2024.

    Examples
    --------
    >>> from skreweight.datasets import make_spurious_groups
    >>> from skreweight.robust import SpectralRiskClassifier
    >>> d = make_spurious_groups(n_samples=400, random_state=0)
    >>> clf = SpectralRiskClassifier("cvar", level=0.8).fit(d.X, d.y)
    >>> clf.predict(d.X[:3]).shape
    (3,)
    """

    def fit(self, X, y, sample_weight=None):
        """Minimise the penalised spectral risk.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights; integer weights are equivalent to repeated rows.

        Returns
        -------
        self : object
            Fitted classifier.
        """
        self._validate_params()
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        sw = check_sample_weight(sample_weight, X)
        self.classes_, codes = encode_labels(y)
        if self.classes_.shape[0] < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 classes in y; got one "
                f"class {self.classes_.tolist()}."
            )
        k = self.classes_.shape[0]
        self._kind = "logistic" if k == 2 else "multinomial"
        self._solve(X, codes, sw, self._kind, k)
        return self
