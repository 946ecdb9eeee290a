"""Test modules the runner would not collect by its default names (pytest's ``test_*.py`` and
``*_test.py``, unittest discovery's ``test*.py``).

parsedatetime's tests are ``tests/TestUnits.py`` and 30 more ``Test*.py`` unittest modules (its
``setup.py test`` ran them): ``pytest tests`` found none, exit 5, "no test was found to run", and a
failing test read word for word as a healthy suite. The project sets no ``python_files``; the
command then names the names its modules have. commonmark's ``commonmark/tests/unit_tests.py``:
``unittest discover`` found nothing ("but no test ran"); the command then gets ``-p '*_tests.py'``.
"""

from __future__ import annotations

import dataclasses
import fnmatch

from prp_tasks.intake.init.commandbase import Command
from prp_tasks.intake.init.facts import Facts

#: pytest's default ``python_files``
DEFAULT = ("test_*.py", "*_test.py")
#: other names test modules have (unittest's ``test*.py``, capitalised ``Test*.py``)
_OTHER = ("Test*.py", "test*.py")
#: unittest discovery's default ``-p``, and the other names test modules have
UNITTEST_DEFAULT = "test*.py"
_UNITTEST_OTHER = ("*_test.py", "*_tests.py", "Test*.py")


def with_python_files(facts: Facts, test: Command | None) -> Command | None:
    """``test`` (a pytest run) told the names of the tests folder's modules when none has a name
    pytest collects by default and the project's configuration sets no ``python_files``."""
    if test is None or facts.pytest_python_files is not None or not facts.tests_dir:
        return test
    if "pytest" not in test.argv or "python_files" in " ".join(test.argv):
        return test
    folder = facts.repo / facts.tests_dir
    names = [p.name for p in folder.rglob("*.py") if "site-packages" not in p.parts][:2000]
    if any(fnmatch.fnmatchcase(n, pattern) for n in names for pattern in DEFAULT):
        return test
    found = _first_named(names, _OTHER)
    if not found:
        return test
    at = test.argv.index("pytest") + 1
    argv = (*test.argv[:at], "-o", f"python_files={found}", *test.argv[at:])
    why = (
        f"{test.why}; its test modules are named {found} ({facts.tests_dir}/), which pytest does "
        f"not collect by default ({' '.join(DEFAULT)}), and its configuration sets no python_files"
    )
    return dataclasses.replace(test, argv=argv, why=why)


def with_unittest_pattern(facts: Facts, test: Command | None) -> Command | None:
    """``test`` (``unittest discover`` without ``-p``) told the names of the tests folder's modules
    when none is named ``test*.py``."""
    if test is None or not facts.tests_dir or "discover" not in test.argv or "unittest" not in test.argv:
        return test
    if any(a in ("-p", "--pattern") or a.startswith("--pattern=") for a in test.argv):
        return test
    names = [p.name for p in (facts.repo / facts.tests_dir).rglob("*.py")][:2000]
    if any(fnmatch.fnmatchcase(n, UNITTEST_DEFAULT) for n in names):
        return test
    found = _first_named(names, _UNITTEST_OTHER)
    if not found:
        return test
    why = (
        f"{test.why}; its test modules are named {found} ({facts.tests_dir}/), which unittest's "
        f"discovery does not find by default ({UNITTEST_DEFAULT})"
    )
    return dataclasses.replace(test, argv=(*test.argv, "-p", found), why=why)


def _first_named(names: list[str], patterns: tuple[str, ...]) -> str:
    """The first of ``patterns`` some of ``names`` match, or ''."""
    return next((p for p in patterns if any(fnmatch.fnmatchcase(n, p) for n in names)), "")
