# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

# Collection rules for the doctests of the package (``--doctest-modules`` on
# ``skreweight/``). This file lives at the repository root, not in the
# package: test configuration does not ship with skreweight.
#
# Without the optional torch/skorch, skip collecting skreweight.neural's modules
# (their doctests) instead of failing on the ImportError; tests/neural skips
# itself with pytest.importorskip.
import importlib.util

collect_ignore_glob = []
if (
    importlib.util.find_spec("torch") is None
    or importlib.util.find_spec("skorch") is None
):
    collect_ignore_glob = ["skreweight/neural/*.py"]
