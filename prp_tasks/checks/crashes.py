"""What a tool that crashed or refused its arguments said, for a ``run`` check's summary: the
exception its traceback ended with and where it left the repository's code, or argparse's error
line (:func:`prp_tasks.checks.evidence.tool_summary` says these when no facts explain a failure)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prp_tasks.checks import test_output as runners
from prp_tasks.core.text import clip

#: longest line of output kept in a check's summary (cut at a space)
LINE_LIMIT = 300


def crashed(text: str) -> str:
    """The exception a Python traceback in the output's last lines ended with, or "" (pytest's
    own crash too, each line behind ``INTERNALERROR>``: plumbum's summary was a pluggy frame)."""
    lines = _traceback_lines(text)
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback (most recent call last):")]
    frames = [i for i, line in enumerate(lines) if line.startswith('  File "')]  # a long one's end
    if not starts and not frames:
        return ""
    after = [line.strip() for line in lines[(starts or frames)[-1] + 1 :] if not line.startswith(" ")]
    raised = [line for line in after if runners.RAISED.fullmatch(line)]
    raised = raised or [line for line in after if _NAMED_RAISE.fullmatch(line)]
    if not raised:
        return ""
    why = (
        [line for line in after if _HOOK_ARGUMENTS.match(line)]
        if "PluginValidationError" in raised[-1]
        else []
    )
    return clip(f"{raised[-1]}: {why[-1]}" if why else raised[-1], LINE_LIMIT)


#: the line of pluggy's PluginValidationError that says what is wrong (its first names only the
#: hook: docopt-ng's conftest under pytest 9, "Plugin 'tests/conftest.py' for hook
#: 'pytest_collect_file'", the argument pytest 9 no longer passes on a line of its own)
_HOOK_ARGUMENTS = re.compile(r"Argument\(s\) .* are declared in the hookimpl")


def _traceback_lines(text: str) -> list[str]:
    """The output's last lines, pytest's prefixes taken off: ``INTERNALERROR>`` of its own crash,
    ``E   `` of a conftest it could not import (structlog's ``E     File "src/structlog/_utils.py",
    line 18`` then ``E   SyntaxError: expected ':'``: the summary had only its coverage, 12.3%)."""
    return [re.sub(r"^(?:INTERNALERROR> ?|E {3})", "", line) for line in text.strip().splitlines()[-40:]]


def crash_said(stdout: str, stderr: str, details: dict[str, Any]) -> str:
    """The exception a crashed tool's traceback ended with, and where in the repository (``at
    simplejson/encoder.py:4``: a misplaced ``from __future__``, whose traceback's other frames
    were unittest's loader), also as ``details["crashed_at"]`` (review.json points there); or ""."""
    text, crash = stderr, crashed(stderr)
    if not crash:
        text, crash = stdout, crashed(stdout)
    site = crash_site(text) if crash else ""
    if site:
        details["crashed_at"] = [site]
    return f"{crash} (at {site})" if site else crash


def crash_site(text: str) -> str:
    """``path:line`` of the last frame of the output's last traceback that is the repository's
    (a relative path, not Python's own or an installed package's; a SyntaxError's own location
    line is its last), or ""."""
    lines = _traceback_lines(text)
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback (most recent call last):")]
    at = runners.frame_at("\n".join(lines[starts[-1] if starts else 0 :]))
    return at if at and not os.path.isabs(at) else ""


#: pytest's line for where an interrupt found it (``tests/test_x.py:12: KeyboardInterrupt``)
_INTERRUPTED = re.compile(r"^(\S[^\n]*?:\d+): KeyboardInterrupt$", re.M)


#: a traceback's frame and its function: ``File "tests/test_misc.py", line 31, in test_hang``
_FRAME_IN = re.compile(r'^\s*File "(?P<path>[^"<>]+)", line (?P<line>\d+), in (?P<name>[\w.<>]+)', re.M)


#: a function's header: its indentation and name
_DEF = re.compile(r"^(?P<indent>[ \t]*)(?:async[ \t]+)?def[ \t]+(?P<name>\w+)")


def enclosing_function(root: Path, where: str) -> str:
    """The function whose body holds ``path:line`` (relative to ``root``), read from the file: the
    nearest ``def`` above it indented less than that line; "" when not found. pytest's interrupt
    says only ``tests/test_x.py:12``; unittest's traceback names the function too."""
    path, _, line = where.rpartition(":")
    file = (root / path).resolve()
    if not file.is_relative_to(root.resolve()):
        return ""
    try:
        with file.open(encoding="utf-8", errors="replace") as source:
            lines = [text for _, text in zip(range(int(line)), source, strict=False)]
    except (OSError, ValueError):
        return ""
    if len(lines) < int(line):
        return ""
    target = lines[-1].expandtabs()
    depth = len(target) - len(target.lstrip())
    for text in reversed(lines[:-1]):
        header = _DEF.match(text)
        if header and len(header["indent"].expandtabs()) < depth:
            return header["name"]
    return ""


@dataclass(frozen=True)
class Interruption:
    """What a run interrupted (SIGINT, its time up) said of where it was."""

    #: pytest's ``path:line: KeyboardInterrupt`` place, else the repository's last frame of a
    #: traceback ending in KeyboardInterrupt; "" when neither
    where: str = ""
    #: that traceback's function of the repository's last frame (``test_hang``), when there is one
    function: str = ""
    #: that traceback's lines (stripped), which a summary need not repeat: unittest's hanging test
    #: was summed up as ``return self.run(*args, **kwds)``
    traceback: frozenset[str] = frozenset()


def interruption(stdout: str, stderr: str) -> Interruption:
    """Where an interrupted run was and what its KeyboardInterrupt traceback (unittest's, a
    script's) says beyond that place, read in one pass."""
    where = next((str(found[-1]) for text in (stdout, stderr) if (found := _INTERRUPTED.findall(text))), "")
    for text in (stderr, stdout):
        if not crashed(text).startswith("KeyboardInterrupt"):
            continue
        lines = _traceback_lines(text)
        starts = [i for i, line in enumerate(lines) if line.startswith("Traceback (most recent call last):")]
        block = lines[starts[-1] if starts else 0 :]
        frames = [m for m in _FRAME_IN.finditer("\n".join(block)) if not os.path.isabs(m["path"])]
        said = frozenset(ln.strip() for ln in block if ln.strip())
        return Interruption(where or crash_site(text), frames[-1]["name"] if frames else "", said)
    return Interruption(where)


#: an exception whose name says nothing of it, with its message, after a traceback (bidict's
#: ``hypothesis.errors.InvalidArgument: Profile 'less-examples' is not registered``)
_NAMED_RAISE = re.compile(r"(?:[a-z_]\w*\.)*[A-Z]\w*: \S.*")


#: argparse's last word on arguments it refuses (``mypy: error: Cannot find config file 'mypy.ini'``)
_USAGE_ERROR = re.compile(r"^[\w.-]+: error: \S.*$")


#: how a summary's line begins when the tool refused to run (argparse's or click's usage error)
REFUSED = "the tool refused its arguments or configuration"


def usage_error(text: str) -> str:
    """The error line of an argparse usage message (``usage: mypy …`` then ``mypy: error: …``) or
    a click one (``Usage: python -m black …``, then ``Error: Invalid value for '-t' …``: defusedxml's
    ``target-version = ['py27']`` under black 26, its format check said only the usage line) in
    the output's last lines, or ""; responses' type check showed only the usage line."""
    lines = text.strip().splitlines()[-20:]
    if not any(line.startswith(("usage: ", "Usage: ")) for line in lines):
        return _ruff_refused(lines)
    said = [line.strip() for line in lines if _USAGE_ERROR.match(line.strip()) or line.startswith("Error: ")]
    return clip(said[-1], LINE_LIMIT) if said else ""


def _ruff_refused(lines: list[str]) -> str:
    """``ruff failed: Failed to parse pyproject.toml: TOML parse error at line 38, column 1: unknown
    field `show-source``` of ruff refusing the project's configuration (marshmallow-oneofschema's
    ``show-source``, which ruff 0.17 no longer knows: the check said only "ruff failed"), or ''."""
    if "ruff failed" not in (line.strip() for line in lines):
        return ""
    causes = [line.strip().removeprefix("Cause: ") for line in lines if line.strip().startswith("Cause: ")]
    if not any(word in cause.lower() for cause in causes for word in ("parse", "config", "settings")):
        return ""
    said = [line.strip() for line in lines if line.strip() and not line.startswith((" ", "ruff failed"))]
    last = [line for line in said if not re.match(r"\d+ \|", line)][-1:]
    return clip(": ".join(["ruff failed", *causes, *last]), LINE_LIMIT)


def progress_reached(tail: str) -> str:
    """How far a pytest run killed before its summary got, from its last progress row
    (``….F.. [ 14%]``), and the failures its rows in ``tail`` mark, else ''."""
    rows = _PROGRESS_ROW.findall(tail)
    if not rows:
        return ""
    marked = sum(row.count("F") + row.count("E") for row, _ in rows)
    failing = f", {marked} marked failing (F or E) in its last {len(rows)} rows" if marked else ""
    return f"until then: pytest's progress reached {rows[-1][1]}%{failing}"


#: a row of pytest's progress: a mark per test (after the module's path on its first), then the
#: share of the tests done
_PROGRESS_ROW = re.compile(r"^(?:\S+\.py )?([.sFExX]+)\s+\[\s*(\d+)%\]\s*$", re.M)
