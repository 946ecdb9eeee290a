"""The test scripts of a tests directory that run its suite where unittest discovery of it would
not: a runner beside no test module, a tests package run as a script, a test module that runs
unittest when it is imported."""

from __future__ import annotations

import re

from prp_tasks.intake.init.commandbase import Command
from prp_tasks.intake.init.facts import Facts
from prp_tasks.intake.init.sources import read_text

#: a script named as a test runner: ``runtests.py``, ``run_tests.py``, ``test_all.py``, ``tests.py``
RUNNER_NAME = re.compile(r"(run_?)?tests?(_?all)?\.py|test(_?all|_?suite)\.py")


def script_runner(facts: Facts) -> Command | None:
    """The tests directory's own runner script (run from the top), or None."""
    return _lone_runner(facts) or _package_runner(facts) or _importing_runs(facts)


def _lone_runner(facts: Facts) -> Command | None:
    """A runner script in the tests directory when discovery would find no test module there
    (feedparser's ``tests/runtests.py`` builds its 4335 cases from data files; discovery of
    ``tests/`` ran none, and the check failed a suite that passes), run from the top."""
    folder = facts.repo / facts.tests_dir if facts.tests_dir else None
    if folder is None or not facts.languages.get("Python") or any(folder.rglob("test*.py")):
        return None
    scripts = sorted(p for p in folder.glob("*.py") if RUNNER_NAME.fullmatch(p.name))
    if not scripts:
        return None
    script = f"{facts.tests_dir}/{scripts[0].name}"
    why = f"the project's own test runner: {script}, no test module beside it"
    return Command("test", ("python", script), why)


def _package_runner(facts: Facts) -> Command | None:
    """A tests package whose ``__init__.py`` runs its suite as a script (simplejson's, which
    setup.py's test command runs: 570 tests, the C speedups off as well as on, and doctests;
    discovery of the package ran 283), run from the top."""
    init = facts.repo / facts.tests_dir / "__init__.py" if facts.tests_dir else None
    if init is None or not init.is_file() or not facts.languages.get("Python"):
        return None
    if not _MAIN_GUARD.search(read_text(init)):
        return None
    script = f"{facts.tests_dir}/__init__.py"
    return Command("test", ("python", script), f"the project's own test runner: {script} runs its suite")


#: ``if __name__ == "__main__":`` at the margin
_MAIN_GUARD = re.compile(r"^if __name__ == ['\"]__main__['\"]\s*:", re.M)


def _importing_runs(facts: Facts) -> Command | None:
    """The tests directory's one test module, when it calls ``unittest.main(…)`` as it is imported
    (not under a ``__main__`` guard): crcmod's ``test/test_crcmod.py``, ``unittest.main(module=
    crcmod.test)``, which parsed discovery's ``-s test`` as its own arguments and exited 2 ("1 test
    ran: 1 error"), where the script runs its 12 tests."""
    folder = facts.repo / facts.tests_dir if facts.tests_dir else None
    if folder is None or not facts.languages.get("Python"):
        return None
    modules = sorted(folder.rglob("test*.py"))
    if len(modules) != 1 or not _MAIN_AT_IMPORT.search(read_text(modules[0])):
        return None
    script = modules[0].relative_to(facts.repo).as_posix()
    return Command("test", ("python", script), f"the project's own test runner: {script} runs unittest")


#: ``unittest.main(`` at the margin: a call made when the module is imported
_MAIN_AT_IMPORT = re.compile(r"^unittest\.main\(", re.M)
