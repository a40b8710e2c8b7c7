"""Warn once per estimator, condition and call site, however often a search refits.

Python's default filter shows a warning once per location and message. Two
things defeat it in a search: each fit's message carries its own numbers
(an effective sample size, a share of rows), and scikit-learn's ``Parallel``
runs every fit inside ``warnings.catch_warnings()``, which clears the
registry that remembers what was shown. So 4 candidates x 3 folds print the
same :class:`~skreweight.exceptions.WeightDegeneracyWarning` 13 times.

:func:`warn` keeps Python's rule with a registry of its own: a warning whose
filter action is ``"default"`` (``"module"``, ``"once"``) is shown the first
time its *condition* -- category, message with the numbers blanked (and so
the estimator, whose name leads the message) -- comes from a file of the
caller's code (a script, a notebook cell, a gallery example: the first frame
outside skreweight, scikit-learn and joblib, whose line called ``fit`` or the
search's ``fit``), points at that line, and says that it is shown once. The message
shown keeps that first fit's numbers; the numbers of every fit stay on the
fitted estimator (``diagnostics_``). Any other action (``"always"``,
``"error"``, ``"ignore"``, as ``pytest.warns`` or ``simplefilter`` set) is
applied to every warning as usual.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import contextvars
import re
import sys
import warnings
from contextlib import contextmanager

__all__ = ["condition", "recording", "warn"]

#: Numbers in a message (ESS, shares, counts) differ from fit to fit; the
#: condition is the message with them blanked.
_NUMBER = re.compile(r"[-+]?\d[\d,]*(\.\d+)?(e[-+]?\d+)?%?")

#: Packages a fit's call passes through between the caller's line and the
#: warning.
_LIBRARIES = frozenset({"skreweight", "sklearn", "joblib"})

#: Conditions shown so far: (category, condition text, caller's file).
_SHOWN = set()

_ONCE_NOTE = (
    "[Shown once per estimator and condition in this file; "
    "warnings.simplefilter('always') shows every fit's.]"
)


#: The lists of the fits running in this context (a meta-estimator's and its
#: weighter's), each collecting the warnings :func:`warn` issues.
_RECORDERS = contextvars.ContextVar("skreweight_fit_warnings", default=())


@contextmanager
def recording():
    """Collect the warnings :func:`warn` issues in the block, shown or not.

    Yields
    ------
    records : list of str
        ``"Category: message"`` of each warning, in order (the first fit's
        numbers and every later fit's alike).

    Examples
    --------
    >>> import warnings
    >>> from skreweight.utils._warnings import recording, warn
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     with recording() as records:
    ...         warn("Weighter: ESS 3.1 of 100 rows", UserWarning)
    >>> records
    ['UserWarning: Weighter: ESS 3.1 of 100 rows']
    """
    records = []
    token = _RECORDERS.set((*_RECORDERS.get(), records))
    try:
        yield records
    finally:
        _RECORDERS.reset(token)


def condition(category, message):
    """``(category, message with its numbers blanked)``: what a warning is about.

    Parameters
    ----------
    category : type
        The warning's class.
    message : str or Warning
        Its message.

    Returns
    -------
    key : tuple

    Examples
    --------
    >>> from skreweight.utils._warnings import condition
    >>> condition(UserWarning, "W: ESS 3.1 of 100") == condition(
    ...     UserWarning, "W: ESS 2.7 of 100")
    True
    """
    return category, _NUMBER.sub("#", str(message))


def _call_site(frame):
    """The first frame outside skreweight, scikit-learn and joblib (the
    caller's line), else the outermost one."""
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if name.split(".")[0] not in _LIBRARIES or frame.f_back is None:
            return frame
        frame = frame.f_back
    return None


def _action(text, category, module, lineno):
    """The action Python's filters give this warning (as ``warnings.warn``)."""
    filters = getattr(warnings, "_get_filters", lambda: warnings.filters)()
    for action, msg, cat, mod, ln in filters:
        if (
            (msg is None or msg.match(text))
            and issubclass(category, cat)
            and (mod is None or mod.match(module))
            and ln in (0, lineno)
        ):
            return action
    return warnings.defaultaction


def warn(message, category, stacklevel=1, *, record=True):
    """``warnings.warn``, shown once per condition and call site by default.

    Parameters
    ----------
    message : str
        The message (it may carry the fit's numbers).
    category : type
        A warning class.
    stacklevel : int, default=1
        As for ``warnings.warn`` called where this function is called: the
        frame from which the caller's line is sought (the warning points at
        that line, not at scikit-learn's ``fit`` wrapper).
    record : bool, default=True
        Whether the fits running (:func:`recording`) keep it in their
        ``diagnostics_``; False for a hint about the call, not the result.

    Examples
    --------
    >>> import warnings
    >>> from skreweight.utils._warnings import warn
    >>> with warnings.catch_warnings(record=True) as shown:
    ...     warnings.simplefilter("default")
    ...     for ess in (3.1, 2.7, 4.0):
    ...         warn(f"Weighter: ESS {ess} of 100 rows", UserWarning)
    >>> len(shown)
    1
    >>> print(shown[0].message)  # doctest: +ELLIPSIS
    Weighter: ESS 3.1 of 100 rows [Shown once per estimator and condition in...]
    """
    for records in _RECORDERS.get() if record else ():
        records.append(f"{category.__name__}: {message}")
    try:
        site = _call_site(sys._getframe(stacklevel))
    except ValueError:  # a shorter stack than stacklevel
        site = None
    if site is None:
        warnings.warn(message, category, stacklevel=stacklevel + 1)
        return
    filename, lineno = site.f_code.co_filename, site.f_lineno
    module = site.f_globals.get("__name__", "<string>")
    if _action(str(message), category, module, lineno) in ("default", "module", "once"):
        key = (*condition(category, message), filename)
        if key in _SHOWN:
            return
        _SHOWN.add(key)
        message = f"{message} {_ONCE_NOTE}"
    warnings.warn_explicit(message, category, filename, lineno, module)
