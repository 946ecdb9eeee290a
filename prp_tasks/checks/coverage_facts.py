"""What a command's coverage measurement says: the totals of the report it wrote (pytest-cov's
``--cov-report=xml:F``, ``coverage xml/json``, or one written for it), else coverage's closing
total, with what coverage.py said that explains the figure (a threshold missed, no data, files it
could not parse)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from prp_tasks.checks import tool_output as parse
from prp_tasks.checks.facts_line import Facts

if TYPE_CHECKING:
    from prp_tasks.checks.evidence import ReportReader

#: what reading output that is not what the tool writes raises
_NOT_READ = (ValueError, KeyError, TypeError, AttributeError, IndexError)


def measured_coverage(
    tool: str | None,
    args: list[str],
    outputs: tuple[str, str],
    reader: ReportReader,
    extra: list[tuple[str, str]],
) -> Facts | None:
    """The coverage facts of a command (``outputs``: its stdout and stderr), or None."""
    stdout, stderr = outputs
    try:
        coverage = coverage_facts(tool, args, stdout, reader, extra)
    except _NOT_READ:  # not what the tool writes
        coverage = None
    measured = tool in ("pytest", "coverage") or bool(extra)
    missed = _THRESHOLD_MISSED.search(stdout) if measured else None
    if missed is not None:  # why a run whose tests all passed failed (portalocker: 0.00% for 100)
        coverage = {**(coverage or {}), "threshold": " ".join(missed[0].split())} | _least(coverage, reader)
    return _noted(coverage, f"{stderr}\n{stdout}") if coverage is not None else None


def _least(coverage: Facts | None, reader: ReportReader) -> Facts:
    """The files measured least, from the XML report the facts were read from ({} without one)."""
    report = str((coverage or {}).get("report") or "")
    data = reader.get(report) if report.endswith(".xml") else None
    try:
        least = parse.cobertura_least(data) if data is not None else []
    except _NOT_READ:
        least = []
    return {"least": least} if least else {}


def coverage_facts(
    tool: str | None,
    args: list[str],
    stdout: str,
    reader: ReportReader,
    extra: list[tuple[str, str]] | None = None,
) -> Facts | None:
    """Totals from a coverage report the command wrote (pytest-cov or ``coverage xml/json``), or
    one written for it (``extra``)."""
    for kind, name in [*_coverage_reports(tool, args), *(extra or [])]:
        data = reader.get(name)
        if data is None:
            continue
        if kind == "xml":
            values = parse.cobertura_values(data)
        else:
            values = parse.coverage_json_values(json.loads(data))
        return {**values, "report": name}
    if tool in ("pytest", "coverage"):
        try:
            return {"total": parse.coverage_text_total(stdout)}
        except _NOT_READ:
            return None
    return None


def _coverage_reports(tool: str | None, args: list[str]) -> list[tuple[str, str]]:
    found = []
    if tool == "pytest":
        for index, arg in enumerate(args):
            value = arg.split("=", 1)[1] if arg.startswith("--cov-report=") else None
            if arg == "--cov-report" and index + 1 < len(args):
                value = args[index + 1]
            kind, _, name = (value or "").partition(":")
            if kind in ("xml", "json"):
                found.append((kind, name or f"coverage.{kind}"))
    if tool == "coverage" and args[:1] in (["xml"], ["json"]):
        found.append((args[0], option(args, "-o") or f"coverage.{args[0]}"))
    return found


def _noted(coverage: Facts, output: str) -> Facts:
    """The coverage facts with what coverage.py warned of that explains its figure: no data (why
    0%: bidict's tests ran in pytest-xdist's workers), files it could not parse (left out of the
    total: mako's syntax error raised it, 87.51% to 88.16%, and a stray line of the warning was all)."""
    notes = [f"coverage.py: {_NO_DATA}"] if _NO_DATA in output else []
    unparsed = list(dict.fromkeys(_COULDNT_PARSE.findall(output)))
    if unparsed:
        more = f" and {len(unparsed) - 1} more" if len(unparsed) > 1 else ""
        notes.append(f"coverage.py could not parse {unparsed[0]}{more}: left out of the total")
        coverage = {**coverage, "unparsed": unparsed[:5]}
    return {**coverage, "note": "; ".join(notes)} if notes else coverage


#: coverage.py's warning when the measured process ran none of the measured code (bidict's tests,
#: run in pytest-xdist's workers under ``coverage run``: "coverage: lines 0%" and nothing more)
_NO_DATA = "No data was collected"

#: coverage.py's warning for a file it could not parse, which its total then leaves out
_COULDNT_PARSE = re.compile(r"Couldn't parse Python file '([^'\n]+)'")

#: pytest-cov's and coverage.py's words for a total below the project's ``fail_under``
_THRESHOLD_MISSED = re.compile(
    r"FAIL Required test coverage of [\d.]+% not reached\. Total coverage: [\d.]+%"
    r"|Coverage failure: total of [\d.]+ is less than fail-under=[\d.]+"
)


def option(args: Sequence[str], *names: str) -> str | None:
    """The value of ``--name=value`` or ``--name value`` (the last one given)."""
    value = None
    for index, arg in enumerate(args):
        for name in names:
            if arg.startswith(name + "="):
                value = arg[len(name) + 1 :]
            elif arg == name and index + 1 < len(args):
                value = args[index + 1]
    return value
