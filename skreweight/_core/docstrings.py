"""Docstring fragments that many estimators share, written once.

A class decorated with :func:`fill_doc` may hold a line ``%(name)s`` in its
docstring; the line is replaced by the fragment ``name``, indented as the
marker. Only whole marker lines are replaced (no ``%`` formatting), so a
docstring may contain any other ``%`` or braces.
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
n_features_in_ : int
    Number of features seen in ``fit``.
feature_names_in_ : ndarray of shape (n_features_in_,)
    Names of features seen in ``fit``, when X has string column names.""",
}


def fill_doc(obj):
    """Replace the marker lines ``%(name)s`` of ``obj.__doc__`` by fragments."""
    lines = []
    for line in obj.__doc__.splitlines():
        key = line.strip()
        if key.startswith("%(") and key.endswith(")s") and key[2:-2] in FRAGMENTS:
            indent = line[: len(line) - len(line.lstrip())]
            lines.extend(indent + part for part in FRAGMENTS[key[2:-2]].splitlines())
        else:
            lines.append(line)
    obj.__doc__ = "\n".join(lines)
    return obj
