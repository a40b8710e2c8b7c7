"""Small docstring fixes applied while autodoc reads them.

- A bare name ending in ``_`` inside a shape, as in
  ``ndarray of shape (n_features_in_,)``, is a hyperlink reference in reST
  ("Unknown target name"); it is rendered as a literal instead.
- Methods inherited from scikit-learn (``score``, ``set_fit_request``,
  ``get_metadata_routing``, ...) cite labels and glossary terms of
  scikit-learn's own documentation; without network access (no intersphinx)
  these are rendered as plain emphasised text instead of broken links.
- Members that neural classes inherit from torch (``nn.Module``) or skorch
  are not documented here: their docstrings use torch's and skorch's own
  Sphinx setup, and they are documented upstream.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import re

_TRAILING_UNDERSCORE = re.compile(r"(?<![`\w])([A-Za-z]\w*_)(?=[,)])")
_ROLE = re.compile(r":(?:ref|term|doc):`([^`]*)`")


def _role_text(match):
    text = match.group(1)
    if "<" in text:
        text = text.split("<", 1)[0].strip()
    else:
        text = text.replace("_", " ")
    return f"*{text}*"


def fix_docstring(app, what, name, obj, options, lines):
    module = getattr(obj, "__module__", None) or ""
    from_sklearn = module.startswith("sklearn") or module.startswith("skorch")
    for i, line in enumerate(lines):
        if "shape" in line:
            line = _TRAILING_UNDERSCORE.sub(r"``\1``", line)
        if from_sklearn:
            line = _ROLE.sub(_role_text, line)
        lines[i] = line


def skip_foreign_inherited(app, what, name, obj, skip, options):
    module = getattr(obj, "__module__", None) or ""
    if module.split(".")[0] in ("torch", "skorch"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", skip_foreign_inherited)
    # Run before numpydoc (priority 500) reformats the docstring.
    app.connect("autodoc-process-docstring", fix_docstring, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
