"""pyright's and ty's text output as facts: the error count and first errors (``path:line:
message (rule)``, paths relative to the check's directory: pyright prints them absolute).

validators' type check runs ``pyright``: its failed check said only ``exit 1 in 4.93s;
src/validators/hashes.py`` (a file's header line of pyright's report), review.json pointing at
the run manifest rather than the line.
"""

from __future__ import annotations

import re
from typing import Any

from prp_tasks.checks.tool_output import FIRST, relative

#: ``  /w/src/x.py:148:12 - error: Type "int" is not assignable … (reportAssignmentType)``
_ERROR = re.compile(r"^\s+(?P<path>[^\s:][^:\n]*):(?P<line>\d+):\d+ - error: (?P<msg>.*)$", re.M)
#: its closing line: ``2 errors, 0 warnings, 0 informations``
_SUMMARY = re.compile(r"^(\d+) errors?, \d+ warnings?, \d+ informations?", re.M)


def pyright_text_facts(text: str, root: str | None = None) -> dict[str, Any]:
    """Error count (its closing line's) and the first errors; ValueError without that line."""
    summary = _SUMMARY.search(text)
    if summary is None:
        raise ValueError("no pyright summary line")
    errors = list(_ERROR.finditer(text))
    first = [f"{relative(m['path'], root)}:{m['line']}: {m['msg'].strip()}" for m in errors[:FIRST]]
    return {"errors": int(summary.group(1)), "first": first}


#: ty's diagnostics, its full format (``error[rule]: message`` then `` --> path:line:col``) or
#: its concise one (``path:line:col: error[rule] message``)
_TY_FULL = re.compile(
    r"^error\[(?P<rule>[\w-]+)\]: (?P<msg>.*)\n\s*--> (?P<path>[^\s:][^:\n]*):(?P<line>\d+)", re.M
)
_TY_CONCISE = re.compile(
    r"^(?P<path>[^\s:][^:\n]*):(?P<line>\d+):\d+: error\[(?P<rule>[\w-]+)\] (?P<msg>.*)$", re.M
)
_TY_DONE = re.compile(r"^(?:Found \d+ diagnostics?|All checks passed!)", re.M)


def ty_text_facts(text: str, root: str | None = None) -> dict[str, Any]:
    """ty's error count and first errors (untangle's type check had said only its first line,
    ``error[invalid-explicit-return]: Return type does not match returned value``, no place);
    ValueError without its closing line (``Found 1 diagnostic``, ``All checks passed!``)."""
    if _TY_DONE.search(text) is None:
        raise ValueError("no ty closing line")
    errors = list(_TY_FULL.finditer(text)) or list(_TY_CONCISE.finditer(text))
    first = [f"{relative(m['path'], root)}:{m['line']}: [{m['rule']}] {m['msg'].strip()}" for m in errors]
    return {"errors": len(errors), "first": first[:FIRST]}
