"""Evidence of test runs from what the runners print and write (``prp_tasks.checks.test_output``
through ``prp_tasks.checks.evidence``): pytest's and unittest's closing lines, subtests, the failing
tests named with their cause and where they raised, doctests, and a project's own runner."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from prp_tasks.checks.crashes import LINE_LIMIT
from prp_tasks.checks.facts_line import facts_line
from prp_tasks.checks.test_output import junit_facts
from prp_tasks.core.results import EvidenceType
from tests.unit.test_evidence import fresh, summary

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
        "2 tests: 2 passed, 0 failed, 0 errors, 1 skipped (1 of them subtests), 2 subtests passed; "
        'skipped: 1 for "no"'
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


def test_a_projects_own_runner_is_read_by_the_closing_lines_it_leaves(tmp_path: Path) -> None:
    """markdown2's ``cd test && python test.py``: unittest's "Ran 190 tests" and "FAILED
    (failures=7)" were in the output, the summary showed only diff fragments; a runtests.py calling
    pytest leaves pytest's line; a lint wrapper's output gives no counts."""
    diff = "-<span>&gt;&gt;&gt;</span>\n+<span>x</span>\n"
    ran = f"{diff}----------\nRan 190 tests in 3.1s\n\nFAILED (failures=7)\n"
    text, facts, kind = summary(tmp_path, ["python", "test.py", "--", "-knownfailure"], "", ran)
    assert (
        text.splitlines()[0] == "190 tests ran: 183 passed, 7 failures" and facts["unittest"]["tests"] == 190
    )
    assert kind == EvidenceType.TEST
    pytest_out = "....\n========== 4 passed in 0.20s ==========\n"
    assert summary(tmp_path, ["python", "runtests.py"], pytest_out)[0].splitlines()[0] == "pytest: 4 passed"
    assert summary(tmp_path, ["python", "lint.py"], "all clean\n")[1] == {}
    assert "pytest" not in summary(tmp_path, ["pyright"], "0 errors, 4 passed in 0.2s\n")[1]


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


def test_twisted_trials_closing_lines_are_read_as_unittests(tmp_path: Path) -> None:
    argv = ["python", "-m", "coverage", "run", "-m", "twisted.trial", "incremental"]
    passed = "incremental.tests.test_x ... [OK]\n----\nRan 86 tests in 1.184s\n\nPASSED (successes=86)\n"
    text, _, kind = summary(tmp_path, argv, passed)
    assert text.splitlines()[0] == "86 tests ran: OK" and kind == EvidenceType.TEST
    failed = "Ran 96 tests in 1.184s\n\nFAILED (failures=1, errors=7, skips=2, successes=86)\n"
    assert summary(tmp_path, ["trial", "pkg"], failed)[0].splitlines()[0] == (
        "96 tests ran: 86 passed, 1 failure, 7 errors, 2 skipped"
    )


def _unittest_output(dots: str, reports: list[tuple[str, str]], ran: str, closing: str) -> str:
    """unittest's output: its progress, a ``FAIL:``/``ERROR:`` report per (header, body), then its
    ``Ran …`` and closing lines."""
    blocks = "".join("=" * 70 + f"\n{header}\n" + "-" * 70 + f"\n{body}\n" for header, body in reports)
    return f"{dots}\n{blocks}" + "-" * 70 + f"\n{ran}\n\n{closing}\n"


def test_unittests_failed_tests_are_named_with_the_first_ones_exception(tmp_path: Path) -> None:
    """argcomplete: "191 tests ran: 68 errors, 12 skipped" and nothing more, where each error
    was ``ExceptionPexpect: … not executable: zsh`` (its CI installs zsh); its 5 expected failures
    were left out."""
    error = (
        "Traceback (most recent call last):\n  File \"t.py\", line 3, in setUp\n    spawn('zsh')\n"
        "pexpect.exceptions.ExceptionPexpect: The command was not found or was not executable: zsh.\n"
    )
    reports = [
        ("ERROR: test_a (test.test.TestBash.test_a)", error),
        ("FAIL: test_b (test.test.TestZsh.test_b)", "AssertionError: 1 != 2\n"),
    ]
    out = _unittest_output(
        "....E", reports, "Ran 191 tests in 3.2s", "FAILED (errors=68, skipped=12, expected failures=5)"
    )
    first = summary(tmp_path, ["python", "-m", "unittest"], stderr=out)[0].splitlines()[0]
    assert first == (
        "191 tests ran: 106 passed, 68 errors, 12 skipped, 5 expected failures; failing: "
        "test.test.TestBash.test_a "
        "(pexpect.exceptions.ExceptionPexpect: The command was not found or was not executable: zsh., "
        "at t.py:3), "
        "test.test.TestZsh.test_b"
    )


def test_a_module_unittest_could_not_import_is_named_as_a_module_with_where_it_broke(tmp_path: Path) -> None:
    """tomli with a syntax error: "1 test ran: 1 error; failing: unittest.loader._FailedTest.tests
    (SyntaxError: invalid syntax)": the loader's stand-in class named, not the module it could not
    import, nor where the error is."""
    error = (
        "ImportError: Failed to import test module: tests\nTraceback (most recent call last):\n"
        '  File "/usr/lib/python3.11/unittest/loader.py", line 407, in _find_test_path\n'
        "    module = self._get_module_from_name(name)\n"
        '  File "src/tomli/_re.py", line 11\n    ($\n     ^\nSyntaxError: invalid syntax\n'
    )
    reports = [("ERROR: tests (unittest.loader._FailedTest.tests)", error)]
    out = _unittest_output("E", reports, "Ran 1 test in 0.000s", "FAILED (errors=1)")
    text, facts, _ = summary(tmp_path, ["python", "-m", "unittest", "discover", "-s", "tests"], stderr=out)
    assert text.splitlines()[0] == (
        "1 test ran: 1 error (1 module could not be imported); failing: tests "
        "(SyntaxError: invalid syntax, at src/tomli/_re.py:11)"
    )
    assert facts["unittest"]["failing_at"] == ["src/tomli/_re.py:11"]


def test_a_unittest_failures_exception_is_the_one_its_traceback_ends_with(tmp_path: Path) -> None:
    """pycparser: ``AssertionError: 1 != 0 : example … failed with stdout = …`` quoting a child
    process's ``TypeError``; the evidence named the quoted TypeError as the cause."""
    failure = (
        'Traceback (most recent call last):\n  File "tests/test_examples.py", line 40, in test_all\n'
        "    self.assertEqual(rc, 0, msg)\nAssertionError: 1 != 0 : example failed with stdout =\n"
        "Traceback (most recent call last):\nTypeError: unsupported operand type(s) for +\n"
    )
    reports = [("FAIL: test_all (tests.test_examples.T.test_all)", failure)]
    out = _unittest_output("F", reports, "Ran 1 test in 0.2s", "FAILED (failures=1)")
    first = summary(tmp_path, ["python", "-m", "unittest"], stderr=out)[0].splitlines()[0]
    assert first == (
        "1 test ran: 1 failure; failing: tests.test_examples.T.test_all "
        "(AssertionError: 1 != 0 : example failed with stdout =, at tests/test_examples.py:40)"
    )


def test_a_test_script_under_coverage_run_is_read_by_its_closing_lines(tmp_path: Path) -> None:
    """argcomplete's ``coverage run --source=argcomplete … ./test/test.py -v``: its summary said only
    "exit 1" and the coverage totals, the unittest counts of its 191 tests left out."""
    argv = ["python", "-m", "coverage", "run", "--source=argcomplete", "./test/test.py", "-v"]
    out = "-" * 70 + "\nRan 191 tests in 3.2s\n\nFAILED (errors=68, skipped=12)\n"
    text, _, kind = summary(tmp_path, argv, stderr=out)
    assert (
        text.splitlines()[0] == "191 tests ran: 111 passed, 68 errors, 12 skipped"
        and kind == EvidenceType.TEST
    )


def test_the_coverage_stays_on_a_facts_line_long_with_failing_tests_names() -> None:
    """PyHamcrest: four failing tests' long names pushed "coverage: …" off the 300-character line."""
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


def test_a_failing_tests_long_parametrized_id_is_shortened_not_every_name_left_out() -> None:
    """charset-normalizer: the first failing test's id held its parameter, ``b"\x00\x5f\x2f\xff"*50``
    (800 characters); cut at a space, the line said "failing: …", naming none of the five,
    ``test_isbinary[raw2-True]`` among them."""
    from prp_tasks.core.text import clip

    long_id = "tests/test_isbinary.py::test_isbinary[" + "\\x00\\x5f\\x2f\\xff" * 50 + "-False]"
    names = [long_id, "tests/test_isbinary.py::test_isbinary[raw2-True]"]
    pytest_facts = {"tests": 153, "passed": 151, "failures": 2, "errors": 0, "skipped": 0, "failing": names}
    line = clip(facts_line({"pytest": pytest_facts}, LINE_LIMIT), LINE_LIMIT)
    assert "failing: tests/test_isbinary.py::test_isbinary[\\x00\\x5f" in line, line
    assert "\\x5f\\x2f\\xff-False], tests/test_isbinary.py::test_isbinary[raw2-True]" in line  # its end kept
    # jsonpath-ng: three failing cases alike but for their parameters' ends, which are kept
    cases = [f"tests/test_scaling.py::test_time_scaling[{'a' * 90}-case{i}]" for i in range(3)]
    said = facts_line({"pytest": {**pytest_facts, "failing": cases}}, 1000)
    assert all(f"…{'a' * 23}-case{i}]" in said for i in range(3)), said


def test_the_coverage_stays_on_a_facts_line_long_with_the_first_failures_cause() -> None:
    """python-dateutil: one failing test whose assertion message is long pushed its coverage off
    the line (``(AssertionError: assert …``): the cause is shortened, at a space, before it goes."""
    from prp_tasks.checks.facts_line import facts_line

    cause = "AssertionError: assert " + " ".join(
        f"datetime.datetime(2014, 11, {d}, 0, 0)" for d in range(1, 9)
    )
    pytest_facts = {
        "tests": 5344, "passed": 5059, "failures": 4, "errors": 0, "skipped": 264,
        "failing": ["tests/test_utils.py::test_today"], "cause": cause,
    }  # fmt: skip
    facts = {"pytest": pytest_facts, "coverage": {"lines": 91.81, "total": 91.81}}
    line = facts_line(facts, LINE_LIMIT)
    assert len(line) <= LINE_LIMIT and line.endswith("coverage: lines 91.81%, total 91.81%"), line
    assert "failing: tests/test_utils.py::test_today (AssertionError: assert datetime" in line
    assert " …); coverage: " in line


def test_where_an_uncollected_module_raised_stays_when_its_cause_is_shortened() -> None:
    """desert: a test module that could not be collected, its cause "…, at src/desert/_make.py:12"
    (the module that raised): the line's end kept the coverage and cut that place."""
    from prp_tasks.checks.facts_line import facts_line

    cause = (
        "NameError: name 'undefined' is not defined " + "and more words " * 12 + ", at src/desert/_make.py:12"
    )
    pytest_facts = {
        "tests": 0, "passed": 0, "failures": 0, "errors": 1, "skipped": 0, "collection_errors": 1,
        "failing": ["tests/test_make.py"], "cause": cause,
    }  # fmt: skip
    facts = {"pytest": pytest_facts, "coverage": {"lines": 40.5}}
    line = facts_line(facts, 240)
    assert line.endswith("coverage: lines 40.5% (no test ran: only what importing the code ran)"), line
    assert (
        len(line) <= 240 and "failing: tests/test_make.py (NameError: name 'undefined' is not defined" in line
    )
    assert "…, at src/desert/_make.py:12); coverage: " in line


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
    idna = {"tests": 6448, "passed": 6434, "failures": 13, "errors": 0, "skipped": 1, "subtests_failed": 9}
    assert facts_line({"pytest": idna | {"subtests_passed": 47}}).startswith(  # said by pytest: 9 of 13
        "6448 tests: 6434 passed, 13 failed (9 of them subtests), 0 errors, 1 skipped, 47 subtests passed"
    )


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
    short = (  # exceptiongroup's addopts --tb=short: frames only, no raised-at line
        '<testsuites><testsuite tests="1"><testcase classname="tests.test_suppress" name="test_s">'
        '<failure message="assert False">tests/test_suppress.py:9: in test_s\n    check()\n'
        "tests/test_suppress.py:15: in check\n    assert False\nE   assert False\n"
        "/usr/lib/python3/x.py:3: in helper\n</failure></testcase></testsuite></testsuites>"
    )
    assert junit_facts(short.encode())["failing_at"] == ["tests/test_suppress.py:15"]
    syntax = (  # toolz: a module its package imports does not parse; it had pointed at the import
        '<testsuites><testsuite tests="1"><testcase classname="toolz.tests.test_dicttoolz" name="">'
        '<error message="collection failure">toolz/__init__.py:5: in &lt;module&gt;\n'
        "    from .dicttoolz import *\n"
        'E     File "toolz/dicttoolz.py", line 19\nE       def merge(*dicts)\nE                        ^\n'
        "E   SyntaxError: expected ':'</error></testcase></testsuite></testsuites>"
    )
    facts = junit_facts(syntax.encode())
    assert facts["failing_at"] == ["toolz/dicttoolz.py:19"]
    # and the cause says where, as the progress line shows only the facts line (cachelib's
    # "failing: tests/test_base_cache.py (SyntaxError: invalid syntax)" of src/cachelib/simple.py:47)
    assert facts["cause"] == "SyntaxError: expected ':', at toolz/dicttoolz.py:19"


def test_the_test_an_interrupt_stopped_is_not_counted_as_one_that_ran() -> None:
    """hpack's hanging test, its time up: pytest's report then holds a ``<testcase>`` with no name
    for it, and the facts said "72 tests: 71 passed, 0 failed, 0 errors, 0 skipped"."""
    report = (
        '<testsuites><testsuite tests="1"><testcase classname="test_slow" name="test_quick" time="0.000" />'
        '<testcase time="0.000" /></testsuite></testsuites>'
    )
    facts = junit_facts(report.encode())
    assert (facts["tests"], facts["passed"]) == (1, 1)


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


def test_nose2s_report_is_read_as_unittests(tmp_path: Path) -> None:
    """semantic-version's ``python -m nose2``: unittest's report on stderr (``Ran 68 tests``, ``OK``)."""
    out = _unittest_output("." * 68, [], "Ran 68 tests in 0.094s", "OK")
    text, _, kind = summary(tmp_path, ["python", "-m", "nose2"], stderr=out)
    assert text.splitlines()[0] == "68 tests ran: OK" and kind == EvidenceType.TEST  # a test run's
