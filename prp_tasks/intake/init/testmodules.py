"""What the project's test modules say about how they run: pytest when they are written for it
(:func:`test_imports`), and the extras whose distributions they import (:func:`imported_extras`)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from prp_tasks.environments.extra_requirements import extra_requirements, provided_by
from prp_tasks.environments.projectfiles import EnvironmentSetupError
from prp_tasks.intake.init.facts import Facts

#: a test module that imports pytest is run by pytest, whatever else the project configures
_IMPORTS_PYTEST = re.compile(r"^\s*(?:import pytest\b|from pytest\b|from _pytest\b)", re.M)
#: a unittest case class (``from unittest import mock`` is none: dpath's)
_UNITTEST_CASE = re.compile(r"TestCase\b|\bunittest\.main\(|\bload_tests\(")  # distlib's DistlibTestCase too
#: a module-level test function (not ``test_suite()``, an old way of handing unittest a suite)
_TEST_FUNCTION = re.compile(r"^def test(?!_suite\()\w*\(", re.M)
#: a test class pytest collects and unittest does not: no ``TestCase`` among its bases
#: (uritemplate's ``class TestSpecExamples(FixtureMixin):``, 19 tests unittest skipped unsaid)
_TEST_CLASS = re.compile(
    r"^class Test\w*(?:\((?![^)]*TestCase)[^)]*\))?:(?:\n(?:[ \t].*)?)*?\n[ \t]+def test", re.M
)  # with a test method: not distlib's helper ``class TestContainer(object):``
#: why pytest, said of a test module
PLAIN_FUNCTIONS = "plain test functions, no unittest cases"
NO_UNITTEST_CASES = "test classes that are no unittest cases"
#: test modules looked at (their first 8 KB), enough to find a suite's style
_TEST_MODULES_READ = 50


def test_imports(facts: Facts) -> None:
    """pytest, when a test module imports it (packaging 24: no pytest configuration at all), or
    when a test module holds plain functions and no ``unittest`` case class (toolz; dpath: 12 of
    its 13 modules, the 13th a ``TestCase``): unittest would run none of them (dpath: 15 tests
    of 79), and Python 3.11's unittest calls that OK; pytest runs the cases too; likewise test
    classes with no ``TestCase`` base (uritemplate: unittest ran 39 of its 58 tests)."""
    if facts.uses("pytest"):
        return
    for path, head in _heads(facts, 8192):
        if _IMPORTS_PYTEST.search(head):
            facts.saw("pytest", f"{path.relative_to(facts.repo)} imports pytest")
            return
        if _TEST_FUNCTION.search(head) and not _UNITTEST_CASE.search(head):
            facts.saw("pytest", f"{path.relative_to(facts.repo)}: {PLAIN_FUNCTIONS}")
            return
        if _TEST_CLASS.search(head) and not _UNITTEST_CASE.search(head):
            facts.saw("pytest", f"{path.relative_to(facts.repo)}: {NO_UNITTEST_CASES}")
            return


def _heads(facts: Facts, size: int) -> list[tuple[Path, str]]:
    """The first ``size`` characters of each test module (at most :data:`_TEST_MODULES_READ`)."""
    if facts.tests_dir is not None:
        folder = facts.repo / facts.tests_dir
        modules = sorted(folder.rglob("test_*.py")) + sorted(folder.rglob("*_test.py"))
    else:
        modules = [facts.repo / name for name in facts.tests_modules]
    found = []
    for path in modules[:_TEST_MODULES_READ]:
        try:
            with path.open(encoding="utf-8", errors="replace") as handle:
                found.append((path, handle.read(size)))
        except OSError:
            continue
    return found


#: an import statement, also inside a function or a ``try:`` (schedule's tests import pytz in
#: each test that needs it, and skip "pytz unavailable" without it)
_IMPORT = re.compile(r"^\s*(?:from\s+([A-Za-z_]\w*)[\w.]*\s+import\b|import\s+([A-Za-z_]\w*))", re.M)


def imported_extras(facts: Facts) -> None:
    """An extra of the project whose distribution its test modules import, when no test run of
    the project's (a tox env) says what to install: installed for the tests (schedule 1.2.2:
    its ``timezone`` extra declares pytz, which 41 of its 81 tests import and skip without)."""
    if facts.test_env or facts.test_extras or not facts.extras:  # (tabulate's tox tests: no extra)
        return
    try:
        extras = extra_requirements(facts.repo)
    except EnvironmentSetupError:  # a broken file is ignored here, as everywhere in prp init
        return
    own = {Path(p).stem for p in facts.packages}  # and the project's own name: a compiled project
    own.add(facts.name.lower().replace("-", "_"))  # has no package (mmh3: its benchmark extra, pymmh3)
    for path, text in _heads(facts, 65536):
        for match in _IMPORT.finditer(text):
            module = match[1] or match[2]
            if module in sys.stdlib_module_names or module in own or module.startswith("_"):
                continue
            found = provided_by(module, extras)
            # (an extra declaring pytest is chosen as the test tools' own)
            if (
                found is not None
                and found[0] not in facts.test_extras
                and found[0] not in facts.declares_pytest
            ):
                facts.test_extras[found[0]] = f"its tests import {module}: {path.relative_to(facts.repo)}"
