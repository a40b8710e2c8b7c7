import os

# SciPy reads SCIPY_ARRAY_API when it is first imported: set it before
# anything imports scipy, so that scikit-learn's Array API checks run
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

# Keep BLAS single-threaded: CI shares 2 cores.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


@pytest.fixture
def rng():
    return np.random.RandomState(0)


@pytest.fixture(params=[False, True], ids=["routing_off", "routing_on"])
def routing(request):
    """Run a test with metadata routing off and on."""
    import sklearn

    with sklearn.config_context(enable_metadata_routing=request.param):
        yield request.param


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        return
    plt.close("all")
