"""Evidence of ``run`` checks: facts from the report files the tools write (``prp_tasks.checks.evidence``).

The parser tests use output the real tools wrote (pytest 8 JUnit XML, coverage XML). The linters'
and mypy's reports are read in ``test_evidence_lint.py``, what the tools print in
``test_evidence_text.py``, a JUnit report's counts, names and causes in ``test_evidence_junit.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from prp_tasks.checks import mypy_output, test_output
from prp_tasks.checks.evidence import tool_summary
from prp_tasks.checks.test_output import junit_facts
from prp_tasks.core.results import EvidenceType

JUNIT = b"""<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite name="pytest"
errors="1" failures="2" skipped="1" tests="6" time="0.138"><testcase classname="tests.test_a" name="test_ok"/>
<testcase classname="tests.test_a" name="test_bad"><failure message="AssertionError">boom</failure></testcase>
<testcase classname="tests.test_a" name="test_err"><failure message="RuntimeError">x</failure></testcase>
<testcase classname="tests.test_b" name="test_setup"><error message="fixture">y</error></testcase>
<testcase classname="tests.test_b" name="test_skip"><skipped message="no"/></testcase>
<testcase classname="tests.test_b" name="test_ok2"/></testsuite></testsuites>"""

MYPY_JUNIT = b"""<?xml version="1.0" encoding="utf-8"?>
<testsuite errors="0" failures="1" name="mypy" skips="0" tests="1" time="0.829">
  <testcase classname="mypy" file="mypy" line="1" name="mypy-py3_11-linux" time="0.829">
    <failure message="mypy produced messages">src/pkg/__init__.py:3: error: Incompatible return value type \
(got "int", expected "str")  [return-value]
src/pkg/b.py:9: error: Name "y" is not defined  [name-defined]</failure>
  </testcase>
</testsuite>"""

RUFF_JSON = [
    {"code": "E501", "filename": "/w/src/x.py", "location": {"row": 12, "column": 111}},
    {"code": "F401", "filename": "/w/src/y.py", "location": {"row": 3, "column": 1}},
    {"code": None, "filename": "/w/src/z.py", "location": {"row": 1, "column": 1}},
]


def fresh(workdir: Path, name: str, data: bytes | str) -> None:
    path = workdir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())


def summary(workdir: Path, argv: list[str], stdout: str = "", stderr: str = "") -> tuple[str, dict, str]:
    details: dict = {"stdout_tail": stdout, "stderr_tail": stderr, "duration_ms": 50}
    text, kind = tool_summary(workdir, argv, details)
    return text, details.get("facts", {}), kind


def test_pytest_junit_and_coverage_xml_become_counts_failing_ids_and_totals(tmp_path: Path) -> None:
    fresh(tmp_path, ".prp/reports/junit.xml", JUNIT)
    fresh(tmp_path, "cov.xml", b'<coverage line-rate="0.931" branch-rate="0.8" branches-valid="10"/>')
    argv = ["python", "-m", "pytest", "--junitxml=.prp/reports/junit.xml", "--cov-report=xml:cov.xml"]
    text, facts, kind = summary(tmp_path, argv, stdout="== 2 failed ==\n", stderr="DeprecationWarning: x\n")
    first = text.splitlines()[0]
    assert first == (
        "6 tests: 2 passed, 2 failed, 1 error, 1 skipped; failing: tests.test_a::test_bad (AssertionError), "
        'tests.test_a::test_err, tests.test_b::test_setup; skipped: 1 for "no"; '
        "coverage: branches 80%, lines 93.1%"
    )
    assert text.splitlines()[1:] == ["== 2 failed ==", "DeprecationWarning: x"]  # both tails
    assert facts["pytest"]["report"] == ".prp/reports/junit.xml" and facts["coverage"]["lines"] == 93.1
    assert kind == EvidenceType.TEST


def test_the_first_failing_test_says_why_in_its_first_line_with_secrets_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """six on a Python without ``_dbm``: the cause was only in the junit report."""
    monkeypatch.setenv("PRP_TEST_API_TOKEN", "s3cret-token-value")
    message = "ModuleNotFoundError: No module named &apos;_dbm&apos; (token s3cret-token-value)&#10;more"
    fresh(tmp_path, "j.xml", f'<testsuite><testcase classname="test_six" name="test_move[dbm]">'
                             f'<failure message="{message}">tb</failure></testcase></testsuite>')  # fmt: skip
    text, facts, _ = summary(tmp_path, ["pytest", "--junitxml=j.xml"])
    first = text.splitlines()[0]
    assert first.startswith("1 test: 0 passed, 1 failed") and "No module named '_dbm' (token " in first
    assert "s3cret-token-value" not in first and "s3cret-token-value" not in json.dumps(facts)
    assert "more" not in facts["pytest"]["cause"]  # its first line


def test_the_secrets_the_command_check_derived_are_the_ones_masked(tmp_path: Path) -> None:
    """The command check passes the secret values it derived once per change of the environment
    (scanning it for every check cost a gate's engine time ~5%): those are masked."""
    fresh(tmp_path, "j.xml", '<testsuite><testcase classname="t" name="x"><failure message="'
                             'sent abc123-not-in-env to the server"/></testcase></testsuite>')  # fmt: skip
    details: dict = {"stdout_tail": "", "stderr_tail": "", "duration_ms": 50}
    text, _ = tool_summary(tmp_path, ["pytest", "--junitxml=j.xml"], details, ("abc123-not-in-env",))
    assert "sent [REDACTED] to the server" in text.splitlines()[0]
    assert "abc123" not in json.dumps(details)


def test_the_first_violations_are_different_ones_and_coverage_has_two_decimals(tmp_path: Path) -> None:
    """schema: five UP035 on its line 7 were listed as one entry five times; inflect's coverage
    read 'lines 99.04%, total 99.0361%'."""
    same = {"filename": str(tmp_path / "s.py"), "location": {"row": 7, "column": 1}, "code": "UP035"}
    other = {**same, "code": "F401"}
    fresh(tmp_path, "r.json", json.dumps([same, same, same, other]))
    text = summary(tmp_path, ["ruff", "check", "--output-format=json", "--output-file=r.json", "."])[0]
    assert text.splitlines()[0] == "4 ruff violations; first s.py:7:F401, s.py:7:UP035"  # rarest first
    fresh(tmp_path, "c.xml", b'<coverage line-rate="0.990361" branch-rate="0" branches-valid="0"/>')
    text = summary(tmp_path, ["pytest", "--cov-report=xml:c.xml"])[0]
    assert "coverage: lines 99.04%" in text


def test_a_missed_coverage_threshold_is_said_where_the_counts_are(tmp_path: Path) -> None:
    """portalocker: 56 passed and the check failed; prp.md showed only the counts. pytest-cov's
    (and coverage.py's) verdict on the project's fail_under is part of the facts line."""
    fresh(tmp_path, "c.xml", b'<coverage line-rate="0" branch-rate="0" branches-valid="0"/>')
    out = "56 passed in 2.1s\nFAIL Required test coverage of 100.0% not reached. Total coverage: 0.00%\n"
    text = summary(tmp_path, ["pytest", "--cov-report=xml:c.xml"], stdout=out)[0]
    assert (
        "coverage: lines 0%, FAIL Required test coverage of 100.0% not reached. Total coverage: 0.00%" in text
    )
    said = "Coverage failure: total of 97 is less than fail-under=100\n"
    assert summary(tmp_path, ["coverage", "report"], stdout=said)[0].startswith(
        "coverage: Coverage failure: total of 97 is less than fail-under=100"
    )


def test_a_missed_coverage_threshold_names_the_files_measured_least(tmp_path: Path) -> None:
    """enlighten 1.14.1: "Coverage failure: total of 94 is less than fail-under=100" and nothing of
    where: all of it ``_notebook_manager.py`` at 0% (its one test skipped for missing packages)."""
    classes = "".join(
        f'<class filename="enlighten/{name}" line-rate="{rate}"/>'
        for name, rate in (("_manager.py", "1"), ("_notebook_manager.py", "0"), ("_util.py", "0.9876"))
    )
    report = '<coverage line-rate="0.9446" branch-rate="0" branches-valid="0"><packages><package><classes>'
    fresh(tmp_path, "c.xml", f"{report}{classes}</classes></package></packages></coverage>")
    out = "137 passed in 2.1s\nCoverage failure: total of 94 is less than fail-under=100\n"
    text = summary(tmp_path, ["pytest", "--cov-report=xml:c.xml"], stdout=out)[0]
    assert text.splitlines()[0].endswith(
        "less than fail-under=100; least covered: enlighten/_notebook_manager.py 0%, "
        "enlighten/_util.py 98.76%"
    )
    assert (
        "least covered" not in summary(tmp_path, ["pytest", "--cov-report=xml:c.xml"], stdout="1 passed\n")[0]
    )


def test_a_module_that_could_not_be_collected_is_an_error_not_a_test(tmp_path: Path) -> None:
    """jmespath's sdist: pytest says ``5 errors``, no test collected; it was '5 tests: … 5 errors'."""
    fresh(
        tmp_path,
        "j.xml",
        '<testsuites><testsuite errors="1" failures="0" skipped="0" tests="1">'
        '<testcase classname="" name="tests.test_a" time="0.0"><error message="collection failure">'
        "ImportError</error></testcase></testsuite></testsuites>",
    )
    fresh(tmp_path, "tests/test_a.py", "import nosuchmod\n")
    out = "!!! Interrupted: 1 error during collection !!!\n1 error in 0.07s\n"
    text, facts, _ = summary(tmp_path, ["pytest", "--junitxml=j.xml", "tests"], out)
    assert text.splitlines()[0] == (
        "0 tests: 0 passed, 0 failed, 1 error (1 in collection), 0 skipped; failing: tests/test_a.py"
    )
    assert (facts["pytest"]["tests"], facts["pytest"]["collection_errors"]) == (0, 1)
    # a module collected twice (as tests and as doctests) fails twice: pytest says "2 errors"
    twice = '<error message="collection failure">a</error><error message="collection failure">b</error>'
    report = f'<testsuite><testcase classname="" name="tests.test_a">{twice}</testcase></testsuite>'
    assert junit_facts(report.encode())["collection_errors"] == 2


def test_a_report_older_than_the_command_or_outside_the_workdir_is_not_read(tmp_path: Path) -> None:
    fresh(tmp_path, "junit.xml", JUNIT)
    old = time.time() - 3600
    os.utime(tmp_path / "junit.xml", (old, old))
    assert summary(tmp_path, ["pytest", "--junitxml=junit.xml"])[1] == {}
    fresh(tmp_path / "sub", "j.xml", JUNIT)
    assert summary(tmp_path / "sub", ["pytest", "--junitxml=../sub/../../junit.xml"])[1] == {}


def test_unreadable_or_hostile_machine_output_gives_no_facts_and_no_error(tmp_path: Path) -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><testsuite tests="&a;"/>'
    fresh(tmp_path, "junit.xml", bomb)
    fresh(tmp_path, "ruff.json", "{not json")
    assert summary(tmp_path, ["pytest", "--junitxml=junit.xml"])[1] == {}
    argv = ["ruff", "check", "--output-format=json", "--output-file=ruff.json"]
    assert summary(tmp_path, argv, stdout="plain text\n") == ("plain text", {}, EvidenceType.COMMAND)


def test_tool_output_parsers_refuse_what_the_tool_does_not_write() -> None:
    with pytest.raises(ValueError):
        test_output.junit_facts(b"<coverage/>")
    with pytest.raises(ValueError):
        mypy_output.mypy_text_facts("hello")
    with pytest.raises(ValueError):
        test_output.pytest_text_facts("no summary")


REAL_TESTS = """import pytest

@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("teardown")

class TestAssoc:
    def test_unknown(self):
        assert 1 == 2

def test_ok():
    pass

def test_ok_but_teardown_fails(broken_teardown):
    pass

@pytest.mark.xfail(reason="known")
def test_known():
    assert False

@pytest.mark.xfail(reason="fixed meanwhile")
def test_fixed():
    pass

@pytest.mark.skip(reason="no")
def test_skipped():
    pass
"""


@pytest.mark.parametrize(
    ("flags", "tail"),
    [((), "whole"), (("-q",), "whole"), ((), "cut")],
    ids=["framed-closing-line", "quiet-closing-line", "report-only"],
)
def test_a_real_pytest_report_counts_as_pytest_does_and_names_tests_by_their_file(
    tmp_path: Path, flags: tuple[str, ...], tail: str
) -> None:
    fresh(tmp_path, "tests/__init__.py", "")
    fresh(tmp_path, "tests/test_funcs.py", REAL_TESTS)
    fresh(tmp_path, "tests/test_broken.py", "import no_such_module\n")  # a collection error
    argv = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "--continue-on-collection-errors",
        *flags,
        "--junitxml=.prp/reports/junit.xml",
    ]
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, check=False)
    said = "1 failed, 2 passed, 1 skipped, 1 xfailed, 1 xpassed, 2 errors"
    assert said in done.stdout, done.stdout
    stdout = done.stdout if tail == "whole" else ""  # a tail without the closing line: the report alone
    text, facts, _ = summary(tmp_path, ["python", *argv[1:]], stdout=stdout)
    # the report alone cannot tell the unexpected pass from a pass; the closing line can; the module
    # that could not be collected is an error, not a test (pytest: "collected 6 items / 1 error")
    passed, xpassed = ("2 passed", ", 1 xpassed") if tail == "whole" else ("3 passed", "")
    assert text.splitlines()[0] == (
        f"6 tests: {passed}, 1 failed, 2 errors (1 in collection), 1 skipped, 1 xfailed{xpassed}; failing: "
        "tests/test_broken.py (ModuleNotFoundError: No module named 'no_such_module'), "
        "tests/test_funcs.py::TestAssoc::test_unknown, "
        'tests/test_funcs.py::test_ok_but_teardown_fails; skipped: 1 for "no"'
    )
    assert facts["pytest"]["xfailed"] == 1


def test_the_total_agrees_with_pytests_counts_when_its_report_merges_two_skips(tmp_path: Path) -> None:
    """parsel: a module skipped at import under ``--doctest-modules`` is skipped twice (its doctests
    and its tests), one JUnit test case; "534 tests: 528 passed, 3 failed, 0 errors, 4 skipped"
    added up to 535, pytest's own count."""
    fresh(tmp_path, "tests/test_a.py", "def test_a():\n    pass\n")
    skipped = 'import pytest\npytest.importorskip("no_such_module")\n\ndef test_b():\n    pass\n'
    fresh(tmp_path, "tests/benchmarks/test_b.py", skipped)
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--doctest-modules", "tests"]
    argv.append("--junitxml=.prp/reports/junit.xml")
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert "1 passed, 2 skipped" in done.stdout, done.stdout
    text, facts, _ = summary(tmp_path, ["python", *argv[1:]], stdout=done.stdout)
    assert text.splitlines()[0].startswith("3 tests: 1 passed, 0 failed, 0 errors, 2 skipped"), text
    assert facts["pytest"]["tests"] == 3


def test_a_crash_in_the_repositorys_code_says_where(tmp_path: Path) -> None:
    """simplejson with an import above its ``from __future__``: its own test runner crashed with
    a SyntaxError whose other frames were unittest's loader; the evidence said the exception and
    review.json pointed at the run manifest, not at ``simplejson/encoder.py`` line 4."""
    err = (
        "Traceback (most recent call last):\n"
        '  File "simplejson/tests/__init__.py", line 80, in <module>\n    main()\n'
        '  File "/usr/lib/python3.11/unittest/loader.py", line 154, in loadTestsFromName\n'
        "    module = __import__(module_name)\n"
        '  File "simplejson/encoder.py", line 4\n'
        "    from __future__ import absolute_import\n    ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
        "SyntaxError: from __future__ imports must occur at the beginning of the file\n"
    )
    text, _, _ = summary(tmp_path, ["python", "simplejson/tests/__init__.py"], "", err)
    assert text.splitlines()[0] == (
        "the tool crashed: SyntaxError: from __future__ imports must occur at the beginning of the file"
        " (at simplejson/encoder.py:4)"
    )
    details: dict = {"stderr_tail": err, "duration_ms": 5}
    tool_summary(tmp_path, ["python", "simplejson/tests/__init__.py"], details)
    assert details["crashed_at"] == ["simplejson/encoder.py:4"]
    # pytest that could not import a conftest (structlog's syntax error, exit 4): its lines behind
    # "E   "; the summary had only the coverage of the run that ran nothing
    conftest = (
        "ImportError while loading conftest 'tests/conftest.py'.\n"
        'E     File "src/structlog/_utils.py", line 18\nE       def f(x)\nE              ^\n'
        "E   SyntaxError: expected ':'\n"
    )
    first = summary(tmp_path, ["python", "-m", "pytest", "-q"], "", conftest)[0].splitlines()[0]
    assert first == (  # (not pytest's crash: arrow's "the tool crashed" read so)
        "the tests could not be loaded (a conftest failed to import): SyntaxError: expected ':' "
        "(at src/structlog/_utils.py:18)"
    )
    # time-machine's own pytest plugin (its pytest11 entry point) with the syntax error: not pytest's crash
    plugin = 'Error while loading plugin "pytest11".\n' + conftest.split("\n", 1)[1]
    first = summary(tmp_path, ["python", "-m", "pytest", "-q"], "", plugin)[0].splitlines()[0]
    assert first == (
        "the tests could not be run (a pytest plugin failed to import): SyntaxError: expected ':' "
        "(at src/structlog/_utils.py:18)"
    )
    # a crash inside installed code only (absolute paths): no place in the repository to name
    installed = err.replace('"simplejson/', '"/env/lib/simplejson/')
    assert "(at " not in summary(tmp_path, ["python", "x.py"], "", installed)[0].splitlines()[0]


def test_a_tool_that_crashed_says_with_what(tmp_path: Path) -> None:
    """hyperlink's pinned black 20.8b1 under click 8.3 raised ImportError before looking at a
    file: the check's line said "Traceback (most recent call last): File …"."""
    err = (
        'Traceback (most recent call last):\n  File "/env/bin/black", line 8, in <module>\n'
        '    sys.exit(patched_main())\n  File "/env/black/__init__.py", line 6, in <module>\n'
        "ImportError: cannot import name '_unicodefun' from 'click' (/env/click/__init__.py)\n"
    )
    text, facts, _ = summary(tmp_path, ["python", "-m", "black", "--check", "."], "", err)
    assert text.splitlines()[0] == (
        "the tool crashed: ImportError: cannot import name '_unicodefun' from 'click' "
        "(/env/click/__init__.py)"
    )
    assert facts == {}
    assert text.splitlines()[1:4] == [  # the traceback as the tool printed it (it lost its indentation)
        "Traceback (most recent call last):",
        '  File "/env/bin/black", line 8, in <module>',
        "    sys.exit(patched_main())",
    ]
    plain = summary(tmp_path, ["python", "-m", "black", "--check", "."], "", "error: cannot format x.py\n")
    assert not plain[0].startswith("the tool")


def test_where_a_test_raised_is_relative_to_the_working_directory(tmp_path: Path) -> None:
    """python-dotenv's conftest changes directory: pytest's report names the test file by its
    absolute path, and review.json's evidence lost its line."""
    report = (
        '<testsuites><testsuite tests="1"><testcase classname="tests.test_utils" name="test_x">'
        '<failure message="assert 1 == 2">E   assert 1 == 2\n\n'
        f"{tmp_path}/tests/test_utils.py:8: AssertionError"
        "</failure></testcase></testsuite></testsuites>"
    )
    fresh(tmp_path, ".prp/reports/junit.xml", report.encode())
    argv = ["python", "-m", "pytest", "--junitxml=.prp/reports/junit.xml"]
    assert summary(tmp_path, argv)[1]["pytest"]["failing_at"] == ["tests/test_utils.py:8"]


def test_a_failed_unittest_test_says_where_it_failed_and_counts_in_words(tmp_path: Path) -> None:
    """more-itertools with a broken test: "929 tests ran: 1 failures", and review.json's evidence
    had no file, though unittest's traceback named tests/test_recipes.py, line 36."""
    err = (
        "F\n======================================================================\n"
        "FAIL: test_basic (tests.test_recipes.TakeTests.test_basic)\n"
        "----------------------------------------------------------------------\n"
        "Traceback (most recent call last):\n"
        f'  File "{tmp_path}/tests/test_recipes.py", line 36, in test_basic\n'
        "    self.assertEqual(t, [0, 1])\n"
        '  File "/usr/lib/python3.11/unittest/case.py", line 873, in assertEqual\n'
        "AssertionError: Lists differ\n\n"
        "----------------------------------------------------------------------\n"
        "Ran 929 tests in 1.2s\n\nFAILED (failures=1)\n"
    )
    text, facts, _ = summary(tmp_path, ["python", "-m", "unittest"], stderr=err)
    assert text.splitlines()[0].startswith(
        "929 tests ran: 928 passed, 1 failure; failing: tests.test_recipes"
    )
    assert facts["unittest"]["failing_at"] == ["tests/test_recipes.py:36"]


def test_a_failing_items_dotted_name_is_pytests_own_and_a_native_traceback_gives_its_line(
    tmp_path: Path,
) -> None:
    """immutables 0.21: pytest-mypy-plugins' item ``…::ImmuMypyTest::check-immu.test::testMypyImmu``
    was named ``…::check-immu::test::testMypyImmu`` from the report's dotted classname (pytest:
    "no name … in any of [<Module test_mypy.py>]" when pasted); and its ``--tb=native`` tracebacks
    gave a failing test's file without its line."""
    native = (
        "Traceback (most recent call last):\n"
        '  File "/usr/lib/python3.11/unittest/case.py", line 57, in testPartExecutor\n    yield\n'
        f'  File "{tmp_path}/tests/test_map.py", line 41, in test_map_basics_2\n'
        "    self.assertEqual(1, 2)\n"
        '  File "/usr/lib/python3.11/unittest/case.py", line 866, in _baseAssertEqual\n'
        "AssertionError: 1 != 2"
    )
    fresh(
        tmp_path,
        "j.xml",
        '<testsuites><testsuite errors="0" failures="2" skipped="0" tests="2">'
        '<testcase classname="tests.test_map.PyMapTest" name="test_map_basics_2">'
        f'<failure message="AssertionError: 1 != 2">{native}</failure></testcase>'
        '<testcase classname="tests.test_mypy.ImmuMypyTest.check-immu.test" name="testMypyImmu">'
        '<failure message="">E   Expected: x</failure></testcase></testsuite></testsuites>',
    )
    fresh(tmp_path, "tests/test_map.py", "")
    fresh(tmp_path, "tests/test_mypy.py", "")
    out = (
        "FAILED tests/test_map.py::PyMapTest::test_map_basics_2 - AssertionError: 1 != 2\n"
        "FAILED tests/test_mypy.py::ImmuMypyTest::check-immu.test::testMypyImmu\n"
        "2 failed in 0.2s\n"
    )
    _, facts, _ = summary(tmp_path, ["pytest", "--junitxml=j.xml"], out)
    assert facts["pytest"]["failing"] == [
        "tests/test_map.py::PyMapTest::test_map_basics_2",
        "tests/test_mypy.py::ImmuMypyTest::check-immu.test::testMypyImmu",
    ]
    assert facts["pytest"]["failing_at"] == ["tests/test_map.py:41"]
