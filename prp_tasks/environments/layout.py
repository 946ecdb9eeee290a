"""Where a project's importable code is: the folder setuptools is told it is in, ``src/``, or the top.

Read from the project's files, never by running them: setuptools' ``package_dir`` for the root
package (setup.py's ``package_dir={"": "lib"}``, setup.cfg's ``package_dir = =lib``, pyproject's
``[tool.setuptools.package-dir]``), else the one folder its package finder is told to look in
(pyproject's ``[tool.setuptools.packages.find] where = ["python"]``: cbor2; setup.cfg's
``[options.packages.find] where = lib``). ``prp init`` finds the project's packages there and a
check imports them from there (``PYTHONPATH``).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from prp_tasks.environments.projectfiles import EnvironmentSetupError, get_in, read_setup_cfg, read_toml

#: setup.py's ``package_dir={"": "lib"}`` (read as text: setup.py is never run)
_SETUP_PY_DIR = re.compile(r"""\bpackage_dir\s*=\s*\{\s*(["'])\1\s*:\s*["']([\w.-]+)["']""")


def package_dir(repo: Path) -> str:
    """The folder (one level, relative to ``repo``) setuptools is told the code is in, or ''."""
    try:
        pyproject = read_toml(repo / "pyproject.toml")
        cfg = read_setup_cfg(repo / "setup.cfg")
    except EnvironmentSetupError:  # a file that cannot be read says nothing of where the code is
        pyproject, cfg = {}, None
    table = get_in(pyproject, "tool", "setuptools", "package-dir")
    where = get_in(pyproject, "tool", "setuptools", "packages", "find", "where")
    options = cfg.get("options", "package_dir", fallback="") if cfg is not None else ""
    cfg_where = cfg.get("options.packages.find", "where", fallback="") if cfg is not None else ""
    found = [
        _setup_py_dir(repo),
        _after_equals(options),
        table.get("") if isinstance(table, dict) else None,
        where[0] if isinstance(where, list) and len(where) == 1 else None,
        cfg_where.strip() or None,
    ]
    for root in found:
        if isinstance(root, str) and root.strip("./") and "/" not in root.strip("./"):
            return root.strip("./")
    return ""


def _setup_py_dir(repo: Path) -> str | None:
    try:
        text = (repo / "setup.py").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    found = _SETUP_PY_DIR.search(text)
    return found[2] if found else None


def _after_equals(options: str) -> str | None:
    """setup.cfg's ``package_dir = =lib`` (the root package's entry)."""
    found = re.search(r"^\s*=\s*([\w.-]+)\s*$", options, re.M)
    return found[1] if found else None


@functools.lru_cache(maxsize=256)
def import_root(workspace: Path) -> Path:
    """Where a check imports the project's code from: the folder setuptools is told of, when the
    workspace has it, else ``src/`` of a src layout, else the workspace itself (once per
    workspace: a run's workspace is its files at submission)."""
    told = package_dir(workspace)
    for root in (workspace / told if told else None, workspace / "src"):
        if root is not None and root.is_dir():
            return root
    return workspace
