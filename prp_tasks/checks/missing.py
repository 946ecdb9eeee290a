"""Modules a failed command could not import, said where the user reads first.

A project's tests can import what nothing it declares installs (a test module's ``import
hypothesis`` that only the project's CI installs). The check's environment is built from the
declarations, so the tests fail at collection with ``ModuleNotFoundError: No module named
'hypothesis'``, deep in the output. This module finds those
names in the output's tails, leaves out the project's own modules and the standard library's
(neither is a package to add), and says what to do: for an environment prp-tasks builds, add the
package under ``environment.packages`` in initial.md; for the project's ``.venv`` or the system
Python, install it there.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: Python 3's message, and Python 2's (``ImportError: No module named foo``) still printed by
#: some tools that quote it
_MISSING = re.compile(r"No module named '?([A-Za-z_][\w.]*)'?")
#: names listed at most (a broken environment can miss dozens)
SHOWN = 3


def missing_modules(repo: Path, output: str) -> list[str]:
    """The modules ``output`` says could not be found, in order, without the project's own and
    the standard library's."""
    found: list[str] = []
    for name in _MISSING.findall(output):
        top = name.split(".")[0]
        if name in found or top in sys.stdlib_module_names or top.startswith("_") or _own(repo, top):
            continue
        found.append(name)
    return found


def _own(repo: Path, top: str) -> bool:
    """A module of the project itself (``pkg/``, ``pkg.py``, ``src/pkg``): not a package to add."""
    return any((root / top).exists() or (root / f"{top}.py").exists() for root in (repo, repo / "src"))


def advice(names: list[str], environment: Mapping[str, Any]) -> str:
    """What the user does about them, for the kind of environment the check ran in."""
    shown = ", ".join(repr(n) for n in names[:SHOWN]) + (", …" if len(names) > SHOWN else "")
    one = len(names) == 1
    noun, it, its = ("module", "it", "its package") if one else ("modules", "them", "their packages")
    if "build" in environment:  # an environment prp-tasks built from the project's declarations
        return (
            f"the checks' environment has no {noun} {shown}: nothing the project declares installs "
            f"{it}; if the command needs {it}, add {its} under environment.packages in initial.md"
        )
    where = "the project's .venv" if environment.get("kind") == "venv" else "the Python the check ran with"
    return f"{where} has no {noun} {shown}: install {its} there"


def said(names: list[str]) -> str:
    """The short form on the facts line: ``missing module: hypothesis``."""
    noun = "module" if len(names) == 1 else "modules"
    return f"missing {noun}: " + ", ".join(names[:SHOWN]) + (", …" if len(names) > SHOWN else "")
