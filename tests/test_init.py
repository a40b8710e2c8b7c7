import subprocess
import sys


def _run(code):
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_import_loads_no_torch_and_no_estimators():
    out = _run(
        "import sys, skreweight; "
        "print('torch' in sys.modules, 'skorch' in sys.modules, "
        "'skreweight.weighting' in sys.modules)"
    )
    assert out == "False False False"


def test_import_never_touches_sklearn_config():
    out = _run(
        "import sklearn, skreweight, skreweight.weighting, skreweight.compose; "
        "import skreweight.model_selection, skreweight.metrics; "
        "print(sklearn.get_config()['enable_metadata_routing'])"
    )
    assert out == "False"


def test_lazy_submodules():
    import skreweight

    assert skreweight.weighting.ClassBalance.__name__ == "ClassBalance"
    assert "weighting" in dir(skreweight)
