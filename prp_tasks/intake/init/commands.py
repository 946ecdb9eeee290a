"""The commands ``prp init`` writes into ``governance.commands``: the project's own tools, asked for
machine output the evidence reads (JUnit XML, ruff JSON, mypy JUnit XML, coverage XML), written
under ``.prp/reports/`` in the check's working directory, and told to leave no cache behind."""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from prp_tasks.core.argv import python_options
from prp_tasks.intake.init.commandbase import (
    NO_PYLINT_STATE,
    REPORTS,
    Command,
    excludes,
    leftover,
    linted_apart,
    only_declared,
    ruff_formats_only,
    scope_said,
)
from prp_tasks.intake.init.commandbase import where as _where
from prp_tasks.intake.init.facts import Facts
from prp_tasks.intake.init.formatting import format_check, unformatted_why
from prp_tasks.intake.init.packages import (
    extras_to_install,
    groups_to_install,
    no_requirement_files,
    requirement_files,
    tool_packages,
    type_packages,
)
from prp_tasks.intake.init.sources import normalise, read_text
from prp_tasks.intake.init.testcommand import test_command
from prp_tasks.intake.init.typecheck import no_type_check, type_check
from prp_tasks.intake.init.vendored import not_own_code, sets_extend_exclude


@dataclass(frozen=True)
class Plan:
    """The commands and the coverage decision for a repository."""

    commands: tuple[Command, ...]
    #: checks with no command, and why (``type-check``: no type checker configured)
    missing: dict[str, str]
    #: True when the test command writes COVERAGE_XML
    measures_coverage: bool
    coverage_note: str
    #: (requirement, why) of every tool the commands run: installed into an environment prp-tasks
    #: builds from the project's declarations (``environment.packages``)
    packages: tuple[tuple[str, str], ...] = ()
    #: (extra, why) when the project's test runs install extras the default choice would miss
    #: (``environment.extras``; unset, a built environment installs those of TEST_EXTRAS)
    extras: tuple[tuple[str, str], ...] = ()
    #: (group, why) likewise for dependency groups (``environment.groups``): the tests' tox env's
    #: ``dependency_groups``, and the typing ones when mypy runs (cachelib's stubs)
    groups: tuple[tuple[str, str], ...] = ()
    #: (name, value, why) of the variables the tests' tox env sets (``environment.variables``)
    variables: tuple[tuple[str, str, str], ...] = ()
    #: (requirement file, why) when the tests' tox env installs one not found by default
    requirements: tuple[tuple[str, str], ...] = ()
    #: (argv, why) of what the tests' tox env runs before them (``environment.prepare``)
    prepare: tuple[tuple[tuple[str, ...], str], ...] = ()
    #: (requirement, why) the type check needs that the tests do not: its own environment
    #: (``environments.type-check``), so they do not change what the tests run
    type_packages: tuple[tuple[str, str], ...] = ()
    #: the extras and groups of the type check's environment, when they are not the tests'
    type_extras: tuple[tuple[str, str], ...] = ()
    type_groups: tuple[tuple[str, str], ...] = ()
    #: the requirement files of the type check's environment (its tox env's too)
    type_requirements: tuple[tuple[str, str], ...] = ()
    #: why no requirement file is installed (``environment.requirements: []``), or ""
    no_requirements: str = ""


def _no_tests_here(facts: Facts) -> str:
    """Why no test command, when the checkout has no test module: that first, not the
    configuration (python-benedict's sdist: its tests are in its repository, not in the source
    distribution; xlrd's setup.py declares pytest in its ``test`` extra, which "no test tool found
    in the project's configuration" seemed to deny)."""
    if facts.test_files or facts.tests_dir:
        return ""
    sdist = " (a source distribution without its tests?)" if (facts.repo / "PKG-INFO").is_file() else ""
    return f"no test module (test*.py, *_test.py) in this checkout{sdist}: nothing to run"


def plan(facts: Facts) -> Plan:
    commands, missing = [], {}
    test, measures, coverage_note = test_command(facts)
    formats_only = ruff_formats_only(facts)  # (its configuration files read once)
    lint = _other_linters_unrun(facts, _lint(facts, formats_only))
    for name, made in (("test", test), ("lint", lint), ("format", format_check(facts))):
        if made is not None:
            commands.append(made)
        elif name == "lint" and (declared := _only_declared_lint(facts, formats_only)):
            missing[name] = declared
        elif name != "format":
            none_here = _no_tests_here(facts) if name == "test" else ""
            missing[name] = none_here or f"no {name} tool found in the project's configuration"
        elif why := unformatted_why(facts):
            missing[name] = why
    typed = type_check(facts)
    if typed is not None:
        commands.append(typed)
    else:
        missing["type-check"] = no_type_check(facts)
    tools = [tool for c in commands for tool in _runs(c.argv)]
    ran = python_options(test.argv)[1] if test is not None else []
    tools += ["pytest-cov"] if measures and ran and "coverage" not in ran[2:3] else []
    mypy_runs = "mypy" in tools
    requirements = requirement_files(facts)
    packages = tool_packages(facts, tools)
    _run_by_plugins(facts, packages if "flake8" in tools else ())
    _run_by_tests(facts, test)
    return Plan(
        tuple(commands), missing, measures, coverage_note,
        packages, extras_to_install(facts, False), groups_to_install(facts, False),
        tuple((k, v, f"its tests set it ({where})") for k, (v, where) in facts.test_variables.items()),
        requirements,
        tuple((argv, f"its tests' env runs it first ({where})") for argv, where in facts.test_prepare),
        type_packages=type_packages(facts, packages) if mypy_runs else (),
        no_requirements="" if requirements else no_requirement_files(facts),
        type_extras=extras_to_install(facts, mypy_runs), type_groups=groups_to_install(facts, mypy_runs),
        type_requirements=requirement_files(facts, typed=mypy_runs),
    )  # fmt: skip


def _runs(argv: tuple[str, ...]) -> list[str]:
    """The packages ``python -m X …`` runs: X, and for ``coverage run -m Y`` Y too."""
    argv = tuple(python_options(argv)[1])  # (aiosignal's ``python -bb -Werror -m pytest``)
    names = list(argv[2:3])
    if names == ["coverage"] and "-m" in argv[3:]:
        names.append(argv[argv.index("-m", 3) + 1])
    return [_RUNS[n] for n in names if n in _RUNS]


def _only_declared_lint(facts: Facts, formats: str) -> str:
    """Why a linter the project names is no lint check: only declared (tinydb's pycodestyle), or
    ruff only its formatter (``formats``: where ruff format runs, :func:`ruff_formats_only`)."""
    linters = ("pycodestyle", "pep8", "pylint", "flake8")  # not one the code runs on (autopep8's)
    tool = next((t for t in linters if facts.only_declared(t) and t not in facts.dependencies), None)
    if tool is None and formats:
        return (
            f"ruff is the project's formatter ({formats} runs ruff format): nothing of the project runs "
            "ruff check and its ruff configuration sets no lint rules, so nothing is linted; add a "
            "lint command to enforce it"
        )
    if tool is None:
        return ""
    return f"{only_declared(facts, tool)}, so nothing is linted; add a lint command to enforce it"


#: command -> the packages its argv runs (``python -m X``)
_RUNS = {
    "coverage": "coverage",
    "pytest": "pytest",
    "ruff": "ruff",
    "flake8": "flake8",
    "pylint": "pylint",
    "pycodestyle": "pycodestyle",
    "pep8": "pep8",
    "black": "black",
    "mypy": "mypy",
}


def _lint(facts: Facts, formats_only: str) -> Command | None:
    """The lint check; none of ruff when it only formats the project (``formats_only``: where ruff
    format runs, :func:`ruff_formats_only`)."""
    if facts.uses("ruff") and not formats_only:
        return _ruff_lint(facts)
    if facts.uses("flake8"):
        # the tests folder, or test modules beside the package (inflection's test_inflection.py);
        # tests inside a package are linted with it
        tests = [facts.tests_dir] if facts.tests_dir else facts.tests_modules
        tests = [t for t in tests if not any(t.startswith(f"{p}/") for p in facts.packages)]
        chosen, skipped = _not_skipped(facts, [*facts.packages, *tests])
        chosen = [] if facts.flake8_filename else chosen  # its config chooses the files
        targets = facts.lint_targets.get("flake8") or chosen or ["."]
        options = facts.lint_options.get("flake8", []) + excludes(facts, "flake8", targets)
        vendored = _vendored(facts, "flake8", options)
        report = f"--output-file={REPORTS}/flake8.txt"
        argv = ("python", "-m", "flake8", report, "--tee", *options, *vendored, *targets)
        linted = scope_said(targets, options, own="flake8" in facts.lint_targets) + _vendored_said(vendored)
        left_out = "" if "flake8" in facts.lint_targets or not skipped else f"; {skipped}"
        left_out += leftover(facts, "flake8") + linted_apart(facts, "flake8")
        if facts.flake8_filename and "flake8" not in facts.lint_targets:
            left_out += f"; lints the files {facts.flake8_filename} names"
        return Command(
            "lint", argv, f"flake8: {_where(facts, 'flake8')}{linted}{left_out}{_unconfigured(facts)}"
        )
    if facts.uses("pylint") and not facts.only_declared("pylint"):  # aniso8601's dev extra: 492 messages
        return _pylint(facts)
    # run by the project, else configured (toolz's CI runs pep8 beside a [pycodestyle] section)
    for tool in sorted(("pycodestyle", "pep8"), key=facts.only_configured):
        if facts.uses(tool) and not facts.only_declared(tool) and not _autopep8s(facts, tool):
            return _pycodestyle(facts, tool)
    return None


def _autopep8s(facts: Facts, tool: str) -> bool:
    """pycodestyle's configuration section is autopep8's, which reads it (the project names
    autopep8 and nothing runs pycodestyle); else it is the project's linter (kaitaistruct's
    ``[pycodestyle] max-line-length = 140``: "no lint tool found", its 3 E501 never seen)."""
    if not facts.only_configured(tool):
        return False
    hooks = read_text(facts.repo / ".pre-commit-config.yaml")
    return "autopep8" in facts.declared_names or "autopep8" in hooks or normalise(facts.name) == "autopep8"


def _ruff_lint(facts: Facts) -> Command:
    """The ruff lint check: its JSON report, the project's paths and options."""
    argv: tuple[str, ...] = ("python", "-m", "ruff", "check", "--no-cache")
    ruff = facts.lint_targets.get("ruff") or ["."]  # (ruff < 0.5 needs a path)
    options = facts.lint_options.get("ruff", []) + excludes(facts, "ruff", ruff)
    vendored = _vendored(facts, "ruff", options)
    old = old_ruff(facts)  # its JSON on stdout, read as well as a report file
    argv += (
        ("--format=json",)
        if old
        else ("--no-fix", "--output-format=json", f"--output-file={REPORTS}/ruff.json")
    )
    argv += (*options, *vendored, *ruff)
    linted = scope_said(ruff, options, own="ruff" in facts.lint_targets) + leftover(facts, "ruff")
    linted += f"; {old}" if old else ""
    linted += _vendored_said(vendored)
    linted += linted_apart(facts, "ruff")
    return Command("lint", argv, f"ruff: {_where(facts, 'ruff')}{linted}")


#: the first ruff with ``--output-format``, ``--output-file`` and ``--no-fix`` (0.0.291); before it
#: ``--format``, JSON on stdout
_RUFF_OUTPUT_FORMAT = Version("0.0.291")


def old_ruff(facts: Facts) -> str:
    """Why the lint command asks ruff for ``--format=json`` (on stdout): the project pins a ruff
    older than 0.0.291, which has no ``--output-format`` (starlette-context's ``ruff>=0.0.241,
    <0.0.242``: "unexpected argument '--output-format'", the lint check failing on prp's own
    command, never on a violation); '' for a newer one."""
    pinned = facts.pins.get("ruff")
    if pinned is None:
        return ""
    try:
        specifier = Requirement(pinned[0]).specifier
        bounds = [Version(s.version) for s in specifier if s.operator in ("==", "<", "<=", "~=")]
    except (InvalidRequirement, InvalidVersion):  # (``==0.0.*``: no bound read)
        return ""
    if not bounds or min(bounds) >= _RUFF_OUTPUT_FORMAT:
        return ""
    return (
        f"--format=json: the project pins ruff ({pinned[0]}) older than 0.0.291, which has no --output-format"
    )


def _unconfigured(facts: Facts) -> str:
    """What a flake8 with no configuration in the checkout lints by (inquirer's sdist lacks its
    ``.flake8``, whose ``max-line-length = 119`` and ``select`` make its code clean: flake8's
    defaults gave 167 violations, the advice blaming an unpinned flake8)."""
    configured = any(place in facts.config_places for place in facts.tools.get("flake8", []))
    if configured or facts.lint_options.get("flake8"):  # (python-slugify's tox passes its options)
        return ""
    return (
        "; no flake8 configuration in this checkout (.flake8, setup.cfg, tox.ini): it lints with "
        "flake8's defaults (79-character lines, every rule of its plugins)"
    )


def _vendored(facts: Facts, tool: str, options: list[str]) -> list[str]:
    """``--extend-exclude`` of the code that is not the project's own (:mod:`.vendored`), unless
    the command's ``options`` or the tool's configuration set one (a second would replace it)."""
    if any(o.startswith("--extend-exclude") for o in options):
        return []
    folders = not_own_code(facts.repo, facts.tests_dir)
    if not folders or sets_extend_exclude(facts.repo, tool):
        return []
    return [f"--extend-exclude={','.join(folders)}"]


def _vendored_said(option: list[str]) -> str:
    """What the comment says of the folders :func:`_vendored` leaves out."""
    if not option:
        return ""
    folders = option[0].partition("=")[2].replace(",", ", ")
    return (
        f"; leaves out {folders}: the project's coverage omits them and its mypy ignores their "
        "errors (code not its own)"
    )


#: flake8 plugins that run another checker inside the lint check, and that checker
_WRAPPED = {"flake8-isort": "isort", "flake8-docstrings": "pydocstyle", "flake8-bandit": "bandit"}


def _run_by_plugins(facts: Facts, packages: tuple[tuple[str, str], ...]) -> None:
    """A checker a flake8 plugin the lint check installs runs is no longer "not run here" (tqdm's
    pre-commit flake8 hook brings flake8-isort: the lint check enforces its isort order)."""
    for requirement, _ in packages:
        wrapped = _WRAPPED.get(normalise(re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0]))
        if wrapped:
            facts.unrun.pop(wrapped, None)


def _run_by_tests(facts: Facts, test: Command | None) -> None:
    """A checker pytest's ``addopts`` run as test items is run by the test check (dictdiffer's
    ``--isort --pydocstyle``: "not run here: isort; pydocstyle" while 16 of its 30 tests were theirs)."""
    if test is not None and "pytest" in test.argv:
        for checker in facts.tests_run:
            facts.unrun.pop(checker, None)


def _other_linters_unrun(facts: Facts, lint: Command | None) -> Command | None:
    """The linters the project runs besides the one the lint check runs are named "not run here"
    (plumbum's CI runs pylint through nox, its pre-commit ruff; the check runs ruff only;
    python-slugify's tox runs pycodestyle with ignores of its own besides flake8); those it only
    configures, in the lint check's comment (propcache's ``[flake8]`` beside the ruff it runs for
    imports: "lint-clean" passed on an unused import flake8 reports)."""
    chosen = lint.argv[2] if lint is not None and len(lint.argv) > 2 else ""
    others = [tool for tool in ("ruff", "flake8", "pylint", "pycodestyle", "pep8") if tool != chosen]
    for tool in others:
        for where in facts.run_places(tool):
            facts.ran_unchecked(tool, where)
    configured = [f"{t} ({', '.join(places[:2])})" for t in others if (places := facts.config_places_of(t))]
    if lint is None or not configured:
        return lint
    also = f"; the project also configures {', '.join(configured)}, which this check does not run"
    return dataclasses.replace(lint, why=lint.why + also)


def _not_skipped(facts: Facts, targets: list[str]) -> tuple[list[str], str]:
    """The targets the project's pytest lint plugins do not leave out whole, and what says so."""
    kept = [t for t in targets if not any(fnmatch.fnmatch(t, p) for p in facts.lint_skipped)]
    gone = [t for t in targets if t not in kept]
    if not gone:
        return kept, ""
    where = facts.lint_skipped[next(p for p in facts.lint_skipped if fnmatch.fnmatch(gone[0], p))]
    return kept, f"{', '.join(gone)} left out, as {where} does"


def _pylint(facts: Facts) -> Command:
    """pylint on what the project's own commands name, else its packages (python-json-logger's
    tox: ``pylint src``); its messages as JSON for the evidence, as text for the output."""
    targets = facts.lint_targets.get("pylint") or facts.packages or ["."]
    options = facts.lint_options.get("pylint", [])
    report = f"--output-format=json:{REPORTS}/pylint.json,text"
    # --persistent=n: no statistics saved in the user's home (~/.cache/pylint), whose "previous
    # run" score a later check's output then quoted (dacite)
    argv = ("python", "-m", "pylint", report, NO_PYLINT_STATE, *options, *targets)
    linted = scope_said(targets, options, own="pylint" in facts.lint_targets, chosen="its packages")
    linted += leftover(facts, "pylint")  # asttokens' pylint-1.x .pylintrc: 66 messages, run by nothing
    return Command("lint", argv, f"pylint: {_where(facts, 'pylint')}{linted}")


def _pycodestyle(facts: Facts, tool: str) -> Command:
    """pycodestyle, or pep8 (its old name, which toolz's CI still runs: pycodestyle's newer checks
    found 8 W605 that pep8 never reported), on what the project's commands name, with their
    options (python-slugify: ``pycodestyle --ignore=E128,… slugify test.py setup.py``)."""
    targets = facts.lint_targets.get(tool) or facts.packages or ["."]
    options = facts.lint_options.get(tool, [])
    argv = ("python", "-m", tool, *options, *targets)
    linted = scope_said(targets, options, own=tool in facts.lint_targets, chosen="its packages")
    return Command("lint", argv, f"{tool}: {_where(facts, tool)}{linted}")
