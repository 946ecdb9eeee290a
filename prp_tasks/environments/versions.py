"""Which version of a check's tool ran, and on which Python: read from the environment's own
files (its ``pyvenv.cfg`` and the ``*.dist-info`` directories of its site-packages), so a report
says ``pytest 9.2.0, Python 3.11.7`` for the project's own ``.venv`` as for a built one."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Sequence
from pathlib import Path

from prp_tasks.core.argv import python_options

_DIST_INFO = re.compile(r"^(?P<name>.+?)-(?P<version>[^-]+)\.dist-info$")
_PYVENV_VERSION = re.compile(r"^\s*version(?:_info)?\s*=\s*(\d+\.\d+\.\d+)", re.M)


def ran_with(venv: Path, argv: Sequence[str]) -> str:
    """``pytest 9.2.0, Python 3.11.7`` for ``python -m pytest …`` run in ``venv``; the parts that
    cannot be told are left out ('' when neither can)."""
    argv = python_options(argv)[1]
    tool = tool_of(argv)
    site = _site_packages(str(venv))
    versions = _versions(site, _mtime(site)) if site else {}
    tools = [*_under_coverage(tool, argv), tool]  # `coverage run -m pytest`: pytest, then coverage
    parts = [f"{t} {versions[_norm(t)]}" for t in tools if t and _norm(t) in versions]
    cfg = str(venv / "pyvenv.cfg")
    python = _python_version(cfg, _mtime(cfg))
    return ", ".join(parts + ([f"Python {python}"] if python else []))


def _under_coverage(tool: str, argv: Sequence[str]) -> list[str]:
    """The module ``coverage run -m X`` runs (``pytest``), else nothing."""
    start = 3 if len(argv) > 2 and argv[1] == "-m" else 1  # after `python -m coverage` or `coverage`
    rest = list(argv[start:]) if tool == "coverage" else []
    if rest[:1] != ["run"] or "-m" not in rest or rest.index("-m") + 1 >= len(rest):
        return []
    return [rest[rest.index("-m") + 1]]


def tool_of(argv: Sequence[str]) -> str:
    """The program a command runs: ``pytest`` for ``python -m pytest`` or ``.venv/bin/pytest``."""
    argv = python_options(argv)[1]  # (``python -bb -Werror -m pytest``: pytest)
    if len(argv) > 2 and re.fullmatch(r"python[\d.]*", os.path.basename(argv[0])) and argv[1] == "-m":
        return argv[2]
    return os.path.basename(argv[0]) if argv else ""


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _site_packages(venv: str) -> str | None:
    lib = os.path.join(venv, "lib")
    try:
        found = sorted(n for n in os.listdir(lib) if n.startswith("python"))
    except OSError:
        return None
    return os.path.join(lib, found[-1], "site-packages") if found else None


def _mtime(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0


@functools.lru_cache(maxsize=64)
def _versions(site: str, mtime: int) -> dict[str, str]:
    """Normalised distribution name -> version, once per state of the directory (``mtime``)."""
    try:
        names = os.listdir(site)
    except OSError:
        return {}
    found = (_DIST_INFO.match(n) for n in names)
    return {_norm(m["name"]): m["version"] for m in found if m}


@functools.lru_cache(maxsize=64)
def _python_version(cfg: str, mtime: int) -> str | None:
    try:
        with open(cfg, encoding="utf-8") as handle:
            found = _PYVENV_VERSION.search(handle.read())
    except OSError:
        return None
    return found.group(1) if found else None


def unpinned(packages: Sequence[str], argv: Sequence[str], ran: str) -> tuple[str, str]:
    """(``ruff 0.17.6``, its version specifier) when the tool the command runs is among
    ``packages`` without a version (``"ruff"``: whatever release the index has today) or with
    lower bounds only (validators' ``ruff>=0.6.3``: ruff 0.17.6 then formatted its Markdown too),
    ('', '') otherwise: a newer release than the project's can check rules its code never met
    (filelock's ``select = ["ALL"]``: 69 findings from ruff 0.17, none from the 0.9 its
    pre-commit pins)."""
    tool = _norm(tool_of(argv))
    said = ran.split(",")[0]
    if not tool or not said.lower().startswith(f"{tool} "):
        return "", ""
    for item in packages:
        name = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*([^;]*)", item)
        spec = name[3].replace(" ", "") if name else ""
        if name and _norm(name[1]) == tool and re.fullmatch(r"(?:>=?[\w.*+!-]+,?)*", spec):
            return said, spec.rstrip(",")
    return "", ""
