import pytest

pytest.importorskip("torch")

import subprocess  # noqa: E402
import sys  # noqa: E402

_BLOCK_TORCH = """
import importlib.abc, sys
class _Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "skorch"):
            raise ImportError(f"No module named {name!r} (blocked)")
sys.meta_path.insert(0, _Block())
"""


def _run(code):
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )


def test_import_skreweight_does_not_import_torch():
    res = _run(
        "import sys, skreweight, skreweight.weighting, skreweight.compose\n"
        "assert 'torch' not in sys.modules and 'skorch' not in sys.modules"
    )
    assert res.returncode == 0, res.stderr


def test_missing_torch_gives_install_hint():
    res = _run(_BLOCK_TORCH + "import skreweight.neural")
    assert res.returncode != 0
    assert "pip install skreweight[neural]" in res.stderr


def test_registry_skips_neural_without_torch():
    res = _run(
        _BLOCK_TORCH + "import importlib.util\n"
        "importlib.util.find_spec = (lambda f: lambda n, *a: None if n in "
        "('torch', 'skorch') else f(n, *a))(importlib.util.find_spec)\n"
        "from skreweight.utils.discovery import all_estimators\n"
        "names = [n for n, _ in all_estimators()]\n"
        "assert 'ClassBalance' in names and 'LDAMClassifier' not in names, names"
    )
    assert res.returncode == 0, res.stderr
