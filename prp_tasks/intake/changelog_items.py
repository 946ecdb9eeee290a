"""How a changelog entry's lines become its items: the top-level list items under each
subheading (or a line or an item that labels them), the breaking ones told apart, reST and
Markdown markup made plain text (:func:`plain`)."""

from __future__ import annotations

import re

from prp_tasks.core.text import clip

#: items are cut at a space to this many characters (the notes show less)
ITEM_CHARS = 600

#: a subheading (or label) over breaking changes: croniter 7.0.0's "Upgrading to 7.0"
#: (not "API Changes (Backward Compatible)", hpack's and hyperframe's, nor "Non-breaking changes")
_BREAKING = re.compile(
    r"(?<!non-)(?<!non )(?<!\bno )break|backward(?!s?[- ]?compatible)|incompatib|removal|removed"
    r"|^upgrad(?:e|ing)\b|^migrat",
    re.I,
)
#: an item that says itself what it breaks, under any subheading (blinker 1.9.0's "Drop support
#: for Python 3.8." and "Remove previously deprecated ``__version__``, …"; mistune 3.4.0's "Require
#: Python 3.10 or later"; deepdiff 9.0.0's "Dropping support for Python 3.9" and "migration note: …";
#: cattrs 25.3.0's "**Potentially breaking**: Sequences are now structured into tuples.")
_BREAKING_ITEM = re.compile(
    r"(?:\*\*)?(?:(?:potentially\s+|possibly\s+)?breaking\b|backwards?[- ]incompatib|incompatible change"
    r"|(?:drop|dropped|drops|dropping)\s+(?:support\b|python\s+[23])|(?:migration|upgrade) notes?\b"
    r"|requires?\s+python\s+(?:>=\s*)?3\.\d+"  # mistune 3.4.0: "Require Python 3.10 or later"
    r"|(?:remove|removed|removes)\s+(?:the\s+)?(?:previously\s+|long\s+)?(?:deprecated\b|support\b)"
    # priority 2.0.0's "Support for Python 2.7 has been removed." (hpack's, hyperframe's too)
    r"|support\s+for\s+[^\n;]{1,60}?\s+(?:has\s+been|have\s+been|was|is)\s+(?:removed|dropped)\b)",
    re.I,
)
#: a bold label inside an item that says it breaks something (oauthlib 4.0.1's security fix goes on
#: with "**Upgrade note for device flow integrators**: custom ``RequestValidator`` … must now …")
_BOLD_BREAKING = re.compile(
    r"\*\*(?:(?:potentially\s+|possibly\s+)?breaking\b|upgrade note|migration note|backwards?[- ]incompatib)",
    re.I,
)
UNDERLINE = re.compile(r"^([=\-~^*+#\"'`:.])\1{2,}\s*$")
ITEM = re.compile(r"^(\s*)(?:[-*+]|\d+[.)])\s+(.*)$")
_ISSUE_ROLES = {"pr", "issue", "issues", "pull", "gh", "ghissue", "ghpull", "bug"}


def said(text: str) -> list[str]:
    cleaned = plain(text).strip()
    return [clip(cleaned, ITEM_CHARS)] if cleaned else []


#: a line of an entry that only dates it (``Released 2024-04-16``, ``:released: …``, ``2024-04-16``)
_DATED = re.compile(r"^(?:released\b|:\w+:|\(?\d{4}-\d\d-\d\d)", re.I)
#: a paragraph that is a date in words alone (glom's ``_(December 28, 2025)_``, ``3 March 2024``)
_WORDS_DATE = re.compile(
    r"[_*]*\(?(?:[a-z]{3,9}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?|\d{1,2}(?:st|nd|rd|th)?\s+[a-z]{3,9}\.?,?)"
    r"\s+\d{4}\)?\.?[_*]*",
    re.I,
)


#: a line at the margin beginning with a date, the author after it (ply's CHANGES: ``02/15/18
#: beazley`` then the change indented below; ``01/31/17: beazley``)
_DATE_LINE = re.compile(r"^(?:\d{1,2}/\d{1,2}/\d{2,4}|\d{4}-\d\d-\d\d)\b")


def prose(section: list[str]) -> list[str]:
    """An entry without a list: each change under a dated line (:data:`_DATE_LINE`), else its
    first paragraph that is no date, underline or directive."""
    if dated := _dated_changes(section):
        return dated
    block: list[str] = []
    for line in [*section, ""]:
        text = line.strip()
        if UNDERLINE.match(text):  # the block was a title
            block = []
            continue
        if text and not text.startswith(("..", "#")) and not ITEM.match(line):
            block.append(text)
            continue
        paragraph = plain(" ".join(block))
        if paragraph and not _DATED.match(paragraph) and not _WORDS_DATE.fullmatch(paragraph):
            return [clip(paragraph, ITEM_CHARS)]
        block = []
    return []


def breaking_paragraphs(section: list[str]) -> list[str]:
    """The paragraphs of a section outside its lists (unindented, after a blank line, not a label
    over a list) that say what they break (prompt_toolkit 3.0.53's closing "… set minimum Python
    version to 3.10.", after its "Fixes:" and "New features:" lists)."""
    found: list[str] = []
    block: list[str] = []
    after_blank = True
    for line in [*section, ""]:
        text, item = line.strip(), ITEM.match(line)
        if text.startswith(("#", "..")) or UNDERLINE.match(text):  # a heading, a directive: no prose
            block, after_blank = [], False
            continue
        if block and (not text or item):  # a blank line ends a paragraph; an item, a label
            raw = " ".join(block)
            paragraph = plain(raw)
            titled = _label(paragraph) or raw.endswith(":") or re.fullmatch(r"([*_]{2}).+\1", raw)
            if not item and not titled and breaks(paragraph):  # (hpack's "**API Changes (…)**")
                found.append(clip(paragraph, ITEM_CHARS))
            block = []
        elif text and (block or (after_blank and line == line.lstrip() and not item)):
            block.append(text)
        after_blank = not line.strip()
    return found


def _dated_changes(section: list[str]) -> list[str]:
    """The text under each line beginning with a date, up to the next (ply 3.11's three changes:
    only the first was in its notes, with its date and author)."""
    changes: list[list[str]] = []
    for line in section:
        if _DATE_LINE.match(line):
            changes.append([])
        elif changes and line.strip():
            changes[-1].append(line.strip())
    return [clip(plain(" ".join(text)), ITEM_CHARS) for text in changes if text]


def items(
    lines: list[str], start: int, end: int, inner: list[tuple[int, str, str]]
) -> tuple[list[str], list[str]]:
    """The section's top-level list items, split by the subheading each falls under."""
    lines = _labels_as_subtitles(_admonitions_opened(lines, start, end), start, end)
    headlines = _breaking_headlines(inner)
    subtitle = {a: t for a, _, t in inner}
    skip = set(subtitle) | {a + 1 for a, k, _ in inner if not k.startswith("#")}
    skip |= {a - 1 for a, k, _ in inner if k.startswith("over")}
    bullets = [m for i in range(start, end) if i not in skip and (m := ITEM.match(lines[i]))]
    indent = min((len(m[1]) for m in bullets), default=0)
    found: tuple[list[str], list[str]] = ([], [])
    current: list[str] = []
    title, nested, lead_in, kept = "", None, False, False
    for i in range(start, end):
        line = lines[i]
        item = None if i in skip else ITEM.match(line)
        if i in subtitle or (item and len(item[1]) == indent) or _ends_item(line, indent, item):
            _flush([] if title in headlines else current, title, found)
            current, nested = ([item[2]] if item and len(item[1]) == indent else []), None
            title = subtitle.get(i, (_label(line) if item is None else None) or title)
            if i in subtitle and title in headlines:  # the change itself; its items tell how to adapt
                found[1].append(clip(plain(title), ITEM_CHARS))
        elif current and line.strip():  # indented: a nested item or a continuation
            if item is not None and nested is None:
                nested = len(item[1])
                lead_in = _introduces(current)
            if nested is None:
                current.append(line.strip())
            elif lead_in and item is not None:
                # an item that only introduces its nested ones (semver 3.0.4's "Fix 3.0.3:")
                # says nothing without them: they are its text, each with its continuation
                # lines (cssselect 1.6.0's), not the items nested deeper
                kept = len(item[1]) == nested
                if kept:
                    current[-1] += "" if current[-1].endswith((":", ";", ".")) else ";"
                    current.append(item[2])
            elif lead_in and kept:
                current.append(line.strip())
    _flush([] if title in headlines else current, title, found)
    return found


#: an item's text that introduces its nested items: a colon at its end, or "the following"
#: (validators 0.36.0's "Stricter validation: the following inputs … are now rejected." over the
#: ten functions it changed, which the notes left out)
_LEAD_IN = re.compile(r":$|\bthe following\b", re.I)


def _introduces(current: list[str]) -> bool:
    """Whether an item's text introduces its nested items (:data:`_LEAD_IN`), or names the file
    or module they change (:data:`_PLACE`: a colon is added after it, in ``current``)."""
    text = " ".join(current).strip()
    if _PLACE.fullmatch(text):
        current[-1] += ":"
        return True
    return _LEAD_IN.search(text) is not None


#: an item that names only a file or module, its changes nested below (docutils' HISTORY.rst:
#: ``* docutils/writers/_html_base.py`` over "Don't embed images …  Fixes vulnerability …": the
#: notes listed four file names and none of the security fixes)
_PLACE = re.compile(r"`{0,2}[\w-]+(?:[/.][\w-]+)+/?`{0,2}")


def _breaking_headlines(inner: list[tuple[int, str, str]]) -> set[str]:
    """The bold headlines (``**1. A step … now means one value, not the whole field (#246).**``)
    under a subheading over breaking changes (croniter 7.0.0's "Upgrading to 7.0"): each is a
    breaking change, the items below it who is affected and what to do."""
    found, breaking = set(), False
    for _, kind, title in inner:
        if kind != "**":
            breaking = bool(_BREAKING.search(title))
        elif breaking:
            found.add(title)
    return found


def _label(line: str) -> str | None:
    """The label a line of text gives the items below it: a short title ("Breaking changes"), or a
    sentence saying they break something (parsimonious 0.10.0: "This release makes
    backward-incompatible changes:")."""
    text = line.strip()
    short = _LABEL.fullmatch(text)
    if short:
        return short[1]
    return text if text.endswith(":") and _BREAKING.search(text) else None


#: a reST admonition (``.. warning::``), whose body is read as the entry's own lines
_ADMONITION = re.compile(
    r"^(\s*)\.\.\s+(?:warning|note|important|attention|caution|danger|admonition)::.*$", re.I
)


def _admonitions_opened(lines: list[str], start: int, end: int) -> list[str]:
    """``lines`` with each reST admonition's body moved out to the directive's own level and the
    directive line blanked: parsimonious 0.10.0's ``.. warning::`` holds "This release makes
    backward-incompatible changes:" and the change that breaks (its notes said "Breaking Changes:
    None"); line numbers kept."""
    out = list(lines)
    for i in range(start, end):
        directive = _ADMONITION.match(out[i])
        if directive is None:
            continue
        body = next((j for j in range(i + 1, end) if out[j].strip()), end)
        shift = len(out[body]) - len(out[body].lstrip()) - len(directive[1]) if body < end else 0
        out[i] = ""
        for j in range(body, end):
            if out[j].strip() and len(out[j]) - len(out[j].lstrip()) <= len(directive[1]):
                break
            out[j] = out[j][shift:] if shift > 0 and out[j][:shift].isspace() else out[j]
    return out


def _labels_as_subtitles(lines: list[str], start: int, end: int) -> list[str]:
    """``lines`` with each item that is only a label (``- Maintainers:``, tldextract's ``* Features``)
    over nested items made a label line, its items moved out to its own level (intervaltree 3.2.1's
    "Fixed:" and "Maintainers:": five changes were one item, cut at 200 characters; tldextract
    5.4.0's notes were "Features", "Bugfixes", "Docs", "Misc."); line numbers kept."""
    out = list(lines)
    i = start
    while i < end:
        item = ITEM.match(out[i])
        below = next((j for j in range(i + 1, end) if out[j].strip()), end)
        nested = ITEM.match(out[below]) if below < end else None
        if item and _labels(item[2]) and nested and len(nested[1]) > len(item[1]):
            shift = len(nested[1]) - len(item[1])
            out[i] = f"{item[1]}{item[2]}"
            for j in range(below, end):
                if out[j].strip() and len(out[j]) - len(out[j].lstrip()) <= len(item[1]):
                    break
                out[j] = out[j][shift:] if out[j][:shift].isspace() else out[j]
        i += 1
    return out


def _ends_item(line: str, indent: int, item: re.Match[str] | None) -> bool:
    """A line of text at the items' own indentation (``Released 2024-04-16``) ends the item."""
    return item is None and bool(line.strip()) and len(line) - len(line.lstrip()) <= indent


#: words that say an item breaks something wherever they stand in it (pyrsistent 0.20.0: "Fix
#: #281, defaultdict can now be frozen. NB! This is a backwards incompatible fix …", "Officially
#: drop support for Python 3.7."), not said of something else ("not a breaking change")
_BREAKING_SAID = re.compile(
    r"(?<!not )(?<!non-)\bbackwards?[- ]incompatib|(?<!not a )(?<!non-)\bbreaking change"
    r"|\b(?:officially\s+)?drop(?:s|ped|ping)?\s+support\s+for\s+python\s+[23]"
    # prompt_toolkit 3.0.53: "… and set minimum Python version to 3.10" (3.0.52 required 3.8)
    r"|\bminimum\s+(?:supported\s+|required\s+)?python(?:\s+version)?\s+(?:is\s+now\s+|to\s+|of\s+)?[23]\.\d",
    re.I,
)


def breaks(text: str) -> bool:
    """Whether a change's plain text says that it breaks something (:data:`_BREAKING_ITEM` at its
    start, :data:`_BREAKING_SAID` anywhere)."""
    return bool(_BREAKING_ITEM.match(text) or _BREAKING_SAID.search(text))


def _flush(current: list[str], title: str, found: tuple[list[str], list[str]]) -> None:
    """The item read, cleaned, onto its list: the breaking ones when its subheading says so or
    the item says so itself (at its start, in bold, or in words no other change uses)."""
    raw = " ".join(current)
    text = plain(raw)
    if text:
        breaking = _BREAKING.search(title) or _BREAKING_ITEM.match(text) or _BOLD_BREAKING.search(raw)
        breaking = breaking or _BREAKING_SAID.search(text)
        if _REMOVED_TITLE.fullmatch(title.strip()) and not _SAYS_REMOVED.match(text):
            text = f"Removed: {text}"  # structlog's "### Removed": "Python 3.8 and 3.9 support."
        found[1 if breaking else 0].append(clip(text, ITEM_CHARS))


#: a subheading whose items name only what went (Keep a Changelog's "Removed"), and an item that
#: says so itself
_REMOVED_TITLE = re.compile(r"(?:removed|removals?)\W*", re.I)
_SAYS_REMOVED = re.compile(r"\W*(?:remov|drop|delet)", re.I)


#: a line of text that labels the items below it, as a subheading would (python-box 8.0.0:
#: "Breaking changes", a blank line, its items; "Changes", …; validators 0.36.0's ``_**Breaking**_ ⚠️``)
_LABEL = re.compile(r"[_*]*([A-Z][A-Za-z /&-]{1,40}?)\.?[_*]*[:.]?(?:\s+[^\w\s]{1,4})?")
#: a category a label names without a colon (tldextract's "Features", "Bugfixes", "Misc."; keep a
#: changelog's "Added", "Fixed"), not a change ("Other fix")
_CATEGORY = re.compile(
    r"(?:new\s+)?features?|bug\s*fix(?:es)?|fix(?:es|ed)?|docs?|documentation|misc\.?|miscellaneous"
    r"|other(?:\s+changes)?|added|changed|deprecat\w*|removed|removals?|security|improvements?"
    r"|enhancements?|breaking(?:\s+changes?)?|internals?|maintenance|dependencies|performance",
    re.I,
)


def _labels(text: str) -> bool:
    """An item's text that only labels the items nested under it: a short title with a colon,
    a category (:data:`_CATEGORY`), or one word (distlib 0.4.4's modules: ``- markers``)."""
    if _LABEL.fullmatch(text) and (text.endswith(":") or _CATEGORY.fullmatch(text.strip("*_ "))):
        return True
    return re.fullmatch(r"`{0,2}[\w.-]{1,30}`{0,2}:?", text) is not None


#: an item of issue numbers alone (``#1168, #1170, #1178``)
ONLY_REFERENCES = re.compile(r"[\s(]*#\d+[)]?(?:[\s,;]+\(?#\d+\)?)*[\s.]*")


def plain(text: str) -> str:
    """reST and Markdown markup as plain text: links to their text, issue roles (reST's and
    MyST's) to ``#N``, other roles and double backticks to code spans."""
    text = re.sub(r"(?<!`)`([^`<]+?)\s*<[^<>`\s]+>`__?", r"\1", text)  # `#556 <https://…>`_
    # the default role with a target (marshmallow's `ValidationError <marshmallow.exceptions.…>`)
    text = re.sub(r"(?<![`:\w])`([^`<]+?)\s*<[^<>`\s]+>`(?![_`])", r"`\1`", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)  # [text](url)
    text = re.sub(r"\[([^\]]+)\]\[[^\]]*\]", r"\1", text)  # [text][ref] (boltons' changelog)
    text = re.sub(r"(?<!`)`([^`<\s][^`<]*)`__?(?!\w)", r"\1", text)  # a reference: `PR #301`_
    text = re.sub(r":(?:[\w-]+:)?([\w-]+):`([^`]+)`", _role, text)
    # MyST's (click's {pr}`3805`), not braces in code spans (sqlparse's `${expr}` and `{$expr}`)
    text = re.sub(r"(?<![^\s(\[])\{(?:[\w-]+:)?([\w-]+)\}`([^`\s][^`]*)`", _role, text)
    text = re.sub(r"``([^`]+)``", r"`\1`", text)
    return " ".join(text.split())


def _role(match: re.Match[str]) -> str:
    role, target = match[1], match[2]
    target = re.sub(r"\s*<[^>]+>$", "", target).lstrip("~!")
    return f"#{target}" if role in _ISSUE_ROLES else f"`{target}`"
