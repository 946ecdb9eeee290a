"""The commands a ``noxfile.py`` runs, read without running it: each ``session.run(...)`` with its
string arguments and the module's path constants resolved (referencing's ``PACKAGE = ROOT /
"referencing"``, ``ROOT = Path(__file__).parent``: ``session.run("mypy", PACKAGE)`` checks
``referencing``). An argument that is anything else is left out. The variables a test run sets
(``env={...}``, ``env=dict(os.environ, NAME="1")``, directly or through a name bound in the same
function) are read too."""

from __future__ import annotations

import ast
import functools
import re
import shlex
from typing import TypeGuard


def nox_commands(text: str) -> list[str]:
    """Each ``session.run`` call as a command line, in the order written."""
    tree = _parsed(text)
    if tree is None:  # unparsable: its string arguments, as written
        return [
            " ".join(re.findall(r"""["']([^"']+)["']""", m.group(1)))
            for m in re.finditer(r"session\.run\(\s*([^)]*)\)", text)
        ]
    paths = _constants(tree)
    defaults = {id(n): _posargs_defaults(f) for f in _functions(tree) for n in ast.walk(f)}
    elsewhere = {id(n) for f in _other_projects(tree) for n in ast.walk(f)}
    commands = []
    for node in ast.walk(tree):
        if _is_run(node) and id(node) not in elsewhere:
            words = _words(node.args, paths, defaults.get(id(node), {}))
            commands.append(shlex.join(w for w in words if w is not None))
    return [c for c in commands if c]


def _functions(tree: ast.Module) -> list[ast.FunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]


def _other_projects(tree: ast.Module) -> list[ast.FunctionDef]:
    """The sessions that clone another repository and change into it: what they run is that
    project's (charset-normalizer's ``downstream_niquests`` runs niquests' tests with
    ``NIQUESTS_STRICT_OCSP=1``); a clone the session stays beside (its ``coverage`` session's
    dataset) is not."""
    functions = _functions(tree)
    cloning = {f.name for f in functions if any(_clones(n) for n in ast.walk(f))}
    return [
        f
        for f in functions
        if any(_calls(n, "chdir") for n in ast.walk(f))
        and any(_clones(n) or (isinstance(n, ast.Call) and _name(n.func) in cloning) for n in ast.walk(f))
    ]


def _clones(node: ast.AST) -> bool:
    """A ``session.run("git", "clone", …)``."""
    return _is_run(node) and [_value(a, {}) for a in node.args[:2]] == ["git", "clone"]


def _calls(node: ast.AST, method: str) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == method


def _name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else ""


def _words(args: list[ast.expr], paths: dict[str, str], defaults: dict[str, list[str]]) -> list[str | None]:
    """A call's arguments as words; ``*posargs`` as the default the session gives it."""
    words: list[str | None] = []
    for arg in args:
        if isinstance(arg, ast.Starred) and isinstance(arg.value, ast.Name):
            words += defaults.get(arg.value.id, [])
        else:
            words.append(_value(arg, paths))
    return words


def _posargs_defaults(function: ast.FunctionDef) -> dict[str, list[str]]:
    """Names a session binds to its arguments or a default list of strings, the default taken
    (deepdiff: ``posargs = session.posargs if session.posargs else ["deepdiff"]``, then
    ``session.run("python", "-m", "flake8", *posargs)`` lints ``deepdiff``; also ``session.posargs
    or [...]``)."""
    found: dict[str, list[str]] = {}
    for node in ast.walk(function):
        target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None
        if not isinstance(node, ast.Assign) or not isinstance(target, ast.Name):
            continue
        value = node.value
        fallback = value.orelse if isinstance(value, ast.IfExp) else None
        if isinstance(value, ast.BoolOp) and isinstance(value.op, ast.Or) and len(value.values) == 2:
            fallback = value.values[1]
        if isinstance(fallback, ast.List | ast.Tuple) and "posargs" in ast.unparse(value):
            words = [_value(e, {}) for e in fallback.elts]
            if all(w is not None for w in words):
                found[target.id] = [w for w in words if w is not None]
    return found


#: a ``session.install`` of the project with extras: ``.[cli,dev,test]``, ``-e.[test]``
_OWN_EXTRAS = re.compile(r"(?:-e\s*)?\.\[([^\]]+)\]")


def nox_test_extras(text: str) -> list[str]:
    """The extras of the project a test session installs (deepdiff's pytest session:
    ``session.install(".[cli,dev,static,test]")``; its tests import click, pytz, numpy from them)."""
    tree = _parsed(text)
    if tree is None:
        return []
    extras: list[str] = []
    for function in _functions(tree):
        calls = [n for n in ast.walk(function) if isinstance(n, ast.Call)]
        if not any(_is_run(n) and _runs_tests(n) for n in calls):
            continue
        for call in (n for n in calls if _is_install(n)):
            for word in (_value(a, {}) for a in call.args):
                match = _OWN_EXTRAS.fullmatch(word or "")
                extras += [e.strip() for e in match[1].split(",") if e.strip()] if match else []
    return list(dict.fromkeys(extras))


def _runs_tests(call: ast.Call) -> bool:
    return any(_value(a, {}) in _TEST_PROGRAMS for a in call.args[:3])


def nox_installs(text: str) -> list[str]:
    """The requirements the ``session.install`` calls name (webcolors' lint session:
    ``session.install("flake8", "flake8-bugbear", "flake8-pytest-style")``), not options or paths."""
    tree = _parsed(text)
    if tree is None:
        return []
    words = [_value(arg, {}) for node in ast.walk(tree) if _is_install(node) for arg in node.args]
    return [w for w in words if w and re.match(r"[A-Za-z0-9]", w) and "/" not in w]


#: the programs whose ``session.run`` variables are the tests' (tox's ``setenv`` of their env)
_TEST_PROGRAMS = ("pytest", "py.test", "coverage", "unittest")


def nox_test_variables(text: str) -> dict[str, str]:
    """The variables the noxfile's test runs set (jsonschema-specifications:
    ``env = dict(os.environ, PYTHONWARNDEFAULTENCODING="1")``, then ``session.run("pytest", …, env=env)``)."""
    tree = _parsed(text)
    if tree is None:
        return {}
    found: dict[str, str] = {}
    elsewhere = _other_projects(tree)
    for function in (f for f in _functions(tree) if f not in elsewhere):
        local = {t.id: n.value for n in ast.walk(function) if isinstance(n, ast.Assign) for t in n.targets
                 if isinstance(t, ast.Name)}  # fmt: skip
        for node in ast.walk(function):
            if _is_run(node) and _runs_tests(node):
                env = next((k.value for k in node.keywords if k.arg == "env"), None)
                env = local.get(env.id, env) if isinstance(env, ast.Name) else env
                found.update(_variables(env))
    return found


@functools.lru_cache(maxsize=4)
def _parsed(text: str) -> ast.Module | None:
    """The noxfile's syntax tree (read once for its commands, installs, extras and variables);
    None when it does not parse. Never changed by its readers."""
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError):
        return None


def _is_run(node: ast.AST) -> TypeGuard[ast.Call]:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "run"


def _is_install(node: ast.AST) -> TypeGuard[ast.Call]:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "install"


def _variables(node: ast.expr | None) -> dict[str, str]:
    """String variables of ``{"K": "v"}`` or ``dict(…, K="v")``."""
    pairs: list[tuple[str | None, str | None]] = []
    if isinstance(node, ast.Dict):
        pairs = [
            (_value(k, {}) if k else None, _value(v, {})) for k, v in zip(node.keys, node.values, strict=True)
        ]
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
        pairs = [(k.arg, _value(k.value, {})) for k in node.keywords]
    return {k: v for k, v in pairs if k and v is not None}


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
    if isinstance(node, ast.JoinedStr):
        return _formatted(node, names)
    return None


#: the session's attributes an f-string may name: its Python version (none: ``python3.12`` is
#: ``python``) and its environment's scripts folder
_SESSION = {"python": "", "bin": "bin"}


def _formatted(node: ast.JoinedStr, names: dict[str, str]) -> str | None:
    """An f-string of known parts (webcolors' ``f"python{session.python}"``, the session's
    ``python``, and ``f"{session.bin}/python{session.python}"``)."""
    parts = []
    for part in node.values:
        inner = part.value if isinstance(part, ast.FormattedValue) else part
        if isinstance(inner, ast.Attribute) and inner.attr in _SESSION:
            parts.append(_SESSION[inner.attr])
            continue
        value = _value(inner, names)
        if value is None:
            return None
        parts.append(value)
    return "".join(parts)


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
