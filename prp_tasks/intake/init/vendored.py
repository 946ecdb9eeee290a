"""Code in a checkout that is not the project's own: folders its configuration sets apart both from
the coverage it measures (``[tool.coverage.run] omit``) and from mypy's errors (an override with
``ignore_errors = true``): vendored or generated code, which its own linting leaves out too
(jsonpath-ng's vendored PLY, ``_ply`` and ``_ply_tables``: 4242 flake8 violations, every one of the
lint check's; its pre-commit hook, which its sdist lacks, excludes them)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from prp_tasks.intake.init.sources import nested, read_toml


def not_own_code(repo: Path, tests_dir: str | None = None) -> list[str]:
    """The folders (relative paths) both set apart, never the tests folder, in order."""
    tool = nested(read_toml(repo / "pyproject.toml"), "tool")
    if not isinstance(tool, dict):
        return []
    omitted = {_folder(repo, p, "/") for p in _omitted(tool)}
    ignored = {_folder(repo, m, ".") for m in _mypy_ignored(tool)}
    found = sorted(f for f in omitted & ignored if f and f != tests_dir)
    return [f for f in found if not (tests_dir and f.startswith(f"{tests_dir}/"))]


def _omitted(tool: dict[str, Any]) -> list[str]:
    omit = nested(tool, "coverage", "run", "omit")
    return [str(p) for p in omit] if isinstance(omit, list) else []


def _mypy_ignored(tool: dict[str, Any]) -> list[str]:
    overrides = nested(tool, "mypy", "overrides")
    modules: list[str] = []
    for override in overrides if isinstance(overrides, list) else ():
        if isinstance(override, dict) and override.get("ignore_errors") is True:
            named = override.get("module")
            modules += [named] if isinstance(named, str) else [str(m) for m in named or []]
    return modules


def _folder(repo: Path, pattern: str, separator: str) -> str:
    """The checkout's folder a pattern names whole (``*/pkg/_ply/*``, ``pkg._ply.*``), or ''."""
    stem = re.sub(r"^[*/.]+|[*/.]+$", "", pattern.strip()).replace(separator, "/")
    if not stem or any(c in stem for c in "*?["):
        return ""
    for root in ("", "src/"):
        if (repo / root / stem).is_dir():
            return f"{root}{stem}"
    return ""


def sets_extend_exclude(repo: Path, tool: str) -> bool:
    """Whether the tool's configuration sets ``extend-exclude`` itself (a command line's would
    replace it, bringing back what it leaves out)."""
    table = nested(read_toml(repo / "pyproject.toml"), "tool", tool)
    if isinstance(table, dict) and "extend-exclude" in table:
        return True
    files = ("ruff.toml", ".ruff.toml") if tool == "ruff" else (".flake8", "setup.cfg", "tox.ini")
    texts = [(repo / f).read_text(errors="replace") for f in files if (repo / f).is_file()]
    return any(re.search(r"^\s*extend[-_]exclude\s*=", t, re.M) for t in texts)
