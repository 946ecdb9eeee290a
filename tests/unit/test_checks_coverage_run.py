"""A ``coverage run`` check gets its report written right after (``prp_tasks.checks.coverage_run``):
its facts give the totals, and a total below the project's ``fail_under`` fails the check, as the
project's own ``coverage report --fail-under`` would (more-itertools, pluggy: not measured before).

These run the real coverage.py on a small project in a temporary directory.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from prp_tasks.checks import execute
from prp_tasks.checks.base import CheckContext
from prp_tasks.checks.coverage_run import REPORT, report_argv, report_failure
from prp_tasks.core.models import CheckStatus
from tests.unit.test_checks_command import PY, content, context, run

CODE = "def used():\n    return 1\n\n\ndef unused():\n    return 2\n"
TEST = (
    "import unittest\nfrom mod import used\n\n\n"
    "class T(unittest.TestCase):\n    def test(self):\n        self.assertEqual(used(), 1)\n"
)


def project(tmp_path: Path, rc: str = "") -> Path:
    (tmp_path / "mod.py").write_text(CODE)
    (tmp_path / "test_mod.py").write_text(TEST)
    (tmp_path / ".coveragerc").write_text(f"[run]\nsource = mod\n{rc}")
    return tmp_path


def test_the_report_argv_carries_the_runs_config_and_data_file() -> None:
    assert report_argv(["python", "-m", "coverage", "run", "--rcfile=x.ini", "-m", "pytest", "-q"]) == [
        "python", "-m", "coverage", "xml", "-o", REPORT, "--rcfile=x.ini",
    ]  # fmt: skip
    assert report_argv(["coverage", "run", "--data-file=.cov", "--branch", "t.py"]) == [
        "coverage", "xml", "-o", REPORT, "--data-file=.cov",
    ]  # fmt: skip
    assert report_argv(["python", "-m", "coverage", "report"]) is None
    assert report_argv(["python", "-m", "pytest", "--cov"]) is None


def test_a_coverage_run_check_states_the_total_from_the_report_written_after_it(tmp_path: Path) -> None:
    result, _ = run(project(tmp_path), PY, "-m", "coverage", "run", "-m", "unittest", "discover", "-s", ".")
    assert result.status == CheckStatus.PASS, result.output
    details = content(result)
    assert details["coverage_report"]["exit_code"] == 0
    assert details["facts"]["coverage"]["total"] == 75.0 and details["facts"]["coverage"]["report"] == REPORT
    assert result.output.split("\n")[1] == "1 test ran: OK; coverage: lines 75%, total 75%"
    assert (tmp_path / REPORT).is_file()


def test_a_total_below_the_projects_fail_under_fails_the_check(tmp_path: Path) -> None:
    result, _ = run(
        project(tmp_path, "[report]\nfail_under = 90\n"), PY, "-m", "coverage", "run", "-m", "unittest"
    )
    assert result.status == CheckStatus.FAIL
    head, facts = result.output.split("\n")[:2]
    assert head.endswith(", but coverage is below the project's fail_under")
    assert facts.endswith(
        "total 75%, Coverage failure: total of 75 is less than fail-under=90; least covered: mod.py 75%"
    )
    assert content(result)["exit_code"] == 0  # the tests passed: the report said no


def test_a_coverage_that_measured_nothing_fails_the_check_saying_so(tmp_path: Path) -> None:
    """jsonschema-specifications: its ``source`` names the distribution, not the module; the
    check failed as "declared file .prp/reports/coverage.xml was not produced", the cause only in
    the raw output."""
    project(tmp_path)
    (tmp_path / ".coveragerc").write_text("[run]\nsource = not-the-module\n")
    result, _ = run(tmp_path, PY, "-m", "coverage", "run", "-m", "unittest", "discover", "-s", ".")
    assert result.status == CheckStatus.FAIL
    head = result.output.split("\n")[0]
    assert head.startswith("exit 0 in ") and ", but coverage wrote no report (No data to report" in head, head
    assert "does the configured source name a module the tests import?" in head
    assert content(result)["coverage_report"]["exit_code"] == 1


def _unenforced(ctx: CheckContext) -> CheckContext:
    """The context with a profile that enforces no coverage (``budgets.coverage: null``)."""
    profile = ctx.spec.profile.profile
    unenforced = profile.model_copy(update={"budgets": profile.budgets.model_copy(update={"coverage": None})})
    resolved = ctx.spec.profile.model_copy(update={"profile": unenforced})
    return dataclasses.replace(ctx, spec=ctx.spec.model_copy(update={"profile": resolved}))


def test_a_coverage_measured_for_the_evidence_only_does_not_fail_passed_tests(tmp_path: Path) -> None:
    """ordered-set: a stale ``.coveragerc`` (``source = ordered_set.py``), nothing runs coverage and
    the profile enforces none (``budgets.coverage: null``); its 53 passing tests failed the check."""
    project(tmp_path)
    (tmp_path / ".coveragerc").write_text("[run]\nsource = not-the-module\n")
    ctx = context(tmp_path, PY, "-m", "coverage", "run", "-m", "unittest", "discover", "-s", ".")
    result, _ = execute(_unenforced(ctx))
    assert result.status == CheckStatus.PASS, result.output
    head, facts, note = result.output.split("\n")[:3]
    assert head.startswith("exit 0 in ") and facts.startswith("1 test ran: OK"), result.output
    assert note.startswith("coverage wrote no report (No data to report"), note  # after the counts
    assert note.endswith(": coverage is not enforced (budgets.coverage: null)"), note


def test_a_fail_under_the_profile_does_not_enforce_leaves_passed_tests_passed(tmp_path: Path) -> None:
    """jsonschema-specifications: ``fail_under = 100`` in pyproject, its nox sessions run pytest
    without coverage, so ``prp init`` enforces no coverage; the report's exit 2 failed the check
    (its tests all passed) on a threshold nothing of the project holds it to."""
    project(tmp_path, "[report]\nfail_under = 90\n")
    ctx = context(tmp_path, PY, "-m", "coverage", "run", "-m", "unittest")
    result, _ = execute(_unenforced(ctx))
    assert result.status == CheckStatus.PASS, result.output
    head, facts, note = result.output.split("\n")[:3]
    assert head.startswith("exit 0 in ") and facts.startswith("1 test ran: OK"), result.output
    said = "coverage is below the project's fail_under: coverage is not enforced (budgets.coverage: null)"
    assert note == said


def test_a_file_coverage_could_not_parse_is_named_in_its_words() -> None:
    """Jinja2: its coverage ``source`` includes ``tests``, whose templates the tests compile and
    run; ``coverage xml`` failed on one and the check said only "`coverage xml` exited 1"."""
    said = "Couldn't parse '/w/tests/res/templates2/foo' as Python source: 'invalid syntax' at line 1"
    report = {"ended": "exited", "exit_code": 1}
    assert report_failure(report, f"Wrote nothing\n{said}\n") == f"coverage wrote no report ({said})"
    assert report_failure(report, "") == "coverage wrote no report (`coverage xml` exited 1)"


def test_parallel_data_is_combined_then_reported(tmp_path: Path) -> None:
    """``[run] parallel = true`` (or ``-p``) leaves ``.coverage.*`` files: the coverage.py here
    combines them itself when reporting, cattrs' 7.10.0 said "No data to report" (its check failed
    with every test passed): they are combined first, as the project's own ``coverage combine``."""
    result, _ = run(project(tmp_path, "parallel = true\n"), PY, "-m", "coverage", "run", "-m", "unittest")
    assert result.status == CheckStatus.PASS, result.output
    report = content(result)["coverage_report"]
    assert report["exit_code"] == 0 and report["combined"]["exit_code"] == 0
    assert report["combined"]["argv"][-1] == "combine" and not list(tmp_path.glob(".coverage.*"))
    assert content(result)["facts"]["coverage"]["total"] == 75.0
    second, _ = run(project(tmp_path), PY, "-m", "coverage", "run", "-m", "unittest")  # not parallel
    assert "combined" not in content(second)["coverage_report"]


def test_a_run_that_measured_nothing_says_coverage_py_collected_no_data(tmp_path: Path) -> None:
    """bidict: its tests ran in pytest-xdist's workers, which ``coverage run`` does not measure;
    the check passed saying "coverage: lines 0%, total 0%" and nothing of why."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text(CODE)
    elsewhere = (
        "import subprocess, sys, unittest\n\n\nclass T(unittest.TestCase):\n    def test(self):\n"
        "        subprocess.run([sys.executable, '-c', 'import pkg'], check=True)\n"
    )
    (tmp_path / "test_pkg.py").write_text(elsewhere)
    (tmp_path / ".coveragerc").write_text("[run]\nsource = pkg\n")
    result, _ = run(tmp_path, PY, "-m", "coverage", "run", "-m", "unittest", "test_pkg")
    assert result.status == CheckStatus.PASS, result.output
    assert result.output.split("\n")[1] == (
        "1 test ran: OK; coverage: lines 0%, total 0%, coverage.py: No data was collected"
    )
