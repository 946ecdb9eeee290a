"""What a repository declares: the tools named among its requirements, their pinned versions
(exact pins, lock files, else bounds), and its requirement files."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from prp_tasks.intake.init.facts import Facts
from prp_tasks.intake.init.sources import (
    applies,
    normalise,
    read_text,
    read_toml,
    requirement_lines,
    requirement_names,
    requirement_pins,
)

TOOL_WORDS = (
    "pytest", "ruff", "mypy", "flake8", "pylint", "black", "coverage", "pyright", "pytest-cov", "pycodestyle",
    "pyrefly", "zuban", "ty",
)  # fmt: skip


def declared(facts: Facts, names: set[str], where: str) -> None:
    """Tools named among declared requirements (an extra, a dependency group, a requirements file)."""
    facts.declared_names |= names
    facts.declaration_places.add(where)
    for name in names:
        facts.declared_at.setdefault(name, []).append(where)
    for tool in TOOL_WORDS:
        if tool in names:
            facts.saw(tool, where)
    if "pytest-coverage" in names:  # editables' tests/requirements.txt: a shim installing pytest-cov
        facts.saw("pytest-cov", where)
    if "pytest-cov" in names or "pytest-coverage" in names:
        facts.saw("pytest", where)


def beside_mypy(facts: Facts, lines: list[str], where: str) -> None:
    """The stub packages a declaration installs with mypy (``types-pyyaml``, ``django-stubs``): the
    type check's, as a tox mypy env's deps are (pydantic-settings' ``linting`` group: 'Library
    stubs not installed for "yaml"' where the project's own run is clean); of a declaration that
    names no test runner (the type check's alone), all it names but the tools and the project."""
    found = requirement_lines("\n".join(lines))
    if "mypy" not in found:
        return
    typing_only = not {"pytest", "coverage", "tox", "nox", "sphinx", "mkdocs"} & set(found)
    for name, line in found.items():
        stubs = name.startswith("types-") or name.endswith("-stubs")
        # a declaration for the type check alone: what it names is for mypy to follow (cmd2's
        # 'validate' group: ipython beside mypy, whose imports in cmd2.py were 6 errors without it)
        if not (stubs or (typing_only and name not in TOOL_WORDS and name != normalise(facts.name))):
            continue
        requirement, why = Requirement(line), f"{where}, beside mypy"
        locked = None if requirement.specifier else lock_version(facts.repo, name)
        if locked:  # the version the project's developers install
            requirement.specifier, why = SpecifierSet(f"=={locked[0]}"), f"{why}; {locked[1]}: {locked[0]}"
        facts.type_deps.setdefault(name, (str(requirement), why))


def requirements(facts: Facts) -> None:
    repo = facts.repo
    candidates = sorted(repo.glob("requirements*.txt")) + sorted(repo.glob("requirements/*.txt"))
    candidates += sorted(p for p in repo.glob("*requirements.txt") if p.name != "requirements.txt")
    candidates += sorted(repo.glob("requirements/*.in"))
    candidates += [p for d in ("tests", "test", "testing") if (p := repo / d / "requirements.txt").is_file()]
    for path in candidates:
        text, where = read_text(path), str(path.relative_to(repo))
        declared(facts, requirement_names(text), where)
        pins(facts, text, where)
        beside_mypy(facts, text.splitlines(), where)


def pins(facts: Facts, text: str, where: str) -> None:
    """The exact versions requirement lines pin the tools to (``black==22.12.0``), and the other
    bounds they set (semver's ``ruff<=0.16``), used when nothing pins the tool; the lines whose
    marker leaves them out on this Python (for a type check of another Python's code)."""
    for name, line in requirement_lines(text).items():
        if not applies(Requirement(line)):
            facts.elsewhere_deps.setdefault(name, (line, where))
    for name, pinned in requirement_pins(text).items():
        if name in TOOL_WORDS or is_flake8_plugin(name):
            facts.pin(name, pinned, where)
    for name, line in requirement_lines(text).items():
        if name in TOOL_WORDS and Requirement(line).specifier:
            facts.bounds.setdefault(name, (line, where))


#: the lock files whose versions are what the project's developers run
LOCK_FILES = ("uv.lock", "pdm.lock")


def locked_versions(facts: Facts) -> None:
    """A tool no file pins exactly gets the version the project's lock file holds (``uv.lock``,
    ``pdm.lock``: what its developers run), else the bound its declarations set."""
    for name, version, lock, package in _locked(facts.repo):
        if name in TOOL_WORDS and _for_this_python(package):  # croniter: mypy 1.19.1 below 3.10
            _hook_pin_gives_way(facts, name)
            facts.pin(name, f"{name}=={version}", f"{lock}: {version}")
    for name, (line, where) in facts.bounds.items():
        facts.pin(name, line, where)


def _hook_pin_gives_way(facts: Facts, tool: str) -> None:
    """A pre-commit hook's rev gives way to the lock file's version when the project also runs the
    tool otherwise and nothing of it runs pre-commit: those commands run in its locked environment
    (python-ulid: its poe task ``uv run ruff format --check`` runs uv.lock's ruff 0.17.3, which
    reformats a file its hook's 0.15.4 leaves; the check ran 0.15.4 and passed)."""
    pinned = facts.pins.get(tool)
    if pinned is None or not _HOOK_REV.search(pinned[1]) or facts.pre_commit_run:
        return  # (attrs' tox lint env runs pre-commit: its hook's ruff is the one that runs)
    places = facts.run_places(tool) + (facts.run_places("ruff-format") if tool == "ruff" else [])
    if any(" hook '" not in place for place in places):
        del facts.pins[tool]


#: where a hook's rev pinned a tool (``.pre-commit-config.yaml rev v0.15.4``)
_HOOK_REV = re.compile(r"^(?:\.pre-commit-config\.ya?ml|prek\.toml) rev ")


def lock_version(repo: Path, name: str) -> tuple[str, str] | None:
    """(version, lock file) of ``name`` in the project's lock file, the first entry: what its
    developers install (flask's uv.lock: greenlet 3.2.4, for Python below 3.11)."""
    return next(((version, lock) for found, version, lock, _ in _locked(repo) if found == name), None)


def _locked(repo: Path) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(normalised name, version, lock file, its entry) of each package the lock files hold."""
    for lock in LOCK_FILES:
        packages = read_toml(repo / lock).get("package")
        for package in packages if isinstance(packages, list) else []:
            said = package if isinstance(package, dict) else {}
            name, version = said.get("name"), said.get("version")
            if isinstance(name, str) and isinstance(version, str):
                yield normalise(name), version, lock, said


def installs_at_least(facts: Facts, tool: str, version: str) -> bool:
    """Whether the checks' ``tool`` is ``version`` or later: the newest release its pin or bound
    allows (the latest when nothing pins it); blinker's ``ruff==0.11.12`` is not 0.16."""
    line = facts.pins.get(tool, (tool, ""))[0]
    try:
        spec = Requirement(line).specifier
        exact = [Version(s.version) for s in spec if s.operator in ("==", "===") and "*" not in s.version]
    except (InvalidRequirement, InvalidVersion):
        return True
    ladder = exact + [Version(f"0.{minor}.{patch}") for minor in range(100) for patch in (0, 99)]
    allowed = [v for v in [*ladder, *(Version(f"{major}.0") for major in range(1, 100))] if v in spec]
    return not spec or not allowed or max(allowed) >= Version(version)


def _for_this_python(package: object) -> bool:
    """Whether a locked package is the one resolved for this Python (and platform): its
    ``resolution-markers``, when it has any, match one of them (a marker that cannot be read
    counts as a match)."""
    markers = package.get("resolution-markers") if isinstance(package, dict) else None
    if not isinstance(markers, list) or not markers:
        return True
    for text in markers:
        try:
            if Marker(str(text)).evaluate():
                return True
        except InvalidMarker:
            return True
    return False


def is_flake8_plugin(name: str) -> bool:
    """A flake8 plugin, installed with flake8 at the version the project pins."""
    return name.startswith("flake8-") or name == "pep8-naming"
