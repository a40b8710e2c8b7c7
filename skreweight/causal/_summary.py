"""One table of effect estimates: inference beside the weights' diagnostics."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import textwrap

import numpy as np
import pandas as pd
from scipy import stats

from ..metrics import standardized_mean_difference

__all__ = ["EffectSummary"]

#: Plain-language names of the standard-error methods, for the notes.
SE_METHODS = {
    "sandwich_stacked": "stacked M-estimation sandwich (accounts for the "
    "estimated weights)",
    "sandwich_fixed": "sandwich with the weights held fixed",
    "bootstrap": "bootstrap, refitting the weights",
    "hc1": "HC1 sandwich, cross-fitted nuisances held fixed",
    None: "not computed (se=None)",
}

COLUMNS = [
    "estimate",
    "std_err",
    "se_method",
    "z",
    "p_value",
    "ci_lower",
    "ci_upper",
    "n",
    "n_treated",
    "n_control",
    "ess_treated",
    "ess_control",
    "max_abs_smd",
    "worst_covariate",
]


class EffectSummary(pd.DataFrame):
    """Effect estimates with their inference and the weights' diagnostics.

    A :class:`pandas.DataFrame` with one row per estimand, returned by the
    ``summary()`` method of the effect estimators. Its columns are:

    - ``estimate``, ``std_err``, ``se_method`` (how ``std_err`` was
      computed), ``z``, ``p_value`` (two-sided, normal) and the normal
      confidence interval ``ci_lower``, ``ci_upper``;
    - ``n``, ``n_treated``, ``n_control``: rows used;
    - ``ess_treated``, ``ess_control``: Kish effective sample size of the
      weights in each arm;
    - ``max_abs_smd``, ``worst_covariate``: the largest absolute weighted
      standardised mean difference between the arms, and its covariate;
    - ``robustness_value``, only when asked for (``summary(robustness=True)``
      of :class:`WeightingEstimator`): the smallest sensitivity parameter
      ``gamma`` at which the confidence interval of the bounds of
      :class:`ATEBounds` contains 0, after ``ci_upper``.

    ``str(summary)`` (and ``print``) lays it out for reading: a title, the
    inference block, the diagnostics block and notes saying which standard
    error was used. Any DataFrame operation returns a plain DataFrame.

    Attributes
    ----------
    title : str
        The estimator, its weighter and its method.
    notes : list of str
        Footnotes printed under the table.
    alpha : float
        One minus the confidence level of the interval.

    Examples
    --------
    >>> from skreweight.causal import WeightingEstimator
    >>> from skreweight.datasets import make_kang_schafer
    >>> data = make_kang_schafer(500, random_state=0)
    >>> est = WeightingEstimator(estimand="ATT").fit(
    ...     data.X, data.y, treatment=data.treatment)
    >>> table = est.summary()
    >>> list(table.index)
    ['ATT']
    >>> table.loc["ATT", "se_method"]
    'sandwich_stacked'
    """

    _metadata = ["title", "notes", "alpha"]

    def __init__(self, data=None, *args, title="", notes=(), alpha=0.05, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.title = title
        self.notes = list(notes)
        self.alpha = alpha

    @property
    def _constructor(self):
        return pd.DataFrame

    def __str__(self):
        frame = pd.DataFrame(self)
        level = f"{100 * (1 - self.alpha):g}%"
        inference = pd.DataFrame(
            {
                "estimate": frame["estimate"],
                "std err": frame["std_err"],
                "z": frame["z"],
                "P>|z|": frame["p_value"],
                f"[{level}": frame["ci_lower"],
                "CI]": frame["ci_upper"],
            }
        )
        if "robustness_value" in frame:
            inference["robust. gamma"] = frame["robustness_value"]
        diagnostics = pd.DataFrame(
            {
                "n": frame["n"],
                "treated": frame["n_treated"],
                "control": frame["n_control"],
                "ESS treated": frame["ess_treated"],
                "ESS control": frame["ess_control"],
                "max |SMD|": frame["max_abs_smd"],
                "covariate": frame["worst_covariate"],
            }
        )
        blocks = [
            inference.to_string(float_format=lambda v: f"{v:.4g}"),
            diagnostics.to_string(
                formatters={
                    "ESS treated": _num("{:.1f}"),
                    "ESS control": _num("{:.1f}"),
                    "max |SMD|": _num("{:.3f}"),
                },
                na_rep="-",
            ),
        ]
        width = max(len(line) for b in blocks for line in b.splitlines())
        width = max(width, len(self.title))
        rule = "=" * width
        methods = sorted(
            {m for m in frame["se_method"]}, key=lambda m: (m is None, str(m))
        )
        notes = [
            f"Std err: {SE_METHODS.get(m, m)}."
            if m is not None
            else f"Std err: {SE_METHODS[None]}."
            for m in methods
        ]
        notes.extend(self.notes)
        out = [self.title, rule, blocks[0], "-" * width, blocks[1], rule]
        out.extend(textwrap.fill(n, width=max(width, 60)) for n in notes)
        return "\n".join(out)

    def __repr__(self):
        return self.__str__()

    def _repr_html_(self):
        html = pd.DataFrame(self)._repr_html_()
        notes = "".join(f"<br>{n}" for n in self.notes)
        return f"<p><b>{self.title}</b></p>{html}<p>{notes}</p>"


def _num(fmt):
    def format_(v):
        return "-" if v is None or not np.isfinite(v) else fmt.format(v + 0.0)

    return format_


def _ess(w):
    total = float(np.sum(w))
    sq = float(np.dot(w, w))
    return total**2 / sq if sq > 0 else 0.0


def effect_diagnostics(X, treatment, weights, sample_weight=None, feature_names=None):
    """Rows, ESS per arm and the worst weighted SMD of a fitted effect estimator.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Covariates.
    treatment : ndarray of shape (n_samples,)
        Treatment; per-arm numbers need a binary one (else they are NaN).
    weights : ndarray of shape (n_samples,)
        The estimator's weights.
    sample_weight : ndarray of shape (n_samples,), default=None
        The user's row weights, multiplied into the weights.
    feature_names : sequence of str, default=None
        Covariate names; ``x0, x1, ...`` when None.

    Returns
    -------
    diagnostics : dict
        ``n``, ``n_treated``, ``n_control``, ``ess``, ``ess_ratio``,
        ``ess_treated``, ``ess_control``, ``max_weight_share``,
        ``max_abs_smd``, ``worst_covariate``.
    """
    X = np.asarray(X, dtype=np.float64)
    t = np.asarray(treatment)
    w = np.asarray(weights, dtype=np.float64)
    if sample_weight is not None:
        w = w * np.asarray(sample_weight, dtype=np.float64)
    n = X.shape[0]
    ess = _ess(w)
    out = {
        "n": n,
        "n_treated": np.nan,
        "n_control": np.nan,
        "ess": ess,
        "ess_ratio": ess / n if n else np.nan,
        "ess_treated": np.nan,
        "ess_control": np.nan,
        "max_weight_share": float(w.max() / w.sum()) if w.sum() > 0 else np.nan,
        "max_abs_smd": np.nan,
        "worst_covariate": None,
    }
    values = np.unique(t)
    if values.shape[0] != 2:
        return out
    treated = t == values[1]
    out.update(
        n_treated=int(treated.sum()),
        n_control=int((~treated).sum()),
        ess_treated=_ess(w[treated]),
        ess_control=_ess(w[~treated]),
    )
    if X.shape[1] and w[treated].sum() > 0 and w[~treated].sum() > 0:
        smd = np.abs(standardized_mean_difference(X, treated.astype(int), w))
        j = int(np.argmax(smd))
        names = feature_names
        if names is None:
            names = [f"x{i}" for i in range(X.shape[1])]
        out.update(max_abs_smd=float(smd[j]), worst_covariate=str(names[j]))
    return out


def summary_frame(rows, diagnostics, *, alpha, title, notes=()):
    """Build the :class:`EffectSummary` from estimates and diagnostics.

    Parameters
    ----------
    rows : dict
        ``{estimand: (estimate, std_err, se_method)}``.
    diagnostics : dict
        As returned by :func:`effect_diagnostics`.
    alpha : float
        One minus the confidence level.
    title : str
        First line of the printed table.
    notes : sequence of str
        Extra footnotes.

    Returns
    -------
    summary : EffectSummary
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1); got {alpha}.")
    q = stats.norm.ppf(1 - alpha / 2)
    records = {}
    for name, (est, se, method) in rows.items():
        est, se = float(est), float(se)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = est / se if se > 0 else np.nan
        records[name] = {
            "estimate": est,
            "std_err": se,
            "se_method": method,
            "z": z,
            "p_value": float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else np.nan,
            "ci_lower": est - q * se,
            "ci_upper": est + q * se,
            **{k: diagnostics.get(k, np.nan) for k in COLUMNS[7:]},
        }
    frame = pd.DataFrame.from_dict(records, orient="index")[COLUMNS]
    return EffectSummary(frame, title=title, notes=notes, alpha=alpha)


def weighting_summary(est, alpha=0.05, *, robustness=False):
    """The :class:`EffectSummary` of a fitted ``WeightingEstimator``.

    ``robustness=True`` adds the ``robustness_value`` column (new fits).
    """
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(est, "effect_")
    weighter = type(est.weighter_).__name__
    title = (
        f"{type(est).__name__}: {est.estimand_} by {weighter} weights, "
        f"method={est.method!r}"
    )
    notes = []
    if est.se == "sandwich" and est.stderr_method_ == "sandwich_fixed":
        notes.append(
            f"The stacked sandwich is not available for {weighter} here (not an "
            "M-estimator, a non-linear or cross-fitted outcome model, or a "
            "numerical failure): the fixed-weights sandwich was used; "
            "se='bootstrap' refits the weights."
        )
    if est.se == "bootstrap":
        notes.append(
            f"Normal interval from the bootstrap SE ({len(est.bootstrap_effects_)} "
            "resamples, stratified by arm)."
        )
    rows = {est.estimand_: (est.effect_, est.stderr_, est.stderr_method_)}
    if not robustness:
        return summary_frame(
            rows, est.diagnostics_, alpha=alpha, title=title, notes=notes
        )
    from ._sensitivity import weighting_robustness_value

    rv = weighting_robustness_value(est, alpha=alpha)
    notes.append(
        "Robustness value: the smallest odds ratio gamma by which a hidden "
        "confounder may move the odds of treatment of units with the same "
        "covariates (Yadlowsky et al., ATEBounds) at which the "
        f"{100 * (1 - alpha):g}% interval of the bounds contains 0; 1: it "
        "does without hidden confounding (fixed-weights sandwich), inf: not "
        "up to gamma = 20."
    )
    table = summary_frame(rows, est.diagnostics_, alpha=alpha, title=title, notes=notes)
    table.insert(COLUMNS.index("ci_upper") + 1, "robustness_value", rv)
    return table


def pseudo_outcome_summary(est, alpha=0.05):
    """The :class:`EffectSummary` of a fitted pseudo-outcome CATE learner.

    Rows: ``"ATE"``, the (sample-weighted) mean of the cross-fitted
    pseudo-outcome (for the "DR" and "Cov" pseudo-outcomes, or any
    pseudo-outcome fitted with ``weighting="none"``), and, with
    ``weighting="ivw"``, ``"ATO"``, its mean under the inverse-variance weights:
    they are proportional to ``e (1 - e)`` in expectation, so it estimates the
    overlap-weighted average effect (for "U" it is the R-learner's constant
    effect, Robinson's partially linear estimator). For a continuous
    treatment that row is ``"variance-weighted slope"``. Standard errors are
    the HC1 sandwich of a weighted mean with the nuisances and weights held
    fixed (valid to first order under cross-fitting).
    """
    from sklearn.utils.validation import check_is_fitted

    from ._pseudo_outcome import _hc_wls

    check_is_fitted(est, "model_final_")
    phi, sw = est.pseudo_outcomes_, est._sw_fit
    ones = np.ones((phi.shape[0], 1))
    rows = {}
    if est.weighting == "none" or est.pseudo_outcome in ("DR", "Cov"):
        beta, cov = _hc_wls(ones, phi, sw)
        rows["ATE"] = (beta[0], np.sqrt(cov[0, 0]), "hc1")
    if est.weighting == "ivw":
        beta, cov = _hc_wls(ones, phi, est.weights_ * sw)
        name = "ATO" if est._binary else "variance-weighted slope"
        rows[name] = (beta[0], np.sqrt(cov[0, 0]), "hc1")
    title = (
        f"{type(est).__name__}: pseudo_outcome={est.pseudo_outcome!r}, "
        f"weighting={est.weighting!r}, final model "
        f"{type(est.model_final_).__name__}"
    )
    notes = []
    if "ATO" in rows:
        notes.append(
            "ATO: average effect weighted by e(1 - e) (overlap weights), "
            "through the inverse-variance weights."
        )
    notes.append("ESS and SMD use the inverse-variance weights (weights_).")
    return summary_frame(rows, est.diagnostics_, alpha=alpha, title=title, notes=notes)
