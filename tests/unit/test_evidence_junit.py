"""How a JUnit XML report is read (``prp_tasks.checks.test_output.junit_facts``): tests counted as
pytest counts them, failing tests named as pytest names them and in the order a reader needs, and
the first one's cause from the line that says it. Reports from real runs are read in
``test_evidence.py``."""

from __future__ import annotations

from pathlib import Path

from prp_tasks.checks.facts_line import facts_line
from prp_tasks.checks.test_output import case_id, junit_facts


def test_two_items_of_one_name_are_two_tests_and_a_teardown_error_is_not_a_third() -> None:
    """zipp: two plugin items both ``classname="." name="project"``; pytest counts two tests."""
    report = (
        '<testsuite><testcase classname="." name="project"/><testcase classname="." name="project"/>'
        '<testcase classname="t" name="test_x"/><testcase classname="t" name="test_x">'
        '<error message="failed on teardown with &quot;E&quot;">x</error></testcase></testsuite>'
    )
    facts = junit_facts(report.encode())
    assert (facts["tests"], facts["passed"], facts["errors"]) == (3, 3, 1)


def test_a_failure_without_a_message_is_said_by_its_exception_line() -> None:
    """PyHamcrest: pytest-mypy-plugins' failures carry ``message=""``; the cause, its E line, was
    left out ("failing: tests/…/test_empty.yml::empty" and nothing of why)."""
    body = (
        "E   pytest_mypy_plugins.utils.TypecheckAssertionError: Invalid output:\n"
        'E   Actual:\nE     main:3: error: Cannot infer value of type parameter "T"\n'
    )
    report = (
        '<testsuite><testcase classname="tests.type-hinting.test_empty.yml" name="empty">'
        f'<failure message="">{body}</failure></testcase></testsuite>'
    )
    facts = junit_facts(report.encode())
    assert facts["cause"] == "pytest_mypy_plugins.utils.TypecheckAssertionError: Invalid output:"


def test_a_test_collected_from_another_kind_of_file_is_named_by_that_file() -> None:
    files = {"tests/test_mypy.yml", "tests/unit/test_a.py"}
    assert case_id("tests.test_mypy.yml", "testAttrsAnnotated", files.__contains__) == (
        "tests/test_mypy.yml::testAttrsAnnotated"
    )
    assert case_id("tests.unit.test_a.TestX.TestY", "test_z", files.__contains__) == (
        "tests/unit/test_a.py::TestX::TestY::test_z"
    )
    assert case_id("elsewhere.test_b", "test_c", files.__contains__) == "elsewhere.test_b::test_c"


def test_a_collection_errors_cause_is_the_exceptions_line_not_the_last_line() -> None:
    """python-dateutil under pytest 9.2: the last E line was "See https://docs.pytest.org/…",
    the cause was the PytestRemovedIn10Warning above it."""
    text = (
        "tests/test_isoparser.py:1: in &lt;module&gt;\n"
        "E   pytest.PytestRemovedIn10Warning: Passing a non-Collection iterable to parametrize\n"
        "E   See https://docs.pytest.org/en/stable/deprecations.html#parametrize-iterators\n"
    )
    report = (
        '<testsuite><testcase classname="" name="tests.test_isoparser">'
        f'<error message="collection failure">{text}</error></testcase></testsuite>'
    )
    facts = junit_facts(report.encode())
    assert facts["cause"].startswith("pytest.PytestRemovedIn10Warning: Passing a non-Collection")


def test_a_collection_error_of_pytests_own_failure_is_said_by_its_failed_line() -> None:
    """w3lib: a module-level ``pytest.warns`` that saw no warning; the cause read "Emitted
    warnings: []." (the last E line) and not pytest's "Failed: DID NOT WARN." above it."""
    text = (
        "tests/test_util.py:5: in &lt;module&gt;\n"
        '    with pytest.warns(DeprecationWarning, match="deprecated"):\n'
        "E   Failed: DID NOT WARN. No warnings of type (&lt;class 'DeprecationWarning'&gt;,) were emitted.\n"
        "E    Emitted warnings: [].\n"
    )
    report = (
        '<testsuite><testcase classname="" name="tests.test_util">'
        f'<error message="collection failure">{text}</error></testcase></testsuite>'
    )
    assert junit_facts(report.encode())["cause"].startswith("Failed: DID NOT WARN. No warnings of type")


def test_an_empty_failure_message_is_said_by_the_lines_under_it() -> None:
    """anyio: pytest 9's ``raises(match="^'bar'$")`` failing on ``'foo'`` says ``AssertionError:``
    with its diff under it; the cause read "AssertionError:" and lost both values."""
    report = (
        '<testsuite><testcase classname="tests.test_t" name="test_m">'
        "<failure message=\"AssertionError: &#10;- 'foo'&#10;+ 'bar'\">E   AssertionError: </failure>"
        "</testcase></testsuite>"
    )
    assert junit_facts(report.encode())["cause"] == "AssertionError: - 'foo' + 'bar'"


def test_a_failing_test_of_a_test_module_is_named_before_other_items() -> None:
    """importlib_metadata: seven pytest-perf items of ``exercises.py`` (failing in any checkout
    without a git remote) and a doctest were named, the user's failing test in tests/ was not."""

    def case(classname: str, name: str) -> str:
        return f'<testcase classname="{classname}" name="{name}"><failure message="m">x</failure></testcase>'

    items = [case("exercises.py", f"exercises.py:perf {n}") for n in range(7)]
    items += [case("importlib_metadata._text", "importlib_metadata._text.FoldedCase")]
    items += [case("", "ruff"), case("tests.test_api.APITests", "test_prp_broken")]
    facts = junit_facts(f"<testsuite>{''.join(items)}</testsuite>".encode())
    assert facts["failing"][0] == "tests.test_api.APITests::test_prp_broken"
    assert facts["failing"][1:] == [f"exercises.py::exercises.py:perf {n}" for n in range(4)]


def test_failed_tests_are_named_before_tests_in_error_as_pytests_summary_lists_them() -> None:
    """xxhash without pytest-codspeed: 34 benchmark tests in error (fixture 'benchmark' not found)
    came first in the report and were all the failing tests named; its 3 failed tests (pyright
    missing) were named nowhere. A module that could not be collected still comes first."""
    error = '<testcase classname="tests.test_bench" name="test_b{n}"><error message="e">x</error></testcase>'
    failed = (
        '<testcase classname="tests.test_stubs" name="test_s{n}"><failure message="f">y</failure></testcase>'
    )
    items = [error.format(n=n) for n in range(5)] + [failed.format(n=n) for n in range(2)]
    facts = junit_facts(f"<testsuite>{''.join(items)}</testsuite>".encode())
    named = ["tests.test_stubs::test_s0", "tests.test_stubs::test_s1", "tests.test_bench::test_b0"]
    assert facts["failing"][:3] == named
    assert facts["cause"] == "f" and (facts["failures"], facts["errors"]) == (2, 5)
    broken = '<testcase classname="" name="tests.test_x"><error message="collection failure"/></testcase>'
    facts = junit_facts(f"<testsuite>{''.join(items)}{broken}</testsuite>".encode())
    assert facts["failing"][0] == "tests.test_x"


def test_a_setup_errors_cause_is_the_fixtures_error_not_where_it_is() -> None:
    """shellingham without pytest-mock: the cause read ``failed on setup with "file
    tests/test_posix.py, line 77`` (an unclosed quote, no word of the missing fixture)."""
    message = (
        "failed on setup with &quot;file /w/tests/test_posix.py, line 77&#10;"
        "  def test_get_shell(mocker, cmd):&#10;E       fixture 'mocker' not found&#10;"
        "&gt;       available fixtures: cache, capfd&#10;"
        "&gt;       use 'pytest --fixtures [testpath]' for help on them.&#10;&#10;"
        "/w/tests/test_posix.py:77&quot;"
    )
    report = (
        '<testsuite><testcase classname="tests.test_posix" name="test_get_shell">'
        f'<error message="{message}">the same</error></testcase></testsuite>'
    )
    assert junit_facts(report.encode())["cause"] == "fixture 'mocker' not found"


def test_pytests_internal_error_is_no_test_and_says_the_run_stopped() -> None:
    """pydantic-settings: pytest stopped at 63 of 1392 tests on an INTERNALERROR (``RuntimeError:
    generator raised StopIteration``, formatting a traceback); the summary read "64 tests: 62
    passed, 1 failed, 1 error …; failing: …, pytest::internal", as if that were the suite."""
    report = (
        '<testsuite><testcase classname="tests.test_a" name="test_ok"/>'
        '<testcase classname="tests.test_a" name="test_bad"><failure message="AssertionError">x'
        '</failure></testcase><testcase classname="pytest" name="internal">'
        '<error message="internal error">Traceback (most recent call last):\n'
        '  File "/v/site-packages/_pytest/main.py", line 285, in wrap_session\n'
        "RuntimeError: generator raised StopIteration</error></testcase></testsuite>"
    )
    facts = junit_facts(report.encode())
    assert (facts["tests"], facts["passed"], facts["failures"], facts["errors"]) == (2, 1, 1, 0)
    assert facts["failing"] == ["tests.test_a::test_bad"]
    assert facts["internal_error"] == "RuntimeError: generator raised StopIteration"
    assert facts_line({"pytest": facts}) == (
        "pytest stopped on an internal error (RuntimeError: generator raised StopIteration) after "
        "2 tests: 1 passed, 1 failed, 0 errors, 0 skipped; failing: tests.test_a::test_bad (AssertionError)"
    )


def test_the_coverage_of_a_test_run_that_ran_no_test_says_so() -> None:
    """mashumaro without ciso8601: "0 tests: … 1 error (1 in collection) …; coverage: lines 73.04%",
    read as its tests' coverage (a budget of 70 would have held): what importing the code ran."""
    pytest = {"tests": 0, "passed": 0, "failures": 0, "errors": 1, "skipped": 0, "collection_errors": 1}
    line = facts_line({"pytest": pytest, "coverage": {"lines": 73.04, "total": 73.04}})
    assert line.endswith(
        "coverage: lines 73.04%, total 73.04% (no test ran: only what importing the code ran)"
    )
    pytest |= {"tests": 3, "passed": 3}
    assert facts_line({"pytest": pytest, "coverage": {"lines": 73.04}}).endswith("coverage: lines 73.04%")


def test_a_test_run_that_ran_no_test_and_measured_nothing_says_only_that() -> None:
    """respx 0.22.0's sdist has no tests: "coverage.py: No data was collected (no test ran: only
    what importing the code ran)", when not even an import was measured."""
    pytest = {"tests": 0, "passed": 0, "failures": 0, "errors": 0, "skipped": 0}
    coverage = {"lines": 0.0, "total": 0.0, "note": "coverage.py: No data was collected"}
    line = facts_line({"pytest": pytest, "coverage": coverage})
    assert line.endswith("coverage: lines 0%, total 0%, coverage.py: No data was collected (no test ran)")


def test_the_first_failing_tests_line_says_where_it_failed() -> None:
    """textwrap3: the terminal's line named the failing test and its assertion, review.json alone
    the line it failed at; a place in an installed package is left out."""
    body = "def test_wrap():\n&gt;       assert wrap('a b', 1) == ['a']\nE       AssertionError\n\n"
    body += "tests/test_wrap.py:12: AssertionError"
    report = (
        '<testsuite><testcase classname="tests.test_wrap" name="test_wrap">'
        f'<failure message="AssertionError">{body}</failure></testcase></testsuite>'
    )
    facts = junit_facts(report.encode())
    assert facts["cause_at"] == "tests/test_wrap.py:12"
    assert facts_line({"pytest": facts}).endswith(
        "failing: tests.test_wrap::test_wrap (AssertionError, at tests/test_wrap.py:12)"
    )
    facts["cause_at"] = "/env/lib/python3.11/site-packages/x.py:3"
    assert facts_line({"pytest": facts}).endswith("failing: tests.test_wrap::test_wrap (AssertionError)")


def test_an_exception_pytest_displays_natively_is_said_by_its_own_last_line() -> None:
    """requests-mock's testtools tests: "failing: … (Failed: NOTE: Incompatible Exception
    Representation, displaying natively: …)", where the cause is testtools' MismatchError."""
    body = (
        "Failed: NOTE: Incompatible Exception Representation, displaying natively:\n\n"
        "testtools.testresult.real._StringException: Traceback (most recent call last):\n"
        '  File "tests/test_t.py", line 4, in test_a\n    self.assertEqual("x", "y")\n'
        '  File "/env/site-packages/testtools/testcase.py", line 704, in assertThat\n'
        "    raise mismatch_error\ntesttools.matchers._impl.MismatchError: 'x' != 'y'"
    )
    message = "Failed: NOTE: Incompatible Exception Representation, displaying natively:&#10;&#10;more"
    report = (
        '<testsuite><testcase classname="tests.test_t.T" name="test_a">'
        f'<failure message="{message}">{body}</failure></testcase></testsuite>'
    )
    facts = junit_facts(report.replace("'", "&apos;").encode())
    assert facts["cause"] == "testtools.matchers._impl.MismatchError: 'x' != 'y'"


#: pytest 9.2's report of a module skipped at import, two importorskip's, a skip mark, a skipif and an
#: expected failure (written by a real run)
_SKIPS = (
    '<testsuites><testsuite name="pytest" errors="0" failures="0" skipped="6" tests="7">'
    '<testcase classname="" name="tests.test_mod"><skipped message="collection skipped">'
    "('/tmp/x/tests/test_mod.py', 2, \"Skipped: could not import 'trio': No module named 'trio'\")"
    '</skipped></testcase><testcase classname="tests.test_a" name="test_b" />'
    '<testcase classname="tests.test_s" name="test_c"><skipped type="pytest.skip" message="could not '
    "import 'aioquic': No module named 'aioquic'\">/tmp/x/tests/test_s.py:3: could not import "
    "'aioquic': No module named 'aioquic'</skipped></testcase>"
    '<testcase classname="tests.test_s" name="test_d"><skipped type="pytest.skip" message="needs '
    'network">/tmp/x/tests/test_s.py:4: needs network</skipped></testcase>'
    '<testcase classname="tests.test_s" name="test_e"><skipped type="pytest.skip" message="on windows '
    'only">/tmp/x/tests/test_s.py:6: on windows only</skipped></testcase>'
    '<testcase classname="tests.test_s" name="test_f"><skipped type="pytest.skip" message="could not '
    "import 'aioquic': No module named 'aioquic'\">/tmp/x/tests/test_s.py:9: could not import "
    "'aioquic': No module named 'aioquic'</skipped></testcase>"
    '<testcase classname="tests.test_s" name="test_g"><skipped type="pytest.xfail" message="bug 12" />'
    "</testcase></testsuite></testsuites>"
)


def test_why_tests_were_skipped_is_kept_most_common_first_and_said_in_the_line() -> None:
    """dnspython: 8 more tests skipped than in its CI (its ``doq`` extra's aioquic not installed),
    and the line said only "N skipped": a run that passes has not tested that code."""
    facts = junit_facts(_SKIPS.encode())
    assert facts["skip_reasons"] == [
        {"reason": "could not import 'aioquic': No module named 'aioquic'", "tests": 2},
        {"reason": "could not import 'trio': No module named 'trio'", "tests": 1},
        {"reason": "needs network", "tests": 1},
        {"reason": "on windows only", "tests": 1},
    ]  # (the expected failure is no skip)
    assert facts_line({"pytest": facts}).endswith(
        "5 skipped, 1 xfailed; skipped: 2 for \"could not import 'aioquic': No module named 'aioquic'\", "
        "1 for \"could not import 'trio': No module named 'trio'\", and 2 other reasons"
    )


def test_a_run_without_skips_says_no_reasons() -> None:
    facts = junit_facts(b'<testsuite><testcase classname="t" name="test_x"/></testsuite>')
    assert "skip_reasons" not in facts and "skipped:" not in facts_line({"pytest": facts})


def test_the_skips_reasons_give_way_first_when_the_line_is_too_long() -> None:
    """dnspython: 102 skipped "Internet not reachable" and its failing tests' causes had cut the
    line's coverage to "coverage: lines …"."""
    pytest = {
        "tests": 1360, "passed": 1237, "failures": 2, "errors": 0, "skipped": 121,
        "failing": ["tests/test_name.py::NameTestCase::testFromUnicodeIDNA2008", "tests/test_name.py::T::t5"],
        "cause": "AssertionError: 'xn--knigsgchen-b4a3dun.xn--2-tga' != 'xn--knigsgsschen-lcb0w.xn--2-tga'",
        "skip_reasons": [
            {"reason": "Internet not reachable", "tests": 102}, {"reason": "needs NanoAuth", "tests": 7}
        ],
    }  # fmt: skip
    whole = facts_line({"pytest": pytest, "coverage": {"lines": 85.5}})
    assert (
        '; skipped: 102 for "Internet not reachable", 7 for "needs NanoAuth"; coverage: lines 85.5%' in whole
    )
    one = facts_line({"pytest": pytest, "coverage": {"lines": 85.5}}, len(whole) - 2)
    assert one.endswith(
        'T::t5; skipped: 102 for "Internet not reachable", and 1 other reason; coverage: lines 85.5%'
    )
    none = facts_line({"pytest": pytest, "coverage": {"lines": 85.5}}, len(whole) - 60)
    assert none.endswith("tests/test_name.py::T::t5; coverage: lines 85.5%")  # the failing names kept


def test_a_run_that_stopped_at_its_first_failure_says_so(tmp_path: Path) -> None:
    """lz4's addopts ``-x``: "19016 tests: 19015 passed, 1 failed" read as its suite of 19,804."""
    from prp_tasks.checks.evidence import ReportReader, pytest_facts

    report = (
        '<testsuite><testcase classname="t" name="test_a"/><testcase classname="t" name="test_b">'
        '<failure message="x">x</failure></testcase></testsuite>'
    )
    (tmp_path / "junit.xml").write_text(report)
    out = "!!!!!!!!!!!!!!!!!!!! stopping after 1 failures !!!!!!!!!!!!!!!!!!!!\n1 failed, 1 passed in 0.2s\n"
    facts = pytest_facts(["--junitxml=junit.xml"], out, ReportReader(tmp_path, 0))
    assert facts is not None and facts["stopped_after"] == 1
    assert facts_line({"pytest": facts}).startswith(
        "pytest stopped after 1 failure (-x or --maxfail), after 2 tests: 1 passed, 1 failed"
    )
    text = pytest_facts([], out, ReportReader(tmp_path, 0))
    assert text is not None and facts_line({"pytest": text}).startswith(
        "pytest: 1 failed, 1 passed (stopped after 1 failure)"
    )
