"""Group-robust sample reweighting by influence functions (GSR)."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral, Real

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils._progress import Progress
from ..utils._sklearn_compat import Interval, StrOptions
from ..utils.validation import (
    check_sample_group,
    check_sample_weight,
    check_X_target,
    warn_missing_context,
    warn_no_overlap,
)
from ._common import LinearClassifierOutputMixin, LinearLoss, encode_labels

__all__ = ["GSRClassifier"]


def _unwrap(value):
    """Accept the tuple form ``(array,)`` that escapes CV slicing."""
    if isinstance(value, tuple) and len(value) == 1:
        return value[0]
    return value


def _augment(X):
    return np.hstack([X, np.ones((X.shape[0], 1))])


def fit_last_layer(lin, X, y, w, alpha, theta0, tol=1e-10, max_iter=200, factor=None):
    """argmin_theta sum_i w_i l_i(theta) + alpha ||theta||^2 (bias included).

    Newton's method with the closed-form Hessian. ``factor`` (a Cholesky
    factor of a nearby Hessian, e.g. the previous round's) is reused for the
    steps -- a chord iteration that costs one gradient per step -- and the
    Hessian is refreshed only when progress stalls. Converges to gradient
    ``tol`` (max norm), the precision influence functions need.
    """
    Xa = _augment(X)

    def fun(theta):
        loss, dz = lin.loss_and_dscore(theta, X, y)
        value = w @ loss + alpha * theta @ theta
        return value, lin.grad(X, dz * w[:, None]) + 2 * alpha * theta

    theta = np.array(theta0, dtype=float)
    f, g = fun(theta)
    fresh = False
    for _ in range(max_iter):
        gnorm = np.abs(g).max()
        if gnorm <= tol:
            break
        if factor is None:
            factor, fresh = cho_factor(_hessian(lin, Xa, theta, w, alpha)), True
        step = cho_solve(factor, g)
        t, decrease = 1.0, g @ step
        while True:
            f_new, g_new = fun(theta - t * step)
            if f_new <= f - 1e-4 * t * decrease or t < 1e-12:
                break
            # at machine precision f stops decreasing; accept a smaller gradient
            if f_new - f <= 1e-14 * abs(f) and np.abs(g_new).max() < gnorm:
                break
            t *= 0.5
        if f_new - f > 1e-14 * abs(f) or t < 1e-12:  # refresh, or stop
            if fresh:
                break
            factor = None
            continue
        theta, f, g = theta - t * step, f_new, g_new
        fresh = False
        if np.abs(g).max() > 0.25 * gnorm:
            factor = None  # slow progress: refresh the Hessian next step
    return theta


def _hessian(lin, Xa, theta, w, alpha):
    """sum_i w_i Hess l_i(theta) + 2 alpha I, for theta = [coef; bias].ravel()."""
    z = lin.scores(theta, Xa[:, :-1])
    k = lin.k
    if lin.kind == "logistic":
        p = expit(z[:, 0])
        curv = (p * (1.0 - p))[:, None, None]
    else:
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        curv = np.einsum("ia,ab->iab", p, np.eye(k)) - np.einsum("ia,ib->iab", p, p)
    d1 = Xa.shape[1]
    H = np.empty((d1, k, d1, k))
    for a in range(k):
        for b in range(a, k):
            block = (Xa * (w * curv[:, a, b])[:, None]).T @ Xa
            H[:, a, :, b] = block
            H[:, b, :, a] = block
    H = H.reshape(d1 * k, d1 * k)
    H[np.diag_indices_from(H)] += 2 * alpha
    return H


def gsr_influence(lin, X, y, w, theta, alpha, X_t, y_t, group_t, q, factor=None):
    """Influence scores s_i = (1/n) grad l_i^T H^{-1} sum_g q_g grad L_g^t.

    ``s_i`` is minus the derivative of the q-weighted target loss in the
    weight of row ``i`` (divided by ``n``): adding ``eta * s`` to the weights
    is a gradient step on the target loss.
    """
    Xa, Xa_t = _augment(X), _augment(X_t)
    _, dz_t = lin.loss_and_dscore(theta, X_t, y_t)
    size = np.bincount(group_t, minlength=q.shape[0]).astype(float)
    coef_t = q[group_t] / size[group_t]
    target_grad = (Xa_t.T @ (dz_t * coef_t[:, None])).ravel()
    if factor is None:
        factor = cho_factor(_hessian(lin, Xa, theta, w, alpha))
    v = cho_solve(factor, target_grad).reshape(Xa.shape[1], lin.k)
    _, dz = lin.loss_and_dscore(theta, X, y)
    return np.sum((Xa @ v) * dz, axis=1) / X.shape[0]


class GSRClassifier(ClassifierMixin, LinearClassifierOutputMixin, BaseEstimator):
    """Group-robust sample reweighting of a logistic last layer (GSR).

    GSR (Qiao et al., 2025) learns row weights for training data *without*
    group labels, using a small *group-labelled* target set. A linear
    logistic model (the last layer on fixed features: pass the features of a
    frozen network, or any representation, as X) is fitted on weighted
    training rows, ``psi(w) = argmin sum_i w_i l_i + alpha ||psi||^2``, and
    the weights follow the influence of each row on the worst groups' target
    loss. Each outer round:

    1. fit ``psi(w)`` (Newton's method, to gradient ``tol``);
    2. measure each group's accuracy (or loss) on the validation part of
       the target set, keep the best model by worst-group accuracy;
    3. update the group weights ``q_g <- q_g exp(1 - acc_g)`` (the
       multiplicative update of the authors' code);
    4. compute the influence scores ``s_i = (1/n) grad l_i^T H^{-1} sum_g q_g
       grad L_g^t`` from the closed-form logistic gradients and Hessian (one
       Cholesky factorisation per round);
    5. clip ``s`` to L2 norm ``max_score_norm``, and set
       ``w <- max(w + eta_t s, 0)``, renormalised, with
       ``eta_t = learning_rate * learning_rate_decay ** (t // learning_rate_step)``.

    **How the target set is passed.** The target rows are not aligned with
    X, so they travel as three keyword arguments of ``fit``: ``X_target``,
    ``y_target`` and ``target_group``, all requested by default under
    metadata routing (the same ``X_target`` keyword as the covariate-shift
    estimators, now with labels and groups beside it). Cross-validation
    slices any metadata whose length equals ``len(X)``; wrap each in a
    one-element tuple -- ``X_target=(Xt,)``, ``y_target=(yt,)``,
    ``target_group=(gt,)`` -- to keep the target set whole. Without a target
    set (``X_target=None``) the model is the unweighted (ERM) fit.

    Read more in the :ref:`User Guide <group_robustness>`.

    Parameters
    ----------
    alpha : float, default=1e-3
        L2 penalty ``alpha ||psi||^2`` of the last layer, bias included (the
        paper's weight decay). It makes the Hessian invertible.
    max_iter : int, default=50
        Number of outer rounds (the paper uses 100).
    learning_rate : float, default=1.0
        Outer step size ``eta`` on the weights.
    learning_rate_step : int, default=30
        Rounds between step-size decays.
    learning_rate_decay : float, default=0.1
        Step-size decay factor.
    max_score_norm : float, default=1.0
        L2 norm the influence-score vector is clipped to.
    group_metric : {"accuracy", "loss"}, default="accuracy"
        Group "loss" driving the group weights: ``1 - accuracy`` or the mean
        cross-entropy on the validation part of the target set.
    validation_fraction : float in [0, 1), default=0.5
        Share of the target set held out (stratified by group) to update the
        group weights and select the round; the rest drives the influence
        gradients. 0 uses the whole target set for both.
    tol : float, default=1e-10
        Gradient tolerance (max norm) of the inner Newton fits (influence
        functions are exact only at the optimum).
    random_state : int, RandomState instance or None, default=None
        Seed of the target-set split.
    verbose : int, default=0
        Print each round's validation worst-group accuracy when > 0.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Coefficients of the selected model.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts of the selected model.
    weights_ : ndarray of shape (n_samples,)
        Training-row weights of the selected round, averaging 1 under
        ``sample_weight``.
    target_groups_ : ndarray of shape (n_groups,)
        Groups of the target set.
    group_weights_history_ : ndarray of shape (n_rounds, n_groups)
        Group weights ``q`` used for the influence scores of each of the
        ``n_iter_`` rounds.
    worst_group_accuracy_history_ : ndarray of shape (n_rounds,)
        Validation worst-group accuracy of each round's model.
    best_iter_ : int
        The selected round (0 is the unweighted fit).
    n_iter_ : int
        Rounds run; the first is the unweighted fit (1 without a target set).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen in ``fit``, when X has string column names.

    See Also
    --------
    GroupDROClassifier : Needs group labels on the training rows.
    JTTClassifier : Needs no group labels at all.

    Notes
    -----
    The per-row gradients are the pure loss gradients (the authors' code adds
    the regulariser's gradient to every row, a constant shift that interacts
    with the clamp at 0). A test checks the influence scores against finite
    differences of exactly re-solved inner problems.

    References
    ----------
    .. [1] R. Qiao, Z. Wu, J. Wang, P. W. Koh and B. K. H. Low, "Group-robust
       Sample Reweighting for Subpopulation Shifts via Influence Functions",
       ICLR 2025.

    Examples
    --------
    >>> from skreweight.datasets import make_spurious_groups
    >>> from skreweight.robust import GSRClassifier
    >>> train = make_spurious_groups(n_samples=400, random_state=0)
    >>> target = make_spurious_groups(n_samples=200, minority_fraction=0.5,
    ...                               random_state=1)
    >>> clf = GSRClassifier(max_iter=10, random_state=0).fit(
    ...     train.X, train.y, X_target=target.X, y_target=target.y,
    ...     target_group=target.group)
    >>> clf.weights_.shape
    (400,)
    """

    __metadata_request__fit = {
        "X_target": True,
        "y_target": True,
        "target_group": True,
    }

    _parameter_constraints = {
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="left")],
        "learning_rate_step": [Interval(Integral, 1, None, closed="left")],
        "learning_rate_decay": [Interval(Real, 0, 1, closed="right")],
        "max_score_norm": [Interval(Real, 0, None, closed="neither")],
        "group_metric": [StrOptions({"accuracy", "loss"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        alpha=1e-3,
        max_iter=50,
        learning_rate=1.0,
        learning_rate_step=30,
        learning_rate_decay=0.1,
        max_score_norm=1.0,
        group_metric="accuracy",
        validation_fraction=0.5,
        tol=1e-10,
        random_state=None,
        verbose=0,
    ):
        self.alpha = alpha
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.learning_rate_step = learning_rate_step
        self.learning_rate_decay = learning_rate_decay
        self.max_score_norm = max_score_norm
        self.group_metric = group_metric
        self.validation_fraction = validation_fraction
        self.tol = tol
        self.random_state = random_state
        self.verbose = verbose

    def _check_target(self, X_target, y_target, target_group):
        X_t = check_X_target(self, _unwrap(X_target))
        if y_target is None or target_group is None:
            raise ValueError(
                "GSRClassifier needs the labels and groups of the target set: pass "
                "fit(X, y, X_target=Xt, y_target=yt, target_group=gt)."
            )
        y_t = column_or_1d(_unwrap(y_target))
        if y_t.shape[0] != X_t.shape[0]:
            raise ValueError(
                f"y_target has {y_t.shape[0]} entries but X_target has "
                f"{X_t.shape[0]} rows."
            )
        unseen = np.setdiff1d(np.unique(y_t), self.classes_)
        if unseen.shape[0]:
            raise ValueError(f"y_target has classes {unseen.tolist()} not seen in y.")
        g_t = check_sample_group(_unwrap(target_group), X_t.shape[0])
        groups, g_codes = np.unique(g_t, return_inverse=True)
        return X_t, np.searchsorted(self.classes_, y_t), groups, g_codes

    def _split_target(self, X_t, y_t, g_t):
        if self.validation_fraction == 0:
            return (X_t, y_t, g_t), (X_t, y_t, g_t)
        counts = np.bincount(g_t)
        if counts.min() < 2:
            small = self.target_groups_[counts < 2].tolist()
            raise ValueError(
                f"Target group(s) {small} have fewer than 2 rows, so they cannot be "
                "split into influence and validation parts. Add target rows or set "
                "validation_fraction=0."
            )
        rng = check_random_state(self.random_state)
        idx_t, idx_v = train_test_split(
            np.arange(X_t.shape[0]),
            test_size=self.validation_fraction,
            stratify=g_t,
            random_state=rng,
        )
        return (X_t[idx_t], y_t[idx_t], g_t[idx_t]), (
            X_t[idx_v],
            y_t[idx_v],
            g_t[idx_v],
        )

    def _group_metrics(self, lin, theta, X_v, y_v, g_v):
        n_groups = self.target_groups_.shape[0]
        loss, _ = lin.loss_and_dscore(theta, X_v, y_v)
        scores = lin.scores(theta, X_v)
        pred = (
            (scores[:, 0] > 0).astype(int)
            if lin.kind == "logistic"
            else (np.argmax(scores, axis=1))
        )
        size = np.bincount(g_v, minlength=n_groups)
        acc = np.bincount(g_v, weights=(pred == y_v), minlength=n_groups) / size
        mean_loss = np.bincount(g_v, weights=loss, minlength=n_groups) / size
        return acc, mean_loss

    def fit(
        self,
        X,
        y,
        *,
        X_target=None,
        y_target=None,
        target_group=None,
        sample_weight=None,
    ):
        """Learn the row weights and the last layer.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows (features of the fixed representation).
        y : array-like of shape (n_samples,)
            Class labels.
        X_target : array-like of shape (n_target, n_features) or 1-tuple
            Group-labelled target rows; None fits the unweighted model.
        y_target : array-like of shape (n_target,) or 1-tuple
            Their labels.
        target_group : array-like of shape (n_target,) or 1-tuple
            Their groups.
        sample_weight : array-like of shape (n_samples,), default=None
            Initial row weights (rows of zero weight stay dropped).

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
        k = self.classes_.shape[0]
        if k < 2:
            raise ValueError(
                f"GSRClassifier needs at least 2 classes in y; got one class "
                f"{self.classes_.tolist()}."
            )
        self._kind = "logistic" if k == 2 else "multinomial"
        lin = LinearLoss(self._kind, X.shape[1], k, fit_intercept=True)
        w = sw / sw.sum()
        theta = fit_last_layer(
            lin, X, codes, w, self.alpha, np.zeros(lin.n_params), tol=self.tol
        )
        if _unwrap(X_target) is None:
            warn_missing_context(
                type(self).__name__,
                "X_target",
                "no target set: the last layer is fitted without reweighting "
                "(also pass y_target and target_group)",
            )
            self.target_groups_ = np.array([])
            self.group_weights_history_ = np.empty((0, 0))
            self.worst_group_accuracy_history_ = np.empty(0)
            self.best_iter_, self.n_iter_ = 0, 1
            self._set_solution(lin, theta, w, sw)
            return self
        X_t, y_t, self.target_groups_, g_t = self._check_target(
            X_target, y_target, target_group
        )
        warn_no_overlap(X[sw > 0], X_t, owner=type(self).__name__)
        (X_i, y_i, g_i), (X_v, y_v, g_v) = self._split_target(X_t, y_t, g_t)
        self._run(lin, X, codes, sw, w, theta, (X_i, y_i, g_i), (X_v, y_v, g_v))
        return self

    def _run(self, lin, X, y, sw, w, theta, influence_set, validation_set):
        n_groups = self.target_groups_.shape[0]
        q = np.full(n_groups, 1.0 / n_groups)
        best = (-np.inf, 0, theta, w)
        q_hist, wga_hist = [], []
        factor = None
        progress = Progress(self, self.verbose, total=self.max_iter, unit="round")
        for t in range(self.max_iter):
            if t > 0:
                theta = fit_last_layer(
                    lin, X, y, w, self.alpha, theta, tol=self.tol, factor=factor
                )
            factor = cho_factor(_hessian(lin, _augment(X), theta, w, self.alpha))
            acc, loss = self._group_metrics(lin, theta, *validation_set)
            wga_hist.append(acc.min())
            progress(
                t + 1,
                worst_group_accuracy=float(acc.min()),
                ess_ratio=float(1 / (X.shape[0] * w @ w)),
            )
            if acc.min() > best[0]:
                best = (acc.min(), t, theta, w)
            q = q * np.exp(1.0 - acc if self.group_metric == "accuracy" else loss)
            q /= q.sum()
            q_hist.append(q)
            s = gsr_influence(
                lin, X, y, w, theta, self.alpha, *influence_set, q, factor=factor
            )
            norm = np.linalg.norm(s)
            if norm > self.max_score_norm:
                s *= self.max_score_norm / norm
            eta = self.learning_rate * self.learning_rate_decay ** (
                t // self.learning_rate_step
            )
            w = np.where(sw > 0, np.maximum(w + eta * s, 0.0), 0.0)
            if w.sum() <= 0:
                break
            w = w / w.sum()
        self.group_weights_history_ = np.asarray(q_hist)
        self.worst_group_accuracy_history_ = np.asarray(wga_hist)
        self.n_iter_ = len(wga_hist)
        _, self.best_iter_, theta, w = best
        self._set_solution(lin, theta, w, sw)

    def _set_solution(self, lin, theta, w, sw):
        coef, intercept = lin.unpack(theta)
        self.coef_, self.intercept_ = coef.T.copy(), intercept.copy()
        with np.errstate(divide="ignore", invalid="ignore"):
            self.weights_ = np.where(sw > 0, w * sw.sum() / sw, 0.0)

    def _decision(self, X):
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return X @ self.coef_.T + self.intercept_
