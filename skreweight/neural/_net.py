"""skorch nets whose loss weights every row, normalised over the whole sample."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import contextlib
import inspect
from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_random_state, validate_data
from skorch import NeuralNetClassifier, NeuralNetRegressor
from skorch.callbacks import Callback
from skorch.dataset import Dataset
from skorch.utils import to_tensor
from torch import nn
from torch.utils.data import DataLoader, Subset

from .._core.docstrings import fill_doc
from ..utils._progress import Progress
from ..utils._sklearn_compat import (
    Interval,
    Options,
    validate_parameter_constraints,
)
from ..utils.validation import check_sample_weight

__all__ = ["WeightedNeuralNetClassifier", "WeightedNeuralNetRegressor"]

# Keys of the dict that carries a batch's rows and their weights. The module
# sees only ``_X``; the loss reads the rest.
_X_KEY = "_X"
_W_KEY = "_sample_weight"
_DTYPES = [np.float64, np.float32]


class MLPModule(nn.Module):
    """A multi-layer perceptron: the default module of the skreweight nets.

    Parameters
    ----------
    n_features : int
        Number of input features (set by the net from ``X``).
    n_outputs : int
        Number of outputs (classes, or regression targets).
    hidden_units : tuple of int, default=(32,)
        Width of each hidden layer; ``()`` gives a linear model.
    dropout : float, default=0.0
        Dropout probability after each hidden layer.
    dtype : torch.dtype, default=None
        Parameter dtype; ``torch.get_default_dtype()`` when None. Use
        ``torch.float64`` for exact comparisons.
    """

    def __init__(
        self, n_features, n_outputs, hidden_units=(32,), dropout=0.0, dtype=None
    ):
        super().__init__()
        layers, width = [], n_features
        for units in hidden_units:
            layers += [nn.Linear(width, units, dtype=dtype), nn.ReLU()]
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = units
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(width, n_outputs, dtype=dtype)

    def forward(self, X):
        return self.head(self.body(X))


def check_device(device):
    """Raise a clear error when ``device`` asks for an accelerator that is absent.

    Parameters
    ----------
    device : str, torch.device or None
        Requested device.

    Returns
    -------
    device : str, torch.device or None
        The device, unchanged.
    """
    if device is None:
        return device
    kind = torch.device(device).type
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available "
            "(torch.cuda.is_available() is False). Install a CUDA build of torch "
            "on a machine with an NVIDIA GPU, or pass device='cpu'."
        )
    if kind == "mps" and not torch.backends.mps.is_available():
        raise ValueError(
            f"device={device!r} was requested but the MPS backend is not "
            "available. Pass device='cpu'."
        )
    return device


@contextlib.contextmanager
def seeded(random_state, device):
    """Seed torch inside the block only, leaving the global generator as it was.

    Parameters
    ----------
    random_state : int, RandomState instance or None
        None leaves torch's global generator alone.
    device : str, torch.device or None
        Device whose generator is forked as well when it is a CUDA device.
    """
    if random_state is None:
        yield
        return
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    devices = []
    if device is not None and torch.device(device).type == "cuda":
        devices = [torch.device(device).index or 0]
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


# Constraints of the parameters shared by the plain-torch estimators.
_TORCH_PARAM_CONSTRAINTS = {
    "random_state": ["random_state"],
    "device": [str, None, torch.device],
    "verbose": ["verbose"],
}


class _SeededMixin:
    """``random_state`` and ``device`` handling of the neural estimators."""

    def _seeded(self):
        return seeded(self.random_state, self.device)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags


class _TensorDataset(torch.utils.data.Dataset):
    """Rows held as tensors (a dict of them for X); batches are slices."""

    def __init__(self, X, y=None, device=None):
        def as_tensor(a):
            if a is None:
                return None
            a = np.asarray(a)
            if not a.flags.writeable:  # e.g. a read-only memmap
                a = a.copy()
            return torch.as_tensor(a, device=device)

        if isinstance(X, Mapping):
            self.X = {k: as_tensor(v) for k, v in X.items()}
            self._n = len(next(iter(self.X.values())))
        else:
            self.X = as_tensor(X)
            self._n = len(self.X)
        self.y = as_tensor(y)

    def __len__(self):
        return self._n

    def take(self, idx):
        if isinstance(self.X, dict):
            Xb = {k: v[idx] for k, v in self.X.items()}
        else:
            Xb = self.X[idx]
        return Xb, (None if self.y is None else self.y[idx])

    def __getitem__(self, i):
        return self.take(i)


class _BatchIterator:
    """Mini-batches of a :class:`_TensorDataset` (or a ``Subset`` of one) by
    slicing, instead of a ``DataLoader`` collating rows one by one."""

    def __init__(self, dataset, batch_size, shuffle=False):
        if isinstance(dataset, Subset):
            self.base = dataset.dataset
            self.rows = torch.as_tensor(np.asarray(dataset.indices))
        else:
            self.base, self.rows = dataset, None
        self.n = len(dataset)
        self.batch_size = max(int(batch_size), 1)
        self.shuffle = shuffle

    def __len__(self):
        return -(-self.n // self.batch_size)

    def __iter__(self):
        order = torch.randperm(self.n) if self.shuffle else torch.arange(self.n)
        if self.rows is not None:
            order = self.rows[order]
        X = self.base.X
        device = next(iter(X.values())).device if isinstance(X, dict) else X.device
        order = order.to(device)
        for start in range(0, self.n, self.batch_size):
            yield self.base.take(order[start : start + self.batch_size])


def _module_dtype(module):
    for param in module.parameters():
        return param.dtype
    return torch.get_default_dtype()


def _batch_field(X, key):
    """``X[key]`` when X is a packed batch dict holding ``key``, else None."""
    if isinstance(X, Mapping) and key in X:
        return X[key]
    return None


class _ProgressLog(Callback):
    """skorch's epoch log through :class:`~skreweight.utils._progress.Progress`.

    Replaces skorch's ``PrintLog`` table, so the nets report the way every
    other long fit of the package does: at ``verbose=1`` about ten epochs
    of ``max_epochs`` (and the last), at 2 and above every epoch.
    """

    def on_train_begin(self, net, **kwargs):
        every = max(1, net.max_epochs // 10)
        self.progress_ = Progress(
            net, net.verbose, total=net.max_epochs, unit="epoch", every=every
        )

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        losses = {k: row[k] for k in ("train_loss", "valid_loss") if k in row}
        self.progress_(row["epoch"], **losses)


class _WeightedNetMixin(_SeededMixin):
    """Weighted, whole-sample normalised loss for skorch nets.

    The per-row losses ``l_i`` of an unreduced criterion are combined as
    ``sum_{i in B} w_i l_i / (|B| * mean(w))``, ``mean(w)`` taken over the whole
    training split. A full batch gives exactly ``sum w l / sum w``; a
    batch-size-weighted average of the batch losses (skorch's epoch loss) gives
    it for any batching; batches are never renormalised one by one.
    """

    _default_criterion = None

    _parameter_constraints = {
        "lr": [Interval(Real, 0, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [
            Interval(Integral, 1, None, closed="left"),
            Options(Integral, {-1}),
        ],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        module=None,
        *,
        criterion=None,
        optimizer=torch.optim.Adam,
        lr=0.01,
        max_epochs=100,
        batch_size=128,
        train_split=None,
        random_state=None,
        device="cpu",
        verbose=0,
        **kwargs,
    ):
        super().__init__(
            module,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            train_split=train_split,
            device=device,
            verbose=verbose,
            **kwargs,
        )
        self.random_state = random_state

    def _check_params(self):
        """Validate the parameters listed in ``_parameter_constraints``."""
        validate_parameter_constraints(
            self._parameter_constraints,
            {k: getattr(self, k) for k in self._parameter_constraints},
            caller_name=type(self).__name__,
        )

    # -- data -----------------------------------------------------------------
    def _validate_X(self, X, reset):
        return validate_data(self, X, reset=reset, dtype=_DTYPES)

    def _validate_Xy(self, X, y, **kwargs):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        return validate_data(self, X, y, dtype=_DTYPES, **kwargs)

    def _as_input(self, X):
        dtype = _module_dtype(self.module_) if self.initialized_ else None
        dtype = torch.get_default_dtype() if dtype is None else dtype
        return np.asarray(X, dtype=torch.empty(0, dtype=dtype).numpy().dtype)

    def _pack(self, X, sample_weight, **extra):
        data = {_X_KEY: X, _W_KEY: sample_weight}
        data.update(extra)
        return data

    def _fit_arrays(self, X, y, sample_weight, cast_y=False, extra=None, **fit_params):
        """Build the module and train on the packed arrays (X, y validated).

        ``extra`` holds row-aligned arrays batched with X (read by the loss);
        ``fit_params`` go to the module's ``forward`` unchanged. Runs seeded
        by ``random_state``.
        """
        with self._seeded():
            check_device(self.device)
            sw = check_sample_weight(sample_weight, X)
            if not (self.warm_start and self.initialized_):
                self.initialize()
            Xa = self._as_input(X)
            if cast_y:
                y = y.astype(Xa.dtype)
            self.weights_ = sw
            packed = self._pack(Xa, sw.astype(Xa.dtype), **(extra or {}))
            super().partial_fit(packed, y, _routing_method="fit", **fit_params)
        return self

    # The loss is normalised by the whole sample's weight, which a stream of
    # partial_fit calls does not know: hide partial_fit (use warm_start).
    @available_if(lambda self: False)
    def partial_fit(self, X, y=None, classes=None, **fit_params):  # noqa: D102
        raise NotImplementedError  # pragma: no cover

    def get_default_callbacks(self):
        """skorch's defaults, with the package's progress log for ``PrintLog``."""
        return [
            ("progress_log", _ProgressLog()) if name == "print_log" else (name, cb)
            for name, cb in super().get_default_callbacks()
        ]

    def _get_param_names(self):
        # skorch lists every attribute without a trailing underscore; keep the
        # private bookkeeping (``_params_to_validate``, ...) out of get_params.
        return [k for k in super()._get_param_names() if not k.startswith("_")]

    def _default_module(self):
        """Hook: the module class built when ``module=None``."""
        return MLPModule

    def initialize_module(self):
        kwargs = self.get_params_for("module")
        module = self.module
        if module is None or module is MLPModule:
            module = self._default_module() if module is None else module
            kwargs.setdefault("n_features", self.n_features_in_)
            kwargs.setdefault("n_outputs", self._n_outputs())
        self.module_ = self.initialized_instance(module, kwargs)
        return self

    def initialize_criterion(self):
        kwargs = self.get_params_for("criterion")
        criterion = self.criterion
        if criterion is None:
            criterion = self._default_criterion
        if isinstance(criterion, type):
            kwargs.setdefault("reduction", "none")
            params = inspect.signature(criterion).parameters
            if "class_counts" in params and hasattr(self, "class_counts_"):
                kwargs.setdefault("class_counts", self.class_counts_)
            self.criterion_ = criterion(**kwargs)
        else:
            self.criterion_ = criterion
        if getattr(self.criterion_, "reduction", "none") != "none":
            raise ValueError(
                f"The criterion {type(self.criterion_).__name__} reduces its loss "
                f"(reduction={self.criterion_.reduction!r}); the weighted nets need "
                "one loss per row. Pass the class (it is built with "
                "reduction='none') or an instance built with reduction='none'."
            )
        return self

    def get_dataset(self, X, y=None):
        if self.dataset is Dataset and not self.get_params_for("dataset"):
            return _TensorDataset(X, y, device=self.device)
        return super().get_dataset(X, y)

    def get_iterator(self, dataset, training=False):
        if training:
            kwargs = self.get_params_for("iterator_train")
            kwargs.setdefault("shuffle", True)
            iterator = self.iterator_train
        else:
            kwargs = self.get_params_for("iterator_valid")
            iterator = self.iterator_valid
        kwargs.setdefault("batch_size", self.batch_size)
        if kwargs["batch_size"] == -1:
            kwargs["batch_size"] = max(len(dataset), 1)
        base = dataset.dataset if isinstance(dataset, Subset) else dataset
        if (
            iterator is DataLoader
            and isinstance(base, _TensorDataset)
            and set(kwargs) <= {"batch_size", "shuffle"}
        ):
            return _BatchIterator(dataset, **kwargs)
        return iterator(dataset, **kwargs)

    def get_split_datasets(self, X, y=None, **fit_params):
        dataset_train, dataset_valid = super().get_split_datasets(X, y, **fit_params)
        w = X[_W_KEY]
        self._weight_mean_ = {
            True: self._subset_mean(w, dataset_train),
            False: self._subset_mean(w, dataset_valid),
        }
        self._on_split(X, y, dataset_train)
        return dataset_train, dataset_valid

    @staticmethod
    def _subset_mean(w, dataset):
        if dataset is None:
            return 1.0
        if isinstance(dataset, Subset):
            return float(np.mean(w[np.asarray(dataset.indices)]))
        return float(np.mean(w))

    def _on_split(self, X, y, dataset_train):
        """Record the training split's size and per-class weight totals."""
        idx = (
            np.asarray(dataset_train.indices)
            if isinstance(dataset_train, Subset)
            else np.arange(len(X[_W_KEY]))
        )
        self._n_train_ = idx.shape[0]
        if hasattr(self, "class_counts_"):
            self._train_class_totals_ = np.bincount(
                np.asarray(y)[idx],
                weights=X[_W_KEY][idx].astype(np.float64),
                minlength=len(self.class_counts_),
            )

    # -- forward and loss -------------------------------------------------------
    def infer(self, x, **fit_params):
        if isinstance(x, Mapping) and _X_KEY in x:
            x = x[_X_KEY]
        return super().infer(x, **fit_params)

    def _row_losses(self, y_pred, y_true, X, training):
        """Per-row losses of the (unreduced) criterion."""
        loss = self.criterion_(y_pred, y_true)
        if loss.ndim > 1:
            loss = loss.reshape(loss.shape[0], -1).mean(dim=1)
        return loss

    def _row_factor(self, y_true, X, training):
        """Hook: per-row multiplier of the weights, and its training-split mean."""
        return None, 1.0

    def get_loss(self, y_pred, y_true, X=None, training=False):
        y_true = to_tensor(y_true, device=self.device)
        losses = self._row_losses(y_pred, y_true, X, training)
        w = _batch_field(X, _W_KEY)
        if w is not None:
            w = to_tensor(w, device=self.device).to(losses.dtype)
        return self._weighted_loss(losses, w, y_true, X, training)

    def _weighted_loss(self, losses, w, y_true, X, training):
        """Sum of ``w * losses`` over the batch size times the sample's mean weight.

        ``w`` is None when the batch carries no weights (e.g. scoring callbacks
        on plain arrays): every row then weighs 1.
        """
        if w is None:
            w = torch.ones_like(losses)
            mean_w = 1.0
        else:
            mean_w = self._weight_mean_[bool(training)]
        factor, factor_mean = self._row_factor(y_true, X, training)
        if factor is not None:
            w = w * factor.to(losses.dtype)
            mean_w = factor_mean
        return (w * losses).sum() / (losses.shape[0] * mean_w)

    # -- prediction -----------------------------------------------------------
    def forward_iter(self, X, training=False, device="cpu"):
        if not isinstance(X, Mapping) and not torch.is_tensor(X):
            self.check_is_fitted()
            X = self._as_input(self._validate_X(X, reset=False))
        return super().forward_iter(X, training=training, device=device)


_SHARED_PARAMS_DOC = """
    module : torch module class or instance, default=None
        The network. ``None`` builds :class:`MLPModule` with ``n_features``
        and ``n_outputs`` read from the data; set its width with
        ``module__hidden_units=(64, 64)`` and its dtype with
        ``module__dtype=torch.float64``. Inputs are cast to the dtype of the
        module's parameters.
    criterion : torch loss class or instance, default=None
        Per-row loss. A class is built with ``reduction="none"``; an instance
        must already have ``reduction="none"``.
    optimizer : torch optimizer class, default=torch.optim.Adam
        Optimizer; extra arguments as ``optimizer__weight_decay=...``.
    lr : float, default=0.01
        Learning rate.
    max_epochs : int, default=100
        Number of passes over the training rows.
    batch_size : int, default=128
        Rows per mini-batch; ``-1`` trains full batch. Training batches are
        shuffled unless ``iterator_train__shuffle=False``.
    train_split : callable or None, default=None
        skorch's internal validation split (e.g. ``skorch.dataset.ValidSplit(5)``);
        None trains on every row. Its loss is normalised over the validation
        rows' weights.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling and dropout; the global torch generator
        is left as it was. None uses the global generator.
    device : str or torch.device, default="cpu"
        Device to train on, e.g. ``"cuda"``. A device that is not available
        raises a ``ValueError`` at fit.
    verbose : int, default=0
        0 prints nothing; 1 reports the loss about every tenth epoch; 2 and
        above every epoch.
    **kwargs : dict
        Any other skorch argument (``callbacks``, ``iterator_train__...``,
        ``module__...``, ``optimizer__...``, ``warm_start``).
"""


_PARAMS_DOC = """\
history_ : skorch.History
    Per-epoch record (``train_loss`` is the weighted mean loss).
weights_ : ndarray of shape (n_samples,)
    The row weights the loss used in the last fit (``sample_weight``,
    ones when None).
n_features_in_ : int
    Number of features seen in ``fit``.
feature_names_in_ : ndarray of shape (n_features_in_,)
    Names of features seen in ``fit``, when X has string column names."""


@fill_doc(net_params=_PARAMS_DOC)
class WeightedNeuralNetClassifier(_WeightedNetMixin, NeuralNetClassifier):
    """skorch classifier whose loss honours ``sample_weight`` exactly.

    The module returns one logit per class; the default criterion is
    :class:`torch.nn.CrossEntropyLoss` without reduction, and
    ``predict_proba`` applies a softmax. The training loss of a mini-batch
    ``B`` is ``sum_{i in B} w_i l_i / (|B| * mean(w))``, with ``mean(w)`` the
    mean weight over the *whole* training sample, never over the batch
    (scikit-learn#11723). A full batch thus minimises ``sum w l / sum w``, and
    an integer weight is equivalent to repeating the row: the loss and its
    gradients agree to rounding, and skorch's epoch loss (the batch-size
    weighted average of the batch losses) equals the weighted mean loss for
    any batching.

    Read more in the :ref:`User Guide <neural>`.

    Parameters
    ----------%(params)s
    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    %(net_params)s

    See Also
    --------
    WeightedNeuralNetRegressor : The regression counterpart.
    skreweight.compose.ReweightedClassifier : Fit it with a weighter's weights.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.neural import WeightedNeuralNetClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(100, 2))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> w = np.where(y == 1, 2.0, 1.0)
    >>> clf = WeightedNeuralNetClassifier(max_epochs=20, random_state=0)
    >>> clf.fit(X, y, sample_weight=w).predict(X[:3]).shape
    (3,)
    """

    _default_criterion = nn.CrossEntropyLoss

    def _n_outputs(self):
        return len(self.classes_)

    def check_data(self, X, y):
        pass

    def _encode_y(self, X, y):
        X, y = self._validate_Xy(X, y)
        check_classification_targets(y)
        if self.classes is None:
            encoder = LabelEncoder().fit(y)
            self.classes_inferred_ = encoder.classes_
            return X, encoder.transform(y).astype(np.int64)
        classes = np.asarray(self.classes)
        lookup = {c: i for i, c in enumerate(classes.tolist())}
        unknown = sorted(set(np.unique(y).tolist()) - set(lookup))
        if unknown:
            raise ValueError(
                f"y has labels {unknown} that are not in classes="
                f"{classes.tolist()}; add them to `classes` or leave it None."
            )
        return X, np.array([lookup[v] for v in y.tolist()], dtype=np.int64)

    def fit(self, X, y, sample_weight=None, **fit_params):
        """Train the network on the weighted rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights; an integer weight is equivalent to repeating the row.
        **fit_params : dict
            Passed to the module's ``forward``.

        Returns
        -------
        self : object
            Fitted classifier.
        """
        return self._train(X, y, sample_weight, fit_params)

    def _train(self, X, y, sample_weight, fit_params, **context):
        """The one training sequence of the weighted classifiers.

        Validate the parameters and the data, let ``_before_training`` read
        the context (it returns the extra per-row fields of the batches),
        count the classes, train, then ``_after_training``.
        """
        self._check_params()
        X, y_enc, sw = self._validate_fit_data(X, y, sample_weight)
        extra = self._before_training(X, y_enc, sw, **context)
        self._set_class_counts(y_enc, sw)
        self._fit_arrays(X, y_enc, sw, extra=extra, **fit_params)
        self._after_training(sw)
        return self

    def _before_training(self, X, y_enc, sw):
        return None

    def _after_training(self, sw):
        pass

    def _validate_fit_data(self, X, y, sample_weight):
        """Validated X, y encoded as class indices, and validated weights."""
        X, y_enc = self._encode_y(X, y)
        return X, y_enc, check_sample_weight(sample_weight, X)

    def _set_class_counts(self, y_enc, sw):
        self.class_counts_ = np.bincount(
            y_enc, weights=sw, minlength=len(self.classes_)
        )

    def _get_predict_nonlinearity(self):
        if self.predict_nonlinearity == "auto":
            return lambda logits: torch.softmax(logits, dim=-1)
        return super()._get_predict_nonlinearity()

    def predict_proba(self, X):
        """Class probabilities (softmax of the logits).

        %(predict_proba_doc)s
        """
        self.check_is_fitted()
        proba = super().predict_proba(X).astype(np.float64)
        if self.predict_nonlinearity == "auto":
            proba /= proba.sum(axis=1, keepdims=True)  # exact in float64
        return proba

    def predict(self, X):
        """Most probable class.

        %(predict_doc)s
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        tags.classifier_tags.poor_score = True
        return tags


@fill_doc(net_params=_PARAMS_DOC)
class WeightedNeuralNetRegressor(_WeightedNetMixin, NeuralNetRegressor):
    """skorch regressor whose loss honours ``sample_weight`` exactly.

    The default criterion is :class:`torch.nn.MSELoss` without reduction
    (averaged over the outputs of a row). The training loss of a mini-batch
    ``B`` is ``sum_{i in B} w_i l_i / (|B| * mean(w))``, ``mean(w)`` taken over
    the whole training sample (scikit-learn#11723), so integer weights are
    equivalent to repeated rows. ``y`` may be 1-D or 2-D; ``predict`` returns
    the same number of dimensions.

    Read more in the :ref:`User Guide <neural>`.

    Parameters
    ----------%(params)s
    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network.
    %(net_params)s

    See Also
    --------
    WeightedNeuralNetClassifier : The classification counterpart.
    skreweight.compose.ReweightedRegressor : Fit it with a weighter's weights.

    Examples
    --------
    >>> import numpy as np
    >>> from skreweight.neural import WeightedNeuralNetRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(100, 2))
    >>> y = X[:, 0] - X[:, 1]
    >>> reg = WeightedNeuralNetRegressor(max_epochs=20, random_state=0)
    >>> reg.fit(X, y).predict(X[:3]).shape
    (3,)
    """

    _default_criterion = nn.MSELoss

    def _n_outputs(self):
        return self.n_outputs_

    def fit(self, X, y, sample_weight=None, **fit_params):
        """Train the network on the weighted rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights; an integer weight is equivalent to repeating the row.
        **fit_params : dict
            Passed to the module's ``forward``.

        Returns
        -------
        self : object
            Fitted regressor.
        """
        self._check_params()
        X, y = self._validate_Xy(X, y, multi_output=True, y_numeric=True)
        self._y_1d_ = y.ndim == 1
        y2 = y.reshape(-1, 1) if self._y_1d_ else y
        self.n_outputs_ = y2.shape[1]
        return self._fit_arrays(X, y2, sample_weight, cast_y=True, **fit_params)

    @available_if(lambda self: False)
    def predict_proba(self, X):  # noqa: D102
        raise NotImplementedError  # pragma: no cover

    def predict(self, X):
        """Predict the targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to predict.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        self.check_is_fitted()
        pred = self.forward(X).detach().cpu().numpy().astype(np.float64)
        return pred.ravel() if self._y_1d_ else pred.reshape(pred.shape[0], -1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.regressor_tags.poor_score = True
        return tags


for _cls in (WeightedNeuralNetClassifier, WeightedNeuralNetRegressor):
    _cls.__doc__ = _cls.__doc__ % {"params": _SHARED_PARAMS_DOC}
del _cls
