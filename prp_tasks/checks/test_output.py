"""Facts read from what test runners write: pure parsers of their output.

- pytest: JUnit XML (``--junitxml``; mypy's ``--junit-xml`` too), else its closing line
  (``== 1 failed, 7 passed in 0.2s ==``) and its short test summary (``FAILED tests/x.py::t - …``);
- unittest (and Twisted's trial): its ``Ran N tests`` and ``OK``/``FAILED (…)`` lines and the
  failed tests' headers.

Each parser returns a small JSON-able dict of facts, or raises ValueError when the text is not what
the tool writes; the lint, format and coverage parsers are in :mod:`.tool_output`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from prp_tasks.checks.skips import skip_reasons
from prp_tasks.checks.tool_output import FIRST, distinct, xml_root
from prp_tasks.core.text import clip

_PYTEST_COUNT = re.compile(
    r"(\d+) (subtests (?:passed|failed|skipped|xfailed|xpassed)|passed|failed|errors?|skipped|xfailed|xpassed"
    r"|deselected)\b"
)
#: pytest's closing line, framed in ``=`` or bare (``-q``): ``1 failed, 7 passed, 2 warnings in 0.2s``
_PYTEST_LINE = re.compile(
    r"^(?:=+ )?(?P<body>\d+ [a-z]+(?: [a-z]+)?(?:, \d+ [a-z]+(?: [a-z]+)?)*) in [\d.]+s"
    r"(?: \([\d:]+\))?(?: =+)?$"
)


def junit_facts(data: bytes, is_file: Callable[[str], bool] | None = None) -> dict[str, Any]:
    """Totals and the first failing test ids of a JUnit XML report (pytest, mypy's ``--junit-xml``).

    Counted per test, as pytest's own summary counts: an error in a test's teardown is a second
    ``<testcase>`` of the same test (the test still passed or failed, plus one error); an expected
    failure is a skip of ``type="pytest.xfail"`` (``xfailed``, not skipped). ``is_file``
    (relative paths, in the directory the tests ran in) names tests as pytest does (:func:`case_id`).
    """
    root = xml_root(data)
    if root.tag not in ("testsuite", "testsuites"):
        raise ValueError(f"root element is <{root.tag}>, not <testsuites>/<testsuite>")
    cases: dict[tuple[str, str, int], list[Any]] = {}
    latest: dict[tuple[str, str], tuple[str, str, int]] = {}
    internal = ""
    for case in root.iter("testcase"):
        name = (case.get("classname", ""), case.get("name", ""))
        if name == ("", ""):  # the test an interrupt stopped (its time up): pytest names nothing
            continue  # (hpack: "72 tests: 71 passed, 0 failed, 0 errors, 0 skipped")
        if name == _INTERNAL:  # pytest's own crash, no test
            internal = _internal_error(case)
            continue
        if name in latest and _teardown_only(case):  # the same test's teardown error
            cases[latest[name]].append(case)
            continue
        latest[name] = (*name, len(cases))  # two items of one name are two tests (zipp: two "project")
        cases[latest[name]] = [case]
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped", "passed", "xfailed"), 0)
    failing = _failing(cases, totals)
    modules = [elements for elements in cases.values() if _collection_error(elements)]
    totals["tests"] = len(cases) - len(modules)  # pytest: "5 errors", no test collected
    # each error is one of pytest's "N errors during collection" (humanize: 7 modules, twice each)
    uncollected = sum(len(list(case)) for elements in modules for case in elements)
    named = [case_id(classname, name, is_file) for classname, name, _ in failing[:FIRST]]
    facts = {**{k: v for k, v in totals.items() if v or k != "xfailed"}, "failing": named}
    where = [at for key in failing[:FIRST] if (at := _raised_at(cases[key]))]
    facts |= {"failing_at": list(dict.fromkeys(where))} if where else {}
    cause = _cause(cases[failing[0]]) if failing else ""
    first_at = _raised_at(cases[failing[0]]) if failing else ""
    uncollected_module = bool(failing) and _collection_error(cases[failing[0]])
    if cause and first_at and uncollected_module and not first_at.startswith(named[0]):
        cause += f", at {first_at}"  # cachelib: "tests/test_base_cache.py (SyntaxError: …" of simple.py:47
    elif cause and first_at and not uncollected_module:
        facts["cause_at"] = first_at  # where the first failing test failed (said after its cause)
    facts |= {"cause": cause} if cause else {}
    facts |= {"internal_error": internal} if internal else {}
    facts |= {"skip_reasons": reasons} if (reasons := skip_reasons(root)) else {}
    return facts | ({"collection_errors": uncollected} if uncollected else {})


def _failing(
    cases: dict[tuple[str, str, int], list[Any]], totals: dict[str, int]
) -> list[tuple[str, str, int]]:
    """The failing tests, counted into ``totals``, in the order they are named: the test modules'
    tests first, then other items, then the linters'; of each, as pytest's short summary lists
    them, the failed tests before the errors."""
    failing = [
        key
        for key, elements in cases.items()
        if _tally([child for case in elements for child in case], totals) == "failing"
    ]
    return sorted(failing, key=lambda key: (_rank(key), _kind(cases[key])))


#: the test case pytest's JUnit report gives its own internal error (``INTERNALERROR>``, exit 3)
_INTERNAL = ("pytest", "internal")


def _internal_error(case: Any) -> str:
    """The exception line of pytest's internal error (pydantic-settings' ``RuntimeError: generator
    raised StopIteration``, 63 of its 1392 tests run), else its message."""
    for child in case:
        lines = [
            re.sub(r"^(?:INTERNALERROR> ?|E\s+)", "", line).strip()
            for line in (child.text or "").splitlines()
        ]
        raised = [line for line in lines if RAISED.fullmatch(line)]
        if raised or child.get("message"):
            return clip(raised[-1] if raised else str(child.get("message")), CAUSE_LIMIT)
    return "internal error"


#: the items pytest plugins add for a linter (pytest-ruff's ``pkg/x.py::ruff``, pytest-mypy's,
#: pytest-flake8's …): named after the failing tests (jsonpickle: 19 ruff items listed first hid
#: its 8 failing tests)
LINT_ITEMS = frozenset(
    {"ruff", "ruff::format", "mypy", "mypy-status", "flake8", "flake8-check", "black", "isort",
     "pylint", "pycodestyle", "codespell"}
)  # fmt: skip
#: a test module's part of a JUnit ``classname`` (``tests.test_api.TestX``; a collection error's
#: ``name``): ``test_x``, ``x_test``, ``tests``, ``test``
_TEST_PART = re.compile(r"test_\w*|\w*_test|tests?")


def _rank(key: tuple[str, str, int]) -> int:
    """Where a failing item is named: a test of a test module first, then other items (doctests,
    plugins' items: importlib_metadata's seven pytest-perf ``exercises.py`` items, failing in any
    checkout without a git remote, had hidden the user's failing test), the linters' last."""
    classname, name, _ = key
    if name in LINT_ITEMS:
        return 2
    return 0 if any(_TEST_PART.fullmatch(p) for p in (classname or name).split(".")) else 1


def _kind(elements: list[Any]) -> int:
    """A module that could not be collected first (nothing of it ran), then a failed test, then
    a test's error (xxhash: 34 tests whose fixture ``benchmark`` no installed plugin gives were
    named, its 3 failing tests were in no report)."""
    if _collection_error(elements):
        return 0
    return 1 if any(child.tag == "failure" for case in elements for child in case) else 2


#: the line an exception is reported with (a traceback's last, pytest's report's E lines):
#: ``ModuleNotFoundError: …``, ``pytest.PytestRemovedIn10Warning: …``, pytest's own ``Failed: DID
#: NOT WARN. …`` (w3lib's cause had been the line under it, "Emitted warnings: [].")
RAISED = re.compile(
    r"(?:[A-Za-z_][\w.]*(?:Error|Exception|Warning|Exit|Interrupt)|(?:[\w.]+\.)?Failed)\b(?::.*)?"
)
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
        if _DOCTEST_LISTING.match(message):  # a doctest's listing: what it expected and got instead
            message = _doctest_cause(str(child.text or message)) or message
        if message.startswith(_NATIVE):  # testtools' exceptions: their own traceback's last line
            raised = [ln.strip() for ln in str(child.text or "").splitlines() if RAISED.fullmatch(ln.strip())]
            message = raised[-1] if raised else message
        if message:
            return clip(_first_line(message), CAUSE_LIMIT)
    return ""


#: pytest's words for an exception it cannot show its way (requests-mock's testtools MismatchError)
_NATIVE = "Failed: NOTE: Incompatible Exception Representation"


def _first_line(message: str) -> str:
    """A message's first line; an exception's name with nothing after it takes the two lines under
    it (pytest 9's ``raises(match=…)`` of a literal: ``AssertionError:`` over ``- 'foo'`` and
    ``+ 'bar'``; anyio's cause had read "AssertionError:")."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    first = lines[0] if lines else ""
    if first.endswith(":") and RAISED.fullmatch(first) and len(lines) > 1:
        return f"{first} {' '.join(lines[1:3])}"
    return first


#: the numbered source lines pytest shows a failed doctest with (``051     >>> import cssutils``)
_DOCTEST_LISTING = re.compile(r"\d{3}(?: |$)")


def _doctest_cause(text: str) -> str:
    """A failed doctest's cause: its unexpected exception, or what it expected and got (cssutils'
    cause had been its listing's first line, ``051     >>> import cssutils, logging``)."""
    raised = re.search(r"^UNEXPECTED EXCEPTION: (.+)$", text, re.M)
    if raised:
        return raised[1]
    compared = re.search(r"^Expected:\n[ \t]+(.*)\n(?:[ \t]+.*\n)*Got(?::\n[ \t]+(.*)| nothing)", text, re.M)
    if compared:
        return f"expected {compared[1].strip()}, got {(compared[2] or 'nothing').strip()}"
    diff = text.partition("\nDifferences (")[2].splitlines()[
        1:
    ]  # REPORT_UDIFF and the like: the first change
    removed = next((ln.strip()[1:].strip() for ln in diff if re.match(r"\s*-(?!--)", ln)), "")
    added = next((ln.strip()[1:].strip() for ln in diff if re.match(r"\s*\+(?!\+\+)", ln)), "")
    return f"expected {removed or 'nothing'}, got {added or 'nothing'}" if removed or added else ""


#: pytest's line under a failure's traceback: where it was raised (``tests/test_x.py:32: AssertionError``;
#: not a frame's ``tests/test_x.py:10: in test_y``)
_RAISED_AT = re.compile(r"^(?P<path>[^\s:][^:\n]*\.py):(?P<line>\d+): [A-Za-z_][\w.]*[ \t]*$", re.M)


#: a frame of pytest's short traceback (``--tb=short``), which has no raised-at line: its last
#: frame in the checkout is where the test failed (exceptiongroup's ``tests/test_suppress.py:15: in
#: test_suppress_exception``; its finding had named the file without a line)
_FRAME_AT = re.compile(r"^(?P<path>[^\s:/][^:\n]*\.py):(?P<line>\d+): in [\w<>.]+[ \t]*$", re.M)


#: a SyntaxError's own location in pytest's report (toolz: ``E     File "toolz/dicttoolz.py", line
#: 19`` under the ``toolz/__init__.py:5: in <module>`` frame that imported it, where it had pointed)
_SYNTAX_AT = re.compile(r'^E\s+File "(?P<path>[^"]+\.py)", line (?P<line>\d+)\s*$', re.M)
_SYNTAX_ERROR = re.compile(r"^E\s+(?:SyntaxError|IndentationError|TabError)\b", re.M)


def _raised_at(elements: list[Any]) -> str:
    """``path:line`` where a failing test's failure or error was raised, from its traceback."""
    for child in (c for case in elements for c in case if c.tag in ("failure", "error")):
        text = str(child.text or "")
        found = list(_SYNTAX_AT.finditer(text)) if _SYNTAX_ERROR.search(text) else []
        found = found or list(_RAISED_AT.finditer(text)) or list(_FRAME_AT.finditer(text))
        if found:
            return f"{found[-1]['path']}:{found[-1]['line']}"
        if at := frame_at(text):  # ``--tb=native`` (immutables): Python's own traceback
            return at
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


def as_pytest_names(failing: list[str], said: list[str]) -> list[str]:
    """The failing tests a JUnit report names, each as pytest's short summary names it when that
    lists it: a report's ``classname`` joins the nodes with dots, so a node whose own name has one
    (pytest-mypy-plugins' ``check-immu.test`` of immutables) is not told from two."""
    own = {_dotted(name): name for name in said}
    return [own.get(_dotted(name), name) for name in failing]


def _dotted(test_id: str) -> str:
    return re.sub(r"::|/", ".", re.sub(r"\.py(?=::|$)", "", test_id))


def junit_messages(data: bytes) -> str:
    """The text of every failure and error in a JUnit XML report (mypy writes its messages there)."""
    root = xml_root(data)
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
    unimported = [h[1] for h in headers if (h[2] or "").startswith(_NOT_IMPORTED)]
    names = distinct([h[1] if h[1] in unimported else h[2] or h[1] for h in headers])
    ends = [h.start() for h in headers[1:]] + [len(text)]
    blocks = [text[h.end() : end].split(_RAN_RULE)[0] for h, end in zip(headers, ends, strict=True)]
    cause = _raised(blocks[0])
    where = distinct([at for block in blocks[:FIRST] if (at := frame_at(block))])
    at = frame_at(blocks[0]) if cause else ""
    if at and names[0] in unimported:
        cause, at = f"{cause}, at {at}", ""  # (tomli's syntax error: the module the loader could not import)
    return (
        {"failing": names[:3]}
        | ({"cause": cause[:200]} if cause else {})
        | ({"cause_at": at} if at else {})
        | ({"failing_at": where} if where else {})
        | ({"not_imported": len(unimported)} if unimported else {})
    )


#: the class of unittest's stand-in for a test module it could not import (its "test" is the
#: module's name: ``ERROR: tests (unittest.loader._FailedTest.tests)``; Python before 3.5 said
#: ``ModuleImportFailure``)
_NOT_IMPORTED = ("unittest.loader._FailedTest.", "unittest.loader.ModuleImportFailure.")


def _raised(block: str) -> str:
    """The exception that ended a failed test's traceback: the first exception line after its last
    frame (pycparser: ``AssertionError: 1 != 0 : example … failed with stdout = …``, not a
    ``TypeError`` its message quotes from a child process's output), else its last one."""
    frames = list(_FRAME.finditer(block))
    after = block[frames[-1].end() :] if frames else block
    lines = [ln.strip() for ln in after.splitlines() if _EXCEPTION_LINE.match(ln.strip())]
    if frames and lines:
        return lines[0]
    causes = [ln.strip() for ln in block.splitlines() if _EXCEPTION_LINE.match(ln.strip())]
    return causes[-1] if causes else ""


_RAN_RULE = "\n----------------------------------------------------------------------\nRan "
#: a traceback's frame: ``File "tests/test_recipes.py", line 36, in test_x``
_FRAME = re.compile(r'^\s*File "(?P<path>[^"<>]+\.py)", line (?P<line>\d+)', re.M)


def frame_at(block: str) -> str:
    """``path:line`` of the last frame of a failed test's traceback that is not Python's own or an
    installed package's (more-itertools' broken test: ``tests/test_recipes.py, line 36``)."""
    frames = [
        m for m in _FRAME.finditer(block) if not re.search(r"/lib/python[\d.]*/|site-packages/", m["path"])
    ]
    return f"{frames[-1]['path']}:{frames[-1]['line']}" if frames else ""
