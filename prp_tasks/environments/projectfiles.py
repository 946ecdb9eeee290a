"""A Python project's own files, read for its environment (never by running its code).

``pyproject.toml`` and ``setup.cfg`` parsed (a file that cannot be read is an
:class:`EnvironmentSetupError` naming it), the requirement files that hold what the tests need,
which extras or groups are the test ones, the version of an unpacked sdist (``PKG-INFO``), and
whether the project builds extension modules in place. :mod:`prp_tasks.environments.project`
turns them into a build plan.
"""

from __future__ import annotations

import configparser
import functools
import hashlib
import re
import tomllib
from pathlib import Path
from typing import Any

from prp_tasks.core.models import TEST_EXTRAS
from prp_tasks.errors import PrpError

#: ``requirements-test.txt``, ``test-requirements.txt``, ``dev.requirements.txt`` (python-slugify)
_REQ_NAME = re.compile(r"^(?:requirements[-_.](?P<a>[\w.-]+)|(?P<b>[\w.-]+?)[-_.]requirements)\.txt$")


class EnvironmentSetupError(PrpError):
    """A check's environment could not be set up (the check fails with this message)."""


def select(
    available: list[str], wanted: tuple[str, ...] | None, what: str, fallback: tuple[str, ...] = ()
) -> list[str]:
    """The names to install: ``wanted`` (each must exist), else the test ones of ``available``,
    else those of ``fallback`` it has (Hatch's ``default`` environment)."""
    by_name = {normalize(n): n for n in available}
    if wanted is not None:
        missing = [w for w in wanted if normalize(w) not in by_name]
        if missing:
            raise EnvironmentSetupError(
                f"the project has no {what} {missing[0]!r} (it has: {', '.join(available) or 'none'})"
            )
        return [by_name[normalize(w)] for w in wanted]
    found = [by_name[n] for n in TEST_EXTRAS[:-1] if n in by_name]
    found = found or [by_name[n] for n in TEST_EXTRAS[-1:] if n in by_name]
    return found or [by_name[n] for n in fallback if n in by_name]


def normalize(name: str) -> str:
    """PEP 503/685 name normalization (``Tests_Extra`` -> ``tests-extra``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def default_requirement_files(workspace: Path) -> list[str]:
    """The requirement files a built environment installs unless told which (``requirements``)."""
    return requirement_files(workspace, None)


def requirement_files(workspace: Path, wanted: tuple[str, ...] | None) -> list[str]:
    """``wanted`` (each must exist), else ``requirements.txt`` plus the test requirement files."""
    if wanted is not None:
        for name in wanted:
            if not (workspace / name).is_file():
                raise EnvironmentSetupError(f"requirement file {name} does not exist")
        return list(wanted)
    found: dict[str, str] = {}
    candidates = [p for p in workspace.glob("*.txt") if _REQ_NAME.match(p.name)]
    candidates += requirement_dir_files(workspace)
    for path in sorted(candidates):
        match = _REQ_NAME.match(path.name)
        stem = (match["a"] or match["b"]) if match else path.stem
        found.setdefault(normalize(stem), str(path.relative_to(workspace)))
    for path in tests_dir_files(workspace):  # tests/requirements.txt: the tests' own requirements
        found.setdefault(normalize(path.parent.name), str(path.relative_to(workspace)))
    chosen = select(list(found), None, "requirement file")
    if "pytest" in found and not set(TEST_EXTRAS[:-1]) & set(found):  # the tests' own, not dev's
        chosen = ["pytest"]  # (multidict's requirements/pytest.txt: dev.txt brought sphinx, pre-commit …)
    base = ["requirements.txt"] if (workspace / "requirements.txt").is_file() else []
    return base + [found[c] for c in chosen]


def requirement_dir_files(workspace: Path) -> list[Path]:
    folder = workspace / "requirements"
    return sorted(p for p in folder.glob("*.txt") if p.is_file()) if folder.is_dir() else []


#: directories whose ``requirements.txt`` lists what the tests need (packaging 24: tests/)
TESTS_DIRS = ("tests", "test", "testing")


def tests_dir_files(workspace: Path) -> list[Path]:
    return [
        workspace / d / "requirements.txt"
        for d in TESTS_DIRS
        if (workspace / d / "requirements.txt").is_file()
    ]


def read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise EnvironmentSetupError(f"{path.name}: cannot read it: {exc}") from None


def read_setup_cfg(path: Path) -> configparser.ConfigParser | None:
    if not path.is_file():
        return None
    cfg = configparser.ConfigParser(interpolation=None)
    try:
        cfg.read(path, encoding="utf-8")
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        raise EnvironmentSetupError(f"setup.cfg: cannot read it: {exc}") from None
    return cfg if cfg.has_section("options") else None


def strings(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise EnvironmentSetupError(f"pyproject.toml: {where} must be a list of requirement strings")
    return list(value)


def lines(text: str) -> list[str]:
    return [line.split("#", 1)[0].strip() for line in text.splitlines() if line.split("#", 1)[0].strip()]


def setup_cfg_list(text: str) -> list[str]:
    """A setup.cfg requirement list as setuptools reads it: one per line, or, written on one line,
    separated by semicolons (stack_data's ``tests = pytest; typeguard; pygments; …``: read as one
    requirement, the environment could not be built and no test ran). One line under the key is a
    list of one, its marker kept (async-lru's ``install_requires =`` over ``typing_extensions>=4.0.0;
    python_version<"3.11"``: split at the semicolon, every check's environment failed to build)."""
    if "\n" in text:  # (as setuptools asks: the value as the file has it, before any strip)
        return lines(text)
    return [p.strip() for p in text.split(";") if p.strip()]


#: the ``PKG-INFO`` headers read, with what their value must look like
_SDIST_FIELDS = {
    "Version": re.compile(r"^Version:\s*([0-9][0-9A-Za-z.!+_-]{0,63})\s*$"),
    "Name": re.compile(r"^Name:\s*([A-Za-z0-9][A-Za-z0-9._-]{0,99})\s*$"),
    "Provides-Extra": re.compile(r"^Provides-Extra:\s*([A-Za-z0-9][\w.-]*)\s*$"),
    "Requires-Dist": re.compile(r"^Requires-Dist:\s*(\S.{0,499}?)\s*$"),
}


def sdist_version(workspace: Path) -> str | None:
    """The ``Version`` of the workspace's ``PKG-INFO`` (an unpacked sdist's), or None."""
    return sdist_field(workspace, "Version")


def sdist_field(workspace: Path, name: str) -> str | None:
    """A header (``Version``, ``Name``) of the workspace's ``PKG-INFO``, or None."""
    found = sdist_fields(workspace, name)
    return found[0] if found else None


def sdist_fields(workspace: Path, name: str) -> list[str]:
    """Every value of a header of the workspace's ``PKG-INFO`` (``Provides-Extra``), in order."""
    pattern, found = _SDIST_FIELDS[name], []
    try:
        with open(workspace / "PKG-INFO", encoding="utf-8", errors="replace") as info:
            for line in info:
                if not line.strip():
                    break  # the headers end at the first blank line
                if match := pattern.match(line):
                    found.append(match.group(1))
    except OSError:
        return []
    return found


def digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


_EXT_MODULES = re.compile(r"\bext_modules\b|\bExtension\(")
#: the build requirements a project with extensions gets when its pyproject.toml names none
DEFAULT_BUILD_REQUIRES = ("setuptools",)


def declares_extensions(project: Path) -> bool:
    """Whether the project builds extension modules with setuptools (``ext_modules`` in
    ``setup.py``, or ``[tool.setuptools] ext-modules``); read once per workspace (a run's
    workspace is its files at submission, and every check asks)."""
    return _declares_extensions(str(project))


@functools.lru_cache(maxsize=256)
def _declares_extensions(folder: str) -> bool:
    project = Path(folder)
    setup_py = project / "setup.py"
    try:
        if setup_py.is_file() and _EXT_MODULES.search(setup_py.read_text(errors="replace")):
            return True
    except OSError:
        return False
    return bool(get_in(read_toml(project / "pyproject.toml"), "tool", "setuptools", "ext-modules"))


def build_requires(pyproject: dict[str, Any]) -> list[str]:
    """``[build-system] requires`` of the parsed ``pyproject.toml`` (what ``setup.py build_ext``
    imports); :data:`DEFAULT_BUILD_REQUIRES` when it names none."""
    requires = get_in(pyproject, "build-system", "requires")
    if isinstance(requires, list) and all(isinstance(r, str) for r in requires) and requires:
        return list(requires)
    return list(DEFAULT_BUILD_REQUIRES)


def get_in(data: Any, *keys: str) -> Any:
    """``data[k1][k2]…`` of nested tables, or None."""
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data
