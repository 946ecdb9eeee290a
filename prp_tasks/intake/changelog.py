"""The project's changelog entry for its version: what the release notes say.

A run's release notes (prp.md §11, G7's ``release-notes.md``) had said "Highlights: Initial
implementation" and "Breaking Changes: None" for every project (the reference's defaults), over
itsdangerous 2.2.0's "Drop support for Python 3.7" and pluggy 1.6.0's "Deprecations and Removals".
At submission, with the project's version found, the entry for that version is read from the
changelog at the top of the checkout (``CHANGES.rst``, ``CHANGELOG.md``, ``HISTORY.rst``, …, or
under ``docs/``): the section whose heading names the version (Markdown ``#`` headings, reST
underlined titles, towncrier's ``pkg 1.6.0 (2025-05-15)``), up to the next heading of its level.

Without such a heading, a line at the left margin that names the version with its items indented
below it is the entry (a reST definition list, wcwidth's; a GNU ``ChangeLog``, Unidecode's).

Its top-level list items are the highlights (an entry without a list: its first paragraph, zipp's
"No significant changes."); those under a subheading about breaking changes or removals
(``Breaking Changes``, ``Backwards incompatible``, towncrier's ``Deprecations and Removals``) are
the breaking changes; past ten of a kind, one more item says how many more the changelog lists.
reST roles and links become plain text (``:pr:`372``` is ``#372``). Nothing is read when no entry
names the version: the notes then say so.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from prp_tasks.core.text import clip
from prp_tasks.intake.changelog_items import (
    ITEM,
    ITEM_CHARS,
    ONLY_REFERENCES,
    UNDERLINE,
    breaking_paragraphs,
    breaks,
    items,
    plain,
    prose,
    said,
)
from prp_tasks.intake.changelog_sphinx import changelog_directive

#: where a changelog is looked for, in this order (the first that has an entry wins)
NAMES = tuple(
    f"{folder}{stem}{ext}"
    for folder in ("", "docs/", "docs/source/", "doc/", "sites/www/")  # pexpect's doc/, invoke's sites/www/
    for stem in (
        "CHANGES",
        "Changes",  # argcomplete's Changes.rst
        "CHANGELOG",
        "ChangeLog",
        "HISTORY",
        "NEWS",
        "changes",
        "changelog",
        "history",
        "news",
        "versionhistory",  # typeguard's and the other agronholm projects' docs/versionhistory.rst
        "versions",  # more-itertools' docs/versions.rst ("Version History")
        "release-notes",
        "release_notes",  # bitstring's release_notes.md
        "RELEASE_NOTES",
        "RELEASE-NOTES",
    )
    for ext in (".md", ".rst", ".txt", "")
)
#: items kept of each kind, each cut at a space to this many characters (the notes show less)
MAX_ITEMS = 10
#: a changelog read at most this far (bytes): the entry for the current version is near the top
MAX_BYTES = 512 * 1024

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
#: a line all in bold at the margin, a date after it at most: ``**4.6.1** (2026-11-19)``
_BOLD_LINE = re.compile(r"^\*\*[^*\n]+\*\*\s*(?:\([^()\n]*\))?\s*$")


@dataclass(frozen=True)
class Entry:
    """A version's entry: where it was found and what it lists."""

    source: str
    heading: str
    highlights: list[str] = field(default_factory=list)
    breaking: list[str] = field(default_factory=list)


def changelog_entry(repo: Path, version: str) -> Entry | None:
    """The entry for ``version`` in the first changelog that has one, else None: the file
    towncrier writes first (:func:`towncrier_file`), then :data:`NAMES`, then the version's own
    file (:func:`version_files`), then the READMEs."""
    files = [*dict.fromkeys([*towncrier_file(repo), *NAMES]), *version_files(repo, version)]
    files += [*_deeper_in_docs(repo), *READMES]
    for name in files:
        path = repo / name
        if not path.is_file():
            continue
        try:
            with path.open(encoding="utf-8", errors="replace") as handle:
                text = handle.read(MAX_BYTES)
        except OSError:
            continue
        entry = entry_in(text, version, name, headed=name in READMES)
        if entry is not None:
            return entry
    return None


def _deeper_in_docs(repo: Path) -> list[str]:
    """Changelogs deeper in ``docs/`` or ``doc/`` (wcmatch's ``docs/src/markdown/about/changelog.md``,
    Mako's ``doc/build/changelog.rst``), at most four folders down, by the names of :data:`NAMES`."""
    stems = {"changes", "changelog", "history", "news", "release-notes", "release_notes"}
    found = [
        str(path.relative_to(repo))
        for docs in ("docs", "doc")
        for depth in ("*/*", "*/*/*", "*/*/*/*")
        for path in sorted((repo / docs).glob(f"{depth}.*"))
        if path.stem.lower() in stems and path.suffix in (".md", ".rst", ".txt") and path.is_file()
    ]
    return found[:5]


#: folders of one release-notes file per version (rfc3986's ``docs/source/release-notes/2.0.0.rst``)
VERSION_FOLDERS = tuple(
    f"{docs}{folder}"
    for docs in ("", "docs/", "docs/source/", "doc/")
    for folder in ("release-notes", "release_notes", "releases", "changelog", "changes", "news")
)


def version_files(repo: Path, version: str) -> list[str]:
    """The release-notes files named by the version in :data:`VERSION_FOLDERS` (``2.0.0.rst``,
    ``v2.0.0.md``), read after the changelogs of every release."""
    if not re.fullmatch(r"\w[\w.+!-]*", version):  # a file name, nothing else
        return []
    names = [f"{v}{version}{ext}" for v in ("", "v") for ext in (".rst", ".md", ".txt")]
    found = [f"{folder}/{name}" for folder in VERSION_FOLDERS for name in names]
    return [name for name in found if (repo / name).is_file()]


#: READMEs, looked at last: a section headed by the version (mccabe's "Changes" then "0.7.0 -
#: 2021-01-23"), never a line that only mentions it
READMES = ("README.rst", "README.md", "README.txt", "README")


def towncrier_file(repo: Path) -> list[str]:
    """The changelog towncrier's configuration names (h11's ``filename =
    "docs/source/changes.rst"`` in ``[tool.towncrier]``), a path inside the repository."""
    for name in ("towncrier.toml", "pyproject.toml"):
        try:
            with (repo / name).open("rb") as handle:
                config = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
            continue
        section = config.get("tool", {}).get("towncrier")
        filename = section.get("filename") if isinstance(section, dict) else None
        if isinstance(filename, str) and filename and ".." not in Path(filename).parts:
            return [filename.lstrip("/")]
    return []


def entry_in(text: str, version: str, source: str, *, headed: bool = False) -> Entry | None:
    """The entry for ``version`` in a changelog's text (None: no heading names it, or it lists
    nothing); ``headed``: only under a heading (a README's), no definition-list entry."""
    lines = text.splitlines()
    headings = _headings(lines)
    levels = list(dict.fromkeys(kind for _, kind, _ in headings))
    token = re.compile(rf"(?<![\w.])v?(?:{'|'.join(map(re.escape, _spellings(version)))})(?![\w]|\.\d)")
    # a README's title (deepdiff's "# DeepDiff v 9.1.0") heads all of it, no entry
    top = 0 if headed else -1  # the level of the headings that cannot head an entry
    named = [i for i, (_, k, t) in enumerate(headings) if token.search(_shown(t)) and levels.index(k) != top]
    if not named:
        directive = changelog_directive(lines, token)
        if directive is not None:  # Mako's doc/build/changelog.rst: ``.. changelog::``, ``:version:``
            return _entry(source, *directive)
        found = _release_role_entry(lines, token, source) or _versioned_item(
            lines, token, source, headings, headed=headed
        )
        return found or _definition(_changes_sections(lines, headings) if headed else lines, token, source)
    for index in named:
        at, kind, title = headings[index]
        level = levels.index(kind)
        end = next((a for a, k, _ in headings[index + 1 :] if levels.index(k) <= level), len(lines))
        # (alive-progress' "What's new in 3.3 series" holds "Previous releases": 3.2's, 3.1's, 2.0's)
        end = next((a for a, _, t in headings[index + 1 :] if a < end and _EARLIER.search(t)), end)
        inner = [(a, k, t) for a, k, t in headings[index + 1 :] if a < end]
        highlights, breaking = items(lines, at + 1, end, inner)
        if highlights or breaking:  # a paragraph beside the lists that says what it breaks
            breaking += [p for p in breaking_paragraphs(lines[at + 1 : end]) if p not in breaking]
        if not highlights and not breaking:  # towncrier's "No significant changes." (zipp 4.1.2)
            said_first = prose(lines[at + 1 : end])  # argcomplete 3.7.2: "Require Python 3.10+ (#558)"
            breaking = [t for t in said_first if breaks(t)]
            highlights = [t for t in said_first if t not in breaking]
        if highlights or breaking:
            return _entry(source, title, highlights, breaking)
    return None


#: a heading inside a release's section that goes on to earlier releases
_EARLIER = re.compile(r"\b(?:previous|older|earlier|past|prior)\s+(?:releases?|versions?)\b", re.I)


def _changes_sections(lines: list[str], headings: list[tuple[int, str, str]]) -> list[str]:
    """A README's lines with all but its sections that list changes blanked (parsimonious'
    "Version History": ``0.10.0`` then its indented items, a definition list)."""
    kept = [""] * len(lines)
    for index, (at, _kind, title) in enumerate(headings):
        if _CHANGES_TITLE.search(_shown(title)):
            end = headings[index + 1][0] if index + 1 < len(headings) else len(lines)
            kept[at + 1 : end] = lines[at + 1 : end]
    return kept


def _shown(title: str) -> str:
    """A heading's text without its link targets: PyJWT's ``Unreleased <…/compare/2.15.1...HEAD>``
    names no version (it read as 2.15.1's entry, empty: the notes had none)."""
    return re.sub(r"<[^<>\s]*>|\]\([^()\s]*\)", "]", title)


def _spellings(version: str) -> list[str]:
    """The version as a heading may write it: ``0.18.0`` also as ``0.18`` (docstring-parser's
    ``# 0.18 (2026-04-14)``: PEP 440 reads them as one); longest first."""
    parts, found = version.split("."), [version]
    if len(parts) > 2:  # deepdiff's CHANGELOG.md: ``- v9-1-0``
        found.append("-".join(parts))
    while len(parts) > 2 and parts[-1] == "0":
        parts = parts[:-1]
        found.append(".".join(parts))
    return found


def _entry(source: str, title: str, highlights: list[str], breaking: list[str]) -> Entry:
    """The entry, its title on one line, each kind cut to :data:`MAX_ITEMS` (:func:`_kept`); an
    item of issue numbers alone (towncrier's misc: ":issue:`1168`, …") only when nothing else is
    listed (async-timeout 5.0.1's whole entry is "#423")."""
    said = [h for h in highlights if not ONLY_REFERENCES.fullmatch(h)]
    highlights = said if said or breaking else highlights
    # links as their text (PyJWT's `v2.15.1 <…>`__); no colon after it (oauthlib's "4.0.1 (2026-11-04):")
    heading = clip(plain(title).rstrip(":").rstrip(), ITEM_CHARS)
    return Entry(source, heading, _kept(highlights, source), _kept(breaking, source))


def _kept(items: list[str], source: str) -> list[str]:
    """The first :data:`MAX_ITEMS`, and how many more the changelog lists (tomlkit 0.15.3: 25)."""
    if len(items) <= MAX_ITEMS:
        return items
    return [*items[:MAX_ITEMS], f"… and {len(items) - MAX_ITEMS} more in {source}"]


def _definition(lines: list[str], token: re.Pattern[str], source: str) -> Entry | None:
    """An entry without headings: a line at the left margin that names the version, its items
    indented under it (a reST definition list, wcwidth's ``docs/history.rst``: ``0.9.4
    *2026-10-24*`` then ``  * …``; a GNU ChangeLog's ``2025-04-24<TAB>unidecode 1.4.0`` then
    ``<TAB>* …``: Unidecode) or at the margin below it (pyflakes' NEWS.rst: ``4.1.0 (2026-10-28)``,
    a blank line, ``- Drop support for EOL python 3.10``), up to the next line of text at the margin."""
    for at, line in enumerate(lines[:-1]):
        if line[:1].isspace() or ITEM.match(line) or not token.search(line):
            continue
        end = next(
            (i for i in range(at + 1, len(lines)) if lines[i].strip() and not lines[i][:1].isspace()
             and not ITEM.match(lines[i])),
            len(lines),
        )  # fmt: skip
        highlights, breaking = items(lines, at + 1, end, [])
        if highlights or breaking:
            return _entry(source, line, highlights, breaking)
    return None


#: a section that lists changes (a README's "Changelog", "Changes", "History", "Release notes")
_CHANGES_TITLE = re.compile(r"change\s?log|changes|history|release notes|what'?s new|news", re.I)
#: where an item's own breaking part starts (docopt's ``**Breaking changes**: …`` inside an item)
_BREAKING_PART = re.compile(r"\**breaking changes?\**\s*:\**", re.I)


#: a Sphinx ``releases`` line: ``- :release:`3.0.3 <2026-04-07>```
_RELEASE_ROLE = re.compile(r":release:`\s*([^<`]+?)\s*(?:<([^>`]*)>)?\s*`")
#: the kind and issue a ``releases`` item opens with: ``:bug:`123```, ``:support:`- backported```
_RELEASES_TAG = re.compile(r":(?:bug|feature|support):`[^`]*`\s*")


def _release_role_entry(lines: list[str], token: re.Pattern[str], source: str) -> Entry | None:
    """The items below a Sphinx ``releases`` line naming the version, up to the next release line
    (invoke's ``sites/www/changelog.rst``: ``- :release:`3.0.3 <2026-04-07>``` then ``- :support:`-
    backported` Reverted the …``; its notes had said no entry was found), their role tags left out."""
    for i, line in enumerate(lines):
        item = ITEM.match(line)
        release = _RELEASE_ROLE.search(item[2]) if item else None
        if release is None or not token.fullmatch(release[1]):
            continue
        end = next((j for j in range(i + 1, len(lines)) if ":release:`" in lines[j]), len(lines))
        untagged = [_RELEASES_TAG.sub("", text) for text in lines]
        highlights, breaking = items(untagged, i + 1, end, [])
        heading = f"{release[1]} ({release[2]})" if release[2] else release[1]
        return _entry(source, heading, highlights, breaking) if highlights or breaking else None
    return None


def _versioned_item(
    lines: list[str],
    token: re.Pattern[str],
    source: str,
    headings: list[tuple[int, str, str]],
    *,
    headed: bool,
) -> Entry | None:
    """An entry that is one list item beginning with the version, in a section that lists changes
    (docopt's README "Changelog": ``- 0.6.2 `Wheel <…>`_ support.``; in a changelog file, any
    section: pytz-deprecation-shim's "Post-releases:" ``- ``0.1.0.post0`` (2020-06-17): Fixes …``),
    with its continuation lines; an inline ``**Breaking changes**:`` starts the item's breaking part.
    A changelog file's items before any heading count too (tabulate's CHANGELOG, no heading at all:
    ``- 0.10.0: Add support for Python 3.11, 3.12, 3.13.``)."""
    first = headings[0][0] if headings else len(lines)
    sections = [] if headed else [(-1, first, "")]
    sections += [(at, headings[n + 1][0] if n + 1 < len(headings) else len(lines), title)
                 for n, (at, _kind, title) in enumerate(headings)]  # fmt: skip
    for at, end, title in sections:
        if headed and not _CHANGES_TITLE.search(_shown(title)):
            continue
        for i in range(at + 1, end):
            item = ITEM.match(lines[i])
            named = token.match(item[2], _skipped(_MARKUP, item[2])) if item else None
            if item is not None and named is not None:
                heading = f"{title.rstrip().rstrip(':')}: {named[0]}" if title.strip() else named[0]
                return _item_entry(lines, (i, end), item, named, heading, source)
    return None


#: what may wrap a version beginning an item (``0.1.0.post0``, **1.2**), or follow it: its date
_MARKUP = re.compile(r"[`*]*")
_AFTER_VERSION = re.compile(
    r"[`*]*\s*(?:\((?:released\s+)?\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\))?[\s:\-\u2013\u2014]*"
)


def _skipped(pattern: re.Pattern[str], text: str) -> int:
    """Where ``text`` goes on after what ``pattern`` (which may match nothing) matches at its start."""
    found = pattern.match(text)
    return found.end() if found else 0


def _item_entry(
    lines: list[str],
    span: tuple[int, int],
    item: re.Match[str],
    named: re.Match[str],
    heading: str,
    source: str,
) -> Entry:
    """The entry of the item at ``span[0]`` that begins with the version (``named``): its text, or,
    the version alone (deepdiff's ``- v9-1-0``), the items nested under it."""
    i, end = span
    rest = item[2][named.end() :]
    text = [rest[_skipped(_AFTER_VERSION, rest) :]]
    if not text[0]:
        below = next((j for j in range(i + 1, end) if _outdented(lines[j], len(item[1]))), end)
        highlights, breaking = items(lines, i + 1, below, [])
        return _entry(source, heading, highlights, breaking)
    for line in lines[i + 1 : end]:
        if not line.strip() or not line[:1].isspace() or ITEM.match(line):
            break
        text.append(line.strip())
    told, *broken = _BREAKING_PART.split(" ".join(text), maxsplit=1)
    if broken or len(text) < 2 or not _SENTENCE_END.search(text[0]):
        return _entry(source, heading, said(told), said(" ".join(broken)))
    changes = [c for part in _line_changes(text) for c in said(part)]
    return _entry(source, heading, [c for c in changes if not breaks(c)], [c for c in changes if breaks(c)])


#: a line ending a sentence or a credit (then the item's lines opening with a capital are changes
#: of their own: parse's ``- 1.22.4 Account for … (thanks @simpleqt)`` and four lines below it)
_SENTENCE_END = re.compile(r"[.!?)]$")


def _line_changes(text: list[str]) -> list[str]:
    """An item's lines as changes, a line opening with a capital starting one (tabulate's
    ``- 0.10.0: Add support for Python 3.11, 3.12, 3.13.`` then ``Drop support for Python 3.7,
    3.8.`` and five more on lines of their own: one change had read as all of them)."""
    changes: list[str] = []
    for line in text:
        if changes and not line[:1].isupper():
            changes[-1] += f" {line}"
        else:
            changes.append(line)
    return changes


def _outdented(line: str, indent: int) -> bool:
    """A line of text at ``indent`` or left of it: the end of the items nested at ``indent``."""
    return bool(line.strip()) and len(line) - len(line.lstrip()) <= indent


def _headings(lines: list[str]) -> list[tuple[int, str, str]]:
    """(line index, kind, title): Markdown ``#`` headings, reST and setext underlined titles (an
    overlined one is a kind of its own), lines all in bold; a title's underline ends its line's
    heading."""
    found = []
    for i, line in enumerate(lines):
        md = _MD_HEADING.match(line)
        if md:
            found.append((i, md[1], md[2]))
            continue
        if _BOLD_LINE.match(line):  # typeguard's ``**4.6.1** (2026-11-19)``, a heading of its own kind
            found.append((i, "**", line.strip().replace("**", "")))
            continue
        below = lines[i + 1] if i + 1 < len(lines) else ""
        underline = UNDERLINE.match(below)
        if underline and line.strip() and not UNDERLINE.match(line) and not ITEM.match(line):
            found.append(
                (i, ("over" if _overlined(lines, i, underline[1]) else "") + underline[1], line.strip())
            )
    return found


def _overlined(lines: list[str], i: int, char: str) -> bool:
    """The title at ``i`` has an overline of its underline's character, not another title's
    underline right above it (Send2Trash's ``Changes`` / ``=======`` over its first version's
    heading: read as that heading's overline, the entry ran to the end of the file)."""
    above = UNDERLINE.match(lines[i - 1]) if i > 0 else None
    if above is None or above[1] != char:
        return False
    return i < 2 or not lines[i - 2].strip() or UNDERLINE.match(lines[i - 2]) is not None
