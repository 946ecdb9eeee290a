"""Facts read from what test, lint and type tools write: pure parsers of their machine output.

Each parser takes the text (or bytes) of one output and returns a small JSON-able dict of facts,
or raises ValueError when the text is not what the tool writes. Formats:

- pytest: JUnit XML (``--junitxml``), else its closing line (``== 1 failed, 7 passed in 0.2s ==``);
- ruff: ``--output-format=json`` (a list of violations), else its ``Found N errors.`` line and
  ``path:line:col: CODE`` lines;
- mypy: ``--junit-xml`` (the messages are the failure's text) or its plain output
  (``path:line: error: message  [code]`` and ``Found N errors in M files``);
- flake8: ``path:line:col: CODE message`` lines;
- coverage: Cobertura XML, coverage.py JSON, or the ``TOTAL`` line of ``coverage report``.

XML is parsed with defusedxml (no entities, no external references).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import PurePath
from typing import Any

from defusedxml import ElementTree

from prp_tasks.core.text import clip

#: how many failing tests / violations / errors are named in the facts
FIRST = 5

#: pytest's closing line, framed in ``=`` or bare (``-q``): ``1 failed, 7 passed, 2 warnings in 0.2s``
_PYTEST_LINE = re.compile(
    r"^(?:=+ )?(?P<body>\d+ [a-z]+(?: [a-z]+)?(?:, \d+ [a-z]+(?: [a-z]+)?)*) in [\d.]+s"
    r"(?: \([\d:]+\))?(?: =+)?$"
)
_PYTEST_COUNT = re.compile(
    r"(\d+) (subtests (?:passed|failed|skipped|xfailed|xpassed)|passed|failed|errors?|skipped|xfailed|xpassed"
    r"|deselected)\b"
)
_LINT_LINE = re.compile(r"^(?P<path>[^\s:][^:\n]*):(?P<line>\d+):(?:(?P<col>\d+):)? (?P<code>[A-Z]+[0-9]+)\b")
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
_COVERAGE_TOTAL = re.compile(r"^TOTAL\s.*?(\d+(?:\.\d+)?)%\s*$", re.M)


def _xml_root(data: bytes) -> Any:
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise ValueError(f"not XML: {exc}") from None


def junit_facts(data: bytes, is_file: Callable[[str], bool] | None = None) -> dict[str, Any]:
    """Totals and the first failing test ids of a JUnit XML report (pytest, mypy's ``--junit-xml``).

    Counted per test, as pytest's own summary counts: an error in a test's teardown is a second
    ``<testcase>`` of the same test (the test still passed or failed, plus one error); an expected
    failure is a skip of ``type="pytest.xfail"`` (``xfailed``, not skipped). ``is_file``
    (relative paths, in the directory the tests ran in) names tests as pytest does (:func:`case_id`).
    """
    root = _xml_root(data)
    if root.tag not in ("testsuite", "testsuites"):
        raise ValueError(f"root element is <{root.tag}>, not <testsuites>/<testsuite>")
    cases: dict[tuple[str, str, int], list[Any]] = {}
    latest: dict[tuple[str, str], tuple[str, str, int]] = {}
    for case in root.iter("testcase"):
        name = (case.get("classname", ""), case.get("name", ""))
        if name in latest and _teardown_only(case):  # the same test's teardown error
            cases[latest[name]].append(case)
            continue
        latest[name] = (*name, len(cases))  # two items of one name are two tests (zipp: two "project")
        cases[latest[name]] = [case]
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped", "passed", "xfailed"), 0)
    failing: list[tuple[str, str, int]] = []
    for key, elements in cases.items():
        outcome = _tally([child for case in elements for child in case], totals)
        if outcome == "failing":
            failing.append(key)
    failing.sort(key=lambda key: key[1] in LINT_ITEMS)  # the tests first, then the linters' items
    modules = [elements for elements in cases.values() if _collection_error(elements)]
    totals["tests"] = len(cases) - len(modules)  # pytest: "5 errors", no test collected
    # each error is one of pytest's "N errors during collection" (humanize: 7 modules, twice each)
    uncollected = sum(len(list(case)) for elements in modules for case in elements)
    named = [case_id(classname, name, is_file) for classname, name, _ in failing[:FIRST]]
    facts = {**{k: v for k, v in totals.items() if v or k != "xfailed"}, "failing": named}
    where = [at for key in failing[:FIRST] if (at := _raised_at(cases[key]))]
    facts |= {"failing_at": list(dict.fromkeys(where))} if where else {}
    cause = _cause(cases[failing[0]]) if failing else ""
    facts |= {"cause": cause} if cause else {}
    return facts | ({"collection_errors": uncollected} if uncollected else {})


#: the items pytest plugins add for a linter (pytest-ruff's ``pkg/x.py::ruff``, pytest-mypy's,
#: pytest-flake8's …): named after the failing tests (jsonpickle: 19 ruff items listed first hid
#: its 8 failing tests)
LINT_ITEMS = frozenset(
    {"ruff", "ruff::format", "mypy", "mypy-status", "flake8", "flake8-check", "black", "isort",
     "pylint", "pycodestyle", "codespell"}
)  # fmt: skip
#: the line an exception is reported with (a traceback's last, pytest's report's E lines):
#: ``ModuleNotFoundError: …``, ``pytest.PytestRemovedIn10Warning: …``
RAISED = re.compile(r"[A-Za-z_][\w.]*(?:Error|Exception|Warning|Exit|Interrupt)\b(?::.*)?")
#: the most of a failing test's message kept (its first line)
CAUSE_LIMIT = 160


def _cause(elements: list[Any]) -> str:
    """The first line of the first failing test's failure or error message (six on a Python without
    ``_dbm``: ``ModuleNotFoundError: No module named '_dbm'``)."""
    for child in (c for case in elements for c in case if c.tag in ("failure", "error")):
        message = str(child.get("message") or "").strip()
        staged = message.startswith(("failed on setup with", "failed on teardown with"))
        # no message at all: a plugin's item (PyHamcrest's pytest-mypy-plugins cases,
        # ``<failure message="">``, ``E pytest_mypy_plugins.utils.TypecheckAssertionError: …``)
        if message in ("collection failure", "") or staged:  # the error is an E line
            text = f"{message}\n{child.text or ''}" if staged else str(child.text or "")
            said = [line[1:].strip() for line in text.splitlines() if line.startswith("E ")]
            # the exception's own line, not the last line of a message that goes on (dateutil's
            # PytestRemovedIn10Warning, whose last line is "See https://docs.pytest.org/…"); a
            # fixture's error, its first (shellingham's "fixture 'mocker' not found", where the
            # message's first line was "failed on setup with "file tests/test_posix.py, line 77")
            raised = [line for line in said if RAISED.fullmatch(line)]
            fallback = message.splitlines()[0] if staged else ""
            message = raised[-1] if raised else (said[0 if staged else -1] if said else fallback)
        if message:
            return clip(message.splitlines()[0].strip(), CAUSE_LIMIT)
    return ""


#: pytest's line under a failure's traceback: where it was raised (``tests/test_x.py:32: AssertionError``;
#: not a frame's ``tests/test_x.py:10: in test_y``)
_RAISED_AT = re.compile(r"^(?P<path>[^\s:][^:\n]*\.py):(?P<line>\d+): [A-Za-z_][\w.]*[ \t]*$", re.M)


def _raised_at(elements: list[Any]) -> str:
    """``path:line`` where a failing test's failure or error was raised, from its traceback."""
    for child in (c for case in elements for c in case if c.tag in ("failure", "error")):
        found = list(_RAISED_AT.finditer(str(child.text or "")))
        if found:
            return f"{found[-1]['path']}:{found[-1]['line']}"
    return ""


def _teardown_only(case: Any) -> bool:
    children = list(case)
    return bool(children) and all(
        c.tag == "error" and str(c.get("message", "")).startswith("failed on teardown") for c in children
    )


def _collection_error(elements: list[Any]) -> bool:
    """A module pytest could not collect: one ``<error message="collection failure">``, no test."""
    children = [child for case in elements for child in case]
    return bool(children) and all(
        c.tag == "error" and c.get("message") == "collection failure" for c in children
    )


def _tally(children: list[Any], totals: dict[str, int]) -> str:
    """Count one test's report elements into ``totals``; ``failing``, ``skipped`` or ``passed``."""
    failures = sum(c.tag == "failure" for c in children)
    errors = [c for c in children if c.tag == "error"]
    skips = [c for c in children if c.tag == "skipped"]
    totals["failures"] += failures
    totals["errors"] += len(errors)
    if skips and not failures:
        totals["xfailed" if skips[0].get("type") == "pytest.xfail" else "skipped"] += 1
    elif not failures and all(str(e.get("message", "")).startswith("failed on teardown") for e in errors):
        totals["passed"] += 1  # (a teardown error: passed, and one error)
    return "failing" if failures or errors else ("skipped" if skips else "passed")


def case_id(classname: str, name: str, is_file: Callable[[str], bool] | None = None) -> str:
    """A JUnit test case as pytest names it: ``tests.test_funcs.TestAssoc`` + ``test_unknown`` is
    ``tests/test_funcs.py::TestAssoc::test_unknown`` when ``is_file("tests/test_funcs.py")``, and a
    test collected from another kind of file (``tests.test_mypy.yml``) ``tests/test_mypy.yml::…``;
    ``classname::name`` when no such file is found."""
    if is_file is None:
        return f"{classname}::{name}" if classname else name
    if not classname:  # a module that could not be collected: ``tests.test_x`` is its file
        return _as_file(name.split("."), [], is_file) or name
    return _as_file(classname.split("."), [name], is_file) or f"{classname}::{name}"


def _as_file(parts: list[str], rest: list[str], is_file: Callable[[str], bool]) -> str | None:
    """``a.b.C`` as ``a/b.py::C`` (or ``a/b.yml::C``) when that file exists, then ``rest``."""
    for i in range(len(parts), 0, -1):
        base = "/".join(parts[:i])
        if is_file(f"{base}.py"):
            return "::".join([f"{base}.py", *parts[i:], *rest])
        if i < len(parts) and is_file(f"{base}.{parts[i]}"):
            return "::".join([f"{base}.{parts[i]}", *parts[i + 1 :], *rest])
    return None


def junit_messages(data: bytes) -> str:
    """The text of every failure and error in a JUnit XML report (mypy writes its messages there)."""
    root = _xml_root(data)
    parts = [el.text or "" for tag in ("failure", "error") for el in root.iter(tag)]
    return "\n".join(parts)


def pytest_text_facts(stdout: str) -> dict[str, Any]:
    """Counts from pytest's closing line (``== 1 failed, 7 passed in 0.25s ==``, or without the
    ``=`` frame as ``-q`` prints it), and the failing tests its short summary names (``FAILED
    tests/test_x.py::test_y - assert 1 == 2``) with the first one's message."""
    for line in reversed(stdout.splitlines()):
        match = _PYTEST_LINE.match(line.strip())
        if match and _PYTEST_COUNT.search(match.group("body")):
            counts: dict[str, Any] = {}
            for number, word in _PYTEST_COUNT.findall(match.group("body")):
                key = "errors" if word.startswith("error") else word.replace(" ", "_")
                counts[key] = counts.get(key, 0) + int(number)
            return counts | _short_summary(stdout)
    raise ValueError("no pytest summary line")


#: a line of pytest's short test summary (``-rfE``, its default): a failed or erroring test
_SHORT_SUMMARY = re.compile(r"^(?:FAILED|ERROR) (?P<id>\S+)(?: - (?P<message>.*))?$", re.M)


def _short_summary(stdout: str) -> dict[str, Any]:
    lines = list(_SHORT_SUMMARY.finditer(stdout))
    if not lines:
        return {}
    failing = list(dict.fromkeys(m["id"] for m in lines))[:FIRST]
    cause = (lines[0]["message"] or "").strip()[:200]
    where = list(dict.fromkeys(f"{m['path']}:{m['line']}" for m in _RAISED_AT.finditer(stdout)))[:FIRST]
    return (
        {"failing": failing} | ({"cause": cause} if cause else {}) | ({"failing_at": where} if where else {})
    )


_UNITTEST_RAN = re.compile(r"^Ran (\d+) tests? in ", re.M)
#: unittest's closing line, and Twisted trial's (``PASSED (successes=86)``, ``FAILED (skips=2, …)``)
_UNITTEST_END = re.compile(r"^(OK|FAILED|PASSED)(?: \(([^)]*)\))?\s*$", re.M)
_TRIAL_KEYS = {"skips": "skipped", "expectedFailures": "expected_failures"}


def unittest_text_facts(text: str) -> dict[str, Any]:
    """Counts from unittest's closing lines (``Ran 12 tests in 0.1s`` and ``FAILED (failures=1)``)."""
    ran, end = _UNITTEST_RAN.findall(text), _UNITTEST_END.findall(text)
    if not ran or not end:
        raise ValueError("no unittest summary")
    facts: dict[str, Any] = {"tests": int(ran[-1]), "ok": end[-1][0] in ("OK", "PASSED")}
    for part in end[-1][1].split(","):
        key, _, value = part.strip().partition("=")
        if value.isdigit():
            facts[_TRIAL_KEYS.get(key, key.replace(" ", "_"))] = int(value)  # "expected failures"
    return facts | _unittest_failing(text)


#: unittest's header of a failed test: ``ERROR: test_x (test.test_a.T.test_x)``
_UNITTEST_FAILED = re.compile(r"^(?:ERROR|FAIL): (\S+)(?: \(([^)\s]+)\))?", re.M)
#: an exception's closing line: ``pexpect.exceptions.ExceptionPexpect: The command was not found …``
_EXCEPTION_LINE = re.compile(
    r"^[A-Za-z_][\w.]*(?:Error|Exception|Exit|Failure|Pexpect|Interrupt)\w*(?::.*)?$"
)


def _unittest_failing(text: str) -> dict[str, Any]:
    """The first failed tests named by unittest's reports, and the exception that ended the first
    (argcomplete's 68 errors: ``ExceptionPexpect: The command was not found or was not executable:
    zsh``, which its CI installs; the evidence had said "69 errors" and nothing more)."""
    headers = list(_UNITTEST_FAILED.finditer(text))
    if not headers:
        return {}
    names = distinct([h[2] or h[1] for h in headers])
    block = text[headers[0].end() : headers[1].start() if len(headers) > 1 else len(text)]
    block = block.split("\n----------------------------------------------------------------------\nRan ")[0]
    causes = [ln.strip() for ln in block.splitlines() if _EXCEPTION_LINE.match(ln.strip())]
    return {"failing": names[:3]} | ({"cause": causes[-1][:200]} if causes else {})


def ruff_json_facts(text: str, root: str | None = None) -> dict[str, Any]:
    """Count, the first violations (``path:line:CODE``) and the first one's message of ``ruff check
    --output-format=json``."""
    data = json.loads(text)
    if not isinstance(data, list):
        raise ValueError("ruff JSON output is not a list")
    found = []
    for item in data:
        where = item.get("location") or {}
        path = _relative(str(item.get("filename", "?")), root)
        found.append(f"{path}:{where.get('row', '?')}:{item.get('code') or 'syntax-error'}")
    said = str(data[0].get("message") or "") if data and isinstance(data[0], dict) else ""
    return {"violations": len(data), "first": distinct(found)} | ({"message": said[:200]} if said else {})


def pylint_json_facts(text: str, root: str | None = None) -> dict[str, Any]:
    """Count and the first messages (``path:line:symbol``) of pylint's ``json`` output."""
    data = json.loads(text)
    if not isinstance(data, list):
        raise ValueError("pylint JSON output is not a list")
    found: list[str] = []
    about_config: list[str] = []
    for message in data:
        path = _relative(str(message.get("path", "?")), root)
        symbol = message.get("symbol") or message.get("message-id")
        where = about_config if _ABOUT_CONFIG.search(path) else found  # dacite's .pylintrc: 74
        where.append(f"{path}:{message.get('line', '?')}:{symbol}")
    facts: dict[str, Any] = {"violations": len(found), "first": distinct(found)}
    if about_config:
        facts["configuration"] = {"messages": len(about_config), "first": distinct(about_config)[:1]}
    return facts


#: a message about pylint's own configuration file, not the code (dacite's ``.pylintrc``: 74
#: "useless-option-value" and the like, read as 74 violations of code rated 10.00/10)
_ABOUT_CONFIG = re.compile(r"(?:^|/)(?:\.?pylintrc|[^/]*\.(?:cfg|toml|ini|rc))$")


def distinct(found: list[str]) -> list[str]:
    """The first :data:`FIRST` different ``path:line:CODE`` (schema: five UP035 on its line 7
    were one entry five times)."""
    return list(dict.fromkeys(found))[:FIRST]


def lint_text_facts(text: str, empty_ok: bool = False) -> dict[str, Any]:
    """Count and the first ``path:line:CODE`` of lint output lines (flake8, ruff's concise format),
    or of ruff's full format (each diagnostic's code and message, then ``--> path:line:col``; the
    first one's message kept, as from its JSON).

    ruff's ``Found N errors.`` line, when present, is the count (the text may be a tail). With
    ``empty_ok`` (a report file the tool wrote), no violation line means no violations."""
    hits = [m for m in (_LINT_LINE.match(line) for line in text.splitlines()) if m]
    full = [] if hits else list(_RUFF_FULL.finditer(text))
    found = _RUFF_FOUND.search(text)
    if not hits and not full and not found and not (empty_ok and not text.strip()):
        raise ValueError("no lint output lines")
    first = distinct([f"{_no_dot(m['path'])}:{m['line']}:{m['code']}" for m in hits or full])
    said = {"message": full[0]["message"].strip()[:200]} if full and full[0]["message"].strip() else {}
    return {"violations": int(found.group(1)) if found else len(hits or full), "first": first} | said


def _no_dot(path: str) -> str:
    """``./setup.py`` as ``setup.py`` (flake8 run on ``.`` names its files so)."""
    return path[2:] if path.startswith("./") else path


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
    named = _REFORMAT_LINE.findall(text) + _UNFORMATTED.findall(text)
    return {**counts, "first": list(dict.fromkeys(named))[:FIRST]}


def cobertura_values(data: bytes) -> dict[str, float]:
    """Line (and, when measured, branch) coverage percentages of a Cobertura XML report."""
    root = _xml_root(data)
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


def _relative(path: str, root: str | None) -> str:
    if root is None:
        return path
    try:
        return str(PurePath(path).relative_to(root))
    except ValueError:
        return path
