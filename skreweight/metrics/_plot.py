"""Visual diagnostics of weights: weight distribution and love plot."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted

from ..base import ESS_WARNING_THRESHOLD, is_weighter
from ..utils.validation import check_sample_weight
from ._diagnostics import (
    _check_indicator,
    effective_sample_size,
    standardized_mean_difference,
)

__all__ = ["LovePlotDisplay", "WeightDistributionDisplay"]

#: ``|SMD|`` below this is the usual balance threshold (Austin 2009).
SMD_THRESHOLD = 0.1


def _import_pyplot(caller):
    """Import matplotlib.pyplot, or say how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{caller} requires matplotlib. Install it with "
            "`pip install skreweight[plot]` (or `pip install matplotlib`)."
        ) from exc
    return plt


def _get_ax(ax, caller):
    plt = _import_pyplot(caller)
    if ax is None:
        _, ax = plt.subplots()
    return ax


class WeightDistributionDisplay:
    """Histogram of a weight vector, annotated with its effective sample size.

    The annotation gives the Kish effective sample size (ESS) of the weights,
    its ratio to the number of rows and the largest share of the total weight
    held by a single row. A long right tail and a small ESS ratio mean that a
    weighted fit rests on few rows; weighters warn below an ESS ratio of
    ``ESS_WARNING_THRESHOLD`` (0.1).

    It is recommended to create a display with :meth:`from_weights` or
    :meth:`from_weighter`. All parameters are stored as attributes.

    Read more in the :ref:`User Guide <contract>`.

    Parameters
    ----------
    weights : ndarray of shape (n_samples,)
        Non-negative weights.
    effective_sample_size : float
        Kish effective sample size of the weights.
    max_weight_share : float
        Largest share of the total weight held by one row.
    name : str, default=None
        Name shown in the title, e.g. the weighter's class name.

    Attributes
    ----------
    bars_ : matplotlib BarContainer
        The histogram bars.
    mean_line_ : matplotlib Line2D
        Vertical line at the mean weight.
    text_ : matplotlib Text
        The ESS annotation.
    ax_ : matplotlib Axes
        Axes with the histogram.
    figure_ : matplotlib Figure
        Figure containing the histogram.

    See Also
    --------
    LovePlotDisplay : Covariate balance before and after weighting.
    skreweight.metrics.weight_summary : The same diagnostics as numbers.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from skreweight.datasets import make_covariate_shift
    >>> from skreweight.metrics import WeightDistributionDisplay
    >>> from skreweight.weighting import ClassifierDensityRatio
    >>> d = make_covariate_shift(n_source=300, n_target=300, random_state=0)
    >>> cdr = ClassifierDensityRatio().fit(d.X_source, X_target=d.X_target)
    >>> display = WeightDistributionDisplay.from_weighter(cdr)
    >>> bool(display.effective_sample_size < 300)
    True
    >>> plt.close("all")
    """

    def __init__(self, *, weights, effective_sample_size, max_weight_share, name=None):
        self.weights = weights
        self.effective_sample_size = effective_sample_size
        self.max_weight_share = max_weight_share
        self.name = name

    def plot(self, ax=None, *, name=None, bins=30, log_scale=False, **kwargs):
        """Plot the histogram.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure is created when None.
        name : str, default=None
            Overrides the ``name`` given at construction.
        bins : int or sequence, default=30
            Histogram bins, as in :func:`matplotlib.pyplot.hist`.
        log_scale : bool, default=False
            Use a logarithmic count axis, which shows the tail better.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.hist`.

        Returns
        -------
        display : WeightDistributionDisplay
            Object that stores the plotted artists.
        """
        ax = _get_ax(ax, "WeightDistributionDisplay.plot")
        name = self.name if name is None else name
        w = np.asarray(self.weights, dtype=np.float64)
        hist_kwargs = {"color": "C0", "alpha": 0.8, "edgecolor": "white"}
        hist_kwargs.update(kwargs)
        _, _, self.bars_ = ax.hist(w, bins=bins, log=log_scale, **hist_kwargs)
        self.mean_line_ = ax.axvline(
            w.mean(), color="k", linestyle="--", linewidth=1, label="mean weight"
        )
        n = w.shape[0]
        ratio = self.effective_sample_size / n
        text = (
            f"ESS = {self.effective_sample_size:.1f} of {n} "
            f"({100 * ratio:.1f}%)\nmax share = {100 * self.max_weight_share:.2f}%"
        )
        if ratio < ESS_WARNING_THRESHOLD:
            text += f"\nESS ratio < {ESS_WARNING_THRESHOLD}: degenerate"
        self.text_ = ax.text(
            0.97,
            0.95,
            text,
            transform=ax.transAxes,
            ha="right",
            va="top",
            bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.9},
        )
        ax.set_xlabel("weight")
        ax.set_ylabel("number of rows")
        ax.set_title("Weight distribution" + (f": {name}" if name else ""))
        ax.legend(loc="center right")
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_weights(
        cls,
        weights,
        *,
        name=None,
        ax=None,
        bins=30,
        log_scale=False,
        **kwargs,
    ):
        """Plot the distribution of a weight vector.

        Parameters
        ----------
        weights : array-like of shape (n_samples,)
            Non-negative weights.
        name : str, default=None
            Name shown in the title.
        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure is created when None.
        bins : int or sequence, default=30
            Histogram bins.
        log_scale : bool, default=False
            Use a logarithmic count axis.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.hist`.

        Returns
        -------
        display : WeightDistributionDisplay

        Examples
        --------
        >>> import matplotlib.pyplot as plt
        >>> from skreweight.metrics import WeightDistributionDisplay
        >>> display = WeightDistributionDisplay.from_weights([1, 1, 2, 4])
        >>> display.max_weight_share
        0.5
        >>> plt.close("all")
        """
        _import_pyplot("WeightDistributionDisplay.from_weights")
        w = np.asarray(weights)
        w = check_sample_weight(w, np.empty(w.shape[:1]), name="weights")
        display = cls(
            weights=w,
            effective_sample_size=effective_sample_size(w),
            max_weight_share=float(w.max() / w.sum()),
            name=name,
        )
        return display.plot(ax=ax, bins=bins, log_scale=log_scale, **kwargs)

    @classmethod
    def from_weighter(
        cls,
        weighter,
        *,
        name=None,
        ax=None,
        bins=30,
        log_scale=False,
        **kwargs,
    ):
        """Plot the in-sample weights (``weights_``) of a fitted weighter.

        The annotation uses the weighter's own diagnostics
        (``effective_sample_size_``, ``max_weight_share_``), which account for
        the ``sample_weight`` passed to its ``fit``.

        Parameters
        ----------
        weighter : fitted weighter or meta-estimator
            A fitted skreweight weighter, or a fitted meta-estimator with a
            ``weighter_`` attribute (e.g.
            :class:`~skreweight.compose.ReweightedClassifier`).
        name : str, default=None
            Name shown in the title; the weighter's class name when None.
        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure is created when None.
        bins : int or sequence, default=30
            Histogram bins.
        log_scale : bool, default=False
            Use a logarithmic count axis.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.hist`.

        Returns
        -------
        display : WeightDistributionDisplay
        """
        _import_pyplot("WeightDistributionDisplay.from_weighter")
        weighter = _resolve_weighter(weighter, "WeightDistributionDisplay")
        w = np.asarray(weighter.weights_, dtype=np.float64)
        ess = getattr(weighter, "effective_sample_size_", None)
        share = getattr(weighter, "max_weight_share_", None)
        display = cls(
            weights=w,
            effective_sample_size=effective_sample_size(w) if ess is None else ess,
            max_weight_share=float(w.max() / w.sum()) if share is None else share,
            name=type(weighter).__name__ if name is None else name,
        )
        return display.plot(ax=ax, bins=bins, log_scale=log_scale, **kwargs)


def _resolve_weighter(estimator, caller):
    """Return the fitted weighter of a weighter or of a meta-estimator."""
    if not is_weighter(estimator) and hasattr(estimator, "weighter"):
        check_is_fitted(estimator, "weighter_")
        estimator = estimator.weighter_
    if not is_weighter(estimator):
        raise TypeError(
            f"{caller} expects a skreweight weighter or a meta-estimator with a "
            f"`weighter_`; got {type(estimator).__name__}. For a plain weight "
            "vector use from_weights."
        )
    check_is_fitted(estimator, "weights_")
    return estimator


def _weights_of(weighter, X, n_fit_rows, **context):
    """Weights of the rows of X: compute_weights, or weights_ if transductive."""
    tags = get_tags(weighter).weighter_tags
    # Weights that depend on y or on a group label cannot be computed from X.
    if (
        tags.out_of_sample
        and not tags.requires_y
        and "sample_group" not in tags.context
    ):
        return weighter.compute_weights(X, **context)
    if weighter.weights_.shape[0] == n_fit_rows:
        return weighter.weights_
    raise ValueError(
        f"{type(weighter).__name__} cannot compute weights for these rows "
        "(it is transductive, or needs y or sample_group), and its weights_ do "
        "not match them: "
        f"{weighter.weights_.shape[0]} weights for {n_fit_rows} rows. Pass the "
        "rows it was fitted on, or use LovePlotDisplay.from_weights."
    )


class LovePlotDisplay:
    """Love plot: standardised mean difference of each covariate, before/after.

    For each covariate the plot shows the (absolute) standardised mean
    difference between two groups -- treated vs control, or target vs source
    -- without weights and with weights, and a vertical line at the balance
    threshold (``|SMD| = 0.1`` by default). Weighting balances a covariate
    when its weighted marker falls inside the threshold.

    It is recommended to create a display with :meth:`from_weights` or
    :meth:`from_estimator`. All parameters are stored as attributes.

    Read more in the :ref:`User Guide <contract>`.

    Parameters
    ----------
    smd_unweighted : ndarray of shape (n_features,)
        Standardised mean difference of each covariate without weights.
    smd_weighted : ndarray of shape (n_features,)
        Standardised mean difference of each covariate with weights.
    feature_names : list of str
        Covariate names.
    threshold : float, default=0.1
        Balance threshold drawn as a vertical line.
    name : str, default=None
        Name of the weights, shown in the legend.

    Attributes
    ----------
    unweighted_line_ : matplotlib Line2D
        Markers of the unweighted SMDs (x: SMD, y: covariate position).
    weighted_line_ : matplotlib Line2D
        Markers of the weighted SMDs.
    threshold_line_ : matplotlib Line2D
        The threshold line.
    ax_ : matplotlib Axes
        Axes with the love plot.
    figure_ : matplotlib Figure
        Figure containing the love plot.

    See Also
    --------
    WeightDistributionDisplay : Distribution of the weights.
    skreweight.metrics.balance_table : The same comparison as a table.
    skreweight.metrics.standardized_mean_difference : The SMD itself.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from skreweight.datasets import make_covariate_shift
    >>> from skreweight.metrics import LovePlotDisplay
    >>> from skreweight.weighting import ClassifierDensityRatio
    >>> d = make_covariate_shift(n_source=300, n_target=300, random_state=0)
    >>> cdr = ClassifierDensityRatio().fit(d.X_source, X_target=d.X_target)
    >>> display = LovePlotDisplay.from_estimator(
    ...     cdr, np.vstack([d.X_source, d.X_target]), [0] * 300 + [1] * 300)
    >>> bool(abs(display.smd_weighted[0]) < abs(display.smd_unweighted[0]))
    True
    >>> plt.close("all")
    """

    def __init__(
        self,
        *,
        smd_unweighted,
        smd_weighted,
        feature_names,
        threshold=SMD_THRESHOLD,
        name=None,
    ):
        self.smd_unweighted = smd_unweighted
        self.smd_weighted = smd_weighted
        self.feature_names = feature_names
        self.threshold = threshold
        self.name = name

    def plot(self, ax=None, *, name=None, absolute=True):
        """Plot the love plot.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure is created when None.
        name : str, default=None
            Overrides the ``name`` given at construction.
        absolute : bool, default=True
            Plot ``|SMD|`` (the usual love plot); False keeps the sign and
            draws the threshold on both sides of 0.

        Returns
        -------
        display : LovePlotDisplay
            Object that stores the plotted artists.
        """
        ax = _get_ax(ax, "LovePlotDisplay.plot")
        name = self.name if name is None else name
        before = np.asarray(self.smd_unweighted, dtype=np.float64)
        after = np.asarray(self.smd_weighted, dtype=np.float64)
        if absolute:
            before, after = np.abs(before), np.abs(after)
        pos = np.arange(before.shape[0])[::-1]
        for b, a, p in zip(before, after, pos):
            ax.plot([b, a], [p, p], color="0.75", linewidth=1, zorder=1)
        (self.unweighted_line_,) = ax.plot(
            before, pos, "o", color="C3", mfc="white", label="unweighted", zorder=2
        )
        (self.weighted_line_,) = ax.plot(
            after,
            pos,
            "o",
            color="C0",
            label="weighted" if name is None else f"weighted ({name})",
            zorder=3,
        )
        self.threshold_line_ = ax.axvline(
            self.threshold, color="k", linestyle="--", linewidth=1
        )
        if absolute:
            ax.axvline(0, color="0.5", linewidth=0.5)
            ax.set_xlabel("absolute standardised mean difference")
        else:
            ax.axvline(-self.threshold, color="k", linestyle="--", linewidth=1)
            ax.axvline(0, color="0.5", linewidth=0.5)
            ax.set_xlabel("standardised mean difference")
        ax.set_yticks(pos)
        ax.set_yticklabels(list(self.feature_names))
        ax.set_title("Covariate balance")
        ax.legend(loc="lower right")
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_weights(
        cls,
        X,
        indicator,
        weights,
        *,
        feature_names=None,
        threshold=SMD_THRESHOLD,
        name=None,
        absolute=True,
        ax=None,
    ):
        """Plot the balance of ``X`` between two groups, before and after weights.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Covariates of both groups.
        indicator : array-like of shape (n_samples,)
            Two-valued group label (the larger value is group 1: treated, or
            target).
        weights : array-like of shape (n_samples,)
            Row weights (use 1 for rows that are not reweighted, e.g. the
            target rows under covariate shift).
        feature_names : list of str, default=None
            Covariate names; a DataFrame's columns, or ``x0, x1, ...``, when
            None.
        threshold : float, default=0.1
            Balance threshold drawn as a vertical line.
        name : str, default=None
            Name of the weights, shown in the legend.
        absolute : bool, default=True
            Plot ``|SMD|``.
        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure is created when None.

        Returns
        -------
        display : LovePlotDisplay

        Examples
        --------
        >>> import matplotlib.pyplot as plt
        >>> import numpy as np
        >>> from skreweight.metrics import LovePlotDisplay
        >>> X = np.array([[0.0], [2.0], [1.0], [3.0]])
        >>> display = LovePlotDisplay.from_weights(X, [0, 0, 1, 1], [1, 3, 1, 1])
        >>> display.smd_unweighted, display.smd_weighted
        (array([1.]), array([0.5]))
        >>> plt.close("all")
        """
        _import_pyplot("LovePlotDisplay.from_weights")
        if feature_names is None and hasattr(X, "columns"):
            feature_names = [str(c) for c in X.columns]
        Xa = np.asarray(X, dtype=np.float64)
        if Xa.ndim == 1:
            Xa = Xa[:, None]
        if feature_names is None:
            feature_names = [f"x{j}" for j in range(Xa.shape[1])]
        if len(feature_names) != Xa.shape[1]:
            raise ValueError(
                f"feature_names has {len(feature_names)} names but X has "
                f"{Xa.shape[1]} columns; pass one name per column."
            )
        w = check_sample_weight(weights, Xa, name="weights")
        display = cls(
            smd_unweighted=standardized_mean_difference(Xa, indicator),
            smd_weighted=standardized_mean_difference(Xa, indicator, w),
            feature_names=list(feature_names),
            threshold=threshold,
            name=name,
        )
        return display.plot(ax=ax, absolute=absolute)

    @classmethod
    def from_estimator(
        cls,
        weighter,
        X,
        indicator,
        *,
        feature_names=None,
        threshold=SMD_THRESHOLD,
        name=None,
        absolute=True,
        ax=None,
    ):
        """Plot the balance achieved by a fitted weighter.

        Which rows the weighter weights depends on its context:

        - covariate shift (a weighter fitted with ``X_target``): the rows of
          group 0 (the smaller value of ``indicator``) are source rows and get
          ``weighter.compute_weights``; group-1 rows are target rows and keep
          weight 1. Stack ``X = vstack([X_source, X_target])``.
        - treatment (causal weighters): every row is weighted, with
          ``compute_weights(X, treatment=indicator)``.
        - otherwise (class or group weights) every row is weighted: by
          ``weights_`` when ``X`` holds as many rows as the weighter was
          fitted on (pass the same rows), else by ``compute_weights(X)``.

        Transductive weighters (or weighters that need ``y``) use their
        ``weights_``, which must then match the weighted rows.

        Parameters
        ----------
        weighter : fitted weighter or meta-estimator
            A fitted skreweight weighter, or a fitted meta-estimator with a
            ``weighter_`` attribute.
        X : array-like or DataFrame of shape (n_samples, n_features)
            Covariates of both groups.
        indicator : array-like of shape (n_samples,)
            Two-valued group label (the larger value is group 1: treated, or
            target).
        feature_names : list of str, default=None
            Covariate names.
        threshold : float, default=0.1
            Balance threshold drawn as a vertical line.
        name : str, default=None
            Name of the weights; the weighter's class name when None.
        absolute : bool, default=True
            Plot ``|SMD|``.
        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure is created when None.

        Returns
        -------
        display : LovePlotDisplay
        """
        _import_pyplot("LovePlotDisplay.from_estimator")
        weighter = _resolve_weighter(weighter, "LovePlotDisplay")
        n = X.shape[0] if hasattr(X, "shape") else len(X)
        group1 = _check_indicator(indicator, n)
        context = get_tags(weighter).weighter_tags.context
        if "X_target" in context:
            X_source = X.iloc[~group1] if hasattr(X, "iloc") else np.asarray(X)[~group1]
            weights = np.ones(n)
            weights[~group1] = _weights_of(weighter, X_source, int(np.sum(~group1)))
        elif "treatment" in context:
            weights = _weights_of(weighter, X, n, treatment=np.asarray(indicator))
        elif weighter.weights_.shape[0] == n:
            weights = weighter.weights_
        else:
            weights = _weights_of(weighter, X, n)
        return cls.from_weights(
            X,
            indicator,
            weights,
            feature_names=feature_names,
            threshold=threshold,
            name=type(weighter).__name__ if name is None else name,
            absolute=absolute,
            ax=ax,
        )
