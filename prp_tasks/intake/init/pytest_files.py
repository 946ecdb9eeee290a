"""Test modules pytest would not collect by its default names (``test_*.py``, ``*_test.py``).

parsedatetime's tests are ``tests/TestUnits.py`` and 30 more ``Test*.py`` unittest modules (its
``setup.py test`` ran them): ``pytest tests`` found none, exit 5, "no test was found to run", and a
failing test read word for word as a healthy suite. The project sets no ``python_files``; the
command then names the names its modules have.
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
    found = [pattern for pattern in _OTHER if any(fnmatch.fnmatchcase(n, pattern) for n in names)][:1]
    if not found:
        return test
    at = test.argv.index("pytest") + 1
    argv = (*test.argv[:at], "-o", f"python_files={found[0]}", *test.argv[at:])
    why = (
        f"{test.why}; its test modules are named {found[0]} ({facts.tests_dir}/), which pytest does "
        f"not collect by default ({' '.join(DEFAULT)}), and its configuration sets no python_files"
    )
    return dataclasses.replace(test, argv=argv, why=why)
