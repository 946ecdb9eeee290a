"""Reading a repository's configuration files for ``prp init``: safely, never failing on bad input.

Every reader returns empty data for a file that is missing, too large or unparsable: ``prp init``
reports what it found, and a broken ``tox.ini`` must not stop it.
"""

from __future__ import annotations

import configparser
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import yaml
from packaging.requirements import InvalidRequirement, Requirement

#: largest configuration file read (bytes)
MAX_FILE_BYTES = 2_000_000
#: directories never looked into when counting a repository's files
SKIP_DIRS = frozenset(
    {".git", ".hg", ".venv", "venv", ".tox", ".nox", "node_modules", "build", "dist", ".prp", "__pycache__",
     ".mypy_cache", ".ruff_cache", ".pytest_cache", "site-packages", ".eggs"}
)  # fmt: skip
#: skipped as build output unless a package of that name (PyPA build's ``src/build/__init__.py``)
_OUTPUT_DIRS = frozenset({"build", "dist"})
_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def read_text(path: Path) -> str:
    """The file's text, or "" when it is missing, too large or not text."""
    try:
        if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
            return ""
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


#: a name bound to a string literal and nothing else on its line (``'.'.join(…)`` is no literal)
BOUND_LITERAL = r"""^{name}(?:\s*:\s*[\w.]+)?\s*=\s*["']([^"']+)["']\s*(?:#.*)?$"""


def module_literal(repo: Path, module: str, attribute: str) -> tuple[str, str] | None:
    """(the string literal ``module.attribute`` is bound to, the module's file relative to
    ``repo``), looked for at the top and under ``src/``; None when it is not a literal."""
    parts = module.split(".")
    for root in (repo, repo / "src"):
        for candidate in (
            root.joinpath(*parts, "__init__.py"),
            root.joinpath(*parts[:-1], parts[-1] + ".py"),
        ):
            found = re.search(BOUND_LITERAL.format(name=re.escape(attribute)), read_text(candidate), re.M)
            if found:
                return found.group(1), str(candidate.relative_to(repo))
    return None


def read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(read_text(path))
    except tomllib.TOMLDecodeError:
        return {}


def read_ini(path: Path) -> configparser.RawConfigParser:
    """An ini file (setup.cfg, tox.ini, .flake8 …) without interpolation; empty when unparsable."""
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(read_text(path))
    except configparser.Error:
        return configparser.RawConfigParser()
    return parser


def read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(read_text(path))
    except yaml.YAMLError:
        return None


def requirement_names(lines: list[str] | str) -> set[str]:
    """Normalised distribution names of requirement lines (``pytest-cov>=4`` -> ``pytest-cov``)."""
    if isinstance(lines, str):
        lines = lines.splitlines()
    names = set()
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = _REQ_NAME.match(line)
        if match:
            names.add(normalise(match.group(1)))
    return names


_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([A-Za-z0-9.+!-]+)\s*(?:[;#].*)?$")


def requirement_pins(text: str) -> dict[str, str]:
    """Normalised name -> ``name==version`` of the exactly pinned requirement lines whose marker
    holds on this Python (charset-normalizer's dev group pins ``coverage==7.10.7; python_version
    == '3.9'`` and asks ``coverage>=7.13.5`` above: the pin of 3.9 made its environment unsolvable)."""
    pins = {}
    for line in logical_lines(text):
        match = _PIN.match(line)
        if match and _holds(line):
            pins[normalise(match.group(1))] = f"{normalise(match.group(1))}=={match.group(2)}"
    return pins


def requirement_lines(text: str) -> dict[str, str]:
    """Normalised name -> line of the lines that are requirements (``matplotlib; python_version <
    '3.14'``); options, paths, substitutions and tox factor conditions (``py38: mock``) are not."""
    found: dict[str, str] = {}
    held: dict[str, bool] = {}
    for line in logical_lines(text):
        line = line.split(" #", 1)[0].strip()
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        name = normalise(req.name)
        here = applies(req)  # python-json-logger: "mypy<2; implementation_name == 'pypy' …" first
        if not req.url and (name not in found or (here and not held[name])):
            found[name], held[name] = line, here
    return found


def logical_lines(text: str) -> list[str]:
    """A requirement file's lines as pip reads them: a line ending in a backslash continued by the
    next, a requirement's ``--hash`` options left out (pip-compile's ``--generate-hashes``: desert's
    ``black==22.8.0 \\`` then ``--hash=sha256:…`` lines were no pin, and its format check ran an
    unpinned black said to be "no version pinned by the project")."""
    joined = _CONTINUED.sub(" ", text)
    return [_HASH_OPTION.sub("", line) for line in joined.splitlines()]


_CONTINUED = re.compile(r"\\\r?\n")
_HASH_OPTION = re.compile(r"\s+--hash[=\s]\S+")


def _holds(line: str) -> bool:
    """Whether a requirement line's marker holds on this Python (a line that does not parse: yes)."""
    try:
        return applies(Requirement(line.split(" #", 1)[0].strip()))
    except InvalidRequirement:
        return True


def applies(req: Requirement) -> bool:
    """Whether a requirement's marker holds on this Python (one that cannot be read: yes)."""
    try:
        return req.marker is None or req.marker.evaluate({"extra": ""})
    except LookupError:  # an undefined environment name in the marker (UndefinedEnvironmentName)
        return True


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def nested(data: Any, *keys: str) -> Any:
    """``data[k1][k2]…`` or None."""
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def walk_files(repo: Path, limit: int = 20_000) -> list[Path]:
    """Files of the repository (relative), skipping virtualenvs, caches and build output."""
    out: list[Path] = []
    stack = [repo]
    while stack and len(out) < limit:
        current = stack.pop()
        try:
            entries = sorted(current.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.is_symlink():
                continue
            if entry.is_dir():
                if not _skipped(entry):
                    stack.append(entry)
            elif entry.is_file():
                out.append(entry.relative_to(repo))
    return out


def _skipped(folder: Path) -> bool:
    """A virtualenv, cache or build output folder, not the project's."""
    if folder.name in _OUTPUT_DIRS:
        return not (folder / "__init__.py").is_file()
    return folder.name in SKIP_DIRS or folder.name.endswith(".egg-info")


def python_files(repo: Path) -> list[str]:
    """The repository's Python files (relative, ``/``-separated) as pre-commit gives them to a
    hook: git's (tracked, and new ones it does not ignore); outside git, those
    :func:`walk_files` finds."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(repo), "ls-files", "-z", "--cached", "--others", "--exclude-standard",
             "--", "*.py", "*.pyi"],
            capture_output=True, timeout=30, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        proc = None
    if proc is not None and proc.returncode == 0:
        names = proc.stdout.decode("utf-8", "replace").split("\0")
        return sorted({n for n in names if n and (repo / n).is_file()})
    return sorted(p.as_posix() for p in walk_files(repo) if p.suffix in (".py", ".pyi"))


#: the files a project's hooks are configured in: pre-commit's, then prek's TOML form
HOOK_FILES = (".pre-commit-config.yaml", ".pre-commit-config.yml", "prek.toml")


def hooks_config(repo: Path) -> tuple[str, dict[str, Any]]:
    """(file name, parsed content) of the first hooks file the checkout has, else ('', {})."""
    for name in HOOK_FILES:
        if (repo / name).is_file():
            data = read_toml(repo / name) if name.endswith(".toml") else read_yaml(repo / name)
            return name, data if isinstance(data, dict) else {}
    return "", {}
