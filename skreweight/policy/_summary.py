"""One table of policy-value estimates: inference beside the weights' diagnostics."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import textwrap

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.utils.validation import check_is_fitted

__all__ = ["PolicyValueSummary"]

#: Plain-language names of the standard-error methods, for the notes.
SE_METHODS = {
    "influence": "influence-function (sandwich) standard error, with the "
    "propensities and the reward model held fixed",
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
    "ess",
    "ess_ratio",
    "max_weight_share",
    "min_logging_proba",
]


class PolicyValueSummary(pd.DataFrame):
    """Policy-value estimates with their inference and the weights' diagnostics.

    A :class:`pandas.DataFrame` with one row per estimand (the value of the
    evaluation policy), returned by :meth:`PolicyValueEstimator.summary`;
    the off-policy counterpart of :class:`~skreweight.causal.EffectSummary`.
    Its columns are:

    - ``estimate``, ``std_err``, ``se_method`` (how ``std_err`` was
      computed), ``z``, ``p_value`` (two-sided, normal, of a zero value) and
      the normal confidence interval ``ci_lower``, ``ci_upper``;
    - ``n``: logged rows used;
    - ``ess``, ``ess_ratio``: Kish effective sample size of the importance
      weights, and its share of the rows (NaN without propensities);
    - ``max_weight_share``: largest share of the total importance weight
      held by one row; ``min_logging_proba``: the smallest logging
      propensity of a logged action.

    ``str(summary)`` (and ``print``) lays it out for reading: a title, the
    inference block, the diagnostics block and notes saying which standard
    error was used. Any DataFrame operation returns a plain DataFrame.

    Attributes
    ----------
    title : str
        The estimator and its method.
    notes : list of str
        Footnotes printed under the table.
    alpha : float
        One minus the confidence level of the interval.

    Examples
    --------
    >>> from skreweight.datasets import make_bandit_feedback
    >>> from skreweight.policy import PolicyValueEstimator
    >>> d = make_bandit_feedback(2000, random_state=0)
    >>> est = PolicyValueEstimator(method="snipw").fit(
    ...     d.X, d.reward, action=d.action, target_proba=d.target_proba,
    ...     logging_proba=d.logging_proba)
    >>> table = est.summary()
    >>> list(table.index)
    ['value']
    >>> table.loc["value", "se_method"]
    'influence'
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
        diagnostics = pd.DataFrame(
            {
                "n": frame["n"],
                "ESS": frame["ess"],
                "ESS / n": frame["ess_ratio"],
                "max weight share": frame["max_weight_share"],
                "min propensity": frame["min_logging_proba"],
            }
        )
        blocks = [
            inference.to_string(float_format=lambda v: f"{v:.4g}"),
            diagnostics.to_string(
                formatters={
                    "ESS": _num("{:.1f}"),
                    "ESS / n": _num("{:.3f}"),
                    "max weight share": _num("{:.3g}"),
                    "min propensity": _num("{:.3g}"),
                },
                na_rep="-",
            ),
        ]
        width = max(len(line) for b in blocks for line in b.splitlines())
        width = max(width, len(self.title))
        rule = "=" * width
        methods = sorted({str(m) for m in frame["se_method"]})
        notes = [f"Std err: {SE_METHODS.get(m, m)}." for m in methods]
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


def _notes(est):
    notes = []
    if est.method == "dm":
        notes.append(
            "method='dm': the standard error ignores the reward model's own "
            "error, and is too small whenever q_hat is biased."
        )
    if np.isfinite(est.threshold) and est.method in ("ipw", "dr", "switch-dr", "dr-os"):
        notes.append(
            f"threshold={est.threshold:g}: the weights are clipped, switched or "
            "shrunk, which trades bias for variance; the interval covers the "
            "value of the modified estimator."
        )
    if est.logging_proba_ is not None and est.propensity_models_:
        notes.append(
            "Estimated logging propensities (propensity_model), held fixed in "
            "the standard error."
        )
    return notes


def value_summary(est, alpha=0.05):
    """The :class:`PolicyValueSummary` of a fitted ``PolicyValueEstimator``."""
    check_is_fitted(est, "value_")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1); got {alpha}.")
    q = stats.norm.ppf(1 - alpha / 2)
    value, se = float(est.value_), float(est.stderr_)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = value / se if se > 0 else np.nan
    p = est.logging_proba_
    row = {
        "estimate": value,
        "std_err": se,
        "se_method": "influence",
        "z": z,
        "p_value": float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else np.nan,
        "ci_lower": value - q * se,
        "ci_upper": value + q * se,
        "n": int(est.weights_.shape[0]),
        "ess": est.effective_sample_size_,
        "ess_ratio": est.ess_ratio_,
        "max_weight_share": est.max_weight_share_,
        "min_logging_proba": np.nan if p is None else float(np.min(p)),
    }
    frame = pd.DataFrame.from_dict({"value": row}, orient="index")[COLUMNS]
    title = (
        f"{type(est).__name__}: value of the evaluation policy, method={est.method!r}"
    )
    return PolicyValueSummary(frame, title=title, notes=_notes(est), alpha=alpha)
