"""Balancing weights against a neural (Wasserstein-type) critic."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from torch import nn

from .._core.docstrings import fill_doc
from ..base import WeighterMixin
from ..utils._progress import Progress
from ..utils._sklearn_compat import Interval, StrOptions
from ._net import _TORCH_PARAM_CONSTRAINTS, _SeededMixin, check_device

__all__ = ["NeuralIPMBalancing"]


def _arm_problems(estimand, t):
    """Pairs ``(rows to reweight, target rows)`` of an estimand."""
    treated, control = t == 1, t == 0
    if estimand == "ATT":
        return [(control, treated)]
    if estimand == "ATC":
        return [(treated, control)]
    everyone = np.ones_like(treated)
    return [(treated, everyone), (control, everyone)]


class _Critic(nn.Module):
    def __init__(self, n_features, hidden_units, dtype):
        super().__init__()
        layers, width = [], n_features
        for units in hidden_units:
            layers += [nn.Linear(width, units, dtype=dtype), nn.LeakyReLU(0.1)]
            width = units
        layers.append(nn.Linear(width, 1, dtype=dtype))
        self.net = nn.Sequential(*layers)

    def forward(self, X):
        return self.net(X).squeeze(-1)


@fill_doc
class NeuralIPMBalancing(_SeededMixin, WeighterMixin, BaseEstimator):
    """Balancing weights that minimise an IPM against a neural critic.

    Covariate balancing by the integral probability metric (CBIPM, Kong et
    al. 2023) with the paper's Wasserstein-type discriminator: a one-hidden-
    layer LeakyReLU(0.1) network ``f`` (the critic) is trained to *maximise*
    the squared imbalance ``(E_target f - sum_i m_i f(x_i))^2`` minus a WGAN-GP
    gradient penalty ``lambda * mean (|grad f(x_hat)| - 1)^2`` on random
    interpolates ``x_hat`` between target and reweighted rows (its parameters
    are also clipped to ``[-critic_clip, critic_clip]``, as in the authors'
    code), while the
    weights ``m`` of the reweighted arm, a softmax over one free parameter per
    unit, *minimise* it. Each outer Adam step on the weights
    follows ``critic_steps`` Adam steps of the critic.

    The arms balanced are those of the estimand: the controls to the treated
    (ATT), the treated to the controls (ATC), or each arm to the full sample
    (ATE). The arm that is not reweighted keeps weight 1. Covariates are
    standardised first. The weights are transductive (one per unit of
    ``fit``). ``sample_weight`` multiplies the softmax masses, so weights
    average 1 per arm under it.

    Read more in the :ref:`User Guide <neural>`.

    Parameters
    ----------
    estimand : {"ATE", "ATT", "ATC"}, default="ATE"
        Population the weights target.
    hidden_units : tuple of int, default=(100,)
        Hidden layer widths of the critic (the paper: one layer of 100).
    gradient_penalty : float, default=0.3
        Gradient-penalty coefficient ``lambda`` (the paper's ``tau = 0.3``).
    n_interpolates : int, default=100
        Number of random interpolates for the penalty (the paper's R).
    critic_clip : float or None, default=0.1
        Clip the critic's parameters to ``[-critic_clip, critic_clip]`` after
        each step, on top of the penalty, as the authors' code does. None
        (the penalty alone, WGAN-GP) gives a stronger critic: it balances
        simple designs faster, but on Kang-Schafer it overfits the imbalance
        and the weights degenerate (see ``benchmarks/RESULTS.md``).
    max_iter : int, default=1000
        Outer Adam steps on the weights (the paper: 1000).
    learning_rate : float, default=0.03
        Adam step of the weights (the paper: 0.03).
    critic_steps : int, default=5
        Critic steps per outer step (the paper: 5).
    critic_learning_rate : float, default=0.3
        Adam step of the critic (the paper: 0.3).
    random_state : int, RandomState instance or None, default=None
        Seeds the critic's initialisation and the interpolates.
    device : str or torch.device, default="cpu"
        Device; an absent accelerator raises a ``ValueError``.
    verbose : int, default=0
        0 prints nothing; 1 reports the squared imbalance every 100 outer
        steps; 2 and above every step.

    Attributes
    ----------
    weights_ : ndarray of shape (n_samples,)
        Weights of the rows passed to ``fit``, averaging 1 in each arm.
    ipm_ : ndarray of shape (n_problems,)
        Imbalance ``|E_target f - sum m f|`` of the last critic, per
        reweighted arm.
    n_iter_ : int
        Number of outer steps run.
    %(weighter_diagnostics)s

    See Also
    --------
    NeuralDensityRatio : Neural weights for covariate shift.

    References
    ----------
    .. [1] I. Kong, Y. Park, J. Jung, K. Lee and Y. Kim, "Covariate balancing
       using the integral probability metric for causal inference", ICML 2023.
    .. [2] I. Gulrajani et al., "Improved Training of Wasserstein GANs",
       NeurIPS 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.neural import NeuralIPMBalancing
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 2))
    >>> t = (rng.uniform(size=200) < 1 / (1 + np.exp(-X[:, 0]))).astype(int)
    >>> ipm = NeuralIPMBalancing(estimand="ATT", max_iter=200, random_state=0)
    >>> w = ipm.fit(X, treatment=t).weights_
    >>> gap = lambda w: abs(np.average(X[t == 0, 0], weights=w[t == 0])
    ...                     - X[t == 1, 0].mean())
    >>> bool(gap(w) < gap(np.ones(200)) / 2)
    True
    """

    _context = ("treatment",)
    _required_context = ("treatment",)
    _normalize_by = "treatment"
    _out_of_sample = False
    __metadata_request__fit = {"treatment": True}

    _parameter_constraints = {
        "estimand": [StrOptions({"ATE", "ATT", "ATC"})],
        "hidden_units": [tuple, list],
        "gradient_penalty": [Interval(Real, 0, None, closed="left")],
        "n_interpolates": [Interval(Integral, 1, None, closed="left")],
        "critic_clip": [Interval(Real, 0, None, closed="neither"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "critic_steps": [Interval(Integral, 1, None, closed="left")],
        "critic_learning_rate": [Interval(Real, 0, None, closed="neither")],
        **_TORCH_PARAM_CONSTRAINTS,
    }

    def __init__(
        self,
        estimand="ATE",
        *,
        hidden_units=(100,),
        gradient_penalty=0.3,
        n_interpolates=100,
        critic_clip=0.1,
        max_iter=1000,
        learning_rate=0.03,
        critic_steps=5,
        critic_learning_rate=0.3,
        random_state=None,
        device="cpu",
        verbose=0,
    ):
        self.estimand = estimand
        self.hidden_units = hidden_units
        self.gradient_penalty = gradient_penalty
        self.n_interpolates = n_interpolates
        self.critic_clip = critic_clip
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.critic_steps = critic_steps
        self.critic_learning_rate = critic_learning_rate
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    def _fit(self, X, y, sample_weight, treatment=None):
        check_device(self.device)
        t, sw = treatment, sample_weight
        for arm, name in ((1, "treated"), (0, "control")):
            if np.sum(sw[t == arm]) <= 0:
                raise ValueError(
                    f"{type(self).__name__}: there are no {name} units with "
                    "positive sample_weight; both arms are needed to balance."
                )
        mean = np.average(X, axis=0, weights=sw)
        std = np.sqrt(np.average((X - mean) ** 2, axis=0, weights=sw))
        Z = (X - mean) / np.where(std > 0, std, 1.0)
        raw = np.ones(X.shape[0])
        ipms = []
        with self._seeded():
            for arm, target in _arm_problems(self.estimand, t):
                rows = arm & (sw > 0)
                tgt = target & (sw > 0)
                m, ipm = self._balance(Z[rows], sw[rows], Z[tgt], sw[tgt])
                raw[arm] = 0.0
                raw[rows] = m / sw[rows]
                ipms.append(ipm)
        self.ipm_ = np.asarray(ipms)
        self.n_iter_ = self.max_iter
        return raw

    def _balance(self, Zg, sg, Zt, st):
        """Masses (summing to 1) of the rows ``Zg`` that balance them to ``Zt``."""
        dev, dt = self.device, torch.float32
        zg = torch.as_tensor(Zg, dtype=dt, device=dev)
        zt = torch.as_tensor(Zt, dtype=dt, device=dev)
        log_sg = torch.log(torch.as_tensor(sg, dtype=dt, device=dev))
        pt = torch.as_tensor(st / st.sum(), dtype=dt, device=dev)
        u = torch.zeros(zg.shape[0], dtype=dt, device=dev, requires_grad=True)
        critic = _Critic(zg.shape[1], tuple(self.hidden_units), dt).to(dev)
        opt_w = torch.optim.Adam([u], lr=self.learning_rate)
        opt_c = torch.optim.Adam(
            critic.parameters(), lr=self.critic_learning_rate, foreach=True
        )
        both = torch.cat([zt, zg])
        n_t = zt.shape[0]

        def imbalance(masses):
            f = critic(both)
            return pt @ f[:n_t] - masses @ f[n_t:]

        progress = Progress(self, self.verbose, total=self.max_iter, every=100)
        for it in range(self.max_iter):
            masses = torch.softmax(u + log_sg, dim=0).detach()
            for _ in range(self.critic_steps):
                opt_c.zero_grad()
                loss = -(imbalance(masses) ** 2) + self._penalty(
                    critic, zg, zt, masses, pt
                )
                loss.backward()
                opt_c.step()
                if self.critic_clip is not None:
                    with torch.no_grad():
                        for p in critic.parameters():
                            p.clamp_(-self.critic_clip, self.critic_clip)
            opt_w.zero_grad()
            gap = imbalance(torch.softmax(u + log_sg, dim=0)) ** 2
            gap.backward()
            opt_w.step()
            if progress.due(it + 1):
                progress(it + 1, squared_imbalance=float(gap))
        with torch.no_grad():
            masses = torch.softmax(u + log_sg, dim=0)
            ipm = float(abs(imbalance(masses)))
        return masses.cpu().numpy().astype(np.float64), ipm

    def _penalty(self, critic, zg, zt, masses, pt):
        if self.gradient_penalty == 0:
            return 0.0
        r = self.n_interpolates
        a = zt[torch.multinomial(pt, r, replacement=True)]
        b = zg[torch.multinomial(masses, r, replacement=True)]
        alpha = torch.rand(r, 1, dtype=zg.dtype, device=zg.device)
        x_hat = (alpha * a + (1 - alpha) * b).requires_grad_(True)
        (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
        return self.gradient_penalty * ((grad.norm(dim=1) - 1) ** 2).mean()
