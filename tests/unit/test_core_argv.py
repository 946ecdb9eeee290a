"""A command's interpreter options (``python -bb -Werror -m pytest``) apart from what it runs."""

from __future__ import annotations

from prp_tasks.checks.coverage_run import REPORT, report_argv
from prp_tasks.checks.evidence import identify
from prp_tasks.core.argv import python_options, telling_options
from prp_tasks.environments.versions import tool_of

AIOSIGNAL = [
    "python",
    "-bb",
    "-E",
    "-s",
    "-I",
    "-Werror",
    "-W",
    "ignore:Coverage failure::x",
    "-m",
    "pytest",
    "-q",
]


def test_the_interpreters_options_are_told_apart_from_the_module_it_runs() -> None:
    options, rest = python_options(AIOSIGNAL)
    assert options == ["-bb", "-E", "-s", "-I", "-Werror", "-W", "ignore:Coverage failure::x"]
    assert rest == ["python", "-m", "pytest", "-q"]
    assert python_options(["python3.12", "-Im", "pylint", "src"]) == (
        ["-I"],
        ["python3.12", "-m", "pylint", "src"],
    )
    for other in (["python", "-m", "pytest"], ["python", "x.py"], ["pytest", "-q"], ["python", "-W"], []):
        assert python_options(other) == ([], other)


def test_only_the_options_that_change_what_a_run_reports_are_kept() -> None:
    """Warnings (-b, -W, -X dev) change what tests report; isolation and -O (no asserts) do not
    belong in a check's command."""
    assert telling_options(python_options(AIOSIGNAL)[0]) == [
        "-bb",
        "-Werror",
        "-W",
        "ignore:Coverage failure::x",
    ]
    assert telling_options(["-X", "dev", "-X", "importtime", "-O", "-bbE", "-Xutf8"]) == [
        "-X",
        "dev",
        "-bb",
        "-Xutf8",
    ]


def test_whoever_reads_a_command_for_its_tool_reads_it_without_the_options() -> None:
    """A profile's ``python -bb -Werror -m pytest`` is pytest to the evidence (else its counts
    were not read), to the version said, and a coverage run under options still gets its report."""
    assert identify(AIOSIGNAL) == ("pytest", ["-q"])
    assert tool_of(AIOSIGNAL) == "pytest"
    covered = ["python", "-X", "dev", "-m", "coverage", "run", "--data-file=d", "-m", "pytest"]
    assert report_argv(covered) == ["python", "-m", "coverage", "xml", "-o", REPORT, "--data-file=d"]
