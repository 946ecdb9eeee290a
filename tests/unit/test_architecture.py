"""The package layers hold: import-linter's contracts (``[tool.importlinter]`` in pyproject.toml),
no import cycle between any two modules, and the structural rules a newcomer relies on."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "prp_tasks"
#: what may stay at the top of the package (everything else lives in a package of its concept)
TOP_LEVEL = {"__init__.py", "__main__.py", "errors.py", "ids.py", "routing.py", "client.py"}


def lint_imports(directory: Path, config: Path) -> subprocess.CompletedProcess[str]:
    script = "import sys; from importlinter.cli import lint_imports_command; lint_imports_command()"
    return subprocess.run(
        [sys.executable, "-c", script, "--config", str(config), "--no-cache"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_import_contracts_are_kept() -> None:
    result = lint_imports(ROOT, ROOT / "pyproject.toml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_cycle_contract_catches_a_cycle(tmp_path: Path) -> None:
    """The contract that guards against cycles is not vacuous: a package with one fails it."""
    package = tmp_path / "cyclic"
    (package / "a").mkdir(parents=True)
    (package / "b").mkdir()
    for path in ("__init__.py", "a/__init__.py", "b/__init__.py"):
        (package / path).write_text("")
    (package / "a" / "x.py").write_text("from cyclic.b import y\n")
    (package / "b" / "y.py").write_text("from cyclic.a import z\n")
    (package / "a" / "z.py").write_text("")
    config = tmp_path / "pyproject.toml"
    config.write_text(
        textwrap.dedent(
            """
            [tool.importlinter]
            root_package = "cyclic"

            [[tool.importlinter.contracts]]
            name = "no cycles"
            type = "acyclic_siblings"
            ancestors = ["cyclic"]
            """
        )
    )
    result = lint_imports(tmp_path, config)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "BROKEN" in result.stdout


def _cycles(graph: grimp.ImportGraph, modules: set[str]) -> list[tuple[str, ...]]:
    """Each import ``a -> b`` with a way back from ``b`` to ``a``, as the cycle ``a, b, ..., a``."""
    found = []
    for module in sorted(modules):
        for imported in sorted(graph.find_modules_directly_imported_by(module) & modules):
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back is not None:
                found.append((module, *back))
    return found


def test_no_module_imports_itself_back_through_others() -> None:
    """Every import counts, deferred ones inside functions too (only type-checking imports do not)."""
    graph = grimp.build_graph("prp_tasks", exclude_type_checking_imports=True)
    modules = {m for m in graph.modules if m.startswith("prp_tasks")}
    assert _cycles(graph, modules) == []


def test_the_cycle_finder_finds_one() -> None:
    graph = grimp.ImportGraph()
    for name in ("p.a", "p.b", "p.c"):
        graph.add_module(name)
    graph.add_import(importer="p.a", imported="p.b")
    graph.add_import(importer="p.b", imported="p.c")
    graph.add_import(importer="p.c", imported="p.a")
    assert _cycles(graph, {"p.a", "p.b", "p.c"})[0] == ("p.a", "p.b", "p.c", "p.a")


def test_only_the_named_modules_stay_at_the_top() -> None:
    modules = {p.name for p in PACKAGE.glob("*.py")}
    assert modules <= TOP_LEVEL, sorted(modules - TOP_LEVEL)


@pytest.mark.parametrize("package", sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py")))
def test_every_package_says_what_it_owns_and_may_import(package: str) -> None:
    doc = ast.get_docstring(ast.parse((PACKAGE / package / "__init__.py").read_text())) or ""
    assert len(doc) > 60, f"prp_tasks/{package}/__init__.py needs a docstring saying what it owns"
    if package not in ("core", "cli"):
        assert "may import" in doc.lower(), f"prp_tasks/{package}: say what it may import"


def test_lua_lives_in_lua_files() -> None:
    """No script is a Python string: every ``redis.call`` is in ``state/lua/*.lua``."""
    offenders = [
        str(path.relative_to(ROOT)) for path in PACKAGE.rglob("*.py") if "redis.call(" in path.read_text()
    ]
    assert offenders == []


#: the longest a function's code may be: its body, docstring left out (a CLI command's signature
#: lists its options, one per line, and is not counted)
MAX_FUNCTION_LINES = 40


def long_functions(source: str, limit: int = MAX_FUNCTION_LINES) -> list[tuple[str, int]]:
    """(name, lines) of every function in ``source`` whose code is longer than ``limit`` lines."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        body = node.body[1:] if ast.get_docstring(node, clean=False) is not None else node.body
        if body:
            lines = body[-1].end_lineno - body[0].lineno + 1  # type: ignore[operator]
            if lines > limit:
                found.append((node.name, lines))
    return found


def test_no_function_is_longer_than_the_limit() -> None:
    files = sorted([*PACKAGE.rglob("*.py"), *(ROOT / "workers").rglob("*.py")])
    offenders = [
        f"{path.relative_to(ROOT)}:{name} ({lines} lines)"
        for path in files
        for name, lines in long_functions(path.read_text())
    ]
    assert offenders == []


def test_the_function_length_rule_counts_code_not_the_docstring() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(41))
    assert long_functions(f'def f():\n    """doc\n\n    more"""\n{body}\n') == [("f", 41)]
    assert long_functions(f'def f():\n    """doc\n\n    more"""\n{body}\n', limit=41) == []
