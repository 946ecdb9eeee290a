"""The test command ``prp init`` writes: pytest (with the project's own selection) or unittest
discovery, measured with pytest-cov or under ``coverage run`` as the project measures, or why not."""

from __future__ import annotations

import dataclasses
import os
import re
import shlex
from pathlib import Path

from prp_tasks.intake.init.commandbase import COVERAGE_XML, PYTEST_CACHE, REPORTS, Command, import_names
from prp_tasks.intake.init.commandbase import where as _where
from prp_tasks.intake.init.facts import PYTEST_FILES, Facts
from prp_tasks.intake.init.pytest_files import with_python_files, with_unittest_pattern
from prp_tasks.intake.init.runnerscripts import RUNNER_NAME, script_runner
from prp_tasks.intake.init.sources import read_text
from prp_tasks.intake.init.testmodules import NO_UNITTEST_CASES, PLAIN_FUNCTIONS

_UNMEASURED = "not measured: the tests run with unittest and no coverage tool is configured"


def test_command(facts: Facts) -> tuple[Command | None, bool, str]:
    """The test command, its comment saying when the checkout holds no test module at all
    (python-rsa's sdist leaves its tests out: pytest found nothing, exit 5, unforetold)."""
    test, measured, note = _test_command(facts)
    if test is not None and _finds_nothing(facts, test):
        why = f"{test.why}; no test module (test*.py, *_test.py) in this checkout: the run will find no test"
        test = dataclasses.replace(test, why=why)
    test = with_unittest_pattern(facts, with_python_files(facts, _with_python_options(facts, test)))
    return test, measured, note


def _with_python_options(facts: Facts, test: Command | None) -> Command | None:
    """The pytest run under the interpreter options the project's own command gives that change
    what it reports (aiosignal's tox: ``python -bb … -Werror -m pytest``; without them a
    ``b"x" != "x"`` in a test passed where the project's run fails)."""
    if test is None or facts.pytest_python_options is None or "pytest" not in test.argv[2:]:
        return test
    options, where = facts.pytest_python_options
    why = f"{test.why}; {shlex.join(options)} as {where} runs it"
    return dataclasses.replace(test, argv=(test.argv[0], *options, *test.argv[1:]), why=why)


def _finds_nothing(facts: Facts, test: Command) -> bool:
    """pytest's or unittest's discovery with no test module to find: none in the checkout and no
    tests folder, no ``python_files`` of the project's own, no doctests (``--doctest-modules`` in
    its config)."""
    argv = test.argv
    covered = argv[2:4] == ("coverage", "run") and "-m" in argv[3:]
    runner = argv[argv.index("-m", 3) + 1] if covered else argv[2] if argv[1:2] == ("-m",) else ""
    if facts.test_files or facts.tests_dir or runner not in ("pytest", "unittest"):
        return False  # (a tests folder may hold modules a plugin collects: invoke's pytest-relaxed)
    if facts.pytest_python_files is not None:
        return False
    configs = ("pyproject.toml", "setup.cfg", "tox.ini", "pytest.ini", "noxfile.py", "Makefile")
    return not any("doctest" in read_text(facts.repo / name) for name in configs)


def _test_command(facts: Facts) -> tuple[Command | None, bool, str]:
    if not facts.uses("pytest") and facts.uses("trial") and facts.trial_targets:
        return _trial(facts)
    if not facts.uses("pytest") or _runner_over_pytest(facts):
        return _unittest(facts)
    if _unittest_over_declared(facts):
        test, measured, note = _unittest(facts)
        said = f"; {facts.unittest_run} runs unittest, pytest is only declared ({_where(facts, 'pytest')})"
        return (dataclasses.replace(test, why=test.why + said) if test else None), measured, note
    quiet = [] if facts.pytest_quiet else ["-q"]
    argv = ["python", "-m", "pytest", *quiet, "-o", PYTEST_CACHE, f"--junitxml={REPORTS}/junit.xml"]
    why = f"pytest: {_where(facts, 'pytest')}"
    if facts.pytest_args and facts.pytest_args[0]:
        argv += facts.pytest_args[0]
        why += f"; {' '.join(facts.pytest_args[0])} as {facts.pytest_args[1]} runs it"
    elif unfound := _unfound_modules(facts):  # named so that pytest's discovery would pass them by
        argv += facts.tests_modules
        why += f"; {', '.join(unfound[:3])} named on the command line (not test_*.py)"
    elif folder := _unconfigured_tests_folder(facts):
        argv.append(folder)
        why += (
            f"; {folder}: its tests folder (no pytest configuration in this source distribution says "
            "where its tests are, and pytest from the top collects every folder)"
        )
    why += _doctests_unrun(facts, argv)
    argv, why = _as_xdist_goes_on(facts, argv, why)
    measurable = facts.coverage_installed_only is None
    if facts.uses("pytest-cov") and measurable and (facts.coverage_source or import_names(facts)):
        targets, note = _pytest_cov(facts)
        argv += [*targets, f"--cov-report=xml:{COVERAGE_XML}", "--cov-report=term"]
        return Command("test", tuple(argv), why + "; coverage with pytest-cov"), True, note
    if facts.uses("coverage") and measurable:
        return _coverage_run(facts, Command("test", tuple(argv), why))
    return Command("test", tuple(argv), why), False, _unmeasured(facts)


def _unconfigured_tests_folder(facts: Facts) -> str:
    """The tests folder of a source distribution that has no pytest configuration and no command
    of the project's running pytest (fabric's sdist leaves out its ``pytest.ini``, ``testpaths =
    tests``: from the top its pytest-relaxed collected setup.py, its docs' conf.py and
    integration/, 5 errors where 394 tests pass), or '': a top-level one, or one inside the package
    that setup.py's ``test_suite`` names (Cerberus: ``cerberus.tests``; from the top pytest stopped
    at its benchmarks, whose schemas the sdist leaves out: 0 tests, and a failing test unseen)."""
    folder = facts.tests_dir or ""
    places = facts.tools.get("pytest", [])
    configured = [p for p in places if p in facts.config_places and not p.endswith("conftest.py")]
    if not (facts.repo / "PKG-INFO").is_file() or configured:
        return ""
    if "/" in folder and folder != _test_suite_folder(facts):
        return ""
    return "" if facts.run_places("pytest") else folder  # (its tox, nox or CI runs it from the top)


#: setup.py's ``test_suite="cerberus.tests"`` (setuptools' old ``python setup.py test``)
_TEST_SUITE = re.compile(r"""\btest_suite\s*=\s*["']([\w.]+)["']""")


def _test_suite_folder(facts: Facts) -> str:
    """The folder setup.py's ``test_suite`` names (``cerberus/tests``), when the checkout has it."""
    found = _TEST_SUITE.search(read_text(facts.repo / "setup.py"))
    folder = found[1].replace(".", "/") if found else ""
    return folder if folder and (facts.repo / folder).is_dir() else ""


def _pytest_cov(facts: Facts) -> tuple[list[str], str]:
    """pytest-cov's options for the test command, and the note saying what they measure."""
    targets = [f"--cov={t}" for t in facts.cov_targets]  # what the project itself measures
    if not targets:
        # the project's own measure when its threshold was set for it: coverage's configured
        # source, or (no source, a fail_under) what runs (python-multipart: 100 with --cov,
        # 97.15 with --cov=multipart --cov=python_multipart, whose unimported shims count)
        bare = facts.coverage_source or facts.fail_under is not None
        bare = bare and facts.stale_coverage_source is None  # (a bare --cov reads the stale source)
        targets = ["--cov"] if bare else [f"--cov={n}" for n in import_names(facts)]
    note = f"measured with pytest-cov ({_where(facts, 'pytest-cov')})"
    if facts.addopts_bare_cov:  # rich-click: a --cov=PKG beside it narrowed nothing, as it said
        targets = []
        what = "coverage.py's configured source" if facts.coverage_source else "everything the tests run"
        what += "" if facts.coverage_source else " (the tests too)"
        note += f"; {facts.addopts_bare_cov} hold a bare --cov: {what} is measured, as in the project's run"
    elif not facts.cov_targets and targets != ["--cov"]:  # freezegun's bare --cov: its tests too
        note += f"; {' '.join(targets)}: its packages, as the project names none" + _stale(facts)
        note += _tests_measured(facts)
    return targets + (["--cov-branch"] if facts.cov_branch else []), note


#: pytest-xdist's workers run the tests of the modules they could collect, where pytest alone stops
#: at the first module it cannot (w3lib's tox runs ``-n auto``: 650 passed, 2 failed, 4 errors; its
#: check, in one process, "Interrupted: 2 errors during collection", no test run, the 2 failures
#: unseen)
ON_COLLECTION_ERRORS = "--continue-on-collection-errors"
_XDIST_GOES_ON = "the project's run goes on past a module it cannot collect, in pytest-xdist's workers"


def _as_xdist_goes_on(facts: Facts, argv: list[str], why: str) -> tuple[list[str], str]:
    """The command going on past a module it cannot collect when the project's runs in
    pytest-xdist's workers, which it does not (:data:`ON_COLLECTION_ERRORS`)."""
    if not facts.xdist_dropped:
        return argv, why
    said = f"; {ON_COLLECTION_ERRORS}: {_XDIST_GOES_ON} ({facts.xdist_dropped})"
    return [*argv, ON_COLLECTION_ERRORS], why + said


def _unfound_modules(facts: Facts) -> list[str]:
    """Test modules without a tests directory that pytest's default ``python_files``
    (``test_*.py``, ``*_test.py``) does not match: webencodings' ``webencodings/tests.py``, which
    pytest collects when named and never finds by itself; none when the project sets
    ``python_files`` (pytest finds them as configured)."""
    if facts.pytest_python_files is not None or facts.tests_dir is not None:
        return []  # (jsonpatch: naming tests.py left property_tests.py out)
    return [m for m in facts.tests_modules if not PYTEST_FILES.fullmatch(Path(m).name)]


def _coverage_run(facts: Facts, test: Command) -> tuple[Command, bool, str]:
    """The test command under ``coverage run`` with the project's own options: the check writes
    the XML report right after (:mod:`prp_tasks.checks.coverage_run`), as the project's second
    command, ``coverage report``, reads the same data."""
    options, where = facts.coverage_run or ((), _where(facts, "coverage"))
    # (a configuration file of its own may choose: glom's --rcfile .tox-coveragerc, source = glom)
    chooses = any(o.startswith(("--source", "--include", "--rcfile")) for o in options)
    unsaid = not facts.coverage_run or facts.stale_coverage_source is not None  # its own run's, else
    unbound = facts.coverage_run is not None and facts.fail_under is None  # no threshold set on it
    if (unsaid or unbound) and not chooses and not facts.coverage_source and import_names(facts):
        # what to measure, as pytest-cov's --cov=PKG: without it, html5lib's coverage 5 measured
        # pytest and pluggy in site-packages too (53% for the project's 90%); charset-normalizer's
        # own run names nothing (its installed package left its tests alone measured: 99%), here
        # its tests and its package were (90.61% for the package's 88.64%)
        options = (f"--source={','.join(import_names(facts))}", *options)
        where += _stale(facts) if unsaid else f"; {options[0]}: its packages, as its own run names none"
        where += _tests_measured(facts)
    serial: tuple[str, ...] = ("-n", "0") if facts.pytest_xdist and test.argv[2:3] == ("pytest",) else ()
    serial += (ON_COLLECTION_ERRORS,) if serial and ON_COLLECTION_ERRORS not in test.argv else ()
    argv = ("python", "-m", "coverage", "run", *options, "-m", *test.argv[2:], *serial)
    note = f"measured with coverage.py ({where}); the check runs `coverage xml` after `coverage run`"
    workers = facts.pytest_xdist
    serially = f"; -n 0: coverage run measures no pytest-xdist worker ({workers})" if serial else ""
    serially += f"; {ON_COLLECTION_ERRORS}: {_XDIST_GOES_ON}" if ON_COLLECTION_ERRORS in serial else ""
    note += serially  # bidict: 0%, "No data was collected", its tests having run in xdist's workers
    if facts.only_configured("coverage"):  # tinycss2, ordered-set: measured for the evidence only
        note += "; the project only configures coverage.py (no requirement names it, no command of its"
        note += (
            " seen here runs it): run here for the test evidence"  # (httpx: "no command runs it" beside it)
        )
    elif facts.only_declared("coverage"):  # html5lib, emoji: declared, run by nothing seen
        note += (
            "; the project only declares coverage.py (no command of its seen here runs it, no configuration):"
        )
        note += " run here for the test evidence"
    return Command("test", argv, f"{test.why}; coverage with coverage run{serially}"), True, note


def _tests_measured(facts: Facts) -> str:
    """What the note says of tests inside a package measured whole (radon's ``radon/tests``: its
    88.17% counted them, its library code alone measures 83%)."""
    folder = facts.tests_dir or ""
    inside = [n for n in import_names(facts) if f"/{folder}".startswith((f"/{n}/", f"/src/{n}/"))]
    return f"; its tests, in {folder}, are measured with it" if inside and folder else ""


def _stale(facts: Facts) -> str:
    """What the note says of a configured coverage source naming nothing of the checkout."""
    if facts.stale_coverage_source is None:
        return ""
    entries, where = facts.stale_coverage_source
    return f"; its configured source, {entries} ({where}), is nothing in the checkout: its packages instead"


def _trial(facts: Facts) -> tuple[Command | None, bool, str]:
    """Twisted's trial on what the project's first trial command runs (incremental's tox:
    ``coverage run {envbindir}/trial incremental``, 86 tests, where unittest discovery of its
    ``tests`` ran 1; its second, ``tests/test_examples.py``, builds the wheel tox made)."""
    argv = ("python", "-m", "twisted.trial", *facts.trial_targets)
    why = f"trial: {_where(facts, 'trial')}; {' '.join(facts.trial_targets)} as the project runs it"
    test = Command("test", argv, why)
    if facts.uses("coverage") and facts.coverage_installed_only is None:
        return _coverage_run(facts, test)
    return test, False, "not measured: the tests run with trial and no coverage tool is configured"


def _unittest(facts: Facts) -> tuple[Command | None, bool, str]:
    """The project's own test script when it runs one (:func:`own_runner`), else unittest discovery
    of the tests directory (``-t`` the folder it is imported from when it is a package, so its
    relative imports work), else of the test modules at the top."""
    own = own_runner(facts) or script_runner(facts)
    if own is not None:
        return _runner_measured(facts, own)
    if facts.tests_dir and facts.languages.get("Python"):
        start = _package_with_more_tests(facts) or facts.tests_dir
        argv: tuple[str, ...] = ("python", "-m", "unittest", "discover", "-s", start)
        argv += ("-t", _import_root(facts)) if facts.tests_package else ()
        argv += _test_file_pattern(facts.repo / facts.tests_dir)
        test = Command("test", argv, f"unittest: {start}/ and no pytest configuration")
    elif facts.tests_modules and facts.languages.get("Python"):
        argv = ("python", "-m", "unittest", "discover", "-s", ".", "-p", "test*.py")
        test = Command(
            "test", argv, f"unittest: {', '.join(facts.tests_modules[:3])} and no pytest configuration"
        )
    elif facts.unittest_run and facts.languages.get("Python"):  # no tests found: the check says so
        test = Command("test", ("python", "-m", "unittest"), f"unittest: as {facts.unittest_run} runs it")
    else:
        return None, False, "not measured: no test runner found"
    if facts.uses("coverage") and facts.coverage_installed_only is None:
        return _coverage_run(facts, test)
    return test, False, _UNMEASURED


def _doctests_unrun(facts: Facts, argv: list[str]) -> str:
    """The project's doctest run that the test command does not make (everett's doctest env)."""
    if facts.doctests_apart is None or "--doctest-modules" in argv:
        return ""
    command, where = facts.doctests_apart
    return f"; not run by this check: `{command}`, which {where} runs (add a command to run them)"


def own_runner(facts: Facts) -> Command | None:
    """The project's own test script, run as the project runs it and where (markdown2's tox runs
    ``make testone``, whose recipe is ``cd test && python test.py -- -knownfailure``: unittest
    discovery of ``test/`` imported 8 modules and ran none of its 190 tests), or None.

    A script counts when it is in the tests directory or named as a test runner (``runtests.py``,
    ``test_all.py``); the first found of: a make target the tests' tox env or CI runs, the tests'
    tox env's own command, a ``test``/``tests``/``check`` make target, any other place (not when
    the tests' tox env runs unittest itself: a script only another env runs is not its suite)."""
    found = _ranked_runner(facts)
    if found is None or (found[0] == _ELSEWHERE and facts.unittest_run):
        return None  # websockets' maxi_cov env script, where its tests env runs `python -m unittest`
    cwd, argv, where = found[1]
    why = f"the project's own test runner, as {where} runs it" + (f" in {cwd}/" if cwd != "." else "")
    target = where.rpartition(" recipe ")[2] if " recipe " in where else ""
    if target in facts.make_runs:  # markdown2: tox.ini [testenv] runs make testone
        why += f" ({facts.make_runs[target]} runs make {target})"
    return Command("test", argv, why + _also_run(facts, argv, where), "" if cwd == "." else cwd)


def _also_run(facts: Facts, argv: tuple[str, ...], where: str) -> str:
    """The project's other test scripts the same place runs, which this check does not (autopep8's
    tox runs ``test/acid.py`` twice after its unit tests: nothing had said so)."""
    others = [
        shlex.join(s[1])
        for s in facts.python_files_run
        if s[2] == where and s[1] != argv and _test_script(facts, s[0], s[1][1:])
    ]
    if not others:
        return ""
    more = f" and {len(others) - 3} more" if len(others) > 3 else ""
    said = ", ".join(f"`{o}`" for o in others[:3]) + more
    return f"; not run by this check: {said}, which {where} runs too (add a command to run them)"


def _ranked_runner(facts: Facts) -> tuple[int, tuple[str, tuple[str, ...], str]] | None:
    """(rank, (folder, argv, where)) of the project's first test script (:func:`own_runner`)."""
    if not facts.languages.get("Python"):
        return None
    found = [s for s in facts.python_files_run if _test_script(facts, s[0], s[1][1:])]
    return min(((_runner_rank(facts, s[2]), s) for s in found), key=lambda r: r[0], default=None)


def _runner_measured(facts: Facts, own: Command) -> tuple[Command, bool, str]:
    """The project's own runner, under ``coverage run`` with its options when the project runs it
    so (argcomplete's Makefile: ``coverage run --source=argcomplete --omit=… ./test/test.py -v``)
    at the top of the checkout (the report is read from there)."""
    found = _ranked_runner(facts)
    ran_by = found[1][2] if found is not None and found[1][1] == own.argv else None  # its command's place
    measured = facts.coverage_run is not None and facts.coverage_run[1] == ran_by
    if not measured or facts.coverage_run is None or own.workdir or facts.coverage_installed_only:
        script = next((a for a in own.argv[1:] if a.endswith(".py")), own.argv[-1])  # not -Wd
        return own, False, f"not measured: the tests run with the project's own runner ({script})"
    options, where = facts.coverage_run
    argv = ("python", "-m", "coverage", "run", *options, *own.argv[1:])
    note = f"measured with coverage.py ({where}); the check runs `coverage xml` after `coverage run`"
    return Command("test", argv, f"{own.why}; coverage with coverage run"), True, note


def _runner_over_pytest(facts: Facts) -> bool:
    """The tests' tox env (or the make target it runs) runs the project's own test script, and
    pytest is only guessed from the test modules' style: dill's tox runs ``dill/tests/__main__.py``,
    which runs each ``test_*.py`` as a script (30 pass), where pytest collected them with 6 errors;
    or pytest is configured and nothing of the project runs it (defusedxml's tox runs ``coverage run
    tests.py``, a unittest suite its ``test_main()`` builds, 81 tests, none failing, beside a
    ``[pytest]`` section: pytest collected its abstract base tests, "91 tests: 11 failed")."""
    guessed = all(p.endswith((" imports pytest", f": {PLAIN_FUNCTIONS}", f": {NO_UNITTEST_CASES}"))
                  for p in facts.tools.get("pytest", []))  # fmt: skip
    found = _ranked_runner(facts)
    return (guessed or facts.never_run("pytest")) and found is not None and found[0] < 2


def _unittest_over_declared(facts: Facts) -> bool:
    """The tests' tox env runs unittest and pytest is only among the requirements (nothing
    configures or runs it): pathspec's tox runs ``python -m unittest discover``; its dev group's
    pytest and pytest-benchmark are for its benchmarks."""
    return bool(facts.unittest_run) and facts.only_declared("pytest")


def _test_script(facts: Facts, cwd: str, args: tuple[str, ...]) -> bool:
    if args[:2] == ("-m", "nose2"):  # a runner of unittest's cases (semantic-version's Makefile)
        return True
    module = args[1].replace(".", "/") + ".py" if args[:1] == ("-m",) and len(args) > 1 else ""
    script = module or next((a for a in args if a.endswith(".py")), "")
    path = os.path.normpath(os.path.join(cwd, script))
    inside = bool(facts.tests_dir) and path.startswith(f"{facts.tests_dir}/")
    return inside or bool(RUNNER_NAME.fullmatch(os.path.basename(path)))


def _runner_rank(facts: Facts, where: str) -> int:
    recipe = where.rpartition(" recipe ")[2] if " recipe " in where else None
    if recipe is not None and recipe in facts.make_runs:
        return 0
    if where == facts.test_env:
        return 1
    return 2 if recipe in ("test", "tests", "check") else _ELSEWHERE


#: the rank of a test script run elsewhere than the tests' own env, make target or CI
_ELSEWHERE = 3


def _test_file_pattern(folder: Path) -> tuple[str, ...]:
    """``-p *_test.py`` when the folder's test modules are named so (colorama's ``ansi_test.py``):
    discovery's default, ``test*.py``, would find none of them."""
    if any(folder.rglob("test*.py")) or not any(folder.rglob("*_test.py")):
        return ()
    return ("-p", "*_test.py")


def _package_with_more_tests(facts: Facts) -> str | None:
    """The package whose tests folder was found when it holds test modules elsewhere too
    (aniso8601's ``aniso8601/builders/tests``: discovery of ``aniso8601/tests`` ran 97 of its 144
    tests; the project's own ``python -m unittest discover aniso8601`` runs them all)."""
    found = Path(facts.tests_dir or ".")
    package = found.parent
    if package == Path(".") or str(package) not in facts.packages or not facts.tests_package:
        return None
    others = (p for p in (facts.repo / package).rglob("test*.py") if facts.repo / found not in p.parents)
    return str(package) if any(p.parent.name in ("tests", "test") for p in others) else None


def _import_root(facts: Facts) -> str:
    """The folder a tests package is imported from: its first parent that is no package itself
    (``tests`` -> ``.``, decorator's ``src/tests`` -> ``src``, toolz's ``toolz/tests`` -> ``.``)."""
    folder = Path(facts.tests_dir or ".").parent
    while folder != Path(".") and (facts.repo / folder / "__init__.py").is_file():
        folder = folder.parent
    return str(folder)


def _unmeasured(facts: Facts) -> str:
    """Why pytest runs without coverage: no coverage tool, or one that reports installed copies."""
    if facts.coverage_installed_only is not None:
        patterns, where = facts.coverage_installed_only
        return (
            f"not measured: the project's coverage report counts only an installed copy ({where}: "
            f"{patterns}), and checks run the sources in the workspace, where it would report nothing; "
            "to enforce coverage, report the sources (an include of their paths) and set budgets.coverage"
        )
    return "not measured: no coverage tool is configured"
