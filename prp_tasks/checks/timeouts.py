"""What a ``run`` check stopped at its time limit says: where the interrupt found it, what it
printed until then and which setting to raise (``timed out after 600s (interrupted at
tests/test_x.py:12 in test_hang, then stopped; the limit: PRP_CHECK_TIMEOUT_S)``)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from prp_tasks.checks.base import CheckContext
from prp_tasks.checks.crashes import Interruption, enclosing_function, interruption, progress_reached
from prp_tasks.checks.evidence import CRASHED, PLUGIN_UNLOADED, UNLOADED


def timed_out(ctx: CheckContext, details: dict[str, object], last: str, tails: tuple[str, str]) -> str:
    """The summary of a check stopped at its limit, from its summary so far (``last``) and its
    output's tails (in the repository's terms): the test an interrupt found running (a suite
    waiting for services the machine lacks said only "…FFFFFFFF") and which setting to raise."""
    found = interruption(*tails)
    how, where, function = _how(ctx, found, details)
    said = [
        line
        for line in last.splitlines()
        if not line.startswith(_INTERRUPTED_LINES) and line.strip() not in found.traceback
    ]
    if said and not function and (collecting := _collecting(details, where)):  # ("until then: 0
        said[0] = collecting  # tests: 0 passed, …" for a test module importing for ever)
    elif said and details.get("facts"):  # the counts of what finished, not the suite's (semver:
        said[0] = f"until then: {said[0]}"  # "547 tests: 546 passed" read as its 597)
    elif progress := progress_reached(tails[0]):  # (tyro's first row, "…… [  1%]", where 14% had run)
        said = [progress, *said]
    return "\n".join([f"timed out after {ctx.timeout_s:g}s ({how}; the limit: {_limit(ctx)})", *said])


def _limit(ctx: CheckContext) -> str:
    """The setting that set the limit, the most specific first."""
    if ctx.check.timeout_s:
        return "the check's timeout_s"
    return "the gate's timeout_s" if ctx.gate.timeout_s else "PRP_CHECK_TIMEOUT_S"


#: a summary line that says only that the tool was interrupted (the limit's own doing)
_INTERRUPTED_LINES = tuple(f"{how}: KeyboardInterrupt" for how in (CRASHED, UNLOADED, PLUGIN_UNLOADED))


def _how(ctx: CheckContext, found: Interruption, details: dict[str, object]) -> tuple[str, str, str]:
    """``interrupted at tests/test_x.py:12 in test_hang, then stopped`` (or ``killed``), that place
    in the checkout ('' when elsewhere or unknown), also as ``details["interrupted_at"]`` (where
    review.json's finding points), and the function it was in ('' at a module's top level)."""
    where = found.where
    if os.path.isabs(where) and Path(where).is_relative_to(ctx.cwd):  # (pytest's own absolute path)
        where = os.path.relpath(where, ctx.cwd)
    if os.path.isabs(where) or where.startswith("<"):  # in an installed package (hpack's hypothesis)
        return f"interrupted{_outside(where)}, then stopped", "", ""
    if not where:
        return "killed", "", ""
    details["interrupted_at"] = [where]
    function = found.function or enclosing_function(ctx.cwd, where)  # (pytest says only path:line)
    if function:
        return f"interrupted at {where} in {function}, then stopped", where, function
    return f"interrupted at {where}, then stopped", where, ""


def _collecting(details: dict[str, object], where: str) -> str:
    """``until then: no test had run: pytest was collecting them, importing tests/test_b.py`` when
    the report counts no test and the interrupt was at a module's top level ('' otherwise)."""
    facts: Any = details.get("facts")
    pytest = facts.get("pytest") if isinstance(facts, dict) else None
    if not where or not isinstance(pytest, dict) or pytest.get("tests") != 0 or pytest.get("errors"):
        return ""
    module = where.rpartition(":")[0]
    return f"until then: no test had run: pytest was collecting them, importing {module}"


#: where an interrupted run was, outside the checkout: the part of the path that says what ran
_OUTSIDE = (
    ("/site-packages/", "an installed package"),
    (r"/lib/python3[.\d]*/", "Python's standard library"),
)


def _outside(where: str) -> str:
    """`` in hypothesis/…/data.py:385 (an installed package)``, or '' for a place of no known kind;
    a frozen module of Python's is its import machinery (cachelib's hung test: "interrupted at
    <frozen importlib._bootstrap_external>:1131", a place no one can open)."""
    if where.startswith("<frozen "):
        return f" in Python's {where.removeprefix('<frozen ').partition('>')[0]} (importing a module)"
    for marker, kind in _OUTSIDE:
        parts = re.split(marker, where, maxsplit=1)
        if len(parts) == 2:
            return f" in {parts[1]} ({kind})"
    return ""
