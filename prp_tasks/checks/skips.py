"""Why a test run's tests were skipped, as its JUnit report says (pytest's reasons): a run that
passes with tests skipped for a module its environment lacks (dnspython's ``doq`` extra, aioquic:
8 more skipped than its CI's) has not tested that code, and the counts alone do not say so."""

from __future__ import annotations

import re
from typing import Any

from prp_tasks.core.text import clip

#: the reasons kept in the facts, most common first
REASONS = 5
#: the longest a reason is kept
REASON_LIMIT = 160

#: a module skipped as it was collected (``pytest.importorskip`` at its top): pytest's text is the
#: repr of ``(path, line, "Skipped: reason")``
_MODULE_SKIP = re.compile(r"""Skipped: (?P<reason>.*?)['"]\)\s*$""", re.S)


def skip_reasons(root: Any) -> list[dict[str, Any]]:
    """``[{"reason": "could not import 'aioquic': No module named 'aioquic'", "tests": 8}, …]``:
    the skips' reasons (not expected failures'), most common first (first seen among equals)."""
    counts: dict[str, int] = {}
    for skipped in root.iter("skipped"):
        if skipped.get("type") == "pytest.xfail":
            continue
        reason = _reason(skipped)
        counts[reason] = counts.get(reason, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    return [{"reason": reason, "tests": count} for reason, count in ranked[:REASONS]]


def _reason(skipped: Any) -> str:
    message = str(skipped.get("message") or "").strip()
    if message == "collection skipped" and (found := _MODULE_SKIP.search(str(skipped.text or ""))):
        message = found["reason"].replace("\\'", "'").strip()
    message = message.removeprefix("Skipped: ")
    return clip(message.splitlines()[0], REASON_LIMIT) if message else "(no reason given)"


#: of the reasons, how many the facts line names (fewer when it is too long: :data:`SKIPS_NAMED`)
SKIPS_SAID = 2
#: the facts' key (of a shortened copy) saying how many reasons the line names
SKIPS_NAMED = "_skip_reasons_named"


def skips_said(reasons: Any, named: int = SKIPS_SAID) -> str:
    """``; skipped: 8 for "could not import 'aioquic': …", 1 for "needs network"`` or '' (``named``
    reasons named at most, none: nothing said)."""
    if not isinstance(reasons, list) or not named:
        return ""
    said = [
        f'{r.get("tests")} for "{clip(str(r.get("reason")), 80)}"'
        for r in reasons[:named]
        if isinstance(r, dict)
    ]
    more = len(reasons) - len(said)
    also = f", and {more} other reason{'s' if more > 1 else ''}" if more > 0 else ""
    return f"; skipped: {', '.join(said)}{also}" if said else ""
