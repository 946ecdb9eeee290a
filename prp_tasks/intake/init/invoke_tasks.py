"""The commands an invoke ``tasks.py`` runs, read without running it: each ``@task`` function's
``run("…")`` / ``c.run("…")`` calls whose text folds from string literals, f-strings, the
module's string constants, the task's parameter defaults and its own earlier assignments
(pydash's ``test`` task: ``run(f"pytest {args} {ignored_dirs}")`` with ``args`` defaulting to
``f"{TEST_TARGETS} --cov={PACKAGE_NAME}"`` and ``ignored_dirs`` the ``--ignore`` its default
``with_mypy_tests=False`` chooses). Assignments inside an ``if`` or a loop are what a run in
another setting does (tox's site-packages) and are not followed; a command with any part that
does not fold is left out."""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Iterator
from typing import Any

#: files holding invoke's tasks, at the repository's top
TASK_FILES = ("tasks.py", "tasks/__init__.py")

#: a value that does not fold
_UNKNOWN = object()

_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}


def task_commands(text: str) -> list[tuple[str, str]]:
    """(task name, command line) of every ``run`` call of every task, in the order written."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return []
    if not _imports_invoke(tree):  # a tasks.py of Celery's (``@app.task``) is no invoke file
        return []
    constants: dict[str, Any] = {}
    out: list[tuple[str, str]] = []
    for node in tree.body:
        if isinstance(node, ast.Assign):
            _assign(node, constants)
        elif isinstance(node, ast.FunctionDef) and _is_task(node):
            out += [(node.name, command) for command in _runs(node, constants)]
    return out


def _imports_invoke(tree: ast.Module) -> bool:
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "invoke":
            return True
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "invoke" for a in node.names):
            return True
    return False


def _is_task(function: ast.FunctionDef) -> bool:
    """Decorated with invoke's ``@task`` (or ``@task(...)``, ``@invoke.task``)."""
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name == "task":
            return True
    return False


def _runs(function: ast.FunctionDef, constants: dict[str, Any]) -> Iterator[str]:
    """The folded text of the task's ``run`` calls; its own top-level assignments followed."""
    scope = {**constants, **_defaults(function.args, constants)}
    for statement in function.body:
        if isinstance(statement, ast.Assign):
            _assign(statement, scope)
        for node in ast.walk(statement):
            if isinstance(node, ast.Call) and _is_run(node.func) and node.args:
                command = _fold(node.args[0], scope)
                if isinstance(command, str) and command.strip():
                    yield " ".join(command.split())


def _is_run(func: ast.expr) -> bool:
    """``run(…)``, ``c.run(…)``, ``ctx.run(…)`` (not ``subprocess.run``, whose argument is a list)."""
    if isinstance(func, ast.Name):
        return func.id == "run"
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "run"
        and getattr(func.value, "id", "") != "subprocess"
    )


def _defaults(args: ast.arguments, scope: dict[str, Any]) -> dict[str, Any]:
    """The parameters' defaults that fold (positional and keyword-only)."""
    positional = [*args.posonlyargs, *args.args]
    pairs = list(zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True))
    pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None]
    return {arg.arg: _fold(default, scope) for arg, default in pairs}


def _assign(node: ast.Assign, scope: dict[str, Any]) -> None:
    for target in node.targets:
        if isinstance(target, ast.Name):
            scope[target.id] = _fold(node.value, scope)


def _fold(node: ast.expr, scope: dict[str, Any]) -> Any:
    """The value of a constant expression: literals, names in ``scope``, f-strings, ``+`` of
    strings, a conditional on a comparison or a name; :data:`_UNKNOWN` for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str | bool | int | float | type(None)):
        return node.value
    if isinstance(node, ast.Name):
        return scope.get(node.id, _UNKNOWN)
    if isinstance(node, ast.JoinedStr):
        return _joined(node, scope)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _fold(node.left, scope), _fold(node.right, scope)
        return left + right if isinstance(left, str) and isinstance(right, str) else _UNKNOWN
    if isinstance(node, ast.IfExp):
        test = _truth(node.test, scope)
        return _UNKNOWN if test is None else _fold(node.body if test else node.orelse, scope)
    return _UNKNOWN


def _joined(node: ast.JoinedStr, scope: dict[str, Any]) -> Any:
    parts = []
    for value in node.values:
        if isinstance(value, ast.FormattedValue):
            if value.format_spec is not None or value.conversion != -1:
                return _UNKNOWN
            value = value.value
        folded = _fold(value, scope)
        if folded is _UNKNOWN or isinstance(folded, bool) or folded is None:
            return _UNKNOWN
        parts.append(str(folded))
    return "".join(parts)


def _truth(node: ast.expr, scope: dict[str, Any]) -> bool | None:
    """Whether a condition holds with the folded values (None: it does not fold)."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _truth(node.operand, scope)
        return None if inner is None else not inner
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
        left, right = _fold(node.left, scope), _fold(node.comparators[0], scope)
        if _UNKNOWN in (left, right):
            return None
        return _COMPARE[type(node.ops[0])](left, right)
    value = _fold(node, scope)
    return None if value is _UNKNOWN else bool(value)
