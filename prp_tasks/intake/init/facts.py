"""What ``prp init`` found in a repository, and where it saw each thing."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: checkers a project may run that prp init writes no command for: named, so a passing G3 is not
#: read as "everything the project checks passed" (isort's import order, codespell's spelling …)
UNRUN_TOOLS = frozenset(
    {"isort", "pyupgrade", "codespell", "bandit", "pydocstyle", "autoflake", "docformatter", "vulture",
     "interrogate", "check-manifest", "pip-audit", "safety", "deptry", "sphinx-lint", "validate-pyproject",
     "stubtest", "doc8", "pyspelling", "regexlint"}
)  # fmt: skip
#: the type checkers besides mypy a project may use, which prp init does not set up (parso's
#: zuban: "Switch the type checker to Zuban", its ``[tool.zuban]``, had read "no type checker")
OTHER_TYPE_CHECKERS = ("pyright", "pyrefly", "ty", "zuban")
#: the test modules pytest finds by itself (its default ``python_files``)
PYTEST_FILES = re.compile(r"test_.*\.py|.*_test\.py")
#: places that name a tool without running it: a test module importing pytest, pytest's addopts
_NAMES_ONLY = re.compile(r" imports pytest$|\baddopts$")


@dataclass
class Facts:
    """Everything found, each list of sources human-readable (``pyproject.toml [tool.ruff]``)."""

    repo: Path
    name: str = ""
    description: str = ""
    readme: tuple[str, str] | None = None  # (file, first paragraph)
    metadata_file: str | None = None
    license: tuple[str, str] | None = None  # (expression, where)
    license_file: str = ""  #: the file the metadata names (``license = {file = "MIT-LICENSE"}``)
    #: the ``License ::`` classifiers' licences (``MIT License``), and where
    license_classifiers: tuple[list[str], str] = ([], "")
    authors: list[str] = field(default_factory=list)
    languages: Counter[str] = field(default_factory=Counter)
    packages: list[str] = field(default_factory=list)  # paths: src/pkg, pkg
    tests_dir: str | None = None
    tests_package: bool = False  # the tests directory is a package (its __init__.py)
    tests_modules: list[str] = field(default_factory=list)  # without one: tests.py, test_x.py at the top
    tools: dict[str, list[str]] = field(default_factory=dict)
    #: checkers the project runs that no check of prp init's runs (isort, codespell …, the flake8
    #: plugins of another tox env than the lint check's: requests-toolbelt's docstrings) -> where
    unrun: dict[str, list[str]] = field(default_factory=dict)
    codeowners: str | None = None
    ci: list[str] = field(default_factory=list)
    scripts: bool = False  # declares console scripts
    dependencies: set[str] = field(default_factory=set)
    #: every name the project's extras, groups, requirement files and tox deps declare
    declared_names: set[str] = field(default_factory=set)
    #: tool -> the folders its pre-commit hook leaves out (pycodestyle: ``exclude: ^testing/data/``)
    hook_excludes: dict[str, list[str]] = field(default_factory=dict)
    #: where the authors were read, when not the metadata file (natsort: setup.cfg, its name in setup.py)
    authors_file: str = ""
    #: where requirements are declared (a tool seen only there is installed, not necessarily run)
    declaration_places: set[str] = field(default_factory=set)
    #: the Hatch environments hatch.toml declares (the others are pyproject.toml's)
    hatch_toml_envs: set[str] = field(default_factory=set)
    #: where tools are configured (a tool seen only there may be a leftover: asttokens' .pylintrc)
    config_places: set[str] = field(default_factory=set)
    #: name -> where it is declared; and the deps of the first listed tox env running flake8 (its
    #: command is the lint check's; another env's plugins are not: requests-toolbelt's docstrings)
    declared_at: dict[str, list[str]] = field(default_factory=dict)
    flake8_envs: set[str] = field(default_factory=set)
    #: the extras the project's static metadata declares (pyproject.toml, setup.cfg), as written
    extras: list[str] = field(default_factory=list)
    #: extra -> where the project's test runs install it (tox ``extras``), or which module of it
    #: the tests import when no tox env says
    test_extras: dict[str, str] = field(default_factory=dict)
    #: the dependency groups the project declares ([dependency-groups], PDM dev groups)
    groups: list[str] = field(default_factory=list)
    #: the extras and groups (normalised) that declare pytest itself: where the test tools are
    declares_pytest: set[str] = field(default_factory=set)
    #: group -> where the project's test runs install it (tox ``dependency_groups``)
    test_groups: dict[str, str] = field(default_factory=dict)
    #: variable -> (value, where) the project's test runs set (tox ``setenv`` of the tests' env)
    test_variables: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: extra or group -> where the project's type check installs it (the tox env running mypy)
    type_needs: dict[str, str] = field(default_factory=dict)
    #: requirement name -> (line, where) of what the project's test runs install (tox ``deps``)
    test_deps: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: name -> (requirement line, where) of what the tox env that runs mypy installs (natsort: fastnumbers)
    type_deps: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: requirement file -> where the project's test runs (or type check) install it (tox ``deps = -r FILE``)
    test_requirement_files: dict[str, str] = field(default_factory=dict)
    #: those of them only the type check installs (blinker's ``requirements/typing.txt``)
    type_requirement_files: set[str] = field(default_factory=set)
    #: the tox env that runs the tests (``tox.ini [testenv]``), when there is one
    test_env: str = ""
    #: where the project runs its tests with ``python -m unittest`` (tox: the tests' env), if it does
    unittest_run: str = ""
    #: (folder, argv, where) of the commands running a Python file of the checkout, ``python
    #: test.py -- -knownfailure`` in ``test`` (markdown2's Makefile): the project's own test runner
    python_files_run: list[tuple[str, tuple[str, ...], str]] = field(default_factory=list)
    #: where the project runs ``pre-commit run`` (tox, CI, a recipe), if it does
    pre_commit_run: str = ""
    #: the hooks file the checkout has (``.pre-commit-config.yaml``, ``prek.toml``; '' for none)
    hooks_file: str = ""
    #: make target -> where the project's main test env or CI runs it (markdown2's tox: ``make testone``)
    make_runs: dict[str, str] = field(default_factory=dict)
    #: (argv, where) of what the tests' tox env runs before them (``commands_pre``)
    test_prepare: list[tuple[tuple[str, ...], str]] = field(default_factory=list)
    mypy_files: bool = False  # mypy's config names what to check
    #: the paths mypy's config ``files`` lists (globs kept as written)
    mypy_listed: list[str] = field(default_factory=list)
    #: the packages mypy's config ``packages`` lists
    mypy_packages: list[str] = field(default_factory=list)
    mypy_targets: list[str] = field(default_factory=list)  # from how the project runs mypy
    #: (command, where) of a later pytest command running doctests the test command does not
    doctests_apart: tuple[str, str] | None = None
    #: the tests' tox env when it runs a unittest-style discovery of the tests (``testtools.run discover``)
    discovered_by: str = ""
    #: ruff/flake8 -> the paths the project's own commands and hooks lint (``.``: everything)
    lint_targets: dict[str, list[str]] = field(default_factory=dict)
    #: file pattern -> where the project's pytest lint plugins leave it out whole (six's setup.cfg
    #: ``flakes-ignore = test_six.py ALL``)
    lint_skipped: dict[str, str] = field(default_factory=dict)
    #: ruff/flake8 -> the options of the project's first command running it (``--ignore=E501``)
    lint_options: dict[str, list[str]] = field(default_factory=dict)
    #: ruff/flake8/black -> the files its commands name that the checkout lacks (``sh_test.py``)
    lint_unfound: dict[str, list[str]] = field(default_factory=dict)
    #: ruff/flake8 -> (paths, options, where) of a later command linting them with other options:
    #: not merged into the first's (blessed's ``--exclude=tests`` would have left its tests out)
    lint_apart: dict[str, tuple[list[str], list[str], str]] = field(default_factory=dict)
    cov_targets: list[str] = field(default_factory=list)  # from how the project runs pytest-cov
    cov_addopts: list[str] = field(default_factory=list)  # of them, what pytest's addopts measure
    cov_main: str = ""  # where the main test run is whose targets they are ('' none seen measures)
    #: where pytest's addopts hold a bare ``--cov``: everything the tests run is measured, whatever
    #: else a command names (rich-click's: its tests counted in the total)
    addopts_bare_cov: str = ""
    cov_branch: bool = False  # the project's pytest command measures branches (``--cov-branch``)
    #: the options of the project's own ``coverage run`` (``--include=pkg/*.py``) and where it is
    coverage_run: tuple[tuple[str, ...], str] | None = None
    #: (paths and options that change what runs, where) of the first pytest command the project runs
    pytest_args: tuple[list[str], str] | None = None
    #: the interpreter options that change what it reports of that command, and where (aiosignal's
    #: tox: ``python -bb -E -s -I -Werror -m pytest`` -> ``-bb -Werror``)
    pytest_python_options: tuple[list[str], str] | None = None
    #: what the project's first Twisted trial command runs (modules or paths)
    trial_targets: list[str] = field(default_factory=list)
    #: pytest's ``addopts`` make it quiet already (``-q``): the test command adds none
    pytest_quiet: bool = False
    #: where the project sets pytest's ``python_files`` (jsonpatch's pytest.ini: ``tests.py
    #: property_tests.py``): pytest then finds its test modules by itself
    pytest_python_files: str | None = None
    #: pytest plugin -> where the project turns it off (pytest-enabler's ``[tool.pytest-enabler.mypy]``
    #: table without ``addopts``: cssutils declares pytest-mypy, and its tests never run mypy)
    plugins_off: dict[str, str] = field(default_factory=dict)
    #: (version, where) of the Python mypy's configuration checks the code for (packaging's
    #: ``python_version = "3.10"``: mypy follows its ``else: import tomli`` branch)
    mypy_python: tuple[str, str] | None = None
    #: name -> (line, where) of declared requirements whose marker leaves them out on this Python
    #: (packaging's test group: ``tomli; python_version<'3.11'``)
    elsewhere_deps: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: what leaves the project's .pre-commit-config.yaml out of its source distribution
    #: (exceptiongroup's ``[tool.flit.sdist] exclude``): a checkout of one lacks its hooks
    hooks_left_out: str = ""
    #: how many test modules the checkout holds (``test*.py``, ``*_test.py``, anywhere)
    test_files: int = 0
    #: where flake8's configuration sets ``filename``, the files ``flake8 .`` checks (jsonpointer's
    #: ``*.py,./bin/jsonpointer``: its script is linted too, not only its module and tests)
    flake8_filename: str = ""
    #: pytest plugin -> the configuration and option of it the project's pytest configuration
    #: sets (janus' ``asyncio_mode``: pytest-asyncio)
    option_plugins: dict[str, str] = field(default_factory=dict)
    #: where pytest's ``addopts`` run the tests in pytest-xdist workers ('' when they do not)
    pytest_xdist: str = ""
    #: checker -> where pytest's ``addopts`` run it as test items (``--isort``: pytest-isort)
    tests_run: dict[str, str] = field(default_factory=dict)
    #: where the project's pytest command runs its tests in pytest-xdist workers (``tox.ini
    #: [testenv] -n auto``), which the check's command does not: one process, as prp runs tests
    xdist_dropped: str = ""
    #: where the project runs mypy with ``--install-types`` (it installs the stubs it misses)
    mypy_install_types: str = ""
    #: coverage's config names what to measure (``[run]`` source, source_pkgs or include: asttokens'
    #: ``include = asttokens/*``, which a ``--cov=PKG`` would override)
    coverage_source: bool = False
    #: (its entries, where) of a coverage ``source``/``include`` that names nothing the checkout has
    #: (ordered-set's ``source = ordered_set.py``, its module long a package: "No data to report")
    stale_coverage_source: tuple[str, str] | None = None
    coverage_branch: bool = False
    #: coverage.py plugin module -> where its configuration names it (pyflakes' ``covdefaults``)
    coverage_plugins: dict[str, str] = field(default_factory=dict)
    fail_under: tuple[float, str] | None = None
    #: coverage.py's report ``precision`` (decimals of the total its ``fail_under`` check rounds to)
    coverage_precision: int = 0
    #: the CI job that combines coverage data other jobs uploaded and applies the threshold to it
    #: (structlog's: 100 for every Python and extra together; one environment measures 94%)
    combined_fail_under: str = ""
    #: where the coverage threshold is set on a run appending to an earlier one's data
    #: (``--cov-append``: tqdm's Makefile measures its notebook tests first)
    appended_fail_under: str = ""
    #: (target, where) of codecov's project status target (pytz-deprecation-shim's codecov.yml:
    #: "100"): codecov's gate on the reports CI uploads, not a threshold a local run applies
    codecov_target: tuple[str, str] | None = None
    #: (patterns, where) of a coverage report ``include`` that counts only installed copies
    coverage_installed_only: tuple[str, str] | None = None
    config: dict[str, Any] = field(default_factory=dict)  # parsed pyproject.toml
    #: tool -> (requirement with the project's pin, where the pin is); pre-commit revs included
    pins: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: tool -> (requirement with a bound that is no exact pin, where): ``ruff<=0.16``
    bounds: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: tool -> plugins the project runs it with (pre-commit ``additional_dependencies``)
    plugins: dict[str, list[str]] = field(default_factory=dict)

    def pin(self, tool: str, requirement: str, where: str) -> None:
        self.pins.setdefault(tool, (requirement, where))

    def mypy_configured(self, files: object, packages: object = None) -> None:
        """mypy's config names what to check (``files`` or ``packages``); the paths ``files`` lists
        and the packages ``packages`` does (a comma or space separated string in an INI file, a
        string or a list in pyproject.toml)."""
        self.mypy_files = True
        for value, kept in ((files, self.mypy_listed), (packages, self.mypy_packages)):
            listed = re.split(r"[,\s]+", value) if isinstance(value, str) else value
            if isinstance(listed, list) and not kept:
                kept += [str(f) for f in listed if f]

    def coverage_measures(self, entries: list[str], where: str) -> None:
        """coverage's configured ``source``/``source_pkgs``/``include`` (paths, modules, globs):
        what it measures when one names something of the checkout, else stale."""
        entries = [
            part for e in entries for part in e.split(",") if part.strip()
        ]  # defopt's "defopt,test_defopt"
        if not entries:
            return
        if any(_in_checkout(self.repo, e) for e in entries):
            self.coverage_source = True
        elif not self.coverage_source:
            self.stale_coverage_source = (", ".join(entries), where)

    def saw(self, tool: str, where: str) -> None:
        places = self.tools.setdefault(tool, [])
        if where not in places:
            places.append(where)

    def ran_unchecked(self, tool: str, where: str) -> None:
        """The project runs ``tool`` (one of :data:`UNRUN_TOOLS`) at ``where``."""
        places = self.unrun.setdefault(tool, [])
        if where not in places:
            places.append(where)

    def configured(self, tool: str, where: str) -> None:
        """``where`` configures the tool (a configuration file or section)."""
        self.config_places.add(where)
        self.saw(tool, where)

    def only_configured(self, tool: str) -> bool:
        """Whether the tool is only configured: no requirement names it, nothing runs it."""
        return self.uses(tool) and set(self.tools[tool]) <= self.config_places

    def never_run(self, tool: str) -> bool:
        """Whether only configurations and requirements name the tool while the project's
        automation (CI, hooks, tox/nox envs, tasks) is seen running others: nothing runs it."""
        automated = any(self.run_places(other) for other in self.tools)
        return self.uses(tool) and automated and not self.run_places(tool)

    def run_places(self, tool: str) -> list[str]:
        """Where the project runs the tool (its CI steps, hooks, envs, tasks), not where it only
        configures or declares it."""
        names = self.config_places | self.declaration_places
        return [p for p in self.tools.get(tool, []) if p not in names and not _NAMES_ONLY.search(p)]

    def config_places_of(self, tool: str) -> list[str]:
        """Where the tool is configured, when nothing seen runs it (else: [])."""
        if self.run_places(tool):
            return []
        return [p for p in self.tools.get(tool, []) if p in self.config_places]

    def uses(self, tool: str) -> bool:
        return tool in self.tools

    def runs_in_tests(self, plugin: str) -> bool:
        """Whether the tests run the pytest ``plugin`` (pytest-mypy): declared and not turned off."""
        return plugin in self.declared_names and plugin not in self.plugins_off

    def only_declared(self, tool: str) -> bool:
        """Whether the tool is only named among requirements: nothing configures or runs it."""
        return self.uses(tool) and set(self.tools[tool]) <= self.declaration_places


def _in_checkout(repo: Path, entry: str) -> bool:
    """Whether a coverage source entry names a path, a glob's match, or a module of the checkout
    (at the top or under ``src/`` or ``lib/``: defopt's ``lib/defopt.py``)."""
    entry = entry.strip().removeprefix("./")
    if any(c in entry for c in "*?["):
        return any(repo.glob(entry.lstrip("/"))) or any((repo / "src").glob(entry.lstrip("/")))
    parts = entry.split(".")
    for root in (repo, repo / "src", repo / "lib"):
        if (root / entry).exists() or (root.joinpath(*parts)).is_dir():
            return True
        if root.joinpath(*parts[:-1], parts[-1] + ".py").is_file():
            return True
    return False
