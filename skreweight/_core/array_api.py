"""Array API helpers: one namespace for the kernel weighters' algebra.

With ``sklearn.set_config(array_api_dispatch=True)`` and array-api-compat
installed, a weighter that declares ``array_api_support`` runs its kernel
algebra in the namespace of ``X`` (torch, CuPy, array-api-strict...) and on
its device; without dispatch, or with NumPy input, the namespace is NumPy and
the computation is the NumPy one, bit for bit. The helpers here find that
namespace, refuse mixed inputs and move the small arrays that a host-side
step (a SciPy factorisation, a scalar root finder) needs.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn import get_config

#: Floating dtypes the device path computes in; others are refused (float16)
#: or cast to the namespace's default float (integers, booleans).
_FLOATS = ("float32", "float64")


def _numpy_namespace():
    from sklearn.utils._array_api import array_api_compat

    return array_api_compat.array_namespace(np.zeros(0))


def namespace(*arrays):
    """``(xp, device)`` of ``arrays`` (NumPy and ``"cpu"`` without dispatch).

    NumPy arrays take a fast path (the solvers ask once per iteration).
    """
    for a in arrays:
        if not isinstance(a, np.ndarray):
            break
    else:
        global _NUMPY
        if _NUMPY is None:
            _NUMPY = _numpy_namespace()
        return _NUMPY, "cpu"
    kinds = {type(a) for a in arrays}
    if len(kinds) == 1 and (kind := kinds.pop()) in _SEEN:
        # one array type seen before: its namespace, without scikit-learn's
        # per-call checks (inputs were checked once, in fit)
        from sklearn.utils._array_api import array_api_compat

        return _SEEN[kind], array_api_compat.device(arrays[0])
    from sklearn.utils._array_api import get_namespace_and_device

    xp, _, device = get_namespace_and_device(*arrays)
    if len(arrays) == 1 and not is_numpy(xp):
        _SEEN[type(arrays[0])] = xp
    return xp, device


_NUMPY = None
#: array type -> its Array API namespace (looked up once under dispatch)
_SEEN = {}


def is_numpy(xp):
    """Whether ``xp`` is NumPy (or scikit-learn's wrapper of it)."""
    return xp is np or "numpy" in getattr(xp, "__name__", "")


def to_numpy(a):
    """A NumPy copy (or view) of ``a``, from any namespace and device."""
    if a is None or isinstance(a, np.ndarray) or not _is_array(a):
        return a  # NumPy, or not an array (a list, a DataFrame, a scalar)
    try:
        from sklearn.utils._array_api import move_to
    except ImportError:  # scikit-learn < 1.8
        from sklearn.utils._array_api import _convert_to_numpy

        return _convert_to_numpy(a, namespace(a)[0])
    return move_to(a, xp=np, device="cpu")


def like(a, ref):
    """``a`` (NumPy or a scalar list) in the namespace, device and float dtype of
    ``ref``."""
    if isinstance(ref, np.ndarray):
        return np.asarray(a, dtype=ref.dtype)
    xp, device = namespace(ref)
    return xp.asarray(np.asarray(a), dtype=ref.dtype, device=device)


def _is_array(a):
    from sklearn.utils._array_api import array_api_compat

    return array_api_compat.is_array_api_obj(a)


def _name(a):
    return type(a).__module__.split(".")[0]


def device_inputs(owner, X, X_target=None):
    """The namespace, device and float dtype of the device path, or None.

    None (the NumPy path, unchanged) unless array API dispatch is on and
    ``X`` is not a NumPy array. Raises a ``TypeError`` when ``X_target``
    comes from another namespace than ``X`` or lives on another device, and
    when ``X`` is float16 (too coarse for the kernel exponentials).
    """
    if not get_config().get("array_api_dispatch", False):
        return None
    if isinstance(X, np.ndarray) or not _is_array(X):
        if X_target is not None and _is_array(X_target):
            if not isinstance(X_target, np.ndarray):
                raise TypeError(
                    f"{owner}: X is a NumPy array but X_target is a "
                    f"{_name(X_target)} array. Pass both from the same "
                    "namespace (and device)."
                )
        return None
    xp, device = namespace(X)
    parts = X_target if isinstance(X_target, tuple) else (X_target,)
    for part in parts:
        if part is None:
            continue
        if _name(part) != _name(X) or not _is_array(part):
            raise TypeError(
                f"{owner}: X is a {_name(X)} array but X_target is a "
                f"{_name(part)} {type(part).__name__}. Pass both from the same "
                "namespace, e.g. X_target = xp.asarray(X_target, device=device)."
            )
        other = namespace(part)[1]
        if other != device:
            raise TypeError(
                f"{owner}: X is on device {device!r} but X_target is on "
                f"{other!r}. Move both to the same device."
            )
    name = str(X.dtype).split(".")[-1]
    if name == "float16":
        raise TypeError(
            f"{owner}: float16 input is not supported (the kernel exponentials "
            "underflow); cast X and X_target to float32 or float64."
        )
    dtype = X.dtype if name in _FLOATS else xp.float64
    return xp, device, dtype


def float64_dtype(inputs):
    """float64 in the device's namespace, or its widest float without it."""
    from sklearn.utils._array_api import _max_precision_float_dtype

    xp, device, _ = inputs
    return _max_precision_float_dtype(xp, device)


def to_device(a, inputs, dtype=None):
    """NumPy ``a`` moved to the namespace and device of ``inputs``."""
    if a is None:
        return None
    xp, device, default = inputs
    dtype = default if dtype is None else dtype
    return xp.asarray(a, dtype=dtype, device=device)


def take_rows(X, idx):
    """``X[idx]`` for integer NumPy indices ``idx``, in any namespace."""
    if isinstance(X, np.ndarray):
        return X[idx]
    xp, device = namespace(X)
    return xp.take(X, xp.asarray(idx, device=device), axis=0)


def norm(v):
    """Euclidean norm of a vector, as a float (NumPy's ``linalg.norm`` on
    NumPy arrays, whose sums are the recorded ones)."""
    if isinstance(v, np.ndarray):
        return float(np.linalg.norm(v))
    return float(namespace(v)[0].linalg.vector_norm(v))


def copy(a):
    """A copy of ``a`` in its namespace."""
    if isinstance(a, np.ndarray):
        return a.copy()
    return namespace(a)[0].asarray(a, copy=True)


def clip(x, low=None, high=None):
    """``clip(x, low, high)`` (NumPy's own on NumPy arrays: no wrapper cost)."""
    if isinstance(x, np.ndarray):
        return np.clip(x, low, high)
    return namespace(x)[0].clip(x, low, high)
