"""The facts line of a ``run`` check's evidence: what the tools' machine output said, in one line
(``8 tests: 7 passed, 1 failed, 0 errors, 0 skipped; failing: …; coverage: lines 93.1%``).

:mod:`prp_tasks.checks.evidence` reads the facts (per tool, a dict of counts and first items);
this module words them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prp_tasks.checks.skips import SKIPS_NAMED, SKIPS_SAID, skips_said
from prp_tasks.core.text import ELLIPSIS, clip, plural

#: what a tool's reader found: counts and the first items named (per tool)
Facts = dict[str, Any]

#: pytest counts always stated (0 included); the others only when not 0
ALWAYS = ("passed", "failures", "errors", "skipped")
#: pytest fact -> the word its closing line says the count with (``3 passed, 1 xfailed``)
SAID = {
    "passed": "passed",
    "failures": "failed",
    "errors": "errors",
    "skipped": "skipped",
    "xfailed": "xfailed",
    "xpassed": "xpassed",
    **{f"subtests_{w}": f"subtests_{w}" for w in ("passed", "failed", "skipped", "xfailed", "xpassed")},
}


def facts_line(facts: dict[str, Facts], limit: int | None = None) -> str:
    """One line stating the facts: counts first, then the first items named; past ``limit``
    characters the later failing tests' names are left out first, then the first one's cause is
    shortened, so that what follows them, the coverage, stays (PyHamcrest's four failing tests'
    names had pushed its 96.64% off the line; python-dateutil's first cause, a long assertion,
    its 91.81%)."""
    line = _joined(facts)
    if limit is None or len(line) <= limit:
        return line
    shorter = {tool: dict(found) for tool, found in facts.items()}
    for found in (shorter[t] for t in ("pytest", "unittest") if t in shorter):
        for fewer in range(SKIPS_SAID - 1, -1, -1):  # the skips' reasons give way first (dnspython's
            if len(_joined(shorter)) <= limit:  # 102 "Internet not reachable" had cut its coverage)
                break
            found[SKIPS_NAMED] = fewer
        named = [n for n in found.get("failing") or [] if n != "…"]
        while len(named) > 1 and len(_joined(shorter)) > limit:
            named = named[:-1]
            found["failing"] = [*named, "…"]  # (marshmallow's 3 names of 4 failing tests said no more)
        over = len(_joined(shorter)) - limit
        if over > 0 and found.get("cause"):
            found["cause"] = _shorter_cause(str(found["cause"]), over)
    return _joined(shorter)


def _shorter_cause(cause: str, over: int) -> str:
    """The cause ``over`` characters shorter (not under :data:`_CAUSE_KEPT`), where a module that
    could not be collected raised kept whole (desert: "…, at src/desert/_make.py:12" had been cut
    while the coverage after it stayed)."""
    head, mark, at = cause.rpartition(", at ")
    if not mark or not at or " " in at:
        head, mark, at = cause, "", ""
    return clip(head, max(len(head) - over, _CAUSE_KEPT)) + mark + at


#: the shortest a failing test's cause is cut to (its exception's name and the start of its message)
_CAUSE_KEPT = 40


def _joined(facts: dict[str, Facts]) -> str:
    parts = [
        _DESCRIBE[tool](found) + _no_test_ran(tool, facts)
        for tool, found in facts.items()
        if tool in _DESCRIBE
    ]
    return "; ".join(p for p in parts if p)


def _no_test_ran(tool: str, facts: dict[str, Facts]) -> str:
    """What the coverage of a test run that ran no test is of (mashumaro's collection error: "0
    tests … coverage: lines 73.04%", read as its tests' coverage; a budget of 70 would have held);
    nothing but that no test ran when it measured nothing (respx's sdist without tests: "No data
    was collected" had been said to be "only what importing the code ran")."""
    pytest = facts.get("pytest")
    if tool != "coverage" or not (isinstance(pytest, dict) and pytest.get("tests") == 0):
        return ""
    measured = any(isinstance(v, float) and v > 0 for v in facts["coverage"].values())
    return " (no test ran: only what importing the code ran)" if measured else " (no test ran)"


def _pytest_line(f: Facts) -> str:
    if "tests" not in f:  # the closing line's counts, in its words (``1 error``, ``2 errors``)
        said = [
            plural(v, "error") if k == "errors" else f"{v} {k.replace('_', ' ')}"
            for k, v in f.items()
            if isinstance(v, int) and k != "stopped_after"
        ]
        after = f.get("stopped_after")
        stopped = f" (stopped after {plural(after, 'failure')})" if after else ""
        return f"pytest: {', '.join(said)}{stopped}{_failing(f)}"
    line = (
        f"{plural(f['tests'], 'test')}: {f['passed']} passed, "
        f"{f['failures']} failed{_subtests_among(f, 'failures')}, "
        f"{plural(f['errors'], 'error')}"
        + (f" ({f['collection_errors']} in collection)" if f.get("collection_errors") else "")
        + f", {f['skipped']} skipped{_subtests_among(f, 'skipped')}"
        + "".join(f", {f[k]} {k}" for k in ("xfailed", "xpassed") if f.get(k))
        + "".join(f", {f[k]} {k.replace('_', ' ')}" for k in _SUBTESTS if f.get(k))
    )
    if f.get("internal_error"):  # the counts are those of the tests run before pytest stopped
        line = f"pytest stopped on an internal error ({f['internal_error']}) after {line}"
    elif f.get("stopped_after"):  # (lz4's -x: "19016 tests" read as its suite of 19,804)
        line = f"pytest stopped after {plural(f['stopped_after'], 'failure')} (-x or --maxfail), after {line}"
    return line + _failing(f) + skips_said(f.get("skip_reasons"), f.get(SKIPS_NAMED, SKIPS_SAID))


def _failing(f: Facts) -> str:
    """``; failing: first (its cause, at path:line), second, …`` of the failing tests named, or ''
    (where it was raised, when known: textwrap3's terminal line named the test and its assertion,
    review.json alone the line)."""
    if not f.get("failing"):
        return ""
    names = [_short_name(str(n)) for n in f["failing"]]
    at = f.get("cause_at") or ""
    at = f", at {at}" if at and not at.startswith("/") else ""  # (not in an installed package)
    first = names[0] + (f" ({f['cause']}{at})" if f.get("cause") else "")
    return f"; failing: {', '.join([first, *names[1:]])}"


#: the longest a failing test's name is shown: a parametrized test's id holds its values
#: (charset-normalizer's ``test_isbinary[raw0-…]``, 800 characters of ``b"\x00\x5f…"*50``)
NAME_LIMIT = 100


def _short_name(name: str) -> str:
    """The name cut to :data:`NAME_LIMIT` with ``…`` (a parametrized id's middle, its end kept):
    cut later at a space, the line had left out every name, the short ones after it too."""
    if len(name) <= NAME_LIMIT:
        return name
    if "[" in name and name.endswith("]"):  # the parameters' end too, which tells the cases apart
        tail = name[-_PARAMETERS_END:]  # (jsonpath-ng: three cases alike but for their ends)
        return name[: NAME_LIMIT - 1 - len(tail)] + ELLIPSIS + tail
    return name[: NAME_LIMIT - 1] + ELLIPSIS


#: of a parametrized id cut short, the characters of its end kept
_PARAMETERS_END = 30


#: pytest 9's subtest counts (``142 subtests passed``); its failed/skipped counts include subtests'
_SUBTESTS = tuple(k for k in SAID if k.startswith("subtests_"))


def _subtests_among(f: Facts, key: str) -> str:
    """`` (276 of them subtests)`` when the skipped (else the failed) count holds more than the
    tests can (pathspec: "197 tests: 197 passed, 276 skipped": every skip a subtest's, pytest 9
    counting them there; jsonpatch: "369 tests: 369 passed, 2 failed", two subtests of one test)."""
    if f.get("subtests_failed") or f.get("subtests_skipped"):  # pytest said how many: idna's 9 of 13
        count = min(f.get("subtests_failed" if key == "failures" else "subtests_skipped", 0), f[key])
        return f" ({count} of them subtests)" if count else ""
    # (an expected failure is one of the tests too: zipp's 1 xfailed had hidden one failed subtest)
    over = f["passed"] + f["failures"] + f["skipped"] + f.get("xfailed", 0) + f.get("xpassed", 0) - f["tests"]
    if over <= 0 or not any(f.get(k) for k in _SUBTESTS):
        return ""
    skipped = min(over, f["skipped"])
    count = skipped if key == "skipped" else min(over - skipped, f["failures"])
    return f" ({count} of them subtests)" if count else ""


def _violations_line(tool: str) -> Callable[[Facts], str]:
    def describe(f: Facts) -> str:
        config = f.get("configuration")  # pylint's messages about its own configuration file
        about = ""
        if isinstance(config, dict) and config.get("first"):
            first = config["first"][0]
            about = f"; {plural(config['messages'], 'message')} on its configuration, first {first}"
        if not f["violations"]:
            return f"no {tool} violations{about}"
        said = f" ({f['message']})" if f.get("message") and f["first"] else ""  # the first one's
        first = (
            f"; first {f['first'][0]}{said}{''.join(', ' + x for x in f['first'][1:])}" if f["first"] else ""
        )
        # its configuration's messages before the violations' names, which a long line loses first
        # (sortedcontainers' stale .pylintrc: "48 pylint violations; first …; 67 …")
        return f"{plural(f['violations'], tool + ' violation')}{about}{first}"

    return describe


def _mypy_line(f: Facts) -> str:
    if not f["errors"]:
        return "no mypy errors"
    first = f"; first {' | '.join(f['first'])}" if f["first"] else ""
    installed = f.get("installed_errors", 0)
    where = f" ({installed} in installed packages, not the project's code)" if installed else ""
    stopped = "; mypy stopped there (errors prevented further checking)" if f.get("stopped") else ""
    return f"{plural(f['errors'], 'mypy error')}{where}{first}{stopped}"


def _checker_line(tool: str) -> Callable[[Facts], str]:
    def describe(f: Facts) -> str:
        if not f["errors"]:
            return f"no {tool} errors"
        first = f"; first {' | '.join(f['first'])}" if f["first"] else ""
        return f"{plural(f['errors'], f'{tool} error')}{first}"

    return describe


def _unittest_line(f: Facts) -> str:
    kinds = {
        "failures": "failure",
        "errors": "error",
        "skipped": "skipped",
        "expected_failures": "expected failure",
        "unexpected_successes": "unexpected success",
    }
    # each module unittest could not import it counts as a test in error
    unimported = (
        f" ({plural(f['not_imported'], 'module')} could not be imported)" if f.get("not_imported") else ""
    )
    others = [
        plural(f[k], one, k.replace("_", " ")) + (unimported if k == "errors" else "")
        for k, one in kinds.items()
        if f.get(k)
    ]
    if not f["tests"] and not others:  # (its "OK" beside a check failed for running nothing: tomli's sdist)
        return "0 tests ran"
    # the passed ones, which unittest does not count (bitarray: "723 tests ran: 10 skipped")
    passed = f["tests"] - sum(int(f.get(k) or 0) for k in kinds)
    others = [f"{passed} passed", *others] if others and passed > 0 else others
    line = f"{plural(f['tests'], 'test')} ran: " + (", ".join(others) if others else "OK")
    return line + _failing(f)


def _coverage_line(f: Facts) -> str:
    shown = [f"{k} {round(v, 2):g}%" for k, v in sorted(f.items()) if isinstance(v, float)]
    shown += [f[k] for k in ("threshold", "note") if f.get(k)]
    least = f"; least covered: {', '.join(f['least'])}" if f.get("least") else ""  # where it falls short
    return "coverage: " + ", ".join(shown) + least


def _format_line(f: Facts) -> str:
    if not f["reformat"] and not f["failed"]:
        return f"{plural(f['unchanged'], 'file')} already formatted"
    said = f" ({f['parse_error']})" if f.get("parse_error") else ""
    unparsed = f"; cannot parse {f['unparsed'][0]}{said}" if f.get("unparsed") else ""
    if not f["reformat"]:  # structlog's syntax error: "45 files already formatted" was all it said
        return f"{plural(f['failed'], 'file')} would fail to reformat ({f['unchanged']} unchanged){unparsed}"
    failed = f", {f['failed']} would fail to reformat" if f["failed"] else ""
    first = f"; first {', '.join(f['first'])}" if f["first"] else ""
    reformat = plural(f["reformat"], "file")
    return f"{reformat} would be reformatted ({f['unchanged']} unchanged{failed}){first}{unparsed}"


_DESCRIBE: dict[str, Callable[[Facts], str]] = {
    "black": _format_line,
    "ruff-format": _format_line,
    "pytest": _pytest_line,
    "ruff": _violations_line("ruff"),
    "flake8": _violations_line("flake8"),
    "pylint": _violations_line("pylint"),
    "pycodestyle": _violations_line("pycodestyle"),
    "pep8": _violations_line("pep8"),
    "mypy": _mypy_line,
    "pyright": _checker_line("pyright"),
    "ty": _checker_line("ty"),
    "coverage": _coverage_line,
    "unittest": _unittest_line,
}
