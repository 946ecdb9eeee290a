"""Changelogs kept in the form of the Sphinx ``changelog`` extension (Mako, Alembic, SQLAlchemy,
dogpile.cache): a ``.. changelog::`` directive per release, its ``:version:`` and ``:released:``
fields, then one ``.. change::`` directive per change with its ``:tags:`` and its text.

Mako 1.4.3's notes had said no entry was found: its ``CHANGES`` only says the changelog moved to
``doc/build/changelog.rst``, where ``:version: 1.4.3`` heads the entry.
"""

from __future__ import annotations

import re

from prp_tasks.intake.changelog_items import breaks, plain

_CHANGELOG = re.compile(r"^\s*\.\. changelog::\s*$")
_CHANGE = re.compile(r"^\s*\.\. change::\s*$")
_FIELD = re.compile(r"^\s*:(\w+):\s*(.*?)\s*$")


def changelog_directive(lines: list[str], token: re.Pattern[str]) -> tuple[str, list[str], list[str]] | None:
    """(heading, highlights, breaking) of the ``.. changelog::`` whose ``:version:`` the ``token``
    matches, or None; a change tagged ``removed`` or saying it breaks something is breaking."""
    for i, line in enumerate(lines):
        if _CHANGELOG.match(line) is None:
            continue
        fields = _fields(lines, i + 1)
        if not token.fullmatch(fields.get("version", "")):
            continue
        end = next((j for j in range(i + 1, len(lines)) if _CHANGELOG.match(lines[j])), len(lines))
        highlights: list[str] = []
        breaking: list[str] = []
        for tags, text in _changes(lines[i + 1 : end]):
            (breaking if "removed" in tags or breaks(text) else highlights).append(text)
        released = fields.get("released", "")
        heading = f"{fields['version']} (released {released})" if released else fields["version"]
        return (heading, highlights, breaking) if highlights or breaking else None
    return None


def _fields(lines: list[str], start: int) -> dict[str, str]:
    """The directive's field list: the ``:name: value`` lines right under it."""
    found: dict[str, str] = {}
    for line in lines[start:]:
        field = _FIELD.match(line)
        if field is None:
            break
        found[field[1]] = field[2]
    return found


def _changes(section: list[str]) -> list[tuple[set[str], str]]:
    """Each ``.. change::`` of a release: its tags and the first paragraph of its text, as prose."""
    out = []
    starts = [i for i, line in enumerate(section) if _CHANGE.match(line)]
    for at, start in enumerate(starts):
        block = section[start + 1 : starts[at + 1] if at + 1 < len(starts) else len(section)]
        fields = _fields(block, 0)
        body = [line.strip() for line in block[len(fields) :]]
        while body and not body[0]:
            body = body[1:]
        paragraph = body[: body.index("")] if "" in body else body
        text = plain(" ".join(paragraph))
        if text:
            out.append(({t.strip().lower() for t in fields.get("tags", "").split(",")}, text))
    return out
