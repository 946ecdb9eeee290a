"""The commands a ``noxfile.py`` runs, read without running it: each ``session.run(...)`` with its
string arguments and the module's path constants resolved (referencing's ``PACKAGE = ROOT /
"referencing"``, ``ROOT = Path(__file__).parent``: ``session.run("mypy", PACKAGE)`` checks
``referencing``). An argument that is anything else is left out."""

from __future__ import annotations

import ast
import re
import shlex


def nox_commands(text: str) -> list[str]:
    """Each ``session.run`` call as a command line, in the order written."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):  # unparsable: its string arguments, as written
        return [
            " ".join(re.findall(r"""["']([^"']+)["']""", m.group(1)))
            for m in re.finditer(r"session\.run\(\s*([^)]*)\)", text)
        ]
    paths = _constants(tree)
    commands = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "run":
            words = [_value(arg, paths) for arg in node.args]
            commands.append(shlex.join(w for w in words if w is not None))
    return [c for c in commands if c]


def _constants(tree: ast.Module) -> dict[str, str]:
    """Module-level names bound to a string or a path below the noxfile's folder ("." for it)."""
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = _value(node.value, found)
            if value is not None:
                found[node.targets[0].id] = value
    return found


def _value(node: ast.expr, names: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        left, right = _value(node.left, names), _value(node.right, names)
        if left is None or right is None:
            return None
        return right if left == "." else f"{left}/{right}"
    if _is_here(node):
        return "."
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str" and node.args:
        return _value(node.args[0], names)
    return None


def _is_here(node: ast.expr) -> bool:
    """``Path(__file__).parent`` (also ``.resolve().parent``, ``.absolute().parent``)."""
    if not (isinstance(node, ast.Attribute) and node.attr == "parent"):
        return False
    inner = node.value
    while isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute):
        inner = inner.func.value  # .resolve(), .absolute()
    return (
        isinstance(inner, ast.Call)
        and isinstance(inner.func, ast.Name | ast.Attribute)
        and any(isinstance(a, ast.Name) and a.id == "__file__" for a in inner.args)
    )
