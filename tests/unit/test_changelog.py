"""The changelog's entry for the project's version becomes the release notes' highlights and
breaking changes (``prp_tasks.intake.changelog``); before, every run said "Initial implementation"."""

from __future__ import annotations

from pathlib import Path

from prp_tasks.core.run import Blueprint
from prp_tasks.intake.changelog import Entry, changelog_entry, entry_in, plain
from prp_tasks.intake.submission import with_changes

ITSDANGEROUS = """\
Version 2.2.1
-------------

Unreleased

-   Nothing yet.


Version 2.2.0
-------------

Released 2024-04-16

-   Drop support for Python 3.7. :pr:`372`
-   Use ``flit_core`` instead of ``setuptools`` as build backend.
-   Remove previously deprecated code. :pr:`273`

    -   JWS functionality: Use a dedicated library such as Authlib
        instead.
-   Deprecate the ``__version__`` attribute. Use feature detection, or
    ``importlib.metadata.version("itsdangerous")``, instead. :issue:`371`


Version 2.1.2
-------------

-   Handle date overflow in timed unsign on 32-bit systems. :pr:`299`
"""

PLUGGY = """\
=========
Changelog
=========

.. towncrier release notes start

pluggy 1.6.0 (2025-05-15)
=========================

Deprecations and Removals
-------------------------

- `#556 <https://github.com/pytest-dev/pluggy/issues/556>`_: Python 3.8 is no longer supported.



Bug Fixes
---------

- `#544 <https://github.com/pytest-dev/pluggy/issues/544>`_: Correctly pass :class:`StopIteration`
  trough hook wrappers.

  Raising a :class:`StopIteration` in a generator triggers a :class:`RuntimeError`.


pluggy 1.5.0 (2024-04-19)
=========================

Features
--------

- `#178 <https://github.com/pytest-dev/pluggy/issues/178>`_: Add support for deprecating parameters.
"""

KEEP_A_CHANGELOG = """\
# Changelog

## [Unreleased]

## [1.2.0] - 2024-01-01
### Added
- A [new option](https://example.org/docs) `--fast`.
### Removed
- The `--slow` flag.

## [1.2.0.1] - 2023-12-01
### Fixed
- Not this one.

## [11.2.0] - 2023-11-01
- Nor this one.
"""


def test_a_rest_entry_gives_its_top_level_items_without_the_nested_ones() -> None:
    """The items that say themselves what they break are the breaking changes (blinker 1.9.0's
    notes said "None listed" of a release that dropped Python 3.8 and removed deprecated APIs)."""
    entry = entry_in(ITSDANGEROUS, "2.2.0", "CHANGES.rst")
    assert entry == Entry(
        "CHANGES.rst",
        "Version 2.2.0",
        [
            "Use `flit_core` instead of `setuptools` as build backend.",
            "Deprecate the `__version__` attribute. Use feature detection, or "
            '`importlib.metadata.version("itsdangerous")`, instead. #371',
        ],
        ["Drop support for Python 3.7. #372", "Remove previously deprecated code. #273"],
    )


def test_towncrier_sections_about_removals_are_the_breaking_changes() -> None:
    entry = entry_in(PLUGGY, "1.6.0", "CHANGELOG.rst")
    assert entry is not None and entry.heading == "pluggy 1.6.0 (2025-05-15)"
    assert entry.breaking == ["#556: Python 3.8 is no longer supported."]
    assert entry.highlights == [
        "#544: Correctly pass `StopIteration` trough hook wrappers. Raising a `StopIteration` in a "
        "generator triggers a `RuntimeError`."
    ]
    assert entry_in(PLUGGY, "1.5.0", "CHANGELOG.rst") == Entry(
        "CHANGELOG.rst", "pluggy 1.5.0 (2024-04-19)", ["#178: Add support for deprecating parameters."], []
    )


HPACK = """\
Release History
===============

4.1.0 (2025-01-22)
------------------

**API Changes (Backward Incompatible)**

- Support for Python 3.8 has been removed.

**API Changes (Backward Compatible)**

- Support for Python 3.14 has been added.
- Improved type hints.
"""


def test_a_section_of_backward_compatible_changes_is_not_the_breaking_ones() -> None:
    """hpack and hyperframe: everything under "API Changes (Backward Compatible)" was listed as
    breaking ("Support for Python 3.14 has been added."), the word "Backward" read as a break."""
    entry = entry_in(HPACK, "4.1.0", "CHANGELOG.rst")
    assert entry is not None
    assert entry.breaking == ["Support for Python 3.8 has been removed."]
    assert entry.highlights == ["Support for Python 3.14 has been added.", "Improved type hints."]
    # priority 2.0.0: under a plain "**API Changes**", an item that says it removes support
    priority = HPACK.replace("**API Changes (Backward Incompatible)**", "**API Changes**")
    entry = entry_in(priority, "4.1.0", "CHANGELOG.rst")
    assert entry is not None and entry.breaking == ["Support for Python 3.8 has been removed."]


def test_markdown_headings_name_the_version_exactly() -> None:
    entry = entry_in(KEEP_A_CHANGELOG, "1.2.0", "CHANGELOG.md")
    assert entry == Entry(
        "CHANGELOG.md", "[1.2.0] - 2024-01-01", ["A new option `--fast`."], ["Removed: The `--slow` flag."]
    )  # (structlog's "### Removed" item "Python 3.8 and 3.9 support." had read as if it were added)
    dropped = KEEP_A_CHANGELOG.replace("- The `--slow` flag.", "- Dropped the `--slow` flag.")
    assert entry_in(dropped, "1.2.0", "CHANGELOG.md").breaking == ["Dropped the `--slow` flag."]  # type: ignore[union-attr]
    assert entry_in(KEEP_A_CHANGELOG, "1.2", "CHANGELOG.md") is None  # not 1.2.0's heading
    assert entry_in(KEEP_A_CHANGELOG, "11.2.0", "CHANGELOG.md") is not None
    assert entry_in("# v3.0.0\n\n- Tagged with a v.\n", "3.0.0", "NEWS.md") == Entry(
        "NEWS.md", "v3.0.0", ["Tagged with a v."], []
    )
    assert entry_in("## 4.0.0\n\n2024-01-02\n", "4.0.0", "x") is None  # a date alone says nothing


def test_the_first_changelog_with_an_entry_is_read(tmp_path: Path) -> None:
    assert changelog_entry(tmp_path, "2.2.0") is None
    (tmp_path / "CHANGES.md").write_text("# 1.0\n\n- Old.\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "changelog.rst").write_text(ITSDANGEROUS)
    entry = changelog_entry(tmp_path, "2.2.0")
    assert entry is not None and entry.source == "docs/changelog.rst"


def test_roles_and_links_read_as_plain_text() -> None:
    assert plain(":func:`result.get_result() <pluggy.Result.get_result>` :gh:`12` ``x``") == (
        "`result.get_result()` #12 `x`"
    )
    assert plain("Fix {pr}`3805`, {meth}`Context.invoke` and {py:class}`X`.") == (  # click's MyST
        "Fix #3805, `Context.invoke` and `X`."
    )
    # exceptiongroup 1.3.2: a link after a code span and a "<" kept what lay between them
    note = "Fixed ``NO_PATCH=1`` on Python < 3.11 (`#171 <https://github.com/a/b/issues/171>`_)"
    assert plain(note) == "Fixed `NO_PATCH=1` on Python < 3.11 (#171)"
    assert plain("Add [atomic_save][fileutils.atomic_save] and [x][]") == "Add atomic_save and x"  # boltons


def test_the_blueprint_gets_the_entry_unless_it_states_its_own_or_names_its_version() -> None:
    entry = Entry("CHANGES.rst", "Version 2.2.0", ["Drop 3.7."], ["No 3.6."])
    found = Blueprint(title="t", metadata={"version": "2.2.0", "versionSource": "PKG-INFO"})
    assert with_changes(found, entry).metadata == {
        "version": "2.2.0",
        "versionSource": "PKG-INFO",
        "highlights": ["Drop 3.7."],
        "breakingChanges": ["No 3.6."],
        "changelog": "CHANGES.rst, Version 2.2.0",
    }
    own = Blueprint(
        title="t", metadata={"version": "2.2.0", "versionSource": "PKG-INFO", "highlights": ["Mine"]}
    )
    assert with_changes(own, entry) == own
    named = Blueprint(title="t", metadata={"version": "9.0"})  # the blueprint's version: not the entry's
    assert with_changes(named, entry) == named
    assert with_changes(found, None) == found


def test_an_entry_without_a_list_gives_its_first_paragraph() -> None:
    """zipp 4.1.2's NEWS.rst: "v4.1.2 / ====== / No significant changes." read as no entry."""
    news = "v4.1.2\n======\n\nNo significant changes.\n\n\nv4.1.1\n======\n\nBugfixes\n--------\n\n- A fix.\n"
    assert entry_in(news, "4.1.2", "NEWS.rst") == Entry("NEWS.rst", "v4.1.2", ["No significant changes."], [])
    dated = "## 2.0 (2024-01-02)\n\nReleased 2024-01-02\n\nRewrote the parser.\n"
    assert entry_in(dated, "2.0", "CHANGES.md") == Entry(
        "CHANGES.md", "2.0 (2024-01-02)", ["Rewrote the parser."], []
    )


def test_a_definition_list_entry_is_read_too() -> None:
    """wcwidth's docs/history.rst: the version as a term, its items indented under it; §11 said
    "no changelog entry for 0.9.4 was found"."""
    history = (
        "=======\nHistory\n=======\n\n0.9.4 *2026-10-24*\n"
        "  * **Bugfix** Flag emojis were split by grapheme breaks, like\n    newline or tab, `PR #301`_.\n"
        "  * **Improved** performance by +64% `PR #303`_.\n\n0.9.3 *2026-10-20*\n  * Not this one.\n"
    )
    assert entry_in(history, "0.9.4", "docs/history.rst") == Entry(
        "docs/history.rst",
        "0.9.4 *2026-10-24*",
        [
            "**Bugfix** Flag emojis were split by grapheme breaks, like newline or tab, PR #301.",
            "**Improved** performance by +64% PR #303.",
        ],
        [],
    )
    assert entry_in(history, "0.9", "docs/history.rst") is None


def test_an_entry_longer_than_the_notes_show_says_how_many_more_it_lists() -> None:
    """tomlkit 0.15.3 lists 25 changes; the notes showed 10 and said nothing of the rest."""
    entry = entry_in(
        "## 0.15.3\n\n" + "".join(f"- Change {i}.\n" for i in range(25)), "0.15.3", "CHANGELOG.md"
    )
    assert entry is not None and len(entry.highlights) == 11
    assert entry.highlights[-2:] == ["Change 9.", "… and 15 more in CHANGELOG.md"]


def test_a_gnu_changelog_entry_is_read(tmp_path: Path) -> None:
    """Unidecode's ``ChangeLog`` (GNU style: date, tab, name and version, then tab-indented items);
    §11 said no changelog entry for 1.4.0 was found."""
    gnu = (
        "2025-04-24\tunidecode 1.4.0\n\t* Drop support for Python <3.7.\n\t* Add replacements for card suits"
        " (thanks to\n\t  Alan Davidson)\n\n2024-01-11\tunidecode 1.3.8\n\t* Not this one.\n"
    )
    (tmp_path / "ChangeLog").write_text(gnu)
    assert changelog_entry(tmp_path, "1.4.0") == Entry(
        "ChangeLog",
        "2025-04-24 unidecode 1.4.0",
        ["Add replacements for card suits (thanks to Alan Davidson)"],
        ["Drop support for Python <3.7."],
    )


def test_docs_versions_is_a_changelog(tmp_path: Path) -> None:
    """more-itertools' ``docs/versions.rst`` ("Version History"): the notes said no changelog entry
    for 11.2.1 was found."""
    history = (
        "===============\nVersion History\n===============\n\n.. automodule:: more_itertools\n\n"
        "11.2.1\n----------\n\n* Updates\n    * This release fixes an issue with the source distribution.\n\n"
        "11.2.0\n----------\n\n* New functions:\n    * :func:`subfactorial` computes …\n"
    )
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "versions.rst").write_text(history)
    assert changelog_entry(tmp_path, "11.2.1") == Entry(
        "docs/versions.rst", "11.2.1", ["This release fixes an issue with the source distribution."], []
    )


SEMVER = """\
Version 3.0.4
=============

:Released: 2025-01-24

Bug Fixes
---------

* :gh:`459`: Fix 3.0.3:

  * :gh:`457`: Re-enable Trove license identifier
  * :gh:`456`: Fix source dist file

* Other fix

  * a detail left out
"""


def test_an_item_that_only_introduces_its_nested_items_gets_them() -> None:
    """semver 3.0.4's notes said "#459: Fix 3.0.3:" and nothing of what was fixed."""
    entry = entry_in(SEMVER, "3.0.4", "CHANGELOG.rst")
    assert entry is not None
    assert entry.highlights == [
        "#459: Fix 3.0.3: #457: Re-enable Trove license identifier; #456: Fix source dist file",
        "Other fix",
    ]


def test_items_at_the_margin_below_a_version_line_are_its_entry(tmp_path: Path) -> None:
    """pyflakes 4.1.0's NEWS.rst: no headings, a version line, a blank line, items at the margin;
    the notes said no entry for 4.1.0 was found."""
    news = (
        "4.1.0 (2026-10-28)\n\n"
        "- Drop support for EOL python 3.10\n"
        "- Significant performance improvements\n"
        "  across the board\n\n"
        "4.0.3 (2026-10-07)\n\n"
        "- A few performance improvements\n"
    )
    (tmp_path / "NEWS.rst").write_text(news)
    entry = changelog_entry(tmp_path, "4.1.0")
    assert entry == Entry(
        "NEWS.rst",
        "4.1.0 (2026-10-28)",
        ["Significant performance improvements across the board"],
        ["Drop support for EOL python 3.10"],
    )
    assert entry_in("- bumped to 4.1.0\n- other\n", "4.1.0", "NEWS") is None  # an item names it


def test_the_changelog_towncrier_writes_is_read(tmp_path: Path) -> None:
    """h11: ``[tool.towncrier] filename = "docs/source/changes.rst"``; the notes said no entry."""
    (tmp_path / "pyproject.toml").write_text('[tool.towncrier]\nfilename = "docs/source/changes.rst"\n')
    (tmp_path / "docs/source").mkdir(parents=True)
    changes = "H11 0.16.0 (2025-04-23)\n-----------------------\n\n- Reject malformed chunked bodies.\n"
    (tmp_path / "docs/source/changes.rst").write_text(changes)
    (tmp_path / "CHANGES.rst").write_text("0.16.0\n------\n\n- an older file's words\n")
    entry = changelog_entry(tmp_path, "0.16.0")
    assert entry is not None and entry.source == "docs/source/changes.rst"
    assert entry.highlights == ["Reject malformed chunked bodies."]


def test_braces_inside_code_spans_are_no_myst_role() -> None:
    """sqlparse 0.6.1: "PHP interpolates `$var`, `${expr}` and `{$expr}`" lost `${expr}`."""
    text = "PHP interpolates `$var`, `${expr}` and `{$expr}`; see {pr}`3805` ({issue}`12`)"
    assert plain(text) == "PHP interpolates `$var`, `${expr}` and `{$expr}`; see #3805 (#12)"


def test_an_item_of_issue_numbers_alone_is_no_highlight() -> None:
    """PyPA build 1.6.1's towncrier "Miscellaneous" section: ``- :issue:`1168`, :issue:`1170`,
    :issue:`1178``` became a highlight reading "#1168, #1170, #1178"."""
    text = (
        "1.6.1 (2026-09-10)\n==================\n\nFeatures\n--------\n\n- Faster builds (:issue:`1160`)\n\n"
        "Miscellaneous\n-------------\n\n- :issue:`1168`, :issue:`1170`, :issue:`1178`\n"
    )
    entry = entry_in(text, "1.6.1", "CHANGELOG.rst")
    assert entry is not None and entry.highlights == ["Faster builds (#1160)"]


def test_nested_items_keep_their_continuation_lines_but_not_deeper_items() -> None:
    """cssselect 1.6.0: each nested item of "Aligned … with the HTML Living Standard:" was cut at
    its first line ("… or with; Links … are no longer; …")."""
    text = (
        "1.6.0\n-----\n\n"
        "*   Aligned the pseudo-classes with the HTML Living Standard:\n\n"
        "    * ``input`` elements with no ``type`` attribute or with\n"
        '      ``type="hidden"`` can now be ``:enabled``.\n\n'
        "      * a deeper detail\n"
        "        on two lines\n\n"
        "    * Links are no longer\n"
        "      ``:enabled``\n"
    )
    entry = entry_in(text, "1.6.0", "CHANGES")
    assert entry is not None
    assert entry.highlights == [
        "Aligned the pseudo-classes with the HTML Living Standard: `input` elements with no `type` "
        'attribute or with `type="hidden"` can now be `:enabled`. Links are no longer `:enabled`'
    ]


def test_a_plain_label_over_items_files_them_as_a_subheading_would() -> None:
    """python-box 8.0.0: "Breaking changes" (a line of text, no underline) over ten items; the
    notes said "Breaking Changes: None listed" and listed them as highlights."""
    text = (
        "Version 8.0.0\n-------------\n\nBreaking changes\n\n* Removing support for Python 3.10\n"
        "* merge_update now raises\n\nChanges\n\n* Adding a merge option\n"
    )
    entry = entry_in(text, "8.0.0", "CHANGES.rst")
    assert entry is not None
    assert entry.breaking == ["Removing support for Python 3.10", "merge_update now raises"]
    assert entry.highlights == ["Adding a merge option"]


def test_an_entry_of_issue_numbers_alone_keeps_them() -> None:
    """async-timeout 5.0.1's entry is one towncrier misc item, ``- `#423 <…>`_``: the notes showed
    "- - #423" (the bullet read as prose once the item was dropped)."""
    text = "5.0.1 (2024-11-06)\n==================\n\nMisc\n----\n\n- `#423 <https://x/issues/423>`_\n"
    entry = entry_in(text, "5.0.1", "CHANGES.rst")
    assert entry is not None and entry.highlights == ["#423"]
