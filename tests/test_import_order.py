"""The import order of the package: utils -> _core -> base -> weighting ->
families -> model_selection, and no private import across subpackages.

Imports are read with ``ast`` (nothing is imported). A module may import a
module of its own layer or of a lower one, at module level; a function-level
(lazy) import may reach upward only from ``utils.discovery`` and the
package ``__init__`` (which find the estimators). Private modules of another
subpackage are off limits, except those of ``_core`` and ``utils``, which
exist to be shared.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "skreweight"

# lower number = lower layer; a module imports only from its layer or below
LAYERS = {
    "exceptions": 0,
    "utils": 0,
    "_core": 1,
    "base": 2,
    "weighting": 3,
    "datasets": 3,
    "metrics": 3,
    "compose": 4,
    "covariate_shift": 4,
    "causal": 4,
    "robust": 4,
    "imbalance": 4,
    "neural": 4,
    "policy": 4,
    "noisy": 4,
    "ensemble": 4,
    "conformal": 4,
    "sensitivity": 4,
    "model_selection": 5,
}
FAMILIES = {name for name, layer in LAYERS.items() if layer == 4}
SHARED = {"_core", "utils"}

EXEMPT = set()  # the test-only instances live in tests/_test_common.py
# discover the estimators lazily, on demand
LAZY_UPWARD = {"utils/discovery.py", "__init__.py", "utils/estimator_checks.py"}


def _modules(root):
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel not in EXEMPT:
            yield rel, path


def _subpackage(parts):
    return parts[0].removesuffix(".py") if parts else ""


def _imports(rel, path):
    """Yield ``(target parts below skreweight, lineno, at_module_level)``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = rel.removesuffix(".py").split("/")
    package = here[:-1] if here[-1] != "__init__" else here[:-1]
    top_level = {id(node) for node in tree.body}
    for stmt in tree.body:  # module-level statements inside if/try count too
        if isinstance(stmt, (ast.If, ast.Try)):
            top_level |= {id(n) for n in ast.walk(stmt)}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = base + (node.module.split(".") if node.module else [])
                targets = [mod] if node.module else [mod + [a.name] for a in node.names]
            elif (node.module or "").split(".")[0] == "skreweight":
                targets = [node.module.split(".")[1:]]
            else:
                continue
        elif isinstance(node, ast.Import):
            targets = [
                a.name.split(".")[1:]
                for a in node.names
                if a.name.split(".")[0] == "skreweight"
            ]
        else:
            continue
        for target in targets:
            yield target, node.lineno, id(node) in top_level


def _violations(root=ROOT):
    out = []
    for rel, path in _modules(root):
        src = _subpackage(rel.split("/"))
        src_layer = LAYERS.get(src)
        for target, line, top in _imports(rel, path):
            tgt = _subpackage(target)
            where = f"{rel}:{line} imports skreweight.{'.'.join(target)}"
            if tgt != src and tgt not in SHARED:
                if any(p.startswith("_") for p in target[1:]):
                    out.append(f"{where}: a private module of another subpackage")
            if src == "utils" and tgt in FAMILIES:
                out.append(f"{where}: utils imports a family")
            tgt_layer = LAYERS.get(tgt)
            if src_layer is None or tgt_layer is None or tgt == src:
                continue
            if tgt_layer > src_layer and (top or rel not in LAZY_UPWARD):
                if not (src in FAMILIES and tgt in FAMILIES and tgt_layer == src_layer):
                    out.append(f"{where}: imports upward ({src} -> {tgt})")
            elif tgt_layer == src_layer == 4 and tgt != src and top:
                out.append(f"{where}: one family imports another at module level")
    return out


def test_every_subpackage_has_a_layer():
    names = {p.name.removesuffix(".py") for p in ROOT.iterdir()}
    names = {n for n in names if not n.startswith(("__", ".")) and n != "py.typed"}
    missing = names - set(LAYERS)
    assert not missing, f"give these a layer in LAYERS: {sorted(missing)}"


def test_import_order():
    violations = _violations()
    assert not violations, "\n".join(violations)


@pytest.mark.parametrize(
    "module, source, problem",
    [
        ("utils/_x.py", "from ..weighting import KMM\n", "upward"),
        ("utils/_x.py", "def f():\n    from ..causal import RLearner\n", "family"),
        ("robust/_x.py", "from ..weighting._kmm import KMM\n", "private"),
        ("weighting/_x.py", "from ..robust import JTT\n", "upward"),
        ("causal/_x.py", "from ..model_selection import r_loss\n", "upward"),
    ],
)
def test_the_checker_reports_a_violation(tmp_path, module, source, problem):
    (tmp_path / module).parent.mkdir(parents=True)
    (tmp_path / module).write_text(source)
    found = _violations(tmp_path)
    assert any(module in v and problem in v for v in found), found


def test_the_checker_allows_the_shared_layers(tmp_path):
    (tmp_path / "robust").mkdir()
    (tmp_path / "robust" / "_x.py").write_text(
        "from .._core.optim import power_iteration\n"
        "from ..utils._sklearn_compat import Interval\n"
        "from ..base import WeighterMixin\n"
        "from ._y import z\n"
    )
    assert _violations(tmp_path) == []
