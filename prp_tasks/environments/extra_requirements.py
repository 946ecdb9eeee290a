"""What each extra of a project declares: the distributions ``pip install '.[extra]'`` adds, read
without building anything, so a missing module can be traced to the extra that has it (oauthlib's
tests import ``jwt``: its ``signedtoken`` extra declares ``pyjwt``)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from prp_tasks.environments.project import flatten_group
from prp_tasks.environments.projectfiles import (
    EnvironmentSetupError,
    normalize,
    read_setup_cfg,
    read_toml,
    sdist_fields,
    setup_cfg_list,
)

#: import names whose distribution is named otherwise (beyond ``py``/``python-`` prefixes)
KNOWN = {
    "yaml": "pyyaml", "pil": "pillow", "dateutil": "python-dateutil", "attr": "attrs",
    "bs4": "beautifulsoup4", "sklearn": "scikit-learn", "cv2": "opencv-python", "crypto": "pycryptodome",
    "openssl": "pyopenssl", "google": "protobuf", "jose": "python-jose", "git": "gitpython",
    "serial": "pyserial", "zmq": "pyzmq", "multipart": "python-multipart", "docx": "python-docx",
}  # fmt: skip


def extra_requirements(workspace: Path) -> dict[str, list[str]]:
    """extra -> the (normalised) names of the distributions it declares: pyproject.toml's
    ``[project.optional-dependencies]``, setup.cfg's ``[options.extras_require]``, a PKG-INFO's
    ``Requires-Dist: …; extra == "x"``, or setup.py's ``extras_require`` of literal lists."""
    return declared_extras(workspace)[1]


def declared_extras(workspace: Path) -> tuple[str, dict[str, list[str]]]:
    """(the file that declares them, :func:`extra_requirements`), ("", {}) when none does."""
    name, table = declared_extra_lines(workspace)
    return name, {extra: _names(items) for extra, items in table.items()}


def declared_extra_lines(workspace: Path) -> tuple[str, dict[str, list[str]]]:
    """(the file that declares them, extra -> its requirement lines as written: ``flake8==5.0.4``),
    ("", {}) when none does."""
    readers = (("pyproject.toml", _pyproject), ("setup.cfg", _setup_cfg), ("PKG-INFO", _pkg_info))
    for name, read in (*readers, ("setup.py", _setup_py)):
        table = read(workspace)
        if table:
            return name, table
    return "", {}


def provided_by(module: str, extras: dict[str, list[str]]) -> tuple[str, str] | None:
    """(extra, distribution) of the first of ``extras`` (:func:`extra_requirements`) that declares
    the distribution of ``module``."""
    top = normalize(module.split(".")[0])
    wanted = {top, f"py{top}", f"python-{top}", f"{top}-python", KNOWN.get(top, top)}
    for extra, names in extras.items():
        found = next((n for n in names if n in wanted), None)
        if found:
            return extra, found
    return None


def _names(items: list[str]) -> list[str]:
    names = []
    for item in items:
        try:
            names.append(normalize(Requirement(item).name))
        except InvalidRequirement:
            continue
    return names


def _pyproject(workspace: Path) -> dict[str, list[str]]:
    project = read_toml(workspace / "pyproject.toml").get("project")
    table = project.get("optional-dependencies") if isinstance(project, dict) else None
    if not isinstance(table, dict):
        return {}
    return {str(k): [str(i) for i in v] for k, v in table.items() if isinstance(v, list)}


def _setup_cfg(workspace: Path) -> dict[str, list[str]]:
    cfg = read_setup_cfg(workspace / "setup.cfg")
    if cfg is None or not cfg.has_section("options.extras_require"):
        return {}
    return {k: setup_cfg_list(v) for k, v in cfg.items("options.extras_require")}


_EXTRA_MARKER = re.compile(r"""extra\s*==\s*["']([\w.-]+)["']""")


def _pkg_info(workspace: Path) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for line in sdist_fields(workspace, "Requires-Dist"):
        requirement, _, marker = line.partition(";")
        if match := _EXTRA_MARKER.search(marker):
            table.setdefault(match[1], []).append(requirement.strip())
    return table


def _setup_py(workspace: Path) -> dict[str, list[str]]:
    """``extras_require={"x": [...], "y": NAME}`` with ``NAME = [...]`` at module level (oauthlib's)."""
    value, lists = _setup_keyword(workspace, "extras_require")
    return _literal_table(value, lists) if isinstance(value, ast.Dict) else {}


def tests_require(workspace: Path) -> list[str]:
    """setup.py's ``tests_require=[...]`` (or a name bound to a list): what ``setup.py test``
    installed for the tests (pyrsistent's ``['pytest<7', 'hypothesis<7']``)."""
    value, lists = _setup_keyword(workspace, "tests_require")
    value = lists.get(value.id, value) if isinstance(value, ast.Name) else value
    if not isinstance(value, ast.List):
        return []
    return [e.value for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]


def _setup_keyword(workspace: Path, name: str) -> tuple[ast.expr | None, dict[str, ast.expr]]:
    """The value of setup.py's keyword ``name`` and the module's ``NAME = value`` bindings."""
    try:
        tree = ast.parse((workspace / "setup.py").read_text(encoding="utf-8", errors="replace"))
    except (OSError, SyntaxError, ValueError):
        return None, {}
    lists = {
        n.targets[0].id: n.value
        for n in tree.body
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)
    }
    found = (n.value for n in ast.walk(tree) if isinstance(n, ast.keyword) and n.arg == name)
    return next(found, None), lists


def _literal_table(table: ast.Dict, lists: dict[str, ast.expr]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for key, value in zip(table.keys, table.values, strict=True):
        value = lists.get(value.id, value) if isinstance(value, ast.Name) else value
        if isinstance(key, ast.Constant) and isinstance(key.value, str) and isinstance(value, ast.List):
            found[key.value] = [
                e.value for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
            ]
    return found


def group_requirements(workspace: Path) -> dict[str, list[str]]:
    """group -> the (normalised) names of the distributions a PEP 735 dependency group declares,
    its ``include-group`` entries expanded (griffe's tests import mkdocstrings, which only its
    ``docs`` group declares)."""
    groups = read_toml(workspace / "pyproject.toml").get("dependency-groups")
    if not isinstance(groups, dict):
        return {}
    found = {}
    for name in groups:
        try:
            found[str(name)] = _names(flatten_group(groups, str(name)))
        except EnvironmentSetupError:  # (a group the build would refuse: said by the build)
            continue
    return found
