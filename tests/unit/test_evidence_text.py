"""Evidence of ``run`` checks from what the tools print (``prp_tasks.checks.evidence``): pytest's,
unittest's, mypy's, ruff's and coverage's closing lines and messages, which tool a command runs, and
how the summary lines are clipped and joined."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prp_tasks.checks.evidence import identify
from prp_tasks.checks.facts_line import facts_line
from prp_tasks.checks.test_output import junit_facts
from prp_tasks.core.results import EvidenceType
from prp_tasks.core.text import clip, first_lines
from tests.unit.test_evidence import MYPY_JUNIT, fresh, summary

SUBTESTS = """\
import unittest

class T(unittest.TestCase):
    def test_a(self):
        for i in range(3):
            with self.subTest(i=i):
                if i == 1:
                    self.skipTest("no")

    def test_b(self):
        pass
"""


def test_pytests_coloured_closing_line_with_subtests_is_read_as_pytest_says_it(tmp_path: Path) -> None:
    """pathspec: ``197 passed, 276 skipped, 142 subtests passed`` was not read (it said 151 passed,
    46 skipped); slugify's ``--color=yes`` hid the closing line behind colour codes."""
    fresh(tmp_path, "test_s.py", SUBTESTS)
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--color=yes", "--junitxml=j.xml"]
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, check=False)
    if "subtests passed" not in done.stdout:
        pytest.skip("this pytest has no built-in subtests (pytest >= 9)")
    assert "\x1b[" in done.stdout
    text, facts, _ = summary(tmp_path, ["python", *argv[1:]], stdout=done.stdout)
    # the skip is a subtest's: pytest 9 counts it with the skipped tests (pathspec: 197 tests, 276 skipped)
    assert text.splitlines()[0] == (
        "2 tests: 2 passed, 0 failed, 0 errors, 1 skipped (1 of them subtests), 2 subtests passed"
    )
    assert "\x1b" not in text and facts["pytest"]["subtests_passed"] == 2


def test_the_closing_lines_counts_win_also_where_it_says_none(tmp_path: Path) -> None:
    """referencing: its subtests' expected failures are <skipped type="pytest.xfail"> of passed tests
    in the report; pytest says "503 passed, 132 subtests xfailed", no xfailed test."""
    fresh(
        tmp_path,
        "j.xml",
        '<testsuite><testcase classname="t" name="test_a"><skipped type="pytest.xfail" message="x"/>'
        '<skipped type="pytest.xfail" message="y"/></testcase></testsuite>',
    )
    out = "1 passed, 2 subtests xfailed in 0.01s\n"
    text = summary(tmp_path, ["pytest", "--junitxml=j.xml"], out)[0]
    assert text.splitlines()[0] == "1 test: 1 passed, 0 failed, 0 errors, 0 skipped, 2 subtests xfailed"


def test_mypys_pretty_wrapped_messages_keep_their_code_and_whole_text(tmp_path: Path) -> None:
    """semver sets ``pretty = true``: the message wraps and its code moves to the next line."""
    out = (
        "src/semver/version.py:34: error: Cannot find implementation or library stub for\n"
        'module named "fast_backend"  [import-not-found]\n'
        "        from fast_backend import x\n        ^\n"
        "src/semver/version.py:34: note: See https://mypy.readthedocs.io\n"
        "Found 1 error in 1 file (checked 7 source files)\n"
    )
    text = summary(tmp_path, ["mypy", "src"], out)[0].splitlines()[0]
    assert text == (
        "1 mypy error; first src/semver/version.py:34: [import-not-found] Cannot find implementation"
        ' or library stub for module named "fast_backend"'
    )
    alone = 'src/c/d.py:76: error: Skipping analyzing "boto": missing marker \n[import-untyped]\n'
    text = summary(tmp_path, ["mypy", "src"], alone)[0].splitlines()[0]
    assert (
        text
        == '1 mypy error; first src/c/d.py:76: [import-untyped] Skipping analyzing "boto": missing marker'
    )
    # prettytable: a long path, and the whole message on the next line ("1 mypy error", no first)
    whole = (
        "/env/lib/python3.11/site-packages/_pytest/logging.py:201: error:\n"
        "Pattern matching is only supported in Python 3.10 and greater  [syntax]\n"
        "            match x:\n            ^\nFound 1 error in 1 file (errors prevented further checking)\n"
    )
    text = summary(tmp_path, ["mypy", "src"], whole)[0].splitlines()[0]
    assert text.startswith("1 mypy error (1 in installed packages, not the project's code); first /env/")
    assert text.endswith(
        "logging.py:201: [syntax] Pattern matching is only supported in Python 3.10 and greater;"
        " mypy stopped there (errors prevented further checking)"
    )


def test_a_mypy_error_without_a_code_gets_none_made_up(tmp_path: Path) -> None:
    """backoff's mypy 0.942 shows no codes: its summary read ``[error]``, none of mypy's codes;
    the error is a newer types-requests stub's, and mypy checked none of the project's code."""
    out = (
        "/root/.cache/prp-tasks/envs/ab/lib/python3.11/site-packages/requests-stubs/structures.pyi:21:"
        " error: Positional-only parameters are only supported in Python 3.8 and greater\n"
        "Found 1 error in 1 file (errors prevented further checking)\n"
    )
    text = summary(tmp_path, ["mypy", "backoff"], out)[0].splitlines()[0]
    assert "[error]" not in text and "structures.pyi:21: Positional-only parameters" in text
    assert "(1 in installed packages, not the project's code)" in text and "mypy stopped there" in text
    own = "backoff/_sync.py:3: error: Name 'x' is not defined\nFound 1 error in 1 file (checked 9 files)\n"
    text = summary(tmp_path, ["mypy", "backoff"], own)[0].splitlines()[0]
    assert text == "1 mypy error; first backoff/_sync.py:3: Name 'x' is not defined"


def test_without_report_files_the_tools_closing_lines_are_read(tmp_path: Path) -> None:
    pytest_out = "....F\n=========== 1 failed, 4 passed, 2 skipped in 0.31s ===========\n"
    assert summary(tmp_path, ["pytest", "-q"], pytest_out)[0].splitlines()[0] == (
        "pytest: 1 failed, 4 passed, 2 skipped"
    )
    ruff_out = "src/x.py:12:89: E501 Line too long (120 > 88)\nFound 45 errors.\n"
    assert summary(tmp_path, ["ruff", "check", "."], ruff_out)[0].splitlines()[0] == (
        "45 ruff violations; first src/x.py:12:E501"
    )
    mypy_out = "Success: no issues found in 3 source files\n"
    assert summary(tmp_path, ["mypy", "src"], mypy_out)[0].splitlines()[0] == "no mypy errors"
    unittest_out = "..F.s\n---\nRan 5 tests in 0.012s\n\nFAILED (failures=1, skipped=1)\n"
    assert summary(tmp_path, ["python", "-m", "unittest", "discover"], "", unittest_out)[0].splitlines()[
        0
    ] == ("5 tests ran: 1 failure, 1 skipped")
    cov_out = "Name  Stmts  Miss  Cover\nsrc/x.py  10  1  90%\nTOTAL  10  1  90%\n"
    assert summary(tmp_path, ["coverage", "report"], cov_out)[1] == {"coverage": {"total": 90.0}}


def test_a_projects_own_runner_is_read_by_the_closing_lines_it_leaves(tmp_path: Path) -> None:
    """markdown2's ``cd test && python test.py``: unittest's "Ran 190 tests" and "FAILED
    (failures=7)" were in the output, the summary showed only diff fragments; a runtests.py calling
    pytest leaves pytest's line; a lint wrapper's output gives no counts."""
    diff = "-<span>&gt;&gt;&gt;</span>\n+<span>x</span>\n"
    ran = f"{diff}----------\nRan 190 tests in 3.1s\n\nFAILED (failures=7)\n"
    text, facts, kind = summary(tmp_path, ["python", "test.py", "--", "-knownfailure"], "", ran)
    assert text.splitlines()[0] == "190 tests ran: 7 failures" and facts["unittest"]["tests"] == 190
    assert kind == EvidenceType.TEST
    pytest_out = "....\n========== 4 passed in 0.20s ==========\n"
    assert summary(tmp_path, ["python", "runtests.py"], pytest_out)[0].splitlines()[0] == "pytest: 4 passed"
    assert summary(tmp_path, ["python", "lint.py"], "all clean\n")[1] == {}
    assert "pytest" not in summary(tmp_path, ["pyright"], "0 errors, 4 passed in 0.2s\n")[1]


def test_a_tool_refusing_its_arguments_says_nothing_was_checked(tmp_path: Path) -> None:
    """responses: mypy stopped on ``--config-file=mypy.ini`` (not in the sdist); the summary showed
    only argparse's usage line, read as failing code."""
    err = (
        "usage: mypy [-h] [-v] [-V] [more options; see below]\n"
        "            [-m MODULE] [-p PACKAGE] [files ...]\nmypy: error: Cannot find config file 'mypy.ini'\n"
    )
    text = summary(tmp_path, ["python", "-m", "mypy", "--config-file=mypy.ini", "-p", "pkg"], "", err)[0]
    assert text.splitlines()[0] == (
        "the tool refused its arguments, nothing was checked: mypy: error: Cannot find config file 'mypy.ini'"
    )
    assert "refused" not in summary(tmp_path, ["tool"], "", "tool: error: no usage said\n")[0]


@pytest.mark.parametrize(
    ("argv", "tool"),
    [
        (["/v/bin/python3.11", "-m", "pytest", "-q"], "pytest"),
        (["coverage", "run", "--branch", "-m", "pytest", "-x"], "pytest"),
        (["py.test"], "pytest"),
        (["python", "-m", "ruff", "check", "src"], "ruff"),
        (["python", "-m", "ruff", "format", "--check", "."], "ruff-format"),
        (["python", "-m", "mypy"], "mypy"),
    ],
)
def test_tools_are_recognised_behind_python_m_and_coverage_run(argv: list[str], tool: str) -> None:
    assert identify(argv)[0] == tool


@given(st.text(alphabet=st.sampled_from('ab1:./"{} \n'), max_size=200), st.integers(2, 120))
def test_clip_never_cuts_inside_a_token(text: str, limit: int) -> None:
    cut = clip(text, limit)
    assert len(cut) <= limit
    tokens = text.split()
    kept = cut.removesuffix("…").split()
    assert kept == tokens[: len(kept)]  # whole tokens, in order


def test_a_line_that_introduces_the_next_is_joined_with_it() -> None:
    """sortedcontainers: "environment … failed after 4.1s: installing failed (exit 1):" ended
    there, the error on the next line; the check line read "(exit 1):; error: …"."""
    failed = "installing failed (exit 1):\n  error: Failed to build `blist==1.3.6`\nmore\n"
    assert first_lines(failed, 1) == "installing failed (exit 1): error: Failed to build `blist==1.3.6`"
    assert first_lines("exit 0 in 1.2s\n\n24 tests ran: OK\nmore\n", 2) == "exit 0 in 1.2s; 24 tests ran: OK"
    assert first_lines("", 2) == ""


def test_a_test_run_that_crashed_before_any_report_is_still_test_evidence(tmp_path: Path) -> None:
    """rsa: pytest stopped at a plugin's import error; with no report read, the evidence was a
    command's and prp.md §7 said "No test evidence recorded" for a failed test check."""
    crash = "ImportError while loading conftest\nModuleNotFoundError: No module named '_pytest.scope'\n"
    argv = ["python", "-m", "pytest", "-q", "--junitxml=.prp/reports/junit.xml"]
    text, facts, kind = summary(tmp_path, argv, stderr=crash)
    assert (facts, kind) == ({}, EvidenceType.TEST) and "_pytest.scope" in text


BLACK_ERR = """\
would reformat /w/examples/urlExtractorNew.py
would reformat /w/pyparsing/core.py

Oh no! 💥 💔 💥
75 files would be reformatted, 12 files would be left unchanged, 1 file would fail to reformat.
"""


def test_a_formatters_check_says_how_many_files_it_would_reformat(tmp_path: Path) -> None:
    """pyparsing: black's "75 files would be reformatted" was only at the end of the raw output;
    the summary showed the first file it named, the review a list cut mid-path."""
    text, facts, _ = summary(tmp_path, ["python", "-m", "black", "--check", "."], "", BLACK_ERR)
    assert facts == {
        "black": {
            "reformat": 75,
            "unchanged": 12,
            "failed": 1,
            "first": ["/w/examples/urlExtractorNew.py", "/w/pyparsing/core.py"],
        }
    }
    assert text.splitlines()[0] == (
        "75 files would be reformatted (12 unchanged, 1 would fail to reformat); "
        "first /w/examples/urlExtractorNew.py, /w/pyparsing/core.py"
    )
    ruff_out = "Would reformat: src/a.py\n1 file would be reformatted, 13 files already formatted\n"
    argv = ["python", "-m", "ruff", "format", "--check", "--no-cache", "."]
    assert summary(tmp_path, argv, ruff_out)[0].splitlines()[0] == (
        "1 file would be reformatted (13 unchanged); first src/a.py"
    )
    diagnostics = (  # ruff 0.17: a diff per file (marshmallow: the file was named nowhere)
        "unformatted: File would be reformatted\n  --> src/marshmallow/utils.py:8:1\n   |\n"
        "7  | import typing\n   - X = {'a':1,\n8  +\n   |\n\n"
        "1 file would be reformatted, 35 files already formatted\n"
    )
    assert summary(tmp_path, argv, diagnostics)[0].splitlines()[0] == (
        "1 file would be reformatted (35 unchanged); first src/marshmallow/utils.py"
    )
    clean = summary(tmp_path, argv, "14 files already formatted\n")[0]
    assert clean.splitlines() == ["14 files already formatted"]  # (not its tail again: typeguard)
    written = summary(tmp_path, ["black", "."], "", "reformatted a.py\nAll done!\n1 file reformatted.\n")
    assert written[1] == {}  # not a check: nothing to count


def test_pycodestyles_lines_are_its_violations(tmp_path: Path) -> None:
    out = "./versioneer.py:564:29: W605 invalid escape sequence '\\s'\n./a.py:1:80: E501 line too long\n"
    text, facts, _ = summary(tmp_path, ["python", "-m", "pycodestyle", "."], out)
    assert facts == {"pycodestyle": {"violations": 2, "first": ["versioneer.py:564:W605", "a.py:1:E501"]}}
    assert text.splitlines()[0] == "2 pycodestyle violations; first versioneer.py:564:W605, a.py:1:E501"
    assert summary(tmp_path, ["python", "-m", "pep8", "-r", "."], "")[1] == {
        "pep8": {"violations": 0, "first": []}
    }


def test_failing_tests_are_named_before_the_failing_items_of_linter_plugins() -> None:
    """jsonpickle runs pytest-ruff: its 19 ``::ruff`` items, listed first, were the five failing ids
    named, and the cause; its 8 failing tests were not named."""
    ruff = "".join(
        f'<testcase classname="jsonpickle.m{i}" name="ruff"><failure message="lint">x</failure></testcase>'
        for i in range(6)
    )
    test = (
        '<testcase classname="tests.test_x" name="test_warnings">'
        '<failure message="AssertionError: no warning">x</failure></testcase>'
    )
    facts = junit_facts(f"<testsuite>{ruff}{test}</testsuite>".encode())
    assert facts["failing"][0] == "tests.test_x::test_warnings" and facts["failures"] == 7
    assert facts["cause"] == "AssertionError: no warning"


def test_the_facts_line_stays_within_the_line_limit(tmp_path: Path) -> None:
    """responses: a mypy facts line of 355 characters, where no line is longer than 300."""
    errors = [
        f"src/pkg/module_with_a_long_name_{i}.py:{i}: error: Something is wrong with line {i} of it  [misc]"
        for i in range(6)
    ]
    out = "\n".join([*errors, "Found 6 errors in 6 files (checked 9 source files)"]) + "\n"
    first = summary(tmp_path, ["mypy", "src"], out)[0].splitlines()[0]
    assert first.startswith("6 mypy errors; first src/pkg/") and first.endswith("…") and len(first) <= 300


def test_twisted_trials_closing_lines_are_read_as_unittests(tmp_path: Path) -> None:
    argv = ["python", "-m", "coverage", "run", "-m", "twisted.trial", "incremental"]
    passed = "incremental.tests.test_x ... [OK]\n----\nRan 86 tests in 1.184s\n\nPASSED (successes=86)\n"
    text, _, kind = summary(tmp_path, argv, passed)
    assert text.splitlines()[0] == "86 tests ran: OK" and kind == EvidenceType.TEST
    failed = "Ran 96 tests in 1.184s\n\nFAILED (failures=1, errors=7, skips=2, successes=86)\n"
    assert summary(tmp_path, ["trial", "pkg"], failed)[0].splitlines()[0] == (
        "96 tests ran: 1 failure, 7 errors, 2 skipped"
    )


def test_pytests_own_crash_and_mypy_stopping_under_a_junit_report_are_said(tmp_path: Path) -> None:
    """plumbum: pytest crashed (each line behind ``INTERNALERROR>``) and the summary was a pluggy
    frame; its mypy, reporting to JUnit, stopped on an installed package's error and the summary
    did not say the project's code went unchecked."""
    crash = (
        "INTERNALERROR> Traceback (most recent call last):\n"
        'INTERNALERROR>   File "/e/pluggy/_manager.py", line 183, in _hookexec\n'
        "INTERNALERROR>     return self._inner_hookexec(hook_name, methods, kwargs, firstresult)\n"
        "INTERNALERROR> pytest.PytestRemovedIn10Warning: config.inicfg is deprecated\n"
    )
    text = summary(tmp_path, ["python", "-m", "pytest", "-q"], crash)[0]
    assert (
        text.splitlines()[0]
        == "the tool crashed: pytest.PytestRemovedIn10Warning: config.inicfg is deprecated"
    )
    fresh(tmp_path, "m.xml", MYPY_JUNIT)
    argv = ["python", "-m", "mypy", "--junit-xml", "m.xml", "src"]
    stopped = "Found 2 errors in 2 files (errors prevented further checking)\n"
    assert (
        summary(tmp_path, argv, stopped)[0]
        .splitlines()[0]
        .endswith("; mypy stopped there (errors prevented further checking)")
    )


def test_a_crash_whose_exception_name_says_nothing_of_it_is_said(tmp_path: Path) -> None:
    """bidict: pytest crashed configuring hypothesis, ``hypothesis.errors.InvalidArgument: Profile
    'less-examples' is not registered``, and the summary was "exit 3" with coverage's 0%."""
    crash = (
        "INTERNALERROR> Traceback (most recent call last):\n"
        'INTERNALERROR>   File "/e/hypothesis/_settings.py", line 1175, in get_profile\n'
        'INTERNALERROR>     raise InvalidArgument(f"Profile {name!r} is not registered") from None\n'
        "INTERNALERROR> hypothesis.errors.InvalidArgument: Profile 'less-examples' is not registered\n"
        "/e/coverage/control.py:981: CoverageWarning: No data was collected. (no-data-collected)\n"
        '  self._warn("No data was collected.", slug="no-data-collected")\n'
    )
    text = summary(tmp_path, ["python", "-m", "pytest", "-q"], crash)[0]
    assert text.splitlines()[0] == (
        "the tool crashed: hypothesis.errors.InvalidArgument: Profile 'less-examples' is not registered"
    )
    assert summary(tmp_path, ["python", "-m", "pytest"], "Traceback (most recent call last):\nKilled\n")[
        0
    ] != ("the tool crashed: Killed")


def test_unittests_failed_tests_are_named_with_the_first_ones_exception(tmp_path: Path) -> None:
    """argcomplete: "191 tests ran: 68 errors, 12 skipped" and nothing more, where each error
    was ``ExceptionPexpect: … not executable: zsh`` (its CI installs zsh); its 5 expected failures
    were left out."""
    out = (
        "....E\n" + "=" * 70 + "\nERROR: test_a (test.test.TestBash.test_a)\n" + "-" * 70 + "\n"
        "Traceback (most recent call last):\n  File \"t.py\", line 3, in setUp\n    spawn('zsh')\n"
        "pexpect.exceptions.ExceptionPexpect: The command was not found or was not executable: zsh.\n\n"
        + "=" * 70
        + "\nFAIL: test_b (test.test.TestZsh.test_b)\n"
        + "-" * 70
        + "\nAssertionError: 1 != 2\n\n"
        + "-" * 70
        + "\nRan 191 tests in 3.2s\n\nFAILED (errors=68, skipped=12, expected failures=5)\n"
    )
    first = summary(tmp_path, ["python", "-m", "unittest"], stderr=out)[0].splitlines()[0]
    assert first == (
        "191 tests ran: 68 errors, 12 skipped, 5 expected failures; failing: test.test.TestBash.test_a "
        "(pexpect.exceptions.ExceptionPexpect: The command was not found or was not executable: zsh.), "
        "test.test.TestZsh.test_b"
    )


def test_a_test_script_under_coverage_run_is_read_by_its_closing_lines(tmp_path: Path) -> None:
    """argcomplete's ``coverage run --source=argcomplete … ./test/test.py -v``: its summary said only
    "exit 1" and the coverage totals, the unittest counts of its 191 tests left out."""
    argv = ["python", "-m", "coverage", "run", "--source=argcomplete", "./test/test.py", "-v"]
    out = "-" * 70 + "\nRan 191 tests in 3.2s\n\nFAILED (errors=68, skipped=12)\n"
    text, _, kind = summary(tmp_path, argv, stderr=out)
    assert text.splitlines()[0] == "191 tests ran: 68 errors, 12 skipped" and kind == EvidenceType.TEST


def test_a_test_run_that_crashed_says_so_beside_its_coverage(tmp_path: Path) -> None:
    """html5lib's pytest 5.4 crashed collecting on Python 3.11; its summary was "coverage: lines 0%,
    total 0%" (the report of a run that executed nothing), the cause only in the tail."""
    argv = ["python", "-m", "coverage", "run", "--source=html5lib", "-m", "pytest", "-q"]
    frames = "".join(f'  File "/e/_pytest/m{i}.py", line {i}, in f\n    call()\n' for i in range(30))
    out = frames + 'TypeError: required field "lineno" missing from alias\n'
    out += "Coverage.py warning: No data was collected. (no-data-collected)\n"
    report = '<?xml version="1.0" ?><coverage line-rate="0" lines-covered="0" lines-valid="10"></coverage>'
    (tmp_path / "c.xml").write_text(report)
    details = {"stdout_tail": out, "duration_ms": 10, "coverage_report": {"report": "c.xml"}}
    from prp_tasks.checks.evidence import tool_summary

    text, _ = tool_summary(tmp_path, argv, details, secrets=())
    assert text.splitlines()[:2] == [
        "coverage: lines 0%, total 0%, coverage.py: No data was collected",
        'the tool crashed: TypeError: required field "lineno" missing from alias',
    ]


def test_the_coverage_stays_on_a_facts_line_long_with_failing_tests_names() -> None:
    """PyHamcrest: four failing tests' long names pushed "coverage: …" off the 300-character line."""
    from prp_tasks.checks.evidence import LINE_LIMIT
    from prp_tasks.checks.facts_line import facts_line

    names = [
        f"tests/type-hinting/library/collection/test_{n}.yml::{n}" for n in ("is", "assert", "empty", "has")
    ]
    pytest_facts = {"tests": 465, "passed": 441, "failures": 4, "errors": 0, "skipped": 20, "failing": names}
    facts = {"pytest": pytest_facts, "coverage": {"lines": 96.64, "branches": 92.94, "total": 96.12}}
    line = facts_line(facts, LINE_LIMIT)
    assert len(line) <= LINE_LIMIT and line.endswith("coverage: branches 92.94%, lines 96.64%, total 96.12%")
    assert line.startswith(
        "465 tests: 441 passed, 4 failed, 0 errors, 20 skipped; failing: tests/type-hinting"
    )
    assert len(facts_line(facts)) > LINE_LIMIT  # no limit: every name
    assert ", …; coverage: " in line  # names were left out, and the line says so (marshmallow)


def test_ruff_full_output_names_its_first_violations_and_the_first_message(tmp_path: Path) -> None:
    """ruff 0.17's default output puts each location on a ``-->`` line under its code: the demo's
    run said only "2 ruff violations", and review.json had no file to point at."""
    out = (
        "F401 [*] `os` imported but unused\n  --> src/demo_pkg/slugs.py:33:12\n   |\n33 |     import os\n"
        "   |            ^^\n\nPLR0133 Two constants compared in a comparison\n"
        "  --> tests/test_slugs.py:42:12\n"
        "   |\n\nFound 2 errors.\n[*] 1 fixable with `--fix`.\n"
    )
    line = summary(tmp_path, ["python", "-m", "ruff", "check", "src", "tests"], out)[0].splitlines()[0]
    assert line == (
        "2 ruff violations; first src/demo_pkg/slugs.py:33:F401 (`os` imported but unused),"
        " tests/test_slugs.py:42:PLR0133"
    )


def test_pytest_short_summary_names_the_failing_tests_without_a_report(tmp_path: Path) -> None:
    """The demo with a failing test and no ``--junitxml``: "pytest: 1 failed, 8 passed" named no
    test, though pytest's short summary did."""
    out = (
        "=========================== short test summary info ============================\n"
        "FAILED tests/test_slugs.py::test_fails - assert 1 == 2\n"
        "ERROR tests/test_io.py::test_read - FileNotFoundError: x\n"
        "1 failed, 8 passed, 1 error in 0.06s\n"
    )
    line = summary(tmp_path, ["python", "-m", "pytest", "-q"], out)[0].splitlines()[0]
    assert line == (
        "pytest: 1 failed, 8 passed, 1 error; failing: tests/test_slugs.py::test_fails (assert 1 == 2),"
        " tests/test_io.py::test_read"
    )


def test_failed_subtests_counted_with_the_failed_tests_are_said_to_be_subtests() -> None:
    """jsonpatch with one test's two subtests broken: pytest says "2 failed, 369 passed, 526
    subtests passed" of 369 tests; the line read "369 tests: 369 passed, 2 failed", more than 369."""
    facts = {"tests": 369, "passed": 369, "failures": 2, "errors": 0, "skipped": 0, "subtests_passed": 526}
    assert facts_line({"pytest": facts | {"failing": []}}) == (
        "369 tests: 369 passed, 2 failed (2 of them subtests), 0 errors, 0 skipped, 526 subtests passed"
    )


def test_lint_paths_run_on_the_current_directory_lose_their_dot(tmp_path: Path) -> None:
    """arrow's ``flake8 .``: "first ./setup.py:7:E122", and review.json's evidence path
    ``./setup.py`` beside black's and mypy's ``setup.py``."""
    out = "./setup.py:7:5: E122 continuation line missing indentation or outdented\n"
    line = summary(tmp_path, ["python", "-m", "flake8", "."], out)[0].splitlines()[0]
    assert line == "1 flake8 violation; first setup.py:7:E122"


def test_where_a_failing_test_raised_is_kept_for_its_evidence(tmp_path: Path) -> None:
    """pluggy with a broken test: review.json pointed at ``testing/test_helpers.py`` with no line,
    though pytest printed ``testing/test_helpers.py:32: AssertionError``."""
    out = (
        "___________________ test_varnames ___________________\n\n    def test_varnames():\n"
        ">       helper()\n\ntesting/test_helpers.py:10: in test_varnames\n    helper()\n"
        "E       assert 1 == 2\n\ntesting/test_helpers.py:32: AssertionError\n"
        "=========================== short test summary info ============================\n"
        "FAILED testing/test_helpers.py::test_varnames - assert 1 == 2\n1 failed, 218 passed in 0.50s\n"
    )
    facts = summary(tmp_path, ["python", "-m", "pytest"], out)[1]
    assert facts["pytest"]["failing_at"] == ["testing/test_helpers.py:32"]
    report = (
        '<testsuites><testsuite tests="1"><testcase classname="testing.test_helpers" name="test_varnames">'
        '<failure message="assert 1 == 2">testing/test_helpers.py:10: in test_varnames\n    helper()\n'
        "E       assert 1 == 2\n\ntesting/test_helpers.py:32: AssertionError</failure></testcase>"
        "</testsuite></testsuites>"
    )
    assert junit_facts(report.encode())["failing_at"] == ["testing/test_helpers.py:32"]


def test_a_failed_doctests_cause_is_what_it_raised_or_expected_not_its_listing() -> None:
    """cssutils: "failing: examples/website.py::examples.website.logging (051     >>> import
    cssutils, logging)", the listing's first line, where the doctest had raised URLError."""
    case = '<testcase classname="examples.website" name="examples.website.logging">'
    listing = "051     &gt;&gt;&gt; import cssutils, logging"
    unexpected = "UNEXPECTED EXCEPTION: URLError(gaierror(-2, 'Name or service not known'))\n"

    def report(body: str) -> bytes:
        failure = f'<failure message="{listing}">{listing}\n{body}examples/website.py:51: X</failure>'
        return (
            f'<testsuites><testsuite tests="1">{case}{failure}</testcase></testsuite></testsuites>'.encode()
        )

    assert junit_facts(report(unexpected))["cause"] == "URLError(gaierror(-2, 'Name or service not known'))"
    assert junit_facts(report("Expected:\n    3\nGot:\n    2\n\n"))["cause"] == "expected 3, got 2"
    udiff = (  # cssutils' own: REPORT_UDIFF
        "Differences (unified diff with -expected +actual):\n    @@ -1,5 +1,5 @@\n     WARNING Property\n"
        "    -WARNING HTTPError opening url: 404 Not Found\n    +WARNING URLError, [Errno -2] Name or service"
        " not known\n\n"
    )
    assert junit_facts(report(udiff))["cause"] == (
        "expected WARNING HTTPError opening url: 404 Not Found, got WARNING URLError, [Errno -2] Name or"
        " service not known"
    )


def test_subtests_among_the_failed_count_the_expected_failures_as_tests() -> None:
    """zipp with a broken subtest: pytest's "3 failed, 113 passed, 1 xfailed, 112 subtests passed"
    of 115 tests (2 SUBFAILED, 1 failed pytest-ruff item) read "3 failed (1 of them subtests)"."""
    facts = {"tests": 115, "passed": 113, "failures": 3, "errors": 0, "skipped": 0, "xfailed": 1}
    line = facts_line({"pytest": facts | {"subtests_passed": 112, "failing": []}})
    assert line.startswith(
        "115 tests: 113 passed, 3 failed (2 of them subtests), 0 errors, 0 skipped, 1 xfailed"
    )
