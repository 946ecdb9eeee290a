"""The core stays pure: standard library and pydantic only (no Celery, Redis or adapters)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "prp_tasks" / "core"
ALLOWED_THIRD_PARTY = {"pydantic", "pydantic_core", "typing_extensions"}
ALLOWED_PROJECT = ("prp_tasks.core", "prp_tasks.errors")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def offending(module: str) -> bool:
    if module.startswith("prp_tasks"):
        return not module.startswith(ALLOWED_PROJECT)
    top = module.split(".")[0]
    return top not in sys.stdlib_module_names and top not in ALLOWED_THIRD_PARTY


def test_core_modules_import_only_stdlib_pydantic_and_core() -> None:
    problems = {
        str(path.relative_to(CORE)): sorted(m for m in imported_modules(path) if offending(m))
        for path in sorted(CORE.rglob("*.py"))
    }
    assert {k: v for k, v in problems.items() if v} == {}


def test_the_purity_check_catches_an_adapter_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import celery\nfrom prp_tasks.state.runs import RunStore\nimport redis.client\n")
    assert sorted(m for m in imported_modules(bad) if offending(m)) == [
        "celery",
        "prp_tasks.state.runs",
        "redis.client",
    ]
