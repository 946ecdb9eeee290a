"""Shortening text for summaries without cutting a word, a number or a JSON value in half. Pure."""

from __future__ import annotations

import re

ELLIPSIS = "…"
_SPACE = re.compile(r"\s+")


def clip(text: str, limit: int) -> str:
    """``text`` (stripped) cut to at most ``limit`` characters at a space, ending with ``…``.

    The cut falls on whitespace, so a token (a path, a number, a quoted value) is either whole or
    left out. A single token longer than ``limit`` is left out whole: only ``…`` remains.
    """
    text = text.strip()
    if len(text) <= limit:
        return text
    room = max(0, limit - len(ELLIPSIS) - 1)
    head = text[: room + 1]
    cut = max(head.rfind(" "), head.rfind("\n"), head.rfind("\t"))
    kept = head[:cut].rstrip() if cut > 0 else ""
    if kept.endswith(ELLIPSIS):  # cut right after an earlier cut: one ellipsis (time-machine's "[misc] … …")
        return kept
    return f"{kept} {ELLIPSIS}" if kept else ELLIPSIS


def one_line(text: str, limit: int | None = None) -> str:
    """Whitespace collapsed to single spaces, clipped at a space to ``limit`` when given."""
    flat = _SPACE.sub(" ", text).strip()
    return clip(flat, limit) if limit is not None else flat


def clip_lines(lines: list[str], limit: int) -> str:
    """Whole lines joined with newlines, as many from the start as fit in ``limit`` characters."""
    kept: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + (1 if kept else 0) > limit:
            break
        used += len(line) + (1 if kept else 0)
        kept.append(line)
    return "\n".join(kept)


def first_lines(text: str, count: int) -> str:
    """The first ``count`` non-empty lines joined with ``; ``; a line ending in ``:`` introduces the
    next (``installing failed (exit 1): error: Failed to build …``) and does not count."""
    parts: list[str] = []
    lines = (line.strip() for line in text.splitlines() if line.strip())
    for line in lines:
        if parts and parts[-1].endswith(":"):
            parts[-1] += " " + line
        else:
            parts.append(line)
        if len(parts) >= count and not parts[-1].endswith(":"):
            break
    return "; ".join(parts[:count])


def plural(count: int, noun: str, nouns: str = "") -> str:
    """``1 test``, ``2 tests`` (``nouns``: the plural when it is not ``noun`` + s: ``boundaries``)."""
    return f"{count} {noun}" if count == 1 else f"{count} {nouns or noun + 's'}"


def them(count: int) -> str:
    """``runs it`` / ``runs them``: the object pronoun for ``count`` things."""
    return "it" if count == 1 else "them"
