"""The version module a project's build writes into its sources (hatch-vcs ``version-file``,
setuptools-scm ``version_file``/``write_to``: humanize's ``src/humanize/_version.py``, and its
``use_scm_version={'write_to': …}`` in setup.py: cloup's ``cloup/_version.py``), put in
the run's workspace when it is missing there. Such a file is ignored by git, so a workspace made
from the checkout lacks it, and importing the package from the workspace fails
(``No module named 'humanize._version'``) unless an environment build happened to write it. It
is copied from the user's checkout when there, else written the way those tools write it, with
the version an sdist's ``PKG-INFO`` states (``0.0.0`` without one)."""

from __future__ import annotations

import functools
import os
import re
import threading
import tomllib
from pathlib import Path
from typing import Any

from prp_tasks.environments.projectfiles import get_in, sdist_version

_TEMPLATE = """\
# written by prp-tasks in the run's workspace: the project's build writes this file
__version__ = version = {version!r}
__version_tuple__ = version_tuple = {parts!r}
__commit_id__ = commit_id = None
"""


def declared_version_files(pyproject: dict[str, Any]) -> list[str]:
    """The version files the project's build hooks write (relative paths inside the project); none
    when the project states its version itself: then no hook provides it, nor writes a file
    (parse_type's ``version = "0.6.6"`` beside ``[tool.setuptools_scm] version_file``: the file
    written in the workspace was counted by its coverage and its formatter, 34 files to reformat)."""
    project = pyproject.get("project")
    if isinstance(project, dict) and isinstance(project.get("version"), str):
        dynamic = project.get("dynamic")
        if not (isinstance(dynamic, list) and "version" in dynamic):
            return []
    found = [
        get_in(pyproject, "tool", "hatch", "build", "hooks", "vcs", "version-file"),
        get_in(pyproject, "tool", "setuptools_scm", "version_file"),
        get_in(pyproject, "tool", "setuptools_scm", "write_to"),
    ]
    return [
        f for f in found if isinstance(f, str) and f and ".." not in Path(f).parts and not f.startswith("/")
    ]


#: setup.py's ``use_scm_version={'write_to': 'cloup/_version.py'}`` (or ``dict(write_to=…)``)
_SCM_ARGUMENT = re.compile(r"use_scm_version\s*=\s*(?:\{|dict\()([^})]*)")
_SCM_FILE = re.compile(r"""['"]?\b(?:write_to|version_file)\b['"]?\s*[:=]\s*['"]([^'"]+)['"]""")


def setup_py_version_files(text: str) -> list[str]:
    """The version files setup.py's ``use_scm_version`` has setuptools-scm write."""
    found = [m[1] for a in _SCM_ARGUMENT.finditer(text) for m in _SCM_FILE.finditer(a[1])]
    return [f for f in found if f and ".." not in Path(f).parts and not f.startswith("/")]


@functools.lru_cache(maxsize=256)
def _declared(workspace: str, state: tuple[int, int]) -> tuple[str, ...]:
    """:func:`declared_version_files` of the project's pyproject.toml, else its setup.py's, parsed
    once per state of them (every check of a run asks, with the same workspace)."""
    try:
        if state[0] >= 0:
            pyproject = tomllib.loads((Path(workspace) / "pyproject.toml").read_text(encoding="utf-8"))
            found = declared_version_files(pyproject)
            if found or not _dynamic(pyproject):
                return tuple(found)
        if state[1] >= 0:
            text = (Path(workspace) / "setup.py").read_text(encoding="utf-8", errors="replace")
            return tuple(setup_py_version_files(text))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        pass
    return ()


def _dynamic(pyproject: dict[str, Any]) -> bool:
    """Whether the version is left to the build (no ``[project]``, or ``version`` dynamic)."""
    project = pyproject.get("project")
    return not isinstance(project, dict) or not isinstance(project.get("version"), str)


def _state(workspace: Path) -> tuple[int, int]:
    """The modification times of pyproject.toml and setup.py (-1: none)."""
    times = []
    for name in ("pyproject.toml", "setup.py"):
        try:
            times.append((workspace / name).stat().st_mtime_ns)
        except OSError:
            times.append(-1)
    return times[0], times[1]


def ensure_version_files(workspace: Path, source: Path) -> list[str]:
    """Put each declared version file missing from ``workspace`` there; the ones put."""
    state = _state(workspace)
    if state == (-1, -1):
        return []
    put = []
    for name in _declared(str(workspace), state):
        target = workspace / name
        if target.exists() or not target.parent.is_dir():
            continue
        mine = source / name
        if source != workspace and mine.is_file():
            text = mine.read_text(encoding="utf-8", errors="replace")
        else:
            version = sdist_version(workspace) or "0.0.0"
            parts = tuple(int(p) if p.isdigit() else p for p in version.split("."))
            text = _TEMPLATE.format(version=version, parts=parts)
        partial = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}")
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, target)  # (checks of the run may do this at once: none reads half a file)
        put.append(name)
    return put
