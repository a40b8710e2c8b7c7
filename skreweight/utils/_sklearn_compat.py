"""The only module that imports private scikit-learn names.

scikit-learn's parameter-validation helpers are private; every skreweight
module imports them from here, so a scikit-learn release that moves them needs
one fix in one place.
"""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

from sklearn.base import _fit_context  # noqa: F401
from sklearn.utils import _safe_indexing  # noqa: F401
from sklearn.utils._param_validation import (  # noqa: F401
    HasMethods,
    Interval,
    Options,
    StrOptions,
    validate_parameter_constraints,
    validate_params,
)
from sklearn.utils.metaestimators import _BaseComposition  # noqa: F401
from sklearn.utils.validation import _num_features, _num_samples  # noqa: F401
