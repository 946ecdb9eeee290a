"""What a Python project declares it needs: read from its files, never by running its code.

:func:`plan` turns a workspace and an ``environment:`` setting into a :class:`BuildPlan`: the
static dependencies of ``pyproject.toml`` (``[project]``) or ``setup.cfg``, the extras and
dependency groups that hold test tools (``test``, ``tests``, ``testing``; ``dev`` when none of
those exists), ``requirements.txt`` and the test requirement files, ``uv.lock``, and whether the
project itself must be installed to learn its dependencies (``setup.py``, dynamic dependencies,
Poetry). Its :meth:`BuildPlan.key` is the hash of those declarations, the interpreter and the
installer: the same key, the same environment.
"""

from __future__ import annotations

import configparser
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from prp_tasks.core.models import EnvironmentSpec
from prp_tasks.environments.hatch import HATCH_TOML, hatch_groups, with_hatch_toml
from prp_tasks.environments.poetry import poetry_groups
from prp_tasks.environments.projectfiles import (
    EnvironmentSetupError,
    build_requires,
    declares_extensions,
    digest,
    get_in,
    normalize,
    read_setup_cfg,
    read_toml,
    requirement_dir_files,
    requirement_files,
    sdist_fields,
    sdist_version,
    select,
    setup_cfg_list,
    strings,
    tests_dir_files,
)

#: bump when what a plan installs changes for the same declarations
PLAN_VERSION = "6"  # 6: those at the interpreter's bundled versions (the index's latest setuptools
# lacks pkg_resources); 5: pip (and setuptools below 3.12) as `python -m venv` gives, no wheel or
# packaging; 4: pip seeded into uv's environments; 3: the project's own copy installed
#: files whose presence makes a directory a Python project
MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt")
LOCK_FILE = "uv.lock"


@dataclass(frozen=True)
class BuildPlan:
    """What an isolated environment for one project gets installed into it."""

    workspace: Path
    #: requirement strings read from the declarations (and ``packages``)
    requirements: tuple[str, ...] = ()
    #: requirement files (relative to the workspace) installed with ``-r``
    files: tuple[str, ...] = ()
    #: the setting's ``packages``, installed last
    packages: tuple[str, ...] = ()
    #: the project itself (with ``extras``) is installed: its dependencies are not static
    install_project: bool = False
    #: the project's distribution name (``[project] name``, setup.cfg's ``[metadata] name``)
    name: str | None = None
    extras: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    #: ``uv.lock`` is installed with ``uv sync --frozen`` (when uv builds)
    lock: bool = False
    #: where each part came from, for the evidence
    sources: tuple[str, ...] = ()
    #: files whose bytes make the key (relative to the workspace)
    declared: tuple[str, ...] = field(default=(), repr=False)
    #: the version of an unpacked sdist (its ``PKG-INFO``), given to the project's install: a
    #: build backend reading git (setuptools_scm, hatch-vcs) would make the sdist put in an
    #: untagged checkout ``0.1.dev1``, and test tools requiring the project (pytest needs
    #: pluggy>=1.5) then resolve to releases from years ago
    version: str | None = None

    def key(self, interpreter: str, installer: str) -> str:
        """sha256 of the declarations, the selection, the interpreter and the installer."""
        material: dict[str, Any] = {
            "v": PLAN_VERSION,
            "interpreter": interpreter,
            "installer": installer,
            "requirements": self.requirements,
            "files": self.files,
            "packages": self.packages,
            "project": self.install_project,
            "extras": self.extras,
            "groups": self.groups,
            "lock": self.lock,
            "declared": {name: digest(self.workspace / name) for name in sorted(self.declared)},
            **({"version": self.version} if self.version else {}),
        }
        return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def is_python_project(workspace: Path) -> bool:
    """Whether the workspace declares Python dependencies (:data:`MARKERS`, requirement files)."""
    return any((workspace / m).is_file() for m in MARKERS) or bool(requirement_files(workspace, None))


def _not_static(workspace: Path, project: dict[str, Any] | None, pyproject: dict[str, Any]) -> bool:
    """Whether the project's dependencies are known only by building it: a setup.py without
    ``[project]``, Poetry's own metadata (``[tool.poetry.dependencies]``, or ``[project]`` naming
    its dependencies dynamic). Not a ``[project]`` with static dependencies beside a Poetry table
    of groups (pendulum: its Rust extension cannot be built offline, and every check, ruff's and
    mypy's too, failed "environment setup failed … Failed to build pendulum")."""
    poetry = "poetry" in pyproject.get("tool", {})
    if project is None:
        return poetry or (workspace / "setup.py").is_file()
    dynamic = project.get("dynamic")
    return poetry and isinstance(dynamic, list) and "dependencies" in dynamic


def plan(workspace: Path, spec: EnvironmentSpec) -> BuildPlan:
    """The build plan of the project in ``workspace`` for ``spec`` (extras, groups … or detected)."""
    pyproject = with_hatch_toml(read_toml(workspace / "pyproject.toml"), read_toml(workspace / HATCH_TOML))
    project = pyproject.get("project") if isinstance(pyproject.get("project"), dict) else None
    setup_cfg = read_setup_cfg(workspace / "setup.cfg")
    parts = _Parts()
    if project is not None:
        _from_project(project, spec, parts)
    elif setup_cfg is not None:
        _from_setup_cfg(setup_cfg, spec, parts)
    if _not_static(workspace, project, pyproject):
        parts.install_project = True
        parts.sources.append("the project itself (its dependencies are not static)")
        if project is None and not parts.extras:  # setup.py's extras_require (pathvalidate's test)
            parts.extras = _setup_py_extras(workspace, spec)
            parts.sources += ["setup.py extras: " + ", ".join(parts.extras)] if parts.extras else []
    _from_groups(_groups(pyproject), spec, parts)
    _without_uv_sources(pyproject, parts)
    files = requirement_files(workspace, spec.requirements)
    parts.sources.extend(files)
    packages = spec.packages
    if spec.extensions and declares_extensions(workspace):  # built in place before the checks
        packages += tuple(r for r in build_requires(pyproject) if r not in packages)
        parts.sources.append("the build requirements (the project's extensions are built in place)")
    if spec.packages:
        parts.sources.append("packages: " + ", ".join(spec.packages))
    lock = _locked(workspace, project is not None, parts, pyproject)
    return BuildPlan(
        workspace=workspace,
        requirements=tuple(parts.requirements),
        files=tuple(files),
        packages=packages,
        install_project=parts.install_project,
        extras=tuple(parts.extras),
        groups=tuple(parts.groups),
        lock=lock,
        sources=tuple(parts.sources),
        declared=_declared(workspace, files),
        version=sdist_version(workspace) if parts.install_project else None,
        name=_name(project, setup_cfg),
    )


def _setup_py_extras(workspace: Path, spec: EnvironmentSpec) -> list[str]:
    """The extras of a project that only setup.py declares: the setting's, else its test ones,
    of those an sdist's ``PKG-INFO`` lists (``Provides-Extra``), else the literal keys of
    ``extras_require``; the setting's as given when neither says (setup.py computes them)."""
    available = sdist_fields(workspace, "Provides-Extra") or _extras_require_keys(workspace / "setup.py")
    if spec.extras is not None and not available:
        return list(spec.extras)
    return select(available, spec.extras, "extra")


def _extras_require_keys(setup_py: Path) -> list[str]:
    """The string keys of ``extras_require={…}`` in setup.py's text (nothing is run)."""
    try:
        text = setup_py.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    found = re.search(r"extras_require\s*=\s*\{", text)
    if found is None:
        return []
    depth, end = 1, found.end()
    while end < len(text) and depth:
        depth += {"{": 1, "}": -1}.get(text[end], 0)
        end += 1
    body = text[found.end() : end]
    return re.findall(r"""^\s*["']([A-Za-z0-9][\w.-]*)["']\s*:""", body, re.M)


def _declared(workspace: Path, files: list[str]) -> tuple[str, ...]:
    """The files whose bytes make the plan's key: the declarations it was read from (a change to
    one builds another environment)."""
    declared = [
        n
        for n in ("pyproject.toml", "setup.cfg", "setup.py", LOCK_FILE, HATCH_TOML)
        if (workspace / n).is_file()
    ]
    declared += [str(p.relative_to(workspace)) for p in requirement_dir_files(workspace)]
    declared += [str(p.relative_to(workspace)) for p in tests_dir_files(workspace)]
    return tuple(sorted(set(declared) | set(files)))


def _locked(workspace: Path, static: bool, parts: _Parts, pyproject: dict[str, Any]) -> bool:
    """Whether uv.lock is installed with ``uv sync``: static metadata, and groups uv knows (PEP 735's,
    and its own older ``[tool.uv] dev-dependencies``, its group ``dev``: ftfy's; not Poetry's or
    Hatch's, which are installed as requirements)."""
    if not (workspace / LOCK_FILE).is_file() or not static or parts.install_project:
        return False
    uv_dev = get_in(pyproject, "tool", "uv", "dev-dependencies") is not None and parts.groups == ["dev"]
    return not parts.groups or "dependency-groups" in pyproject or uv_dev


def _without_uv_sources(pyproject: dict[str, Any], parts: _Parts) -> None:
    """Requirements uv takes from a folder (``[tool.uv.sources]``: a ``path`` or a ``workspace``
    member) left out: the installer would look for them on the package index (dynaconf's test
    group names its release utility, a path in ``.github/`` its sdist leaves out: no check of the
    run could start). A git or URL source keeps its name: the index's release may do. The sources
    say which were left out."""
    table = get_in(pyproject, "tool", "uv", "sources")
    if not isinstance(table, dict) or not parts.requirements:
        return
    local = {normalize(name) for name, source in table.items() if _from_a_folder(source)}
    left = [r for r in parts.requirements if _requirement_name(r) in local]
    if left:
        parts.requirements = [r for r in parts.requirements if r not in left]
        parts.sources.append("left out, from a folder ([tool.uv.sources]): " + ", ".join(left))


def _from_a_folder(source: Any) -> bool:
    """A uv source (a table, or a list of them by marker) naming a path or a workspace member."""
    entries = source if isinstance(source, list) else [source]
    return any(isinstance(e, dict) and {"path", "workspace"} & set(e) for e in entries)


def _requirement_name(text: str) -> str:
    try:
        return normalize(Requirement(text).name)
    except InvalidRequirement:
        return ""


def _name(project: dict[str, Any] | None, setup_cfg: configparser.ConfigParser | None) -> str | None:
    if project is not None:
        name = project.get("name")
        return name if isinstance(name, str) and name else None
    if setup_cfg is not None:
        return setup_cfg.get("metadata", "name", fallback="") or None
    return None


@dataclass
class _Parts:
    requirements: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    install_project: bool = False


def _from_project(project: dict[str, Any], spec: EnvironmentSpec, parts: _Parts) -> None:
    dynamic = project.get("dynamic") or []
    if "dependencies" in dynamic:
        parts.install_project = True
    else:
        parts.requirements.extend(strings(project.get("dependencies"), "project.dependencies"))
        parts.sources.append("pyproject.toml [project] dependencies")
    optional = project.get("optional-dependencies") or {}
    if not isinstance(optional, dict):
        raise EnvironmentSetupError("pyproject.toml: project.optional-dependencies must be a table")
    parts.extras = select(list(optional), spec.extras, "extra")
    if parts.extras:
        parts.sources.append("pyproject.toml extras: " + ", ".join(parts.extras))
    if "optional-dependencies" in dynamic:
        parts.install_project = True
        return
    table = {
        normalize(name): strings(items, f"project.optional-dependencies.{name}")
        for name, items in optional.items()
    }
    own = str(project.get("name") or "")
    for extra in parts.extras:
        parts.requirements.extend(expand_own_extras(table[normalize(extra)], table, own))


def expand_own_extras(items: list[str], table: dict[str, list[str]], own: str) -> list[str]:
    """``items`` with every reference to the project's own extras (``attrs[tests-no-zope]`` in
    attrs' ``tests`` extra) replaced by those extras' requirements, recursively; a reference's
    marker applies to what it stands for. Installed as written, it would be another release of
    the project, from the index, and without the extra if that release lacks it."""
    out: list[str] = []
    seen: set[str] = set()

    def add(found: list[str], marker: str | None) -> None:
        for text in found:
            try:
                req = Requirement(text)
            except InvalidRequirement:
                out.append(text)  # the installer says what is wrong with it
                continue
            if not own or normalize(req.name) != normalize(own):
                out.append(_with_marker(text, req, marker))
                continue
            for extra in sorted(normalize(e) for e in req.extras if normalize(e) in table):
                if extra not in seen:
                    seen.add(extra)
                    add(table[extra], _both(marker, str(req.marker) if req.marker else None))

    add(items, None)
    return out


def _both(first: str | None, second: str | None) -> str | None:
    return f"({first}) and ({second})" if first and second else first or second


def _with_marker(text: str, req: Requirement, marker: str | None) -> str:
    if marker is None:
        return text
    return f"{text.split(';', 1)[0].strip()}; {_both(str(req.marker) if req.marker else None, marker)}"


def _from_setup_cfg(cfg: configparser.ConfigParser, spec: EnvironmentSpec, parts: _Parts) -> None:
    parts.requirements.extend(setup_cfg_list(cfg.get("options", "install_requires", fallback="")))
    parts.sources.append("setup.cfg [options] install_requires")
    extras = dict(cfg.items("options.extras_require")) if cfg.has_section("options.extras_require") else {}
    parts.extras = select(list(extras), spec.extras, "extra")
    table = {normalize(name): setup_cfg_list(text) for name, text in extras.items()}
    own = cfg.get("metadata", "name", fallback="")
    for name in parts.extras:
        parts.requirements.extend(expand_own_extras(table[normalize(name)], table, own))
    if parts.extras:
        parts.sources.append("setup.cfg extras: " + ", ".join(parts.extras))


def _groups(pyproject: dict[str, Any]) -> Any:
    """``[dependency-groups]`` (PEP 735), else PDM's ``[tool.pdm.dev-dependencies]`` (cattrs:
    its ``test`` group), the same shape; PDM's editable self-references (``-e file:///…``) left out;
    uv's ``[tool.uv] dev-dependencies`` as the group ``dev``;
    else Poetry's groups (:func:`~prp_tasks.environments.poetry.poetry_groups`), else Hatch's
    environments (:func:`~prp_tasks.environments.hatch.hatch_groups`)."""
    groups = pyproject.get("dependency-groups")
    pdm = get_in(pyproject, "tool", "pdm", "dev-dependencies")
    uv_dev = get_in(pyproject, "tool", "uv", "dev-dependencies")  # uv's older form of the dev group
    if groups is not None:
        return groups
    if isinstance(uv_dev, list):  # python-multipart: PyYAML, pytest-cov, ruff==0.8.0 are there
        return {"dev": uv_dev}
    if not isinstance(pdm, dict):  # tomlkit: [tool.poetry.dev-dependencies], PyYAML among them
        return poetry_groups(pyproject) or hatch_groups(pyproject)
    return {name: [r for r in items if not str(r).startswith("-")] if isinstance(items, list) else items
            for name, items in pdm.items()}  # fmt: skip


def _from_groups(groups: Any, spec: EnvironmentSpec, parts: _Parts) -> None:
    if groups is None:
        if spec.groups:
            raise EnvironmentSetupError(
                f"dependency group {spec.groups[0]!r}: pyproject.toml has no [dependency-groups]"
            )
        return
    if not isinstance(groups, dict):
        raise EnvironmentSetupError("pyproject.toml: [dependency-groups] must be a table")
    parts.groups = select(list(groups), spec.groups, "dependency group", ("default",))
    for name in parts.groups:
        parts.requirements.extend(flatten_group(groups, name))
    if parts.groups:
        parts.sources.append("pyproject.toml dependency groups: " + ", ".join(parts.groups))


def flatten_group(groups: dict[str, Any], name: str, seen: tuple[str, ...] = ()) -> list[str]:
    """A dependency group's requirements with ``{include-group = …}`` entries expanded (PEP 735)."""
    if name in seen:
        raise EnvironmentSetupError(f"dependency group {name!r} includes itself")
    by_name = {normalize(n): n for n in groups}
    if normalize(name) not in by_name:
        raise EnvironmentSetupError(f"dependency group {name!r} is not defined")
    out: list[str] = []
    for item in groups[by_name[normalize(name)]] or []:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict) and isinstance(item.get("include-group"), str):
            out.extend(flatten_group(groups, item["include-group"], (*seen, name)))
        else:
            raise EnvironmentSetupError(f"dependency group {name!r}: unsupported entry {item!r}")
    return out
