"""The weighter contract: a template method that every weighter follows.

A *weighter* answers one question -- which rows should count how much? -- and
nothing else. It learns in :meth:`WeighterMixin.fit`, stores the in-sample
weights in ``weights_``, and (where the method defines it) returns weights for
new rows in :meth:`WeighterMixin.compute_weights`. Subclasses implement only
``_fit`` (returns raw in-sample weights) and, optionally, ``_compute_weights``;
validation, normalisation and diagnostics live here, in one place.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import functools
import re
from dataclasses import dataclass, field, fields

import numpy as np
from sklearn.utils import Tags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ._core.array_api import device_inputs, float64_dtype, to_device, to_numpy
from .exceptions import WeightDegeneracyWarning
from .utils._sklearn_compat import _fit_context
from .utils._warnings import recording
from .utils._warnings import warn as warn_once
from .utils.validation import (
    NO_OVERLAP_SHARE,
    check_sample_group,
    check_sample_weight,
    check_treatment,
    check_weights,
    check_X_target,
    warn_missing_context,
    warn_no_overlap,
)

__all__ = [
    "ESS_WARNING_THRESHOLD",
    "SkreweightTags",
    "WeightDiagnostics",
    "WeighterMixin",
    "WeighterTags",
    "is_weighter",
]

#: A weighter warns (:class:`~skreweight.exceptions.WeightDegeneracyWarning`) when
#: the Kish effective sample size of its weights, divided by the effective sample
#: size of the user's ``sample_weight`` (``n`` when there is none), falls below
#: this ratio: the weighted fit then rests on fewer than one row in ten.
ESS_WARNING_THRESHOLD = 0.1

_CONTEXT_KEYS = ("X_target", "treatment", "sample_group", "action")

#: What a weighter falls back to when an optional context keyword is None.
_CONTEXT_FALLBACKS = {
    "X_target": "no shift: every weight is 1, the same as an unweighted fit",
    "sample_group": "a single group: every row is in one group",
}


_FIRST_CLAUSE = re.compile(r"(?<=[\w)\]])[;.] ")


@dataclass(frozen=True, slots=True)
class WeightDiagnostics:
    """What a fit's weights look like, and what the fit warned about.

    The ``diagnostics_`` of a fitted weighter (and of a meta-estimator, its
    weighter's). A search shows these numbers in ``cv_results_`` through
    :class:`~skreweight.model_selection.WeightDiagnosticsScorer`.

    Attributes
    ----------
    n_samples : int
        Rows passed to ``fit``.
    effective_sample_size : float
        Kish effective sample size of ``weights_ * sample_weight``.
    ess_ratio : float
        That ESS over the ESS of ``sample_weight`` alone.
    max_weight_share : float
        Largest share of the total weight held by one row.
    warnings : tuple of str
        ``"Category: message"`` of each warning about the weights this fit
        raised (degeneracy, uncovered target, no overlap, positivity, a
        missing context keyword and its fallback), also
        those that were not shown again because an earlier fit had shown
        the same condition.

    Examples
    --------
    >>> from skreweight.datasets import make_kang_schafer
    >>> from skreweight.weighting import PropensityWeighting
    >>> d = make_kang_schafer(300, random_state=0)
    >>> w = PropensityWeighting().fit(d.X, treatment=d.treatment)
    >>> w.diagnostics_.n_samples, round(w.diagnostics_.ess_ratio, 3)
    (300, 0.655)
    >>> print(w.diagnostics_)  # doctest: +ELLIPSIS
    300 rows, effective sample size 196.5 (ratio 0.655), ...; no warnings
    """

    n_samples: int
    effective_sample_size: float
    ess_ratio: float
    max_weight_share: float
    warnings: tuple = ()

    def __str__(self):
        head = (
            f"{self.n_samples} rows, effective sample size "
            f"{self.effective_sample_size:.1f} (ratio {self.ess_ratio:.3f}), "
            f"largest weight share {self.max_weight_share:.3f}"
        )
        if not self.warnings:
            return head + "; no warnings"
        # the first clause of each warning; the full text is in ``warnings``
        short = [_FIRST_CLAUSE.split(w, maxsplit=1)[0] for w in self.warnings]
        return "\n  ".join([f"{head}; warnings:", *short])


def _records_diagnostics(fit):
    """Wrap a weighter's ``fit``: set ``diagnostics_`` with its warnings."""

    @functools.wraps(fit)
    def wrapper(self, X, *args, **kwargs):
        with recording() as records:
            fit(self, X, *args, **kwargs)
        self.diagnostics_ = WeightDiagnostics(
            n_samples=int(self.weights_.shape[0]),
            effective_sample_size=float(self.effective_sample_size_),
            ess_ratio=float(self.ess_ratio_),
            max_weight_share=float(self.max_weight_share_),
            warnings=tuple(records),
        )
        return self

    return wrapper


@dataclass(slots=True)
class WeighterTags:
    """Tags describing a weighter.

    Parameters
    ----------
    context : tuple of str, default=()
        Context keywords ``fit`` accepts (``"X_target"``, ``"treatment"``,
        ``"sample_group"``).
    requires_y : bool, default=False
        Whether the weights depend on the labels.
    out_of_sample : bool, default=True
        Whether :meth:`~WeighterMixin.compute_weights` works on new rows.
    normalization : {"global", "per_treatment"}, default="global"
        Over which rows the weights average 1.
    """

    context: tuple = ()
    requires_y: bool = False
    out_of_sample: bool = True
    normalization: str = "global"


@dataclass
class SkreweightTags(Tags):
    """scikit-learn's :class:`~sklearn.utils.Tags` plus ``weighter_tags``."""

    weighter_tags: WeighterTags | None = field(default=None)


def _with_weighter_tags(tags, weighter_tags):
    base = {f.name: getattr(tags, f.name) for f in fields(Tags)}
    return SkreweightTags(**base, weighter_tags=weighter_tags)


def is_weighter(estimator):
    """Return True if ``estimator`` is a skreweight weighter.

    Parameters
    ----------
    estimator : object
        Estimator instance or class to test.

    Returns
    -------
    out : bool

    Examples
    --------
    >>> from skreweight.base import is_weighter
    >>> from skreweight.weighting import ClassBalance
    >>> is_weighter(ClassBalance())
    True
    """
    if isinstance(estimator, type):
        return issubclass(estimator, WeighterMixin)
    return isinstance(estimator, WeighterMixin)


def _no_overlap_message(weighter):
    """Error message for a density ratio that is zero on every training row."""
    bandwidth = getattr(weighter, "bandwidth_", None)
    at = "" if bandwidth is None else f" at bandwidth {bandwidth:.3g}"
    return (
        f"{type(weighter).__name__} gave zero weight to every training row{at}: "
        "the supports of X and X_target do not overlap, so no reweighting of X "
        "can represent the target. Standardise the features (e.g. "
        "skreweight.compose.make_pipeline(StandardScaler(), ...)), use a wider or "
        "data-driven bandwidth, or check that X_target comes from a population "
        "that X covers."
    )


def _kish_ess(w):
    s2 = float(np.dot(w, w))
    return float(np.sum(w)) ** 2 / s2 if s2 > 0 else 0.0


class WeighterMixin:
    """Mixin class for all weighters in skreweight.

    Public methods validate their input, call the private hooks, check the
    result and normalise it. A subclass sets the class attributes below and
    implements:

    - ``_fit(X, y, sample_weight, **context)`` returning raw, non-negative
      in-sample weights of shape ``(n_samples,)``;
    - ``_compute_weights(X, y, **context)`` returning raw weights for new rows
      on the same scale as ``_fit``'s (optional).

    **What a weight means.** Weights are finite, non-negative float64, one per
    row. They average 1 under the user's ``sample_weight`` ``s``:
    ``sum(w * s) / sum(s) == 1`` (per treatment arm for causal weighters), so
    that ``w * s`` is what an estimator should receive and the Kish effective
    sample size reads naturally. Integer ``s`` is equivalent to repeated rows.
    :meth:`compute_weights` applies the scale learnt in ``fit``, so
    ``compute_weights(X_fit)`` reproduces ``weights_``.

    **Diagnostics.** After ``fit``: ``effective_sample_size_`` (Kish ESS of
    ``w * s``), ``ess_ratio_`` (that ESS over the ESS of ``s`` alone),
    ``max_weight_share_`` (largest share of the total weight held by one row),
    and ``diagnostics_``, a :class:`WeightDiagnostics` with those numbers and
    the warnings the fit raised about its weights.
    A :class:`~skreweight.exceptions.WeightDegeneracyWarning` is raised when
    ``ess_ratio_ < ESS_WARNING_THRESHOLD`` (0.1), and a warning says when the
    target (``X_target``, or one treatment arm for the other) lies outside the
    support of the rows being weighted.

    **Array API.** A weighter with ``_array_api = True`` (tag
    ``array_api_support``) computes in the namespace of ``X`` under
    ``sklearn.set_config(array_api_dispatch=True)``: validation runs on a host
    copy, ``_fit`` and ``_compute_weights`` get ``X``, ``X_target`` and
    ``sample_weight`` on the device, and the weights come back there, as
    float64 (see ``skreweight/_core/array_api.py``).

    **Missing context.** An optional context keyword left ``None``
    (``X_target``: no shift; ``sample_group``: one group) makes ``fit`` fall
    back, with one :class:`~skreweight.exceptions.MissingContextWarning` per
    keyword that says what it fell back to and how to pass the keyword
    (``_context_fallbacks``). A weighter whose fallback is uniform weights
    names the keyword in ``_uniform_without_context``: ``_fit`` is then not
    called, and ``_no_context_attributes`` gives the fitted attributes to set.
    A required keyword (``_required_context``) left ``None`` raises.
    """

    #: context keywords accepted by ``fit``
    _context = ()
    #: context keywords that must not be None
    _required_context = ()
    #: whether ``fit`` needs classification labels ``y``
    _requires_y = False
    #: normalise per value of this context key (e.g. ``"treatment"``)
    _normalize_by = None
    #: whether ``_compute_weights`` is implemented
    _out_of_sample = True
    #: whether the weighter computes in the namespace of its input under
    #: ``array_api_dispatch`` (the ``array_api_support`` tag)
    _array_api = False
    #: dtype asked of X ("numeric", or None to accept any)
    _X_dtype = "numeric"
    #: optional context key -> what ``fit`` falls back to without it; a
    #: :class:`~skreweight.exceptions.MissingContextWarning` says so (None: no
    #: warning, e.g. for a composite whose parts warn themselves)
    _context_fallbacks = _CONTEXT_FALLBACKS
    #: context key without which the weights are uniform (``_fit`` is then not
    #: called; ``_no_context_attributes`` gives the fitted attributes to set)
    _uniform_without_context = None
    #: whether ``fit`` checks that the target (``X_target``, or the other
    #: treatment arm) lies within the support of the rows being weighted
    _check_overlap = True
    # validated by ``fit`` (``@_fit_context``) before any data; a weighter
    # lists its own
    _parameter_constraints: dict = {}

    # -- public template ------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=False)
    @_records_diagnostics
    def fit(self, X, y=None, *, sample_weight=None, **context):
        """Learn the weights of the rows of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,), default=None
            Labels, for weighters that use them (ignored otherwise).
        sample_weight : array-like of shape (n_samples,), default=None
            User weights; the learnt weights average 1 under them.
        **context : dict
            The weighter's context (``X_target``, ``treatment`` or
            ``sample_group``), as its class docstring says.

        Returns
        -------
        self : object
            Fitted weighter.
        """
        context = self._check_context_keys(context)
        X_in, X_target_in = X, context.get("X_target")
        inputs = self._device_inputs(X, context)
        if inputs is not None:  # validated on a host copy, fitted on the device
            X, y, sample_weight = to_numpy(X), to_numpy(y), to_numpy(sample_weight)
            context = self._host_context(context)
        X, y = self._validate_fit_input(X, y)
        sw = check_sample_weight(sample_weight, X)
        context = self._validate_context(X, context, fitting=True)
        key = self._uniform_without_context
        self._fitted_without_context = key is not None and context.get(key) is None
        if self._fitted_without_context:
            # the fallback is uniform weights (no shift), and the
            # MissingContextWarning has said so (parameters were checked by
            # @_fit_context)
            for name, value in self._no_context_attributes(X).items():
                if inputs is not None and isinstance(value, np.ndarray):
                    value = to_device(value, inputs, float64_dtype(inputs))
                setattr(self, name, value)
            raw = np.ones(X.shape[0])
        elif inputs is None:
            raw = self._fit(X, y, sample_weight=sw, **context)
        else:
            dev = self._device_context(context, inputs, X_in, X_target_in)
            raw = to_numpy(self._fit(dev.pop("X"), y, to_device(sw, inputs), **dev))
        raw = check_weights(raw, X.shape[0], owner=type(self).__name__)
        if self._check_overlap and X.dtype.kind == "f":
            self._warn_no_overlap(X, sw, context)
        self._weight_scale = self._learn_scale(raw, sw, context)
        self.weights_ = self._apply_scale(raw, context)
        self._set_diagnostics(self.weights_, sw)
        self._fit_inputs = None if inputs is None else type(X_in).__module__
        if inputs is not None:
            self.weights_ = to_device(self.weights_, inputs, float64_dtype(inputs))
        return self

    def compute_weights(self, X, y=None, **context):
        """Return weights for the rows of ``X`` on the scale learnt in ``fit``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to weight.
        y : array-like of shape (n_samples,), default=None
            Labels, for weighters that use them.
        **context : dict
            Context the weighter needs for new rows (e.g. ``treatment``).

        Returns
        -------
        weights : ndarray of shape (n_samples,)
            Non-negative weights; ``compute_weights(X_fit)`` equals ``weights_``.
        """
        check_is_fitted(self, "weights_")
        if not self._out_of_sample:
            raise NotImplementedError(
                f"{type(self).__name__} is transductive: its weights exist only for "
                "the rows passed to fit (see `weights_`). Refit on the new rows, or "
                "use a weighter with an out-of-sample rule such as "
                "ClassifierDensityRatio."
            )
        context = self._check_context_keys(context, fitting=False)
        X_in, X_target_in = X, context.get("X_target")
        inputs = self._device_inputs(X, context, fitting=False)
        if inputs is not None:
            X, y, context = to_numpy(X), to_numpy(y), self._host_context(context)
        X = validate_data(
            self,
            X,
            reset=False,
            dtype=None if self._X_dtype is None else np.float64,
            ensure_all_finite=self._ensure_all_finite(),
        )
        y = self._validate_y(y, X.shape[0]) if self._requires_y else y
        context = self._validate_context(X, context, fitting=False)
        if getattr(self, "_fitted_without_context", False):
            raw = np.ones(X.shape[0])
        elif inputs is None:
            raw = self._compute_weights(X, y, **context)
        else:
            dev = self._device_context(context, inputs, X_in, X_target_in)
            raw = to_numpy(self._compute_weights(dev.pop("X"), y, **dev))
        raw = check_weights(raw, X.shape[0], owner=type(self).__name__)
        out = self._apply_scale(raw, context)
        return out if inputs is None else to_device(out, inputs, float64_dtype(inputs))

    def fit_compute_weights(self, X, y=None, *, sample_weight=None, **context):
        """Fit, then return the in-sample weights (a copy of ``weights_``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,), default=None
            Labels, for weighters that use them.
        sample_weight : array-like of shape (n_samples,), default=None
            User weights.
        **context : dict
            The weighter's context.

        Returns
        -------
        weights : ndarray of shape (n_samples,)
        """
        return self.fit(X, y, sample_weight=sample_weight, **context).weights_.copy()

    # -- hooks ------------------------------------------------------------------
    def _fit(self, X, y, sample_weight, **context):  # pragma: no cover - abstract
        raise NotImplementedError

    def _compute_weights(self, X, y, **context):  # pragma: no cover - abstract
        raise NotImplementedError

    def _no_context_attributes(self, X):
        """Fitted attributes to set when ``fit`` falls back to uniform weights."""
        return {}

    # -- helpers ----------------------------------------------------------------
    def _device_inputs(self, X, context, fitting=True):
        """The Array API device path's ``(xp, device, dtype)``, or None (NumPy)."""
        if not self._array_api:
            return None
        inputs = device_inputs(type(self).__name__, X, context.get("X_target"))
        fitted = getattr(self, "_fit_inputs", None)
        if not fitting and (inputs is not None or fitted is not None):
            now = None if inputs is None else type(X).__module__
            if now != fitted:
                raise TypeError(
                    f"{type(self).__name__} was fitted on "
                    f"{fitted or 'NumPy'} arrays but compute_weights got "
                    f"{now or 'NumPy'} arrays; pass arrays of the namespace "
                    "(and device) used in fit."
                )
        return inputs

    @staticmethod
    def _host_context(context):
        out = dict(context)
        Xt = out.get("X_target")
        if Xt is not None:
            out["X_target"] = (
                tuple(to_numpy(a) for a in Xt)
                if isinstance(Xt, tuple)
                else to_numpy(Xt)
            )
        return out

    @staticmethod
    def _device_context(context, inputs, X, X_target):
        """The validated context with ``X`` and ``X_target`` on the device."""
        xp, _, dtype = inputs
        out = dict(context, X=xp.astype(X, dtype, copy=False))
        if X_target is not None:
            parts = X_target if isinstance(X_target, tuple) else (X_target,)
            parts = [xp.astype(a, dtype, copy=False) for a in parts]
            out["X_target"] = parts[0] if len(parts) == 1 else xp.concat(parts)
        return out

    def _ensure_all_finite(self):
        return "allow-nan" if self.__sklearn_tags__().input_tags.allow_nan else True

    def _check_context_keys(self, context, fitting=True):
        unknown = set(context) - set(self._context)
        if unknown:
            accepted = ", ".join(self._context) or "no context"
            raise TypeError(
                f"{type(self).__name__}.{'fit' if fitting else 'compute_weights'} got "
                f"unexpected keyword(s) {sorted(unknown)}; it accepts {accepted}."
            )
        return {key: context.get(key) for key in self._context}

    def _validate_y(self, y, n_samples):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        y = column_or_1d(y, warn=True)
        if y.shape[0] != n_samples:
            raise ValueError(f"y has {y.shape[0]} entries but X has {n_samples} rows.")
        check_classification_targets(y)
        return y

    def _validate_fit_input(self, X, y):
        X = validate_data(
            self,
            X,
            reset=True,
            dtype=None if self._X_dtype is None else np.float64,
            ensure_all_finite=self._ensure_all_finite(),
        )
        if self._requires_y:
            y = self._validate_y(y, X.shape[0])
        return X, y

    def _validate_context(self, X, context, fitting):
        n = X.shape[0]
        out = dict(context)
        for key in self._required_context:
            if out.get(key) is None:
                raise ValueError(
                    f"{type(self).__name__} requires `{key}`: pass "
                    f"fit(X, y, {key}=...). With metadata routing enabled, make "
                    f"sure it is requested and routed."
                )
        if fitting:
            self._warn_missing_context(out)
        if "X_target" in out:
            out["X_target"] = check_X_target(
                self,
                out["X_target"],
                ensure_all_finite=self._ensure_all_finite(),
                n_samples=n if fitting else None,
            )
        if "sample_group" in out:
            out["sample_group"] = check_sample_group(out["sample_group"], n)
        if "treatment" in out and out["treatment"] is not None:
            if fitting:
                t = check_treatment(out["treatment"], n)
                raw = np.asarray(out["treatment"]).ravel()
                # remember the coding (e.g. "control" -> 0, "treated" -> 1)
                self._treatment_values = np.unique(raw)
                out["treatment"] = t
            else:
                out["treatment"] = self._code_new_treatment(out["treatment"], n)
        return out

    def _warn_missing_context(self, context):
        """One MissingContextWarning per optional context keyword left None."""
        fallbacks = self._context_fallbacks or {}
        for key in self._context:
            if key in self._required_context or context.get(key) is not None:
                continue
            if key in fallbacks:
                warn_missing_context(
                    type(self).__name__, key, fallbacks[key], stacklevel=5
                )

    def _warn_no_overlap(self, X, sw, context):
        """Warn (once) when the target lies outside the support of the rows."""
        owner, pos = type(self).__name__, sw > 0
        if context.get("X_target") is not None:
            warn_no_overlap(X[pos], context["X_target"], owner=owner)
        t = context.get("treatment")
        if t is not None and np.unique(t).shape[0] == 2:
            treated = pos & (t == np.max(t))
            control = pos & (t != np.max(t))
            share = warn_no_overlap(
                X[control],
                X[treated],
                owner=owner,
                source="control rows",
                target="treated rows",
            )
            if share <= NO_OVERLAP_SHARE:
                warn_no_overlap(
                    X[treated],
                    X[control],
                    owner=owner,
                    source="treated rows",
                    target="control rows",
                )

    def _code_new_treatment(self, treatment, n):
        """Code the treatment of new rows as in ``fit`` (one arm is allowed)."""
        t = np.asarray(treatment).ravel()
        if t.shape[0] != n:
            raise ValueError(f"treatment has {t.shape[0]} entries but X has {n} rows.")
        values = getattr(self, "_treatment_values", np.array([0, 1]))
        seen = np.isin(t, values)
        if not np.all(seen):
            raise ValueError(
                f"treatment values {np.unique(t[~seen]).tolist()} were not seen in "
                f"fit, which saw {values.tolist()}."
            )
        return (t == values[1]).astype(np.float64)

    def _strata(self, context, n):
        if self._normalize_by is None or context.get(self._normalize_by) is None:
            return np.zeros(n, dtype=int)
        return np.asarray(context[self._normalize_by])

    def _learn_scale(self, raw, sw, context):
        strata = self._strata(context, raw.shape[0])
        scale = {}
        for s in np.unique(strata):
            mask = strata == s
            total = float(np.dot(raw[mask], sw[mask]))
            if total <= 0:
                raise ValueError(
                    f"{type(self).__name__} gave zero weight to every row"
                    + ("" if self._normalize_by is None else f" with {s!r}")
                    + "; the weights cannot be normalised. Check that the target "
                    "population overlaps the training rows."
                )
            scale[s.item() if hasattr(s, "item") else s] = sw[mask].sum() / total
        return scale

    def _apply_scale(self, raw, context):
        strata = self._strata(context, raw.shape[0])
        out = np.empty_like(raw)
        for s in np.unique(strata):
            key = s.item() if hasattr(s, "item") else s
            if key not in self._weight_scale:
                raise ValueError(
                    f"{self._normalize_by}={key!r} was not seen in fit; cannot scale."
                )
            mask = strata == s
            out[mask] = raw[mask] * self._weight_scale[key]
        return out

    def _set_diagnostics(self, w, sw):
        eff = w * sw
        self.effective_sample_size_ = _kish_ess(eff)
        self.ess_ratio_ = self.effective_sample_size_ / _kish_ess(sw)
        total = eff.sum()
        self.max_weight_share_ = float(eff.max() / total) if total > 0 else 1.0
        if self.ess_ratio_ < ESS_WARNING_THRESHOLD:
            warn_once(
                f"{type(self).__name__}: the weights are degenerate: effective "
                f"sample size {self.effective_sample_size_:.1f} of "
                f"{_kish_ess(sw):.0f} rows (ratio {self.ess_ratio_:.3f} < "
                f"{ESS_WARNING_THRESHOLD}); the largest weight holds "
                f"{100 * self.max_weight_share_:.1f}% of the total. Estimates will "
                "be noisy: regularise the weighter (clip, smooth, wider bandwidth) "
                "or check that the populations overlap.",
                WeightDegeneracyWarning,
                stacklevel=3,
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = self._requires_y
        tags.array_api_support = self._array_api
        return _with_weighter_tags(
            tags,
            WeighterTags(
                context=tuple(self._context),
                requires_y=self._requires_y,
                out_of_sample=self._out_of_sample,
                normalization="global"
                if self._normalize_by is None
                else f"per_{self._normalize_by}",
            ),
        )
