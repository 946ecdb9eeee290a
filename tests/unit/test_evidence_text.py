"""Evidence of ``run`` checks from what the tools print (``prp_tasks.checks.evidence``): mypy's,
ruff's, the formatters' and coverage's closing lines and messages, crashes and refused arguments,
which tool a command runs, and how the summary lines are clipped and joined (the test runners' are
in test_evidence_runners.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prp_tasks.checks.evidence import identify
from prp_tasks.core.results import EvidenceType
from prp_tasks.core.text import clip, first_lines
from tests.unit.test_evidence import MYPY_JUNIT, fresh, summary


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
        "45 ruff violations; first src/x.py:12:E501 (Line too long (120 > 88))"
    )
    mypy_out = "Success: no issues found in 3 source files\n"
    assert summary(tmp_path, ["mypy", "src"], mypy_out)[0].splitlines()[0] == "no mypy errors"
    unittest_out = "..F.s\n---\nRan 5 tests in 0.012s\n\nFAILED (failures=1, skipped=1)\n"
    assert summary(tmp_path, ["python", "-m", "unittest", "discover"], "", unittest_out)[0].splitlines()[
        0
    ] == ("5 tests ran: 3 passed, 1 failure, 1 skipped")
    cov_out = "Name  Stmts  Miss  Cover\nsrc/x.py  10  1  90%\nTOTAL  10  1  90%\n"
    assert summary(tmp_path, ["coverage", "report"], cov_out)[1] == {"coverage": {"total": 90.0}}


def test_a_tool_refusing_its_arguments_says_nothing_was_checked(tmp_path: Path) -> None:
    """responses: mypy stopped on ``--config-file=mypy.ini`` (not in the sdist); the summary showed
    only argparse's usage line, read as failing code."""
    err = (
        "usage: mypy [-h] [-v] [-V] [more options; see below]\n"
        "            [-m MODULE] [-p PACKAGE] [files ...]\nmypy: error: Cannot find config file 'mypy.ini'\n"
    )
    text = summary(tmp_path, ["python", "-m", "mypy", "--config-file=mypy.ini", "-p", "pkg"], "", err)[0]
    assert text.splitlines()[0] == (
        "the tool refused its arguments or configuration, nothing was checked: mypy: error: Cannot find "
        "config file 'mypy.ini'"
    )
    assert "refused" not in summary(tmp_path, ["tool"], "", "tool: error: no usage said\n")[0]
    # click's (black 26 reading defusedxml's ``target-version = ['py27']``): its Error line, not Usage
    click = "Usage: python -m black [OPTIONS] SRC ...\nTry 'python -m black --help' for help.\n\n"
    click += "Error: Invalid value for '-t' / '--target-version': 'py27' is not one of 'py33', 'py34'.\n"
    text = summary(tmp_path, ["python", "-m", "black", "--check", "."], "", click)[0]
    assert text.splitlines()[0] == (
        "the tool refused its arguments or configuration, nothing was checked: Error: Invalid value for "
        "'-t' / '--target-version': 'py27' is not one of 'py33', 'py34'."
    )


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


def test_a_cut_right_after_an_earlier_cut_keeps_one_ellipsis() -> None:
    """time-machine's prp.md: "…:35: [misc] … … (at …)": the facts line, already cut, cut again."""
    said = "4 mypy errors; first a.py:26: [import] x | a.py:35: [misc] … and the rest of it"
    assert clip(said, 64) == "4 mypy errors; first a.py:26: [import] x | a.py:35: [misc] …"
    assert clip("a b c d e f g", 8) == "a b c …"


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


def test_ruffs_concise_format_check_names_every_file_and_the_one_it_cannot_parse(tmp_path: Path) -> None:
    """pony with a syntax error, ruff 0.17.6's diffs (971 KB): only the output's end was read, and
    the check said "4 files would be reformatted (127 unchanged); first" three of them, nothing of
    the file it could not parse; ``prp init`` now asks for the concise output, read here."""
    out = (
        "pony/converting.py:24:13: invalid-syntax: Expected `else`, found `:`\n"
        "pony/orm/core.py:1:11: unformatted: File would be reformatted\n"
        "pony/orm/dbapiprovider.py:1:12: unformatted: File would be reformatted\n"
        "setup.py:19:23: unformatted: File would be reformatted\n"
        "3 files would be reformatted, 127 files already formatted\n"
    )
    argv = ["python", "-m", "ruff", "format", "--check", "--no-cache", "--output-format=concise", "."]
    text, facts, _ = summary(tmp_path, argv, out)
    assert text.splitlines()[0] == (
        "3 files would be reformatted (127 unchanged, 1 would fail to reformat); first pony/orm/core.py, "
        "pony/orm/dbapiprovider.py, setup.py; cannot parse pony/converting.py:24 (Expected `else`, found `:`)"
    )
    assert facts["ruff-format"]["unparsed"] == ["pony/converting.py:24"]


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
    # in order, whatever order the tool finished them in (h2: other files "first" on each run)
    files = [f"Would reformat: src/{name}.py\n" for name in ("d", "b", "e", "a", "c", "f")]
    shuffled = "".join(files) + "6 files would be reformatted, 13 files already formatted\n"
    assert summary(tmp_path, argv, shuffled)[1]["ruff-format"]["first"] == [f"src/{n}.py" for n in "abcde"]
    diagnostics = (  # ruff 0.17: a diff per file (marshmallow: the file was named nowhere)
        "unformatted: File would be reformatted\n  --> src/marshmallow/utils.py:8:1\n   |\n"
        "7  | import typing\n   - X = {'a':1,\n8  +\n   |\n\n"
        "1 file would be reformatted, 35 files already formatted\n"
    )
    assert summary(tmp_path, argv, diagnostics)[0].splitlines()[0] == (
        "1 file would be reformatted (35 unchanged); first src/marshmallow/utils.py"
    )
    # a file it cannot parse (structlog's syntax error): its failed check had said "45 files
    # already formatted"; older ruff says it on one line, newer as a diagnostic
    done = "45 files already formatted\n"
    older = "error: Failed to parse src/s/_utils.py:18:29: Expected ':', found newline\n" + done
    newer = "invalid-syntax: Expected ':', found newline\n --> src/s/_utils.py:18:29\n  |\n\n" + done
    for out in (older, newer):
        text, facts, _ = summary(tmp_path, argv, out)
        assert text.splitlines()[0] == (
            "1 file would fail to reformat (45 unchanged); "
            "cannot parse src/s/_utils.py:18 (Expected ':', found newline)"
        )
        assert facts["ruff-format"]["unparsed"] == ["src/s/_utils.py:18"]
    # black's (cattrs' syntax error: "1 file would fail to reformat (107 unchanged)", no file named)
    black = (
        "error: cannot format src/cattrs/v.py: Cannot parse for target version Python 3.13: 3:34: "
        "from typing import Union(\nOh no! 💥 💔 💥\n"
        "107 files would be left unchanged, 1 file would fail to reformat.\n"
    )
    text, facts, _ = summary(tmp_path, ["python", "-m", "black", "--check", "."], "", black)
    assert text.splitlines()[0] == (
        "1 file would fail to reformat (107 unchanged); cannot parse src/cattrs/v.py:3 "
        "(Cannot parse for target version Python 3.13: 3:34: from typing import Union()"
    )
    assert facts["black"]["unparsed"] == ["src/cattrs/v.py:3"]  # (where review.json points)
    black26 = (  # black 26 (prettytable's syntax error)
        "error: cannot parse for target version Python 3.15: src/prettytable/prettytable.py:202:24\n"
        "    def _get_size(text: str -> tuple[int, int]:\n                           ^\n"
        "ParseError: bad input\n\n"
        "Oh no! 💥 💔 💥\n14 files would be left unchanged, 1 file would fail to reformat.\n"
    )
    text = summary(tmp_path, ["python", "-m", "black", "--check", "."], "", black26)[0]
    assert text.splitlines()[0] == (
        "1 file would fail to reformat (14 unchanged); cannot parse src/prettytable/prettytable.py:202 "
        "(ParseError: bad input)"
    )
    clean = summary(tmp_path, argv, "14 files already formatted\n")[0]
    assert clean.splitlines() == ["14 files already formatted"]  # (not its tail again: typeguard)
    written = summary(tmp_path, ["black", "."], "", "reformatted a.py\nAll done!\n1 file reformatted.\n")
    assert written[1] == {}  # not a check: nothing to count


def test_pycodestyles_lines_are_its_violations(tmp_path: Path) -> None:
    out = "./versioneer.py:564:29: W605 invalid escape sequence '\\s'\n./a.py:1:80: E501 line too long\n"
    text, facts, _ = summary(tmp_path, ["python", "-m", "pycodestyle", "."], out)
    first = ["versioneer.py:564:W605", "a.py:1:E501"]
    message = "invalid escape sequence '\\s'"
    assert facts == {"pycodestyle": {"violations": 2, "first": first, "message": message}}
    assert text.splitlines()[0] == (
        "2 pycodestyle violations; first versioneer.py:564:W605 (invalid escape sequence '\\s'), a.py:1:E501"
    )
    assert summary(tmp_path, ["python", "-m", "pep8", "-r", "."], "")[1] == {
        "pep8": {"violations": 0, "first": []}
    }


def test_the_facts_line_stays_within_the_line_limit(tmp_path: Path) -> None:
    """responses: a mypy facts line of 355 characters, where no line is longer than 300."""
    errors = [
        f"src/pkg/module_with_a_long_name_{i}.py:{i}: error: Something is wrong with line {i} of it  [misc]"
        for i in range(6)
    ]
    out = "\n".join([*errors, "Found 6 errors in 6 files (checked 9 source files)"]) + "\n"
    first = summary(tmp_path, ["mypy", "src"], out)[0].splitlines()[0]
    assert first.startswith("6 mypy errors; first src/pkg/") and first.endswith("…") and len(first) <= 300


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


def test_a_test_run_that_crashed_says_so_before_its_coverage(tmp_path: Path) -> None:
    """html5lib's pytest 5.4 crashed collecting on Python 3.11; its summary was "coverage: lines 0%,
    total 0%" (the report of a run that executed nothing), the cause only in the tail. The crash
    comes first: the progress line shows the summary's first line (flask's syntax error: its
    "coverage: … lines 1.9%" alone)."""
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
        'the tool crashed: TypeError: required field "lineno" missing from alias',
        "coverage: lines 0%, total 0%, coverage.py: No data was collected",
    ]


def test_a_file_coverage_could_not_parse_is_said_left_out_of_the_total(tmp_path: Path) -> None:
    """mako with a syntax error in a module its tests do not import: coverage.py left the file out
    and the total rose (87.51% to 88.16%); a stray line of its warning was all that said so."""
    argv = ["python", "-m", "coverage", "run", "--source=mako", "-m", "pytest", "-q"]
    err = (
        "/e/coverage/report_core.py:116: CoverageWarning: Couldn't parse Python file "
        "'mako/ext/autohandler.py' (couldnt-parse); see https://coverage.readthedocs.io/…\n"
        '  coverage._warn(msg, slug="couldnt-parse")\n'
    )
    report = (
        '<?xml version="1.0" ?><coverage line-rate="0.8816" lines-covered="88" lines-valid="100"></coverage>'
    )
    (tmp_path / "c.xml").write_text(report)
    details = {
        "stdout_tail": "1 passed in 0.1s\n",
        "stderr_tail": err,
        "coverage_report": {"report": "c.xml"},
    }
    from prp_tasks.checks.evidence import tool_summary

    text, _ = tool_summary(tmp_path, argv, details, secrets=())
    assert "88%, coverage.py could not parse mako/ext/autohandler.py: left out of the total" in text


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


def test_lint_paths_run_on_the_current_directory_lose_their_dot(tmp_path: Path) -> None:
    """arrow's ``flake8 .``: "first ./setup.py:7:E122", and review.json's evidence path
    ``./setup.py`` beside black's and mypy's ``setup.py``."""
    out = "./setup.py:7:5: E122 continuation line missing indentation or outdented\n"
    line = summary(tmp_path, ["python", "-m", "flake8", "."], out)[0].splitlines()[0]
    assert (
        line
        == "1 flake8 violation; first setup.py:7:E122 (continuation line missing indentation or outdented)"
    )
