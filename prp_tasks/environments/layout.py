"""Where a project's importable code is: the folder setuptools is told it is in, ``src/``, or the top.

Read from the project's files, never by running them: setuptools' ``package_dir`` for the root
package (setup.py's ``package_dir={"": "lib"}``, setup.cfg's ``package_dir = =lib``, pyproject's
``[tool.setuptools.package-dir]``), else the one folder its package finder is told to look in
(pyproject's ``[tool.setuptools.packages.find] where = ["python"]``: cbor2; setup.cfg's
``[options.packages.find] where = lib``), else the folder setup.py maps a package it names into
(``package_dir={"pkg": "lib/pkg"}``, or a path it computes: then the one folder holding a copy of
that package the running Python can compile, as crcmod's ``python3/`` beside ``python2/``).
``prp init`` finds the project's packages there and a check imports them from there
(``PYTHONPATH``): were it the top instead, a check would import the copy of the project its
environment installed when it was built, from an earlier run's files.
"""

from __future__ import annotations

import functools
import re
import warnings
from pathlib import Path

from prp_tasks.environments.projectfiles import EnvironmentSetupError, get_in, read_setup_cfg, read_toml

#: setup.py's ``package_dir={"": "lib"}`` (read as text: setup.py is never run)
_SETUP_PY_DIR = re.compile(r"""\bpackage_dir\s*=\s*\{\s*(["'])\1\s*:\s*["']([\w.-]+)["']""")
#: setup.py's ``package_dir={"pkg": "lib/pkg"}``: a package's own folder, whose parent is the root
_SETUP_PY_PACKAGE_DIR = re.compile(
    r"""\bpackage_dir\s*=\s*\{\s*["']([\w.]+)["']\s*:\s*["']\.?/?([\w.-]+)/([\w.-]+)/?["']"""
)
#: setup.py's ``packages=["pkg", "pkg.sub"]`` as a literal list
_SETUP_PY_PACKAGES = re.compile(r"""\bpackages\s*=\s*\[([^\]]*)\]""")


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
    if found:
        return found[2]
    own = _SETUP_PY_PACKAGE_DIR.search(text)
    if own and own[3] == own[1].rpartition(".")[2]:
        return own[2]
    return _folder_of_named_packages(repo, text)


def _folder_of_named_packages(repo: Path, text: str) -> str | None:
    """The one top-level folder holding the packages setup.py names (``packages=["crcmod"]``)
    when they are neither at the top nor in ``src/``: crcmod maps its package to a path setup.py
    computes (``os.path.join(base_dir, "crcmod")``) and ships a copy for Python 2 beside the one
    for Python 3, so of several folders the one whose modules the running Python compiles."""
    listed = _SETUP_PY_PACKAGES.search(text)
    names = {n.partition(".")[0] for n in re.findall(r"""["']([\w.]+)["']""", listed[1])} if listed else set()
    if not names or any((repo / n).is_dir() or (repo / "src" / n).is_dir() for n in names):
        return None
    try:
        tops = sorted(p for p in repo.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    except OSError:
        return None
    holding = [p for p in tops if all((p / n / "__init__.py").is_file() for n in names)]
    if len(holding) > 1:
        holding = [p for p in holding if all(_compiles(p / n) for n in names)]
    return holding[0].name if len(holding) == 1 else None


def _compiles(package: Path) -> bool:
    """Whether the running Python compiles the package's own modules (not its subpackages')."""
    for module in sorted(package.glob("*.py")):
        try:
            with warnings.catch_warnings():  # (an invalid escape's warning says nothing here)
                warnings.simplefilter("ignore")
                compile(module.read_bytes(), str(module), "exec", dont_inherit=True)
        except (SyntaxError, ValueError, OSError):
            return False
    return True


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
