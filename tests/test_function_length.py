"""No function of the package has more than 60 body lines (docstring excluded)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "skreweight"
MAX_BODY_LINES = 60
EXEMPT = set()  # the test-only instances live in tests/_test_common.py


def _body_lines(node):
    body = node.body
    first = body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        body = body[1:]
    return body[-1].end_lineno - body[0].lineno + 1 if body else 0


def test_no_function_is_longer_than_60_lines():
    long = []
    for path in sorted(ROOT.rglob("*.py")):
        if path.relative_to(ROOT).as_posix() in EXEMPT:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = _body_lines(node)
                if n > MAX_BODY_LINES:
                    long.append(
                        f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({n})"
                    )
    assert not long, "split these functions:\n" + "\n".join(long)
