"""Group distributionally robust optimisation (Sagawa et al., 2020)."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings
from numbers import Integral, Real

import numpy as np
from scipy.optimize import minimize, nnls
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, has_fit_parameter, validate_data

from .._core.docstrings import fill_doc
from ..utils._progress import Progress
from ..utils._sklearn_compat import HasMethods, Interval
from ..utils.validation import check_sample_weight, warn_missing_context
from ._common import (
    LinearLoss,
    encode_groups,
    encode_labels,
    group_losses,
    linear_predict,
    linear_predict_proba,
)

__all__ = ["GroupDROClassifier"]


def _group_jacobian(lin, X, dz, inverse, sw, size):
    """Gradients of every group's mean loss, shape (n_groups, n_params)."""
    n, n_groups = X.shape[0], size.shape[0]
    scaled = dz * (sw / size[inverse])[:, None]
    jac = np.empty((n_groups, lin.n_params))
    rows = np.arange(n)
    for a in range(lin.k):
        spread = np.zeros((n, n_groups))
        spread[rows, inverse] = scaled[:, a]
        # coefficient a of feature j sits at j * k + a in theta
        jac[:, a : lin.k * lin.d : lin.k] = (X.T @ spread).T
        if lin.fit_intercept:
            jac[:, lin.k * lin.d + a] = spread.sum(axis=0)
    return jac


def _group_weights_from_kkt(jac, pen_grad, active):
    """Group weights q on the simplex solving sum_g q_g grad L_g = -grad pen."""
    q = np.zeros(jac.shape[0])
    idx = np.flatnonzero(active)
    if idx.shape[0] == 1:
        q[idx] = 1.0
        return q
    big = 1e3 * max(1.0, np.abs(jac).max())
    A = np.vstack([jac[idx].T, big * np.ones((1, idx.shape[0]))])
    b = np.concatenate([-pen_grad, [big]])
    q[idx], _ = nnls(A, b)
    return q / q.sum()


def solve_group_dro(
    X,
    y,
    kind,
    n_classes,
    inverse,
    sw,
    size,
    *,
    C,
    alpha,
    max_iter,
    tol,
    robustness=1.0,
    fit_intercept=True,
):
    """Exact linear Group DRO by SLSQP on the epigraph form.

    min_{theta, t} (1 - rho) sum_g pi_g L_g(theta) + rho t + (alpha / 2) ||coef||^2
    s.t. L_g(theta) + C / sqrt(n_g) <= t for every group g,

    with ``rho = robustness`` and ``pi_g = n_g / n`` the group shares.
    """
    lin = LinearLoss(kind, X.shape[1], n_classes, fit_intercept)
    adjust = C / np.sqrt(size)
    share = size / size.sum()
    rho = float(robustness)
    p = lin.n_params

    cache = {}

    def adjusted(theta):
        key = theta.tobytes()
        if key not in cache:
            cache.clear()
            loss, dz = lin.loss_and_dscore(theta, X, y)
            cache[key] = (group_losses(loss, inverse, sw, size) + adjust, dz)
        return cache[key]

    def objective(x):
        pen, grad = lin.penalty(x[:p], alpha)
        if rho < 1.0:  # the average loss, sum_g pi_g L_g (adjust is constant)
            losses, dz = adjusted(x[:p])
            jac = _group_jacobian(lin, X, dz, inverse, sw, size)
            pen += (1.0 - rho) * float(share @ (losses - adjust))
            grad = grad + (1.0 - rho) * (share @ jac)
        return rho * x[p] + pen, np.append(grad, rho)

    def cons(x):
        return x[p] - adjusted(x[:p])[0]

    def cons_jac(x):
        _, dz = adjusted(x[:p])
        jac = _group_jacobian(lin, X, dz, inverse, sw, size)
        return np.hstack([-jac, np.ones((jac.shape[0], 1))])

    theta0 = np.zeros(p)
    x0 = np.append(theta0, adjusted(theta0)[0].max())
    res = minimize(
        objective,
        x0,
        jac=True,
        method="SLSQP",
        constraints=[{"type": "ineq", "fun": cons, "jac": cons_jac}],
        options={"maxiter": max_iter, "ftol": tol},
    )
    theta = res.x[:p]
    losses, dz = adjusted(theta)
    jac = _group_jacobian(lin, X, dz, inverse, sw, size)
    pen_grad = lin.penalty(theta, alpha)[1]
    if rho == 0.0:  # weighted ERM: the group weights are the group shares
        return lin, theta, losses, share.copy(), res
    # stationarity: (1 - rho) sum pi_g grad L_g + rho sum q'_g grad L_g
    # + grad pen = 0, with q' on the simplex over the active groups
    active = losses >= losses.max() - max(1e-6, 1e-4 * abs(losses.max()))
    q = _group_weights_from_kkt(
        jac, (pen_grad + (1.0 - rho) * (share @ jac)) / rho, active
    )
    return lin, theta, losses, (1.0 - rho) * share + rho * q, res


def _estimator_has(attr):
    def check(self):
        if not hasattr(self, "estimator_"):
            return self.estimator is None or hasattr(self.estimator, attr)
        return self.estimator_ is None or hasattr(self.estimator_, attr)

    return check


@fill_doc
class GroupDROClassifier(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Group distributionally robust classifier: minimise the worst group loss.

    Group DRO (Sagawa et al., 2020) fits

    .. math::

        \\min_\\theta \\max_g \\; L_g(\\theta) + \\frac{C}{\\sqrt{n_g}}
        + \\frac{\\alpha}{2} \\lVert w \\rVert^2,

    where :math:`L_g` is the mean loss over the rows of group :math:`g`,
    :math:`n_g` its size, :math:`C/\\sqrt{n_g}` the generalisation
    adjustment that favours small groups, and the L2 penalty spares the
    intercept. ``robustness`` :math:`\\rho < 1` mixes in the average loss,

    .. math::

        \\min_\\theta \\; (1 - \\rho) \\sum_g \\pi_g L_g(\\theta)
        + \\rho \\max_g \\big(L_g(\\theta) + \\frac{C}{\\sqrt{n_g}}\\big)
        + \\frac{\\alpha}{2} \\lVert w \\rVert^2,

    with :math:`\\pi_g = n_g / n`: the adversary's group weights are kept
    in :math:`\\{(1 - \\rho) \\pi + \\rho q : q \\in \\Delta\\}`, so
    :math:`\\rho = 0` is ERM and :math:`\\rho = 1` Group DRO, and the
    knob trades average accuracy for worst-group accuracy. It comes in two
    forms:

    - ``estimator=None``: the **exact convex problem** for a linear logistic
      model (multinomial for more than two classes), solved in its epigraph
      form by SLSQP with closed-form gradients. The optimal group weights
      :math:`q` (the dual variables, on the simplex) are recovered from the
      KKT conditions: ``sum_g q_g grad L_g + alpha w = 0``.
    - ``estimator`` given: a **meta-estimator** for any classifier whose
      ``fit`` takes ``sample_weight``. Each round fits a clone with row
      weights ``n q_g / n_g`` (``q`` mixed with the group shares when
      ``robustness < 1``), measures every group's loss on the training
      rows (log loss when the classifier has ``predict_proba``, else the
      error rate), and updates ``q_g <- q_g exp(eta (L_g + C / sqrt(n_g)))``
      (exponentiated gradient, "Hedge"). After ``max_iter`` rounds the final
      classifier is refitted on the average of the group weights, which is
      the minimax solution's weighting for convex losses.

    ``sample_group=None`` means one group: the fit is then ordinary
    (L2-regularised) empirical risk minimisation.

    Read more in the :ref:`User Guide <group_robustness>`.

    Parameters
    ----------
    estimator : classifier, default=None
        None for the exact linear logistic form; otherwise a classifier whose
        ``fit`` takes ``sample_weight`` (cloned).
    adjustment : float, default=0.0
        Group-size adjustment ``C`` of Sagawa et al.: group ``g``'s loss is
        increased by ``C / sqrt(n_g)``. The paper tunes it over ``[0, 5]``.
    robustness : float in [0, 1], default=1.0
        Weight of the worst-group term against the average loss: 1 is Group
        DRO, 0 is (L2-regularised) empirical risk minimisation. Tune it with
        a validation split when average accuracy must not drop by more than
        a budget.
    alpha : float, default=1e-3
        L2 penalty ``alpha / 2 * ||coef||^2`` of the exact form (ignored by
        the meta-estimator form, where the estimator's own regularisation
        applies). With mean losses, ``alpha = 1 / n`` matches
        ``LogisticRegression(C=1.0)``.
    step_size : float, default=1.0
        Step size ``eta`` of the exponentiated-gradient update of the group
        weights (meta-estimator form only).
    max_iter : int, default=100
        Maximum SLSQP iterations (exact form) or number of Hedge rounds
        (meta-estimator form).
    tol : float, default=1e-12
        SLSQP tolerance on the objective (exact form); the Hedge rounds stop
        early when the group weights change by less than ``tol`` in
        L1 norm.
    verbose : int, default=0
        Print the group losses of each Hedge round when > 0.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    groups_ : ndarray of shape (n_groups,)
        Group labels seen in ``fit`` (``[0]`` when ``sample_group=None``).
    group_size_ : ndarray of shape (n_groups,)
        Sample-weighted number of rows of each group.
    group_weights_ : ndarray of shape (n_groups,)
        Group weights on the simplex, ``(1 - robustness) pi +
        robustness q``: with ``q`` the optimal dual variables (exact form),
        or their average over the rounds (meta-estimator form).
    group_weights_history_ : ndarray of shape (n_rounds + 1, n_groups)
        The group weights before each of the ``n_iter_`` rounds and after the
        last one (meta-estimator form); a single row equal to
        ``group_weights_`` for the exact form.
    group_losses_ : ndarray of shape (n_groups,)
        Adjusted training loss ``L_g + C / sqrt(n_g)`` of each group for the
        final model.
    weights_ : ndarray of shape (n_samples,)
        Row weights ``n q_g / n_g`` implied by ``group_weights_``; they
        average 1 under ``sample_weight``.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Coefficients (exact form only).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts (exact form only).
    estimator_ : classifier or None
        The classifier fitted on the final weights (meta-estimator form);
        None for the exact form.
    n_iter_ : int
        SLSQP iterations or Hedge rounds run.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen in ``fit``, when X has string column names.

    See Also
    --------
    JTTClassifier : Upweight the rows a first model gets wrong; no group labels.
    skreweight.weighting.GroupBalance : Static inverse-group-size weights.

    Notes
    -----
    The exact form's accuracy is tested against a cvxpy (exponential cone)
    solution of the same problem. Its cost per SLSQP iteration is one pass
    over the data plus a dense QP in ``n_features`` variables, so it suits
    problems with up to a few hundred features; scale the features first.

    References
    ----------
    .. [1] S. Sagawa, P. W. Koh, T. B. Hashimoto and P. Liang, "Distributionally
       Robust Neural Networks for Group Shifts: On the Importance of
       Regularization for Worst-Case Generalization", ICLR 2020.

    Examples
    --------
    >>> from skreweight.datasets import make_spurious_groups
    >>> from skreweight.robust import GroupDROClassifier
    >>> d = make_spurious_groups(n_samples=400, random_state=0)
    >>> clf = GroupDROClassifier().fit(d.X, d.y, sample_group=d.group)
    >>> clf.group_weights_.round(2)
    array([...])
    >>> clf.predict(d.X[:3]).shape
    (3,)
    """

    __metadata_request__fit = {"sample_group": True}

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "adjustment": [Interval(Real, 0, None, closed="left")],
        "robustness": [Interval(Real, 0, 1, closed="both")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "step_size": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        adjustment=0.0,
        robustness=1.0,
        alpha=1e-3,
        step_size=1.0,
        max_iter=100,
        tol=1e-12,
        verbose=0,
    ):
        self.estimator = estimator
        self.adjustment = adjustment
        self.robustness = robustness
        self.alpha = alpha
        self.step_size = step_size
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose

    def fit(self, X, y, *, sample_group=None, sample_weight=None):
        """Fit the worst-group-loss minimiser.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_group : array-like of shape (n_samples,), default=None
            Group of each row; None means one group (plain ERM). A pandas
            categorical declares all groups through its categories, so that a
            group missing from a cross-validation fold raises an error.
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
        self.groups_, inverse, self.group_size_ = encode_groups(
            sample_group, sw, X.shape[0], owner=type(self).__name__
        )
        if sample_group is None:
            warn_missing_context(
                type(self).__name__,
                "sample_group",
                "a single group: Group DRO reduces to ordinary (weighted) risk "
                "minimisation",
            )
        elif self.groups_.shape[0] == 1:
            warnings.warn(
                f"sample_group holds a single group {self.groups_.tolist()}: Group "
                "DRO reduces to ordinary risk minimisation. Pass several groups, "
                "or sample_group=None to say so.",
                UserWarning,
                stacklevel=2,
            )
        self.classes_, codes = encode_labels(y)
        if self.classes_.shape[0] < 2:
            raise ValueError(
                "GroupDROClassifier needs at least 2 classes in y; got one class "
                f"{self.classes_.tolist()}."
            )
        if self.estimator is None:
            self._fit_exact(X, codes, inverse, sw)
        else:
            self._fit_hedge(X, y, inverse, sw)
        q_row = self.group_weights_ / self.group_size_
        self.weights_ = sw.sum() * q_row[inverse]
        return self

    def _fit_exact(self, X, codes, inverse, sw):
        n_classes = self.classes_.shape[0]
        kind = "logistic" if n_classes == 2 else "multinomial"
        lin, theta, losses, q, res = solve_group_dro(
            X,
            codes,
            kind,
            n_classes,
            inverse,
            sw,
            self.group_size_,
            C=self.adjustment,
            alpha=self.alpha,
            max_iter=self.max_iter,
            tol=self.tol,
            robustness=self.robustness,
        )
        if not res.success:
            warnings.warn(
                f"GroupDROClassifier: SLSQP did not converge ({res.message}); "
                "increase max_iter, scale the features or raise alpha.",
                ConvergenceWarning,
                stacklevel=3,
            )
        coef, intercept = lin.unpack(theta)
        self.coef_, self.intercept_ = coef.T.copy(), intercept.copy()
        self._kind = kind
        self.group_losses_ = losses
        self.group_weights_ = q
        self.group_weights_history_ = q[None, :].copy()
        self.n_iter_ = int(res.nit)
        self.estimator_ = None

    def _group_loss(self, est, X, y, inverse, sw):
        size = self.group_size_
        if hasattr(est, "predict_proba"):
            proba = est.predict_proba(X)
            labels = est.classes_
            pos = np.searchsorted(labels, y)
            p = np.clip(proba[np.arange(y.shape[0]), pos], 1e-15, 1.0)
            loss = -np.log(p)
        else:
            loss = (est.predict(X) != y).astype(float)
        return group_losses(loss, inverse, sw, size) + self.adjustment / np.sqrt(size)

    def _fit_hedge(self, X, y, inverse, sw):
        if not has_fit_parameter(self.estimator, "sample_weight"):
            raise TypeError(
                f"{type(self.estimator).__name__} does not accept sample_weight in "
                "fit, so Group DRO cannot reweight it. Use an estimator that does, "
                "or estimator=None for the exact logistic form."
            )
        n_groups, total = self.groups_.shape[0], sw.sum()
        share, rho = self.group_size_ / total, self.robustness
        q = np.full(n_groups, 1.0 / n_groups)
        history = [q]
        progress = Progress(self, self.verbose, total=self.max_iter, unit="round")
        for it in range(self.max_iter):
            mixed = (1.0 - rho) * share + rho * q
            w = sw * total * (mixed / self.group_size_)[inverse]
            est = clone(self.estimator).fit(X, y, sample_weight=w)
            losses = self._group_loss(est, X, y, inverse, sw)
            progress(it + 1, adjusted_group_losses=losses)
            q_new = q * np.exp(self.step_size * (losses - losses.max()))
            q_new /= q_new.sum()
            history.append(q_new)
            done = np.abs(q_new - q).sum() <= self.tol
            q = q_new
            if done:
                break
        self.n_iter_ = it + 1
        self.group_weights_history_ = (1.0 - rho) * share + rho * np.asarray(history)
        self.group_weights_ = self.group_weights_history_[:-1].mean(axis=0)
        w = sw * total * (self.group_weights_ / self.group_size_)[inverse]
        self.estimator_ = clone(self.estimator).fit(X, y, sample_weight=w)
        self.group_losses_ = self._group_loss(self.estimator_, X, y, inverse, sw)

    def _check_predict(self, X):
        check_is_fitted(self, "group_weights_")
        return validate_data(self, X, reset=False, dtype=np.float64)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Linear scores (exact form) or the estimator's decision function.

        %(decision_function_doc)s
        """
        X = self._check_predict(X)
        if self.estimator_ is not None:
            return self.estimator_.decision_function(X)
        scores = X @ self.coef_.T + self.intercept_
        return scores[:, 0] if self._kind == "logistic" else scores

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities.

        %(predict_proba_doc)s
        """
        X = self._check_predict(X)
        if self.estimator_ is not None:
            return self.estimator_.predict_proba(X)
        scores = X @ self.coef_.T + self.intercept_
        return linear_predict_proba(scores, self._kind)

    def predict(self, X):
        """Predict class labels.

        %(predict_doc)s
        """
        X = self._check_predict(X)
        if self.estimator_ is not None:
            return self.estimator_.predict(X)
        scores = X @ self.coef_.T + self.intercept_
        return linear_predict(scores, self._kind, self.classes_)
