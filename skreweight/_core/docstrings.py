"""Docstring fragments that many estimators share, written once.

A class decorated with :func:`fill_doc` may hold a line ``%(name)s`` in its
docstring or in the docstrings of its methods; the line is replaced by the
fragment ``name``, indented as the marker. Only whole marker lines are
replaced (no ``%`` formatting), so a docstring may contain any other ``%`` or
braces.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

FRAGMENTS = {
    # the diagnostics every weighter sets in fit (WeighterMixin)
    "weighter_diagnostics": """\
effective_sample_size_ : float
    Kish effective sample size of the weights.
ess_ratio_ : float
    ``effective_sample_size_`` over the number of rows passed to ``fit``.
max_weight_share_ : float
    Largest share of the total weight held by one row.
diagnostics_ : :class:`~skreweight.base.WeightDiagnostics`
    Those numbers and the warnings the fit raised about its weights.
n_features_in_ : int
    Number of features seen in ``fit``.
feature_names_in_ : ndarray of shape (n_features_in_,)
    Names of features seen in ``fit``, when X has string column names.""",
}


def _method_doc(x_description, returns):
    return (
        "Parameters\n----------\nX : array-like of shape (n_samples, n_features)\n"
        f"    {x_description}\n\nReturns\n-------\n{returns}"
    )


# the Parameters and Returns sections of the prediction methods
FRAGMENTS.update(
    predict_doc=_method_doc(
        "Rows to predict.", "y_pred : ndarray of shape (n_samples,)"
    ),
    predict_proba_doc=_method_doc(
        "Rows to predict.", "proba : ndarray of shape (n_samples, n_classes)"
    ),
    predict_log_proba_doc=_method_doc(
        "Rows to predict.", "log_proba : ndarray of shape (n_samples, n_classes)"
    ),
    decision_function_doc=_method_doc(
        "Rows to score.",
        "scores : ndarray of shape (n_samples,) or (n_samples, n_classes)",
    ),
)


def _fill(doc, fragments):
    lines = []
    for line in doc.splitlines():
        key = line.strip()
        if key.startswith("%(") and key.endswith(")s") and key[2:-2] in fragments:
            indent = line[: len(line) - len(line.lstrip())]
            fragment = fragments[key[2:-2]].splitlines()
            lines.extend(indent + part if part else "" for part in fragment)
        else:
            lines.append(line)
    return "\n".join(lines)


def fill_doc(obj=None, /, **fragments):
    """Replace the marker lines ``%(name)s`` of ``obj``'s docstrings by fragments.

    On a class, the docstrings of its own methods are filled too (also those
    behind ``available_if``). ``fill_doc(name=text, ...)`` returns a decorator
    that also knows the module's own fragments.
    """
    if obj is None:
        return lambda target: fill_doc(target, **fragments)
    known = {**FRAGMENTS, **fragments}
    if obj.__doc__:
        obj.__doc__ = _fill(obj.__doc__, known)
    for attr in vars(obj).values() if isinstance(obj, type) else ():
        fn = getattr(attr, "fn", attr)  # available_if keeps the method in .fn
        if callable(fn) and "%(" in (getattr(fn, "__doc__", None) or ""):
            fn.__doc__ = _fill(fn.__doc__, known)
            if fn is not attr:
                attr.__doc__ = fn.__doc__
    return obj
