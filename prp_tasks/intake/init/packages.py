"""What an environment built for the project's checks installs besides the project and its
default test dependencies (``environment.packages``, ``extras`` and ``groups`` in initial.md):
the tools the commands run at the project's versions, and what its tests and type check need."""

from __future__ import annotations

import re
from pathlib import Path

from packaging.markers import UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from prp_tasks.core.models import TEST_EXTRAS
from prp_tasks.environments.projectfiles import default_requirement_files, select
from prp_tasks.intake.init.declared import LOCK_FILES, is_flake8_plugin, lock_version
from prp_tasks.intake.init.facts import Facts
from prp_tasks.intake.init.pytest_plugins import undeclared_plugins
from prp_tasks.intake.init.sources import normalise, read_text, requirement_lines, requirement_names

#: what runs a project's commands rather than what its tests import (rsa's tox deps: poetry,
#: whose dependencies brought an anyio pytest plugin its pytest 6 could not load)
RUNNERS = frozenset(
    {"tox", "nox", "poetry", "pdm", "hatch", "uv", "pip", "pipenv", "virtualenv", "pre-commit",
     "setuptools", "wheel", "build", "twine", "flit", "check-manifest"}
)  # fmt: skip
#: extras and dependency groups that hold what a type check needs (cachelib's ``typing``: stubs)
TYPING = ("typing", "types", "type", "mypy", "stubs", "typecheck", "type-check")


def extras_to_install(facts: Facts, typed: bool) -> tuple[tuple[str, str], ...]:
    """The extras to name when the project's tests (or, with ``typed``, its type check in an
    environment of its own) install one the default choice misses (pyparsing's tox ``extras =
    diagrams``): the default ones first, since naming any replaces them; () when the default is
    right."""
    return _chosen(
        facts.extras,
        _with_test_tools(facts, facts.extras, facts.test_extras),
        _type_needs(facts, typed, "extras"),
        "extra",
    )


def requirement_files(facts: Facts, typed: bool = False) -> tuple[tuple[str, str], ...]:
    """The requirement files to name when the tests' (``typed``: or the type check's) tox env
    installs one a built environment would not find (wcwidth: ``-r requirements-tests39.txt``):
    those it finds first, since naming any replaces them; () when it finds them all. The type
    check's own files go to its own environment only (prettytable's requirements-mypy.txt). Not
    those it finds when the tests' tox env installs none of them (aiosignal's tox installs
    requirements/ci-wheel.txt, not its developers' requirements/dev.txt)."""
    default = [] if no_requirement_files(facts) else default_requirement_files(facts.repo)
    wanted = {
        f: w
        for f, w in facts.test_requirement_files.items()
        if f not in default and (typed or f not in facts.type_requirement_files)
    }
    if not wanted:
        return ()
    found = [(f, "a requirement file a built environment installs by default") for f in default]
    by = {
        f: "its type check installs" if f in facts.type_requirement_files else "its tests install"
        for f in wanted
    }
    return (*found, *((f, f"{by[f]} it ({w})") for f, w in wanted.items()))


def no_requirement_files(facts: Facts) -> str:
    """Why a built environment installs no requirement file, when the tests' tox env installs none
    of those it would (sortedcontainers' requirements.txt lists its developers' tools, blist among
    them, which does not build on Python 3.11; its tox tests install pytest only) and no CI step
    does; "" otherwise."""
    default = default_requirement_files(facts.repo)
    if not facts.test_env or not default or set(default) & set(facts.test_requirement_files):
        return ""
    ci = " ".join(read_text(facts.repo / name) for name in facts.ci)
    if any(Path(f).name in ci for f in default):
        return ""
    named = ", ".join(facts.test_extras)
    extras = f" (it installs the project's extras: {named})" if named else ""
    return f"the tests' tox env ({facts.test_env}) installs none of {', '.join(default)} itself{extras}"


def groups_to_install(facts: Facts, typed: bool) -> tuple[tuple[str, str], ...]:
    """Likewise for dependency groups (tox ``dependency_groups``; cachelib's ``typing`` group, for
    its type check)."""
    return _chosen(
        facts.groups,
        _with_test_tools(facts, facts.groups, facts.test_groups),
        _type_needs(facts, typed, "dependency_groups"),
        "dependency group",
    )


def _with_test_tools(facts: Facts, names: list[str], by_tests: dict[str, str]) -> dict[str, str]:
    """``by_tests``, and when none of ``names`` is a default test one (``test``, ``tests``,
    ``testing``, ``dev``), those that declare pytest: idna's tests need ``hypothesis`` from its
    ``all`` extra, where its pytest is too."""
    if any(normalise(n) in TEST_EXTRAS for n in names):
        return by_tests
    found = {n: "it declares the test tools (pytest)" for n in names if normalise(n) in facts.declares_pytest}
    return found | by_tests


def _type_needs(facts: Facts, typed: bool, key: str) -> dict[str, str] | None:
    """What the type check needs (None: not asked) of the tox env's ``key`` (``extras`` or
    ``dependency_groups``: environs' mypy env installs the group ``django``, not its extra of that
    name). Installed in the type check's own environment, so it does not change what the tests run
    (attrs' ``mypy`` group brings pytest-mypy-plugins, 86 more tests; structlog's ``typing``
    group, 44 tests no longer skipped)."""
    if not typed:
        return None
    return {n: w for n, w in facts.type_needs.items() if w.endswith(f"] {key}")} | {
        n: "mypy runs: what its type check needs"
        for n in (*facts.extras, *facts.groups)
        if normalise(n) in TYPING
    }


def _chosen(
    names: list[str], by_tests: dict[str, str], by_type_check: dict[str, str] | None, kind: str
) -> tuple[tuple[str, str], ...]:
    """``by_type_check`` is None when mypy does not run; else what its tox env installs, and the
    declared ones named for typing (:data:`TYPING`)."""
    declared = {normalise(n): n for n in names}
    wanted = {
        normalise(n): w
        if w.startswith(("it declares", "its tests import"))
        else f"its tests install it ({w})"
        for n, w in by_tests.items()
    }
    if by_type_check is not None:
        typing = {normalise(n): w if w.startswith("mypy runs") else f"its type check installs it ({w})"
                  for n, w in by_type_check.items()}  # fmt: skip
        wanted = typing | wanted
    wanted = {n: w for n, w in wanted.items() if n in declared}
    default = [n for n in TEST_EXTRAS[:-1] if n in declared] or [n for n in TEST_EXTRAS[-1:] if n in declared]
    if not set(wanted) - set(default):
        return ()
    out = {n: (declared[n], f"a test {kind} the project declares (installed by default)") for n in default}
    out.update({n: (declared[n], why) for n, why in wanted.items() if n not in out})
    return tuple(out.values())


#: tool -> the pytest plugin that runs it inside the tests, which then use the version the test
#: dependencies install; a pin for the lint check would replace it (zipp: pytest-ruff, and its
#: pre-commit's ruff==0.12.0 failed its tests' format check)
_RUN_BY_TESTS = {
    "pytest-ruff": "ruff",
    "pytest-black": "black",
    "pytest-mypy": "mypy",
    "pytest-flake8": "flake8",
}


def _tests_install(facts: Facts, name: str) -> bool:
    """Whether the tests' environment installs ``name``: not when only extras it does not install
    declare it (PyHamcrest's pytest-mypy, in its ``dev`` extra only: the tests install ``tests``)."""
    places = facts.declared_at.get(name, [])
    extras = [m[1] for m in (_EXTRA_PLACE.search(p) for p in places) if m]
    if name in facts.plugins_off:  # (cssutils' pytest-mypy, turned off by pytest-enabler's table)
        return False
    if not places or len(extras) < len(places):
        return bool(places)  # (a tox env's deps, a requirements file, a group: as the tests use it)
    chosen = [n for n, _ in extras_to_install(facts, False)] or select(facts.extras, None, "extra")
    return bool({normalise(e) for e in extras} & {normalise(c) for c in chosen})


_EXTRA_PLACE = re.compile(r" extra '([^']+)'$")


_TESTS_INSTALL = "the version the project's test dependencies install, else the latest"


def tool_packages(facts: Facts, tools: list[str]) -> tuple[tuple[str, str], ...]:
    """The ``tools`` the commands run (and what the tests' tox env installs), at the project's
    pinned versions when it pins them."""
    out: dict[str, tuple[str, str]] = {}
    for tool in dict.fromkeys(tools):
        pinned = facts.pins.get(tool)
        in_tests = next((p for p, t in _RUN_BY_TESTS.items() if t == tool and _tests_install(facts, p)), None)
        if tool in ("pytest", "pytest-cov"):  # whatever the project's test dependencies install
            out[tool] = _test_runner(facts, tool, pinned)
        elif in_tests:
            out[tool] = (
                tool,
                f"unpinned: its test dependencies include {in_tests}, which runs it at their version",
            )
        else:
            out[tool] = pinned if pinned else (tool, "no version pinned by the project")
        for plugin in facts.plugins.get(tool, []):
            _hook_dependency(facts, out, tool, plugin)
    if "flake8" in tools:
        _flake8_plugins(facts, out)
    if {"coverage", "pytest-cov"} & set(tools):
        _coverage_plugins(facts, out)
    for name, (line, where) in facts.test_deps.items():  # matplotlib: pyparsing's tests use it
        if name not in out and name != normalise(facts.name) and name not in RUNNERS:
            out[name] = (line, f"the project's tests install it ({where})")
    if "pytest" in tools or "pytest-cov" in tools:
        out |= undeclared_plugins(facts, set(out))
    return tuple(out.values())


def _test_runner(facts: Facts, tool: str, pinned: tuple[str, str] | None) -> tuple[str, str]:
    """pytest (or pytest-cov) as a lock file pins it (webcolors' pdm.lock), else as the tests'
    own dependencies bound it (pygments' tox deps ``pytest ~= 8.2``: pytest 9 had run, and its
    PytestRemovedIn10Warning fails the project's ``-W error``), else whatever the project's test
    dependencies install."""
    if pinned is not None and pinned[1].startswith(LOCK_FILES):
        return pinned
    tested = facts.test_deps.get(tool)
    if tested is not None and requirement_names(tested[0]) == {tool} and tested[0].strip() != tool:
        return tested[0], f"as the project's tests install it ({tested[1]})"
    return tool, _TESTS_INSTALL


def type_packages(facts: Facts, shared: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """What the tox env that runs mypy installs and the checks' shared environment does not
    (natsort's ``fastnumbers>=5.0.1``, which its tests run without: installed for them, it would
    change what they run). Empty when there is nothing more."""
    have = requirement_names([req for req, _ in shared]) | {"mypy", normalise(facts.name), "tox"}
    have |= _type_files_install(facts)
    found = {
        name: (line, f"its type check installs it ({where})")
        for name, (line, where) in facts.type_deps.items()
        if name not in facts.test_deps
    }
    found |= {name: said for name, said in for_mypys_python(facts).items() if name not in found}
    return tuple(said for name, said in found.items() if name not in have)


def _type_files_install(facts: Facts) -> set[str]:
    """The names the requirement files the type check's environment installs name themselves: a
    stub another file pins beside mypy is not added again at that file's version (cachelib's
    requirements/typing.txt pins types-pyopenssl 23.0.0.2, its dev.txt 24.0.0: the two pins made
    its type check's environment unsatisfiable, the check never ran)."""
    files = [f for f, _ in requirement_files(facts, typed=True)]
    if not files and not no_requirement_files(facts):
        files = default_requirement_files(facts.repo)
    return {name for f in files for name in requirement_names(read_text(facts.repo / f))}


def for_mypys_python(facts: Facts) -> dict[str, tuple[str, str]]:
    """The declared requirements another Python installs that mypy's configured ``python_version``
    makes it check the code for (packaging: ``python_version = "3.10"`` and its test group's
    ``tomli; python_version<'3.11'``: on 3.11 mypy failed on 2 ``import tomli`` it could not
    follow, a clean release's type check red), without their marker."""
    if facts.mypy_python is None:
        return {}
    version, where = facts.mypy_python
    environment = {"python_version": version, "python_full_version": f"{version}.0"}
    found = {}
    for name, (line, place) in facts.elsewhere_deps.items():
        requirement = Requirement(line)
        try:
            holds = requirement.marker is not None and requirement.marker.evaluate(environment)
        except (UndefinedComparison, UndefinedEnvironmentName):  # not for mypy's Python as far as told
            holds = False
        if holds:
            requirement.marker = None
            why = f"mypy checks Python {version} ({where} python_version), where {place} installs it"
            locked = None if requirement.specifier else lock_version(facts.repo, name)
            if locked:  # flask's greenlet: its uv.lock's 3.2.4, not the latest
                requirement.specifier = SpecifierSet(f"=={locked[0]}")
                why += f"; {locked[1]}: {locked[0]}"
            found[name] = (str(requirement), why)
    return found


def _flake8_plugins(facts: Facts, out: dict[str, tuple[str, str]]) -> None:
    """The flake8 plugins the project declares (annotated-types' flake8-pyproject, without which
    flake8 ignores its ``[tool.flake8]`` settings: 67 violations where the project has none); not
    one only a tox env that does not run flake8 installs (mccabe's docstrings env: 72 D-codes)."""
    for name in sorted(facts.declared_names):
        places = facts.declared_at.get(name, [])
        linting = any("[testenv" not in p or p in facts.flake8_envs for p in places)
        if is_flake8_plugin(name) and name not in out and linting:
            out[name] = facts.pins.get(name) or (name, "a flake8 plugin the project declares")
    configs = facts.tools.get("flake8", [])
    if "pyproject.toml [tool.flake8]" in configs and not any(c.endswith("[flake8]") for c in configs):
        # linkify-it-py's max-line-length = 88 there, run by pflake8: 54 E501 with flake8 alone
        why = "flake8 reads [tool.flake8] only through it"
        if "pyproject-flake8" in facts.declared_names:
            why += " (the project declares pyproject-flake8, its wrapper)"
        out.setdefault("flake8-pyproject", ("flake8-pyproject", why))


def _coverage_plugins(facts: Facts, out: dict[str, tuple[str, str]]) -> None:
    """The packages of the plugins coverage.py's configuration loads (pyflakes' covdefaults;
    ``Cython.Coverage`` is Cython's): by name at the version the project declares, if it does."""
    for module, where in facts.coverage_plugins.items():
        name = normalise(module.split(".")[0])
        if name in out or name == normalise(facts.name) or _checkout_module(facts.repo, module.split(".")[0]):
            continue
        why = f"coverage.py loads it ({where})"
        if name in facts.test_deps:
            out[name] = (facts.test_deps[name][0], f"{why}; the project's tests install it at this version")
        elif name in facts.dependencies or name in facts.declared_names:
            out[name] = (name, f"{why}; the version the project declares")
        else:
            out[name] = facts.pins.get(name) or (name, why)


def _checkout_module(repo: Path, module: str) -> bool:
    """A module of the checkout, at its top or one folder down (filelock's coverage plugin
    ``coverage_pragmas`` is its ``tasks/coverage_pragmas.py``, on its tests' ``pythonpath``; listed
    as a package to install, the environment failed: no such package on the index)."""
    places = [repo, *(p for p in repo.iterdir() if p.is_dir() and not p.name.startswith("."))]
    return any((p / f"{module}.py").is_file() or (p / module / "__init__.py").is_file() for p in places)


def _hook_dependency(facts: Facts, out: dict[str, tuple[str, str]], tool: str, text: str) -> None:
    """What the project's pre-commit hook for ``tool`` installs with it (flake8's plugins, mypy's
    stubs and imports). One the project declares elsewhere is listed by name only: a pin there
    (iniconfig's mypy hook: ``pytest==7.2.0``) would replace the version its tests declare."""
    found = requirement_lines(text)
    if not found:
        return
    name, line = next(iter(found.items()))
    if name in out or name == normalise(facts.name):
        return
    why = f"the project's {tool} hook installs it (pre-commit additional_dependencies)"
    if name in facts.dependencies or name in facts.declared_names:
        out[name] = (name, why + "; the version the project declares")
    else:
        out[name] = (line, why)
