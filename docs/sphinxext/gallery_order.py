"""Order of the example-gallery sections: foundations first, then A to Z.

Folders named in ``FIRST`` come first, in that order; any other folder (a
family adding its examples) follows alphabetically, so new folders need no
configuration change.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from pathlib import Path

FIRST = ("weighting", "covariate_shift_basics")


def subsection_key(path):
    """Sort key of an example subsection folder (a path string)."""
    name = Path(path).name
    return (0, FIRST.index(name), "") if name in FIRST else (1, 0, name)
