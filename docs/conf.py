"""Sphinx configuration of the skreweight documentation.

Build (from the repository root)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The API reference (``api.rst``) is generated from the package registry by
``sphinxext/api_gen.py``; the gallery runs every ``examples/**/plot_*.py``.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import os
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "sphinxext"))
sys.path.insert(0, str(HERE.parent))  # document this checkout's skreweight

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import skreweight  # noqa: E402

project = "skreweight"
author = "The skreweight developers"
copyright = "The skreweight developers"
release = skreweight.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "api_gen",
    "docstring_fixes",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "sg_execution_times.rst"]
default_role = "literal"
root_doc = "index"

# -- autodoc / autosummary / numpydoc -----------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- HTML ---------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skreweight {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path = []

# -- sphinx-gallery -----------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": ["../examples"],
    "gallery_dirs": ["auto_examples"],
    # Execute every plot_*.py; other .py files under examples/ (e.g. the
    # quickstart demo script) are not part of the gallery.
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"^(?!plot_).*\.py$",
    # Foundations first, then the family folders alphabetically; new folders
    # need no change here (see sphinxext/gallery_order.py).
    "subsection_order": "gallery_order.subsection_key",
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("skreweight",),
    # Record examples under the public path (skreweight.weighting.X), which is
    # where the API pages' minigalleries look for them.
    "prefer_full_module": {r"^skreweight\."},
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"skreweight": None},
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "show_memory": False,
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
}


def _gallery_formatwarning(message, category, filename, lineno, line=None):
    """A warning in an output cell: its class and message, no build-machine path."""
    return f"{category.__name__}: {message}\n"


# sphinx-gallery writes the examples' warnings into their output cells through
# warnings.formatwarning: show them as a reader would want to read them.
warnings.formatwarning = _gallery_formatwarning

# Examples run scikit-learn in ways that may emit deprecation noise from third
# parties; keep skreweight's own warnings visible.
warnings.filterwarnings(
    "ignore", category=UserWarning, message="Matplotlib is currently using agg"
)
