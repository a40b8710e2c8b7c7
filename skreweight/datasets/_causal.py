"""Causal data: the Kang-Schafer simulator and the Lalonde job-training data."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from importlib import resources
from numbers import Integral, Real

import numpy as np
from sklearn.utils import Bunch, check_random_state

from ..utils._sklearn_compat import Interval, StrOptions, validate_params

__all__ = ["LALONDE_EXPERIMENTAL_ATT", "load_lalonde", "make_kang_schafer"]

#: Experimental benchmark of the NSW job-training programme (Dehejia-Wahba
#: sample): mean 1978 earnings of the 185 treated minus those of the 260
#: randomised controls, in 1982 dollars.
LALONDE_EXPERIMENTAL_ATT = 1794.3423848544699

_LALONDE_FEATURES = ["age", "educ", "black", "hisp", "marr", "nodegree", "re74", "re75"]


@validate_params(
    {
        "n_samples": [Interval(Integral, 2, None, closed="left")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "propensity": [StrOptions({"misspecified", "correct"})],
        "overlap": [Interval(Real, 0, None, closed="neither")],
        "standardize": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_kang_schafer(
    n_samples=200,
    *,
    noise=1.0,
    propensity="misspecified",
    overlap=1.0,
    standardize=True,
    random_state=None,
):
    """Kang-Schafer (2007) simulation, in the variant of Kong et al. (2023).

    Four latent covariates ``Z ~ N(0, I_4)`` drive both treatment and outcome,
    but the analyst sees only the nonlinear transforms
    ``X = (exp(Z1 / 2), Z2 / (1 + exp(Z1)) + 10, (Z1 Z3 / 25 + 0.6)^3,
    (Z2 + Z4 + 20)^2)``. The outcome is
    ``Y = 210 + 27.4 Z1 + 13.7 (Z2 + Z3 + Z4) + noise * eps`` for both arms,
    so the true ATE and ATT are 0: the bias of an estimate is its value.

    This follows ``data_generation_KS.R`` of the CBIPM authors' code
    (``ggong369/CBIPM``) formula by formula (numpy's random stream differs from
    R's, so single draws differ; the distribution is the same):

    - ``propensity="misspecified"`` (the R code's ``"nonlinear"``, Kang and
      Schafer's original): ``logit e = overlap * (-Z1 + 0.5 Z2 - 0.25 Z3 -
      0.1 Z4)``, linear in Z and so misspecified for a logistic model in X.
      ``overlap=2`` is the paper's weak-overlap variant (``const = 2``).
    - ``propensity="correct"`` (``"linear"``): ``logit e = X1 - 0.5 X2 - 2 X3 -
      0.01 X4 + 8`` on the raw X, so a logistic model in X is correct
      (``overlap`` is not used).

    Read more in the :ref:`User Guide <causal_balancing>`.

    Parameters
    ----------
    n_samples : int, default=200
        Number of units (the paper uses 200 and 1000).
    noise : float, default=1.0
        Standard deviation ``sigma`` of the outcome noise (the paper: 1 and 2).
    propensity : {"misspecified", "correct"}, default="misspecified"
        Which treatment model generates the treatment.
    overlap : float, default=1.0
        Multiplier of the misspecified propensity's logit; larger is weaker
        overlap.
    standardize : bool, default=True
        Standardise the columns of X (mean 0, standard deviation 1 with the
        ``n - 1`` divisor, as R's ``scale``).
    random_state : int, RandomState instance or None, default=None
        Seed of the draw.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With ``X`` (n_samples, 4) observed covariates, ``X_raw`` (before
        standardisation), ``Z`` the latent covariates, ``y`` the outcome,
        ``treatment`` (0/1), ``propensity`` the true ``P(T = 1 | Z)``,
        ``ate`` and ``att`` (both 0.0).

    References
    ----------
    .. [1] J. D. Y. Kang and J. L. Schafer, "Demystifying Double Robustness",
       Statistical Science 22(4), 2007.
    .. [2] I. Kong, Y. Park, J. Jung, K. Lee and Y. Kim, "Covariate balancing
       using the integral probability metric for causal inference", ICML 2023.

    Examples
    --------
    >>> from skreweight.datasets import make_kang_schafer
    >>> data = make_kang_schafer(1000, random_state=0)
    >>> data.X.shape, data.ate
    ((1000, 4), 0.0)
    >>> bool(0.3 < data.treatment.mean() < 0.7)
    True
    """
    rng = check_random_state(random_state)
    n = n_samples
    Z = rng.normal(size=(n, 4))
    X_raw = np.column_stack(
        [
            np.exp(Z[:, 0] / 2),
            Z[:, 1] / (1 + np.exp(Z[:, 0])) + 10,
            (Z[:, 0] * Z[:, 2] / 25 + 0.6) ** 3,
            (Z[:, 1] + Z[:, 3] + 20) ** 2,
        ]
    )
    if propensity == "misspecified":
        logit = overlap * (Z @ np.array([-1.0, 0.5, -0.25, -0.1]))
    else:
        logit = X_raw @ np.array([1.0, -0.5, -2.0, -0.01]) + 8.0
    e = 1.0 / (1.0 + np.exp(-logit))
    treatment = (e > rng.uniform(size=n)).astype(np.float64)
    y = 210.0 + Z @ np.array([27.4, 13.7, 13.7, 13.7]) + noise * rng.normal(size=n)
    X = X_raw
    if standardize:
        X = (X_raw - X_raw.mean(axis=0)) / X_raw.std(axis=0, ddof=1)
    return Bunch(
        X=X,
        X_raw=X_raw,
        Z=Z,
        y=y,
        treatment=treatment,
        propensity=e,
        ate=0.0,
        att=0.0,
        feature_names=["x1", "x2", "x3", "x4"],
    )


@validate_params(
    {
        "comparison": [StrOptions({"nsw", "psid1", "cps1"})],
        "as_frame": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def load_lalonde(comparison="cps1", *, as_frame=False):
    """Load the Lalonde (1986) / Dehejia-Wahba (1999) job-training data.

    The 185 treated men of the National Supported Work (NSW) experiment, in
    the Dehejia-Wahba subsample, together with one group of controls:

    - ``"nsw"``: the 260 randomised NSW controls (the experiment; the
      difference in means of ``re78``, 1,794.34 dollars, is the benchmark ATT,
      :data:`LALONDE_EXPERIMENTAL_ATT`);
    - ``"psid1"``: the 2,490 men of the Panel Study of Income Dynamics
      comparison group PSID-1;
    - ``"cps1"``: the 15,992 men of the Current Population Survey comparison
      group CPS-1.

    With an observational comparison group the naive difference in means is
    badly biased (about -15,205 with PSID-1 and -8,498 with CPS-1); a good
    weighting of the controls should recover about 1,794. The file ships
    inside the package (sources in ``data/PROVENANCE_causal.md``).

    Read more in the :ref:`User Guide <causal_balancing>`.

    Parameters
    ----------
    comparison : {"nsw", "psid1", "cps1"}, default="cps1"
        The control group.
    as_frame : bool, default=False
        Return pandas objects instead of numpy arrays.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With ``data`` (covariates ``age``, ``educ``, ``black``, ``hisp``,
        ``marr``, ``nodegree``, ``re74``, ``re75``), ``target`` (1978
        earnings ``re78``), ``treatment`` (0/1), ``feature_names``,
        ``frame`` (all columns, when ``as_frame``), ``experimental_att`` and
        ``DESCR``.

    References
    ----------
    .. [1] R. J. LaLonde, "Evaluating the Econometric Evaluations of Training
       Programs with Experimental Data", American Economic Review 76(4), 1986.
    .. [2] R. H. Dehejia and S. Wahba, "Causal Effects in Nonexperimental
       Studies: Reevaluating the Evaluation of Training Programs", JASA
       94(448), 1999.

    Examples
    --------
    >>> from skreweight.datasets import load_lalonde
    >>> data = load_lalonde("psid1")
    >>> data.data.shape, int(data.treatment.sum())
    ((2675, 8), 185)
    >>> round(data.experimental_att, 2)
    1794.34
    """
    import pandas as pd

    path = resources.files("skreweight.datasets") / "data" / "lalonde.csv.gz"
    with resources.as_file(path) as p:
        frame = pd.read_csv(p, compression="gzip")
    keep = {"nsw": "nsw_control", "psid1": "psid1", "cps1": "cps1"}[comparison]
    frame = frame[frame["sample"].isin(["nsw_treated", keep])].reset_index(drop=True)
    X = frame[_LALONDE_FEATURES].astype(np.float64)
    y = frame["re78"].astype(np.float64)
    t = frame["treat"].astype(np.float64)
    if not as_frame:
        X, y, t = X.to_numpy(), y.to_numpy(), t.to_numpy()
    return Bunch(
        data=X,
        target=y,
        treatment=t,
        feature_names=list(_LALONDE_FEATURES),
        frame=frame if as_frame else None,
        experimental_att=LALONDE_EXPERIMENTAL_ATT,
        DESCR=(
            f"NSW treated (185) vs {comparison} controls; outcome re78 (1978 "
            "earnings). See data/PROVENANCE_causal.md."
        ),
    )
