"""mypy's text output as facts: its error count and first errors (``path:line: [code] message``),
its errors in installed packages, and whether it stopped before the project's code."""

from __future__ import annotations

import os
import re
from collections import Counter
from typing import Any

from prp_tasks.checks.tool_output import FIRST, spread_indexes

_MYPY_ERROR = re.compile(  # the message may start on the next line (a long path, ``pretty = true``)
    r"^(?P<path>[^\s:][^:\n]*):(?P<line>\d+)(?::\d+)?: error:(?: (?P<msg>.*?))?(?:  \[(?P<code>[\w-]+)\])?$"
)
#: an error of no line: a file mypy cannot read, a bad configuration (marshmallow's sdist leaves out
#: the ``examples`` its ``files`` names: ``examples: error: Cannot read file: …``)
_MYPY_SETUP_ERROR = re.compile(r"^(?P<path>[^\s:][^:\n]*): error: (?P<msg>.+)$")
_MYPY_CODE_END = re.compile(r"  \[[\w-]+\]$")
_MYPY_LOCATION = re.compile(r"^[^\s:][^:\n]*:\d+(?::\d+)?: |^Found \d+ error|^Success: ")
_MYPY_FOUND = re.compile(r"^Found (\d+) errors? in (\d+) files?", re.M)
_MYPY_OK = re.compile(r"^Success: no issues found", re.M)


def mypy_text_facts(text: str, named: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Error count and the first errors (``path:line: [code] message``) of mypy's output, those in
    the files the command ``named`` first; with none of a line, its errors of no line (``examples:
    Cannot read file: …``)."""
    errors = [m for m in (_MYPY_ERROR.match(line) for line in _unwrapped(text.splitlines())) if m]
    setup = [] if errors else [m for m in (_MYPY_SETUP_ERROR.match(line) for line in text.splitlines()) if m]
    found = _MYPY_FOUND.search(text)
    if not errors and not setup and not found and not _MYPY_OK.search(text):
        raise ValueError("no mypy output lines")
    counts: Counter[str | None] = Counter(
        m["code"] for m in errors
    )  # chosen as lint violations are: progressbar2's added
    places = [(os.path.normpath(m["path"]), m["code"]) for m in errors]
    chosen = spread_indexes(places, counts, named)  # error beside 85 older
    first = [_mypy_error(errors[i]) for i in chosen]
    first += [f"{m['path']}: {m['msg'].strip()}" for m in setup[:FIRST]]
    count = int(found.group(1)) if found else len(errors) or len(setup)
    facts: dict[str, Any] = {"errors": count, "first": first}
    # an error in an installed package (an absolute path: backoff's requests-stubs .pyi with a
    # newer types-requests) that stops mypy before the project's own code is checked
    outside = sum(1 for m in errors if m["path"].startswith("/"))
    if outside:
        facts["installed_errors"] = outside
    if "errors prevented further checking" in text:
        facts["stopped"] = True
    return facts


def _mypy_error(found: re.Match[str]) -> str:
    """``path:line: [code] message``; without ``--show-error-codes`` (mypy < 0.990) no code is
    shown, and none is made up (backoff's ``[error]`` was none of mypy's)."""
    code = f"[{found['code']}] " if found["code"] else ""
    return f"{found['path']}:{found['line']}: {code}{(found['msg'] or '').strip()}"


def _unwrapped(lines: list[str]) -> list[str]:
    """mypy's lines with ``pretty = true``'s wrapping undone: an error line without its
    ``[code]`` continues on the following unindented lines until one ends with it."""
    out: list[str] = []
    for line in lines:
        prev = out[-1] if out else ""
        wrapped = _MYPY_ERROR.match(prev) is not None and not _MYPY_CODE_END.search(prev)
        if wrapped and line and not line[0].isspace() and not _MYPY_LOCATION.match(line):
            gap = "  " if re.fullmatch(r"\[[\w-]+\]", line.strip()) else " "  # the code alone (cachelib)
            out[-1] = f"{prev.rstrip()}{gap}{line.strip()}"
        else:
            out.append(line)
    return out
