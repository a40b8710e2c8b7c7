# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

# Without the optional torch/skorch, skip collecting this subpackage's modules
# (their doctests), instead of failing on the ImportError.
import importlib.util

collect_ignore_glob = []
if (
    importlib.util.find_spec("torch") is None
    or importlib.util.find_spec("skorch") is None
):
    collect_ignore_glob = ["*.py"]
