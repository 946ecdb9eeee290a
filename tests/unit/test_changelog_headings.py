"""Where a changelog's entry for a version begins and ends: the headings that name the version (a
bold line, a version without its trailing zero, not another heading's link target) and those that
only look like its own (a title's underline right above it) (``prp_tasks.intake.changelog``)."""

from __future__ import annotations

from pathlib import Path

from prp_tasks.intake.changelog import Entry, changelog_entry, entry_in


def test_a_version_in_a_bold_line_heads_its_entry(tmp_path: Path) -> None:
    """typeguard's ``docs/versionhistory.rst``: ``**4.6.1** (2026-11-19)`` then its items; the notes
    said no changelog entry was found."""
    history = (
        "Version history\n===============\n\nThis library adheres to Semantic Versioning.\n\n"
        "**4.6.1** (2026-11-19)\n\n- Fixed documentation builds\n  on older Pythons (#612)\n\n"
        "- Fixed ``ReadOnly`` qualifiers\n\n**4.6.0** (2026-07-26)\n\n- Added sentinels\n"
    )
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "versionhistory.rst").write_text(history)
    assert changelog_entry(tmp_path, "4.6.1") == Entry(
        "docs/versionhistory.rst",
        "4.6.1 (2026-11-19)",
        ["Fixed documentation builds on older Pythons (#612)", "Fixed `ReadOnly` qualifiers"],
        [],
    )


def test_a_version_written_without_its_trailing_zero_heads_its_entry() -> None:
    """docstring-parser 0.18.0's CHANGELOG.md: ``# 0.18 (2026-04-14)``; the notes said no entry."""
    text = "# 0.18 (2026-04-14)\n\n- General: Allow `parse()` to work with missing `__doc__`\n\n"
    text += "# 0.17\n\n- old\n"
    entry = entry_in(text, "0.18.0", "CHANGELOG.md")
    assert entry is not None and entry.heading == "0.18 (2026-04-14)"
    # and two code spans are no reST reference (it read "Allow `parse() to work with missing doc__`")
    assert entry.highlights == ["General: Allow `parse()` to work with missing `__doc__`"]


def test_a_version_in_another_headings_link_target_is_not_its_entry() -> None:
    """PyJWT 2.15.1: ``Unreleased <…/compare/2.15.1...HEAD>`__`` (empty) came first: no entry was
    found for 2.15.1, and 2.15.0's was 2.15.1's."""
    text = (
        "Changelog\n=========\n\n`Unreleased <https://x/compare/2.15.1...HEAD>`__\n"
        "-----------------------------------------------\n\n"
        "`v2.15.1 <https://x/compare/2.15.0...2.15.1>`__\n-----------------------------------------------\n\n"
        "Fixed\n~~~~~\n\n- Accept trailing padding (`#1209 <https://x/pull/1209>`__)\n\n"
        "`v2.15.0 <https://x/compare/2.14.0...2.15.0>`__\n-----------------------------------------------\n\n"
        "- Older\n"
    )
    entry = entry_in(text, "2.15.1", "CHANGELOG.rst")
    assert entry is not None and entry.heading == "v2.15.1"
    assert entry.highlights == ["Accept trailing padding (#1209)"]
    older = entry_in(text, "2.15.0", "CHANGELOG.rst")
    assert older is not None and older.highlights == ["Older"]


SEND2TRASH = """Changes
=======
Version 2.2.0 -- 2026/11/11
---------------------------
* Resolve path validation flaw in 522bafe
* Improve legacy Windows error diagnostics

Version 2.1.0 -- 2026/01/14
---------------------------
* Migrate to pyproject.toml from setup.cfg
"""


def test_a_title_underline_right_above_a_heading_is_not_its_overline() -> None:
    """Send2Trash 2.2.0: its title's ``=======`` has its first version's heading on the next line;
    read as that heading's overline, the heading was a kind of its own, above every other, and its
    notes listed all 50 items of the file ("… and 40 more"), every release's."""
    assert entry_in(SEND2TRASH, "2.2.0", "CHANGES.rst") == Entry(
        "CHANGES.rst",
        "Version 2.2.0 -- 2026/11/11",
        ["Resolve path validation flaw in 522bafe", "Improve legacy Windows error diagnostics"],
        [],
    )
    overlined = "=============\nVersion 2.2.0\n=============\n* a\n\n"
    overlined += "=============\nVersion 2.1.0\n=============\n* b\n"
    assert entry_in(overlined, "2.2.0", "CHANGES.rst") == Entry("CHANGES.rst", "Version 2.2.0", ["a"], [])


def test_release_notes_with_an_underscore_are_a_changelog(tmp_path: Path) -> None:
    """bitstring 4.3.1: ``release_notes.md``, ``### March 2025: version 4.3.1``; prp.md §11 said
    "no changelog entry for 4.3.1 was found"."""
    text = "\n# Release Notes\n\n### March 2025: version 4.3.1\n\n* Updated bitarray dependency.\n\n"
    (tmp_path / "release_notes.md").write_text(text + "### version 4.3.0\n\n* Older.\n")
    assert changelog_entry(tmp_path, "4.3.1") == Entry(
        "release_notes.md", "March 2025: version 4.3.1", ["Updated bitarray dependency."], []
    )
