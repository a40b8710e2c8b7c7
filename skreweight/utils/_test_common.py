"""Instances used by the common tests: fast parameters and expected failures.

Each family keeps its own section below (one dict entry per estimator), so that
work on different families does not touch the same lines.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from sklearn.linear_model import LogisticRegression, Ridge

# Estimators that need constructor arguments, or faster settings, in the common
# checks: name -> callable returning a list of instances.
INIT_PARAMS = {}

# name -> {check name: reason}
EXPECTED_FAILED_CHECKS = {}

# ----------------------------------------------------------------- foundation
INIT_PARAMS["ReweightedClassifier"] = lambda: [
    _reweighted("ReweightedClassifier", LogisticRegression())
]
INIT_PARAMS["ReweightedRegressor"] = lambda: [
    _reweighted("ReweightedRegressor", Ridge())
]
INIT_PARAMS["WeightProduct"] = lambda: [_product()]
INIT_PARAMS["FitOnSourceAndTarget"] = lambda: [_fit_on_source_and_target()]


def _reweighted(name, estimator):
    from ..compose import ReweightedClassifier, ReweightedRegressor
    from ..weighting import ClassifierDensityRatio

    cls = {"ReweightedClassifier": ReweightedClassifier}.get(name, ReweightedRegressor)
    return cls(ClassifierDensityRatio(), estimator)


def _product():
    from ..compose import WeightProduct
    from ..weighting import ClassifierDensityRatio, GroupBalance

    return WeightProduct([("shift", ClassifierDensityRatio()), ("grp", GroupBalance())])


def _fit_on_source_and_target():
    from sklearn.preprocessing import StandardScaler

    from ..compose import FitOnSourceAndTarget

    return FitOnSourceAndTarget(StandardScaler())


# ----------------------------------------------------------- covariate shift


# ------------------------------------------------------------ causal balancing


# ---------------------------------------------------- heterogeneous effects


# --------------------------------------------------------- group robustness


# ---------------------------------------------------------- class imbalance


# ------------------------------------------------------------------- neural
# Tiny float64 nets, full batch, few epochs: fast and deterministic.
def _neural(name, **params):
    import torch

    from .. import neural

    base = dict(
        module__hidden_units=(8,),
        module__dtype=torch.float64,
        max_epochs=5,
        batch_size=-1,
        lr=0.05,
        random_state=0,
    )
    base.update(params)
    return getattr(neural, name)(**base)


_SKORCH_INIT = {
    "check_no_attributes_set_in_init": (
        "skorch's NeuralNet.__init__ sets history_, initialized_ and "
        "virtual_params_, and stores prefixed arguments (module__*) as attributes"
    ),
}
for _name in (
    "LDAMClassifier",
    "NeuralGroupDROClassifier",
    "WeightedNeuralNetClassifier",
    "WeightedNeuralNetRegressor",
):
    INIT_PARAMS[_name] = lambda _name=_name: [_neural(_name)]
    EXPECTED_FAILED_CHECKS[_name] = dict(_SKORCH_INIT)
INIT_PARAMS["NeuralIPMBalancing"] = lambda: [
    _neural_treatment_shim()(
        hidden_units=(16,), max_iter=20, critic_steps=2, random_state=0
    )
]
EXPECTED_FAILED_CHECKS["_NeuralShimNeuralIPMBalancing"] = {
    check: (
        "the gradient penalty draws random interpolates between the arms: "
        "weighted and repeated (or permuted) rows give weights that are equal in "
        "distribution, not draw by draw"
    )
    for check in (
        "check_weights_sample_weight_equivalence",
        "check_weights_invariant_to_row_order",
    )
}


def _neural_treatment_shim():
    """NeuralIPMBalancing for the common checks, which call fit(X, y) without
    `treatment`: a deterministic treatment is derived from a hash of each row
    (repeated rows share it); the public class keeps requiring it."""
    import numpy as np

    from ..neural import NeuralIPMBalancing

    def fit(self, X, y=None, *, sample_weight=None, treatment=None, **kw):
        if treatment is None:
            try:
                Xf = np.nan_to_num(np.asarray(X, dtype=float))
            except (TypeError, ValueError):
                Xf = None
            if Xf is not None and Xf.ndim == 2 and Xf.shape[0] == 1:
                raise ValueError(
                    "Found array with 1 sample(s) while a minimum of 2 is "
                    "required: 1 sample cannot hold both arms."
                )
            if Xf is not None and Xf.ndim == 2 and Xf.shape[0] > 1:
                with np.errstate(all="ignore"):
                    h = np.sin(Xf @ (1.0 + np.arange(Xf.shape[1])) * 12.9898)
                h = np.nan_to_num(h) * 43758.5
                treatment = (h % 1.0 > 0.5).astype(float)
                if treatment.min() == treatment.max():
                    treatment = (np.arange(len(treatment)) % 2).astype(float)
        return NeuralIPMBalancing.fit(
            self, X, y, sample_weight=sample_weight, treatment=treatment, **kw
        )

    fit.__doc__ = NeuralIPMBalancing.fit.__doc__
    name = "_NeuralShimNeuralIPMBalancing"
    if name not in globals():
        globals()[name] = type(
            name, (NeuralIPMBalancing,), {"fit": fit, "__module__": __name__}
        )
    return globals()[name]


INIT_PARAMS["NeuralDensityRatio"] = lambda: [
    __import__("skreweight.neural", fromlist=["x"]).NeuralDensityRatio(
        hidden_units=(8,), max_epochs=30, random_state=0
    )
]


def _construct_instances(cls):
    """Yield the instances of ``cls`` the common checks run on."""
    name = cls.__name__
    if name in INIT_PARAMS:
        yield from INIT_PARAMS[name]()
    else:
        yield cls()


def _get_expected_failed_checks(estimator):
    """Map check name to reason for the checks ``estimator`` is known to fail."""
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})
