"""Facts read from what lint, format, type and coverage tools write: pure parsers of their output.

Each parser takes the text (or bytes) of one output and returns a small JSON-able dict of facts,
or raises ValueError when the text is not what the tool writes. Formats:

- ruff: ``--output-format=json`` (a list of violations), else its ``Found N errors.`` line and
  ``path:line:col: CODE`` lines (concise) or its full format's ``--> path:line:col`` lines;
- pylint: ``--output-format=json``;
- flake8, pycodestyle: ``path:line:col: CODE message`` lines;
- black, ``ruff format --check``: their closing counts and the files they name;
- coverage: Cobertura XML, coverage.py JSON, or the ``TOTAL`` line of ``coverage report``.

The test runners' parsers (pytest, unittest, JUnit XML) are in :mod:`.test_output`; mypy's in
:mod:`.mypy_output`. XML is parsed with defusedxml (no entities, no external references).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any

from defusedxml import ElementTree

#: how many failing tests / violations / errors are named in the facts
FIRST = 5

_LINT_LINE = re.compile(
    r"^(?P<path>[^\s:][^:\n]*):(?P<line>\d+):(?:(?P<col>\d+):)? (?P<code>[A-Z]+[0-9]+)\b"
    r"(?:[ \t]+(?:\[\*\][ \t]+)?(?P<message>[^\n]*))?"
)
_RUFF_FOUND = re.compile(r"^Found (\d+) errors?\b", re.M)
#: ruff's default (full) output: a diagnostic's code and message, then `` --> path:line:col``
_RUFF_FULL = re.compile(
    r"^(?P<code>[A-Z]+[0-9]+)(?: \[\*\])? (?P<message>[^\n]*)\n"
    r"[ \t]*--> (?P<path>[^\s:][^:\n]*):(?P<line>\d+):",
    re.M,
)
#: black's and ``ruff format --check``'s closing counts and the files they name
_WOULD_REFORMAT = re.compile(r"(\d+) files? would be reformatted")
_UNCHANGED = re.compile(r"(\d+) files? (?:would be left unchanged|already formatted|left unchanged)")
_FAILED_TO_FORMAT = re.compile(r"(\d+) files? would fail to reformat")
_REFORMAT_LINE = re.compile(r"^(?:would reformat|Would reformat:) (.+?)\s*$", re.M)
#: newer ruff's check (0.17.6) shows each file as a diagnostic: ``unformatted: File would be reformatted``,
#: then `` --> src/pkg/mod.py:8:1`` (marshmallow's failed format check named no file)
_UNFORMATTED = re.compile(r"^unformatted: .*\n\s*--> (.+?):\d+:\d+\s*$", re.M)
#: its concise output (``--output-format=concise``): ``pony/orm/core.py:1:11: unformatted: File …``
_UNFORMATTED_CONCISE = re.compile(r"^([^\s:][^:\n]*):\d+:\d+: unformatted: ", re.M)
_COVERAGE_TOTAL = re.compile(r"^TOTAL\s.*?(\d+(?:\.\d+)?)%\s*$", re.M)


def xml_root(data: bytes) -> Any:
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise ValueError(f"not XML: {exc}") from None


def ruff_json_facts(text: str, root: str | None = None) -> dict[str, Any]:
    """Count, the first violations (``path:line:CODE``) and the first one's message of ``ruff check
    --output-format=json``."""
    data = json.loads(text)
    if not isinstance(data, list):
        raise ValueError("ruff JSON output is not a list")
    data.sort(key=lambda item: not (isinstance(item, dict) and item.get("code") in _SYNTAX_CODES))
    found: list[str] = []
    messages: dict[str, str] = {}
    for item in data:
        where = item.get("location") or {}
        path = relative(str(item.get("filename", "?")), root)
        found.append(f"{path}:{where.get('row', '?')}:{item.get('code') or 'syntax-error'}")
        messages.setdefault(found[-1], str(item.get("message") or ""))
    first = spread(found)
    said = messages.get(first[0], "") if first else ""  # the first one named's
    return {"violations": len(data), "first": first} | ({"message": said[:200]} if said else {})


#: a file the linter could not parse: said first, before the violations of files it could (semver's
#: syntax error, a ruff ``invalid-syntax`` among 155 older violations, was in none of the first five)
_SYNTAX_CODES = (None, "invalid-syntax", "syntax-error", "E999")


def pylint_json_facts(text: str, root: str | None = None) -> dict[str, Any]:
    """Count and the first messages (``path:line:symbol``) of pylint's ``json`` output."""
    data = json.loads(text)
    if not isinstance(data, list):
        raise ValueError("pylint JSON output is not a list")
    found: list[str] = []
    about_config: list[str] = []
    for message in data:
        path = relative(str(message.get("path", "?")), root)
        symbol = message.get("symbol") or message.get("message-id")
        where = about_config if _ABOUT_CONFIG.search(path) else found  # dacite's .pylintrc: 74
        where.append(f"{path}:{message.get('line', '?')}:{symbol}")
    facts: dict[str, Any] = {"violations": len(found), "first": spread(found)}
    if about_config:
        facts["configuration"] = {"messages": len(about_config), "first": distinct(about_config)[:1]}
    return facts


#: a message about pylint's own configuration file, not the code (dacite's ``.pylintrc``: 74
#: "useless-option-value" and the like, read as 74 violations of code rated 10.00/10)
_ABOUT_CONFIG = re.compile(r"(?:^|/)(?:\.?pylintrc|[^/]*\.(?:cfg|toml|ini|rc))$")


def spread(found: list[str]) -> list[str]:
    """:data:`FIRST` different ``path:line:CODE``, the rarest code first (:func:`spread_indexes`)."""
    unique = list(dict.fromkeys(found))
    counts: Counter[str | None] = Counter(entry.rpartition(":")[2] for entry in found)
    places: list[tuple[str, str | None]] = [
        (entry.rpartition(":")[0].rpartition(":")[0], entry.rpartition(":")[2]) for entry in unique
    ]
    return [unique[i] for i in spread_indexes(places, counts)]


def spread_indexes(
    places: Sequence[tuple[str, str | None]],
    counts: Mapping[str | None, int],
    named: frozenset[str] = frozenset(),
) -> list[int]:
    """The indexes of :data:`FIRST` of ``places`` (path, code), as chosen, each file and each code
    among them before a second of the same (yamllint: a new F401 in ``yamllint/cli.py`` after seven
    older ISC004 of ``tests/``: the five named were all ISC004 of one file, the new one nowhere),
    chosen rarest code first (``counts``), a syntax error before all: one violation among many of
    other codes is most likely the one a change brought (pyotp: an unused import added to
    ``hotp.py`` beside 39 violations of 14 codes in the release was in none of the five named), and
    kept in that order: put back in the output's, a line cut after three dropped wsproto's one new
    type error. Places in the files the command ``named`` come first (flasgger's ``mypy
    flasgger/constants.py``: the error in that file was not among the five of 29 in the modules it
    imports)."""
    order = sorted(
        range(len(places)),
        key=lambda i: (places[i][0] not in named, places[i][1] not in _SYNTAX_CODES, counts[places[i][1]], i),
    )
    files: set[str] = set()
    codes: set[str | None] = set()
    chosen: list[int] = []
    for index in order:
        path, code = places[index]
        if (path not in files or code not in codes) and len(chosen) < FIRST:
            chosen.append(index)
            files.add(path)
            codes.add(code)
    chosen += [i for i in order if i not in chosen][: FIRST - len(chosen)]
    return chosen


def distinct(found: list[str]) -> list[str]:
    """The first :data:`FIRST` different ``path:line:CODE`` (schema: five UP035 on its line 7
    were one entry five times)."""
    return list(dict.fromkeys(found))[:FIRST]


def lint_text_facts(text: str, empty_ok: bool = False) -> dict[str, Any]:
    """Count and the first ``path:line:CODE`` of lint output lines (flake8, ruff's concise format),
    or of ruff's full format (each diagnostic's code and message, then ``--> path:line:col``); the
    first one's message kept, as from ruff's JSON (aiosignal's flake8 said only ``…:2:F401``).

    ruff's ``Found N errors.`` line, when present, is the count (the text may be a tail). With
    ``empty_ok`` (a report file the tool wrote), no violation line means no violations."""
    hits = [m for m in (_LINT_LINE.match(line) for line in text.splitlines()) if m]
    hits.sort(key=lambda m: m["code"] not in _SYNTAX_CODES)
    full = [] if hits else list(_RUFF_FULL.finditer(text))
    found = _RUFF_FOUND.search(text)
    if not hits and not full and not found and not (empty_ok and not text.strip()):
        raise ValueError("no lint output lines")
    found_at = [f"{m['path'].removeprefix('./')}:{m['line']}:{m['code']}" for m in hits or full]
    messages: dict[str, str] = {}
    for place, hit in zip(found_at, hits or full, strict=True):
        messages.setdefault(place, (hit["message"] or "").strip())
    first = spread(found_at)
    # the first one named's (desert: an F401 named first had been given an older E501's message)
    message = messages[first[0]] if first else ""
    said = {"message": message[:200]} if message else {}  # flake8's ``F401 'os' imported but unused``
    return {"violations": int(found.group(1)) if found else len(hits or full), "first": first} | said


def format_text_facts(text: str) -> dict[str, Any]:
    """black's or ``ruff format --check``'s closing counts (``75 files would be reformatted, 12
    files would be left unchanged``) and the first files it would reformat."""
    counts = {
        key: int(m.group(1)) if (m := pattern.search(text)) else 0
        for key, pattern in (
            ("reformat", _WOULD_REFORMAT),
            ("unchanged", _UNCHANGED),
            ("failed", _FAILED_TO_FORMAT),
        )
    }
    if not any(p.search(text) for p in (_WOULD_REFORMAT, _UNCHANGED, _FAILED_TO_FORMAT)):
        raise ValueError("no formatter summary line")
    # sorted: both tools format files in parallel and name them as they finish (h2's runs named
    # other "first" files each time)
    named = sorted(
        set(_REFORMAT_LINE.findall(text) + _UNFORMATTED.findall(text) + _UNFORMATTED_CONCISE.findall(text))
    )
    facts: dict[str, Any] = {**counts, "first": named[:FIRST]}
    unparsed = [
        *_PARSE_FAILED.finditer(text),
        *_INVALID_SYNTAX.finditer(text),
        *_INVALID_SYNTAX_CONCISE.finditer(text),
        *_BLACK_UNPARSED.finditer(text),
        *_BLACK_26_UNPARSED.finditer(text),
    ]
    if not unparsed:
        return facts
    where = distinct([f"{m['path']}:{m['line']}" for m in unparsed])
    facts["failed"] = max(facts["failed"], len(where))  # (ruff counts them nowhere)
    return facts | {"unparsed": where[:FIRST], "parse_error": unparsed[0]["message"].strip()[:200]}


#: a file ``ruff format`` could not parse: ``error: Failed to parse src/x.py:18:29: Expected ':', …``
#: (structlog: "45 files already formatted" was all its failed check said), or newer ruff's
#: ``invalid-syntax: Expected `:`, found newline`` then `` --> src/x.py:18:29``
_PARSE_FAILED = re.compile(
    r"^error: Failed to parse (?P<path>[^\s:][^:\n]*):(?P<line>\d+):\d+: (?P<message>.*)$", re.M
)
#: a file black could not parse (cattrs' syntax error: "1 file would fail to reformat" named no
#: file): ``error: cannot format src/cattrs/v.py: Cannot parse for target version Python 3.13:
#: 3:34: <the line>`` (black 22: ``Cannot parse: 136:11: …``); its message: what it said and the line
_BLACK_UNPARSED = re.compile(
    r"^error: cannot format (?P<path>[^\s:][^:\n]*): "
    r"(?P<message>Cannot parse[^:\n]*: (?P<line>\d+):\d+: .*)$",
    re.M,
)
#: black 26's: ``error: cannot parse for target version Python 3.15: src/x.py:202:24``, the line and
#: a caret under it, then ``ParseError: bad input`` (prettytable's syntax error)
_BLACK_26_UNPARSED = re.compile(
    r"^error: cannot parse[^:\n]*: (?P<path>[^\s:][^:\n]*):(?P<line>\d+):\d+[ \t]*$"
    r"(?:\n(?!\w+Error: )[^\n]*){0,3}\n(?P<message>\w+Error: [^\n]*)",
    re.M,
)
_INVALID_SYNTAX = re.compile(
    r"^invalid-syntax: (?P<message>[^\n]*)\n\s*--> (?P<path>[^\s:][^:\n]*):(?P<line>\d+):\d+\s*$", re.M
)
_INVALID_SYNTAX_CONCISE = re.compile(
    r"^(?P<path>[^\s:][^:\n]*):(?P<line>\d+):\d+: invalid-syntax: (?P<message>[^\n]*)$", re.M
)


def cobertura_values(data: bytes) -> dict[str, float]:
    """Line (and, when measured, branch) coverage percentages of a Cobertura XML report."""
    root = xml_root(data)
    if root.tag != "coverage":
        raise ValueError("root element is not <coverage>")
    try:
        values = {"lines": _rate(root.attrib, "line", "lines")}
        if int(root.attrib.get("branches-valid", "0") or 0) > 0:
            values["branches"] = _rate(root.attrib, "branch", "branches")
        total = _cobertura_total(root.attrib)
    except (KeyError, ValueError) as exc:
        raise ValueError(f"bad <coverage> attributes ({exc})") from None
    if total is not None:
        values["total"] = total
    return values


def cobertura_least(data: bytes, count: int = 3) -> list[str]:
    """The ``count`` files a Cobertura XML report measures least (``pkg/mod.py 0%``), of those not
    fully covered, least first: where a total below the threshold comes from (enlighten's 94.46%
    for its 100: all of it ``_notebook_manager.py``, whose one test skipped, named nowhere)."""
    rates: dict[str, float] = {}
    for element in xml_root(data).iter("class"):
        name, rate = element.get("filename"), element.get("line-rate")
        if name and rate is not None and float(rate) < 1.0:
            rates[name] = min(rates.get(name, 1.0), float(rate))
    least = sorted(rates.items(), key=lambda item: (item[1], item[0]))[:count]
    return [f"{name} {percent(rate * 100):g}%" for name, rate in least]


def _rate(attrib: dict[str, str], rate: str, counts: str) -> float:
    """A percentage from the covered and valid counts when the report has them: its ``line-rate``
    is rounded to 4 digits (python-json-logger's 295/320 = 92.1875% read as 92.19, which met a
    92.19 budget it misses)."""
    stated = float(attrib[f"{rate}-rate"])
    covered, valid = attrib.get(f"{counts}-covered"), attrib.get(f"{counts}-valid")
    if covered and valid and int(valid) > 0 and abs(int(covered) / int(valid) - stated) <= 0.00005:
        return percent(100.0 * int(covered) / int(valid))  # the rate, unrounded
    return percent(stated * 100)


def _cobertura_total(attrib: dict[str, str]) -> float | None:
    """coverage.py's total (lines and branches together), from the counts coverage.py writes."""
    names = ("lines-covered", "lines-valid", "branches-covered", "branches-valid")
    if not all(n in attrib for n in names[:2]):
        return None
    covered, valid = (sum(int(attrib.get(n, "0") or 0) for n in pair) for pair in (names[::2], names[1::2]))
    return percent(100.0 * covered / valid) if valid else None


def coverage_json_values(data: dict[str, Any]) -> dict[str, float]:
    """Line and branch percentages of a coverage.py JSON report's totals. coverage.py's lines are
    its statements (one number, as in its XML report's ``line-rate``), given as ``lines`` only: a
    second metric for the same measurement would hold it to two budgets."""
    totals = data["totals"]
    if not isinstance(totals, dict):
        raise ValueError("'totals' is not an object")
    values = {}
    statements = totals.get("num_statements", 0)
    if statements:
        values["lines"] = percent(100.0 * totals["covered_lines"] / statements)
    if totals.get("num_branches"):
        values["branches"] = percent(100.0 * totals["covered_branches"] / totals["num_branches"])
    if not values:
        values["lines"] = percent(float(totals["percent_covered"]))
    if "percent_covered" in totals:
        values["total"] = percent(float(totals["percent_covered"]))
    return values


def coverage_text_total(text: str) -> float:
    """The total percentage on ``coverage report``'s (or pytest-cov's) ``TOTAL`` line."""
    found = _COVERAGE_TOTAL.findall(text)
    if not found:
        raise ValueError("no TOTAL line")
    return float(found[-1])


def percent(value: float) -> float:
    """Round away float noise (0.57 * 100 is 56.99999999999999, which must not fail 57)."""
    return round(value, 6)


def relative(path: str, root: str | None) -> str:
    """``path`` relative to ``root`` when it is below it, else as it is."""
    if root is None:
        return path
    try:
        return str(PurePath(path).relative_to(root))
    except ValueError:
        return path
