"""A changelog whose entries are list items named by the version (deepdiff 9.1.0's CHANGELOG.md:
``- v9-1-0`` with its changes nested below), and a README whose title names the version."""

from __future__ import annotations

from pathlib import Path

from prp_tasks.intake.changelog import Entry, changelog_entry, entry_in, plain

CHANGELOG = """# DeepDiff Change log

- v9-1-0
    - Added multiprocessing support for DeepDiff
    - Added wildcard/glob pattern support for `exclude_paths` thanks to [akshat62](https://github.com/akshat62)

- v9-0-0
    - migration note:
        - `to_dict()` now accepts a `verbose_level` parameter.
    - Dropping support for Python 3.9
    - Support for python 3.14
"""


def test_a_version_item_gives_the_items_nested_under_it(tmp_path: Path) -> None:
    (tmp_path / "CHANGELOG.md").write_text(CHANGELOG)
    entry = changelog_entry(tmp_path, "9.1.0")
    assert entry is not None and entry.heading == "DeepDiff Change log: v9-1-0"
    assert entry.highlights == [
        "Added multiprocessing support for DeepDiff",
        "Added wildcard/glob pattern support for `exclude_paths` thanks to akshat62",
    ]
    older = changelog_entry(tmp_path, "9.0.0")
    assert older is not None and older.highlights == ["Support for python 3.14"]
    assert older.breaking == [
        "migration note: `to_dict()` now accepts a `verbose_level` parameter.",
        "Dropping support for Python 3.9",
    ]


def test_a_readmes_title_naming_the_version_is_no_entry(tmp_path: Path) -> None:
    """deepdiff's README.md opens with "# DeepDiff v 9.1.0": its section is the whole README
    (the modules' list, "Documentation"), which the notes gave as the release's changes."""
    readme = "# DeepDiff v 9.1.0\n\n- DeepDiff: Deep Difference of dictionaries\n- DeepSearch: Search\n"
    (tmp_path / "README.md").write_text(readme)
    assert changelog_entry(tmp_path, "9.1.0") is None
    (tmp_path / "CHANGELOG.md").write_text(CHANGELOG)
    entry = changelog_entry(tmp_path, "9.1.0")
    assert entry is not None and entry.source == "CHANGELOG.md"


def test_a_release_notes_file_of_the_version_is_its_entry(tmp_path: Path) -> None:
    """rfc3986 keeps one file per release, ``docs/source/release-notes/2.0.0.rst``; read after the
    changelogs of every release, before a README."""
    notes = tmp_path / "docs" / "source" / "release-notes"
    notes.mkdir(parents=True)
    (notes / "2.0.0.rst").write_text(
        "2.0.0 - 2022-01-10\n------------------\n\n- Drop support for Python 2.7, 3.3\n\n"
        "- Fix bug in resolving URIs - `bug 81`_\n\n.. _bug 81:\n   https://example.org/81\n"
    )
    (notes / "1.0.0.rst").write_text("1.0.0\n-----\n\n- First\n")
    entry = changelog_entry(tmp_path, "2.0.0")
    assert entry is not None and entry.source == "docs/source/release-notes/2.0.0.rst"
    assert entry.highlights == ["Fix bug in resolving URIs - bug 81"]
    assert entry.breaking == ["Drop support for Python 2.7, 3.3"]
    assert changelog_entry(tmp_path, "3.0.0") is None
    assert changelog_entry(tmp_path, "../2.0.0") is None  # a version is a file name, nothing else


def test_a_headings_trailing_colon_is_not_part_of_it() -> None:
    """oauthlib's CHANGELOG.rst heads 4.0.1 with ``4.0.1 (2026-11-04):``; the notes quoted it as
    "(from CHANGELOG.rst, 4.0.1 (2026-11-04):):"."""
    entry = entry_in("4.0.1 (2026-11-04):\n------------------\n\n* Fix a bug\n", "4.0.1", "CHANGELOG.rst")
    assert entry is not None and entry.heading == "4.0.1 (2026-11-04)"


def test_an_item_whose_text_goes_on_with_an_upgrade_note_is_breaking() -> None:
    """oauthlib 4.0.1's only item, a security fix, goes on with "**Upgrade note for device flow
    integrators**: custom ``RequestValidator`` implementations … must now implement …": the notes
    said "Breaking Changes: None", "Migration: N/A"."""
    text = (
        "4.0.1 (2026-11-04):\n------------------\n* **Security**: the device code flow did not validate\n"
        "  ``device_code``.\n\n  **Upgrade note for device flow integrators**: custom validators must\n"
        "  now implement ``validate_device_code``.\n* Fix the docs\n"
    )
    entry = entry_in(text, "4.0.1", "CHANGELOG.rst")
    assert entry is not None and entry.highlights == ["Fix the docs"]
    assert entry.breaking[0].startswith("**Security**: the device code flow did not validate `device_code`.")
    assert "Upgrade note for device flow integrators" in entry.breaking[0]


def test_an_item_labelled_potentially_breaking_is_breaking() -> None:
    """cattrs 25.3.0: "**Potentially breaking**: Sequences are now structured into tuples." was a
    highlight, and the notes said "Breaking Changes: None listed"."""
    text = (
        "## 25.3.0 (2025-10-07)\n\n- **Potentially breaking**: Sequences are now structured into tuples.\n"
        "- Python 3.14 is now supported.\n"
    )
    entry = entry_in(text, "25.3.0", "HISTORY.md")
    assert entry is not None and entry.highlights == ["Python 3.14 is now supported."]
    assert entry.breaking == ["**Potentially breaking**: Sequences are now structured into tuples."]


def test_an_emphasised_label_with_a_sign_heads_breaking_items_and_a_lead_in_keeps_its_items() -> None:
    """validators 0.36.0: ``_**Breaking**_ ⚠️`` over "Stricter validation: the following inputs …
    are now rejected." and the ten functions it changed: the notes listed the sentence as a
    highlight, without them."""
    text = (
        "## 0.36.0 (2026-10-10)\n\n_**Breaking**_ ⚠️\n\n* Drops support for Python `v3.9`.\n"
        "* Stricter validation: the following inputs are now rejected.\n"
        "    * `isin()` verifies the check digit.\n    * `cusip()` requires a numeric check digit.\n\n"
        "_**Features**_\n\n* Accept lowercase IBANs\n"
    )
    entry = entry_in(text, "0.36.0", "CHANGES.md")
    assert entry is not None and entry.highlights == ["Accept lowercase IBANs"]
    assert entry.breaking == [
        "Drops support for Python `v3.9`.",
        "Stricter validation: the following inputs are now rejected. `isin()` verifies the check "
        "digit. `cusip()` requires a numeric check digit.",
    ]


def test_the_default_role_with_a_target_reads_as_its_text() -> None:
    """marshmallow 4.4.0: ``Raise `ValidationError <marshmallow.exceptions.ValidationError>` (not
    `ValueError`)``; the notes kept the target."""
    said = plain("Raise `ValidationError <marshmallow.exceptions.ValidationError>` (not `ValueError`)")
    assert said == "Raise `ValidationError` (not `ValueError`)"
    assert plain(":class:`Schema <marshmallow.Schema>` and `#556 <https://x/556>`_") == "`Schema` and #556"


def test_a_post_release_item_under_its_base_version_is_its_entry(tmp_path: Path) -> None:
    """pytz-deprecation-shim 0.1.0.post0: CHANGELOG.rst's "Version 0.1.0" lists its post-releases
    as items beginning with the version in a code span and dated ("not stated" before); the
    base version still gets its own section."""
    (tmp_path / "CHANGELOG.rst").write_text(
        "Version 0.1.0 (2020-06-16)\n==========================\n\nThe first release.\n\n"
        "Post-releases:\n--------------\n\n- ``0.1.0.post0`` (2020-06-17): Fixes the ``project_urls``\n"
        "  metadata.\n"
    )
    entry = changelog_entry(tmp_path, "0.1.0.post0")
    assert entry == Entry(
        "CHANGELOG.rst", "Post-releases: 0.1.0.post0", ["Fixes the `project_urls` metadata."]
    )
    base = changelog_entry(tmp_path, "0.1.0")
    assert base is not None and base.heading == "Version 0.1.0 (2020-06-16)"


def test_an_item_that_only_labels_its_nested_items_is_their_subheading(tmp_path: Path) -> None:
    """intervaltree 3.2.1's CHANGELOG.md: ``- Fixed:`` and ``- Maintainers:`` over their changes;
    the five under "Maintainers" were one item, cut at 200 characters. semver's ``Fix 3.0.3:``,
    no label, still gives its nested items as its text."""
    (tmp_path / "CHANGELOG.md").write_text(
        "# Change log\n\n## Version 3.2.1\n- Fixed:\n  - Wheel includes sortedcontainers again\n"
        "- Removed:\n  - The old setup.py\n- Maintainers:\n  - Local testing in virtual environments,\n"
        "    not the system Python.\n  - Updated Makefile\n\n## Version 3.2.0\n- Added:\n  - x\n"
    )
    entry = changelog_entry(tmp_path, "3.2.1")
    local = "Local testing in virtual environments, not the system Python."
    assert entry == Entry(
        "CHANGELOG.md",
        "Version 3.2.1",
        ["Wheel includes sortedcontainers again", local, "Updated Makefile"],
        ["Removed: The old setup.py"],  # (what its label says went)
    )
    semver = "## 3.0.4\n\n* Fix 3.0.3:\n\n  * Fix the comparison\n"
    assert entry_in(semver, "3.0.4", "CHANGELOG.md") == Entry(
        "CHANGELOG.md", "3.0.4", ["Fix 3.0.3: Fix the comparison"]
    )


def test_each_dated_change_of_an_entry_without_a_list_is_an_item(tmp_path: Path) -> None:
    """ply 3.11's CHANGES: three changes, each under ``MM/DD/YY  author``; its notes had the
    first alone, its date and author in it."""
    (tmp_path / "CHANGES").write_text(
        "Version 3.11\n---------------------\n02/15/18  beazley\n          Fixed some minor bugs.\n"
        "          Github pull requests #151.\n\n02/15/18  beazley\n          Added set_lexpos().\n\n\n"
        "04/13/17  beazley\n          Mostly minor bug fixes.\n\nVersion 3.10\n---------------------\n"
        "01/31/17: beazley\n          Changed grammar signature computation.\n"
    )
    entry = changelog_entry(tmp_path, "3.11")
    assert entry == Entry(
        "CHANGES",
        "Version 3.11",
        [
            "Fixed some minor bugs. Github pull requests #151.",
            "Added set_lexpos().",
            "Mostly minor bug fixes.",
        ],
    )


def test_an_item_saying_it_breaks_something_anywhere_in_it_is_breaking() -> None:
    """pyrsistent 0.20.0: "… NB! This is a backwards incompatible fix …" and "Officially drop
    support for Python 3.7." were highlights ("Breaking Changes: None listed"); "not a breaking
    change" is none."""
    text = (
        "0.20.0, 2023-10-25\n * Officially support Python 3.12.\n * Officially drop support for Python 3.7.\n"
        " * Fix #281, defaultdict can now be frozen. NB! This is a backwards incompatible fix.\n"
        " * Fix #282, not a breaking change.\n\n0.19.3\n * Older\n"
    )
    entry = entry_in(text, "0.20.0", "CHANGES.txt")
    assert entry is not None and entry.highlights == [
        "Officially support Python 3.12.",
        "Fix #282, not a breaking change.",
    ]
    assert entry.breaking[0] == "Officially drop support for Python 3.7."


def test_a_changelog_under_doc_is_read(tmp_path: Path) -> None:
    """pexpect 4.9.0 keeps its history in ``doc/history.rst`` ("not stated" before)."""
    (tmp_path / "doc").mkdir()
    history = "History\n=======\n\nVersion 4.9\n```````````\n\n* Add x.\n"
    (tmp_path / "doc" / "history.rst").write_text(history)
    assert changelog_entry(tmp_path, "4.9.0") == Entry("doc/history.rst", "Version 4.9", ["Add x."])


def test_the_headlines_of_an_upgrading_section_are_its_breaking_changes() -> None:
    """croniter 7.0.0: "Upgrading to 7.0" holds four bold headlines, each with "*Who is affected:*"
    and "*What to do:*" items; its notes said "Breaking Changes: None listed" and showed those
    items, without their headlines, among the highlights."""
    text = (
        "7.0.0 (2026-11-08)\n------------------\n\nThis is a major release.\n\n"
        "Upgrading to 7.0\n~~~~~~~~~~~~~~~~\n\nChanges 1 and 2 are silent.\n\n"
        "**1. A step that starts at the field maximum now means one value (#246).**\n"
        "Each field's maximum is ``59``.\n\n- *Who is affected:* any expression with ``59/15``.\n"
        "- *What to do:* find these expressions.\n\n"
        "**2. Some expressions that used to be accepted now raise an error.**\n\n"
        "- *Who is affected:* non-ASCII digits.\n\n"
        "Bugfixes\n~~~~~~~~\n\n- Fix day-of-week ``7`` being rejected. [#263]\n"
    )
    entry = entry_in(text, "7.0.0", "CHANGELOG.rst")
    assert entry is not None
    assert entry.breaking == [
        "1. A step that starts at the field maximum now means one value (#246).",
        "2. Some expressions that used to be accepted now raise an error.",
    ]
    assert entry.highlights == ["Fix day-of-week `7` being rejected. [#263]"]


def test_a_top_level_item_that_only_labels_its_nested_items_is_their_subheading() -> None:
    """tldextract 5.4.0 nests its changes under ``* Features``, ``* Bugfixes``, ``* Misc.`` (no
    colon): its notes listed those four labels and none of the changes."""
    text = (
        "## 5.4.0 (2026-10-03)\n\n* Features\n  * Add `TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS` ([#374](https://x/374))\n"
        "* Bugfixes\n  * Fix hostname extraction from parsed URLs\n"
        "* Misc.\n  * Require CI gate before merging\n"
    )
    entry = entry_in(text, "5.4.0", "CHANGELOG.md")
    assert entry is not None
    assert entry.highlights == [
        "Add `TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS` (#374)",
        "Fix hostname extraction from parsed URLs",
        "Require CI gate before merging",
    ]


def test_a_one_word_item_over_nested_items_labels_them_and_requiring_a_python_breaks() -> None:
    """distlib 0.4.4 groups its changes under its modules (``- markers``): its notes listed the six
    module names; mistune 3.4.0's "Require Python 3.10 or later." drops the older ones."""
    text = (
        "0.4.4\n~~~~~\n\nReleased: 2026-10-16\n\n- compat\n\n    - Fixed a missing import.\n\n"
        "- markers\n\n    - Fixed #273: Enforce compatible-release bounds.\n      Thanks to L.\n\n"
        "- Require Python 3.10 or later.\n- Other fix\n\n  - a detail left out\n"
    )
    entry = entry_in(text, "0.4.4", "CHANGES.rst")
    assert entry is not None
    assert entry.highlights == [
        "Fixed a missing import.",
        "Fixed #273: Enforce compatible-release bounds. Thanks to L.",
        "Other fix",
    ]
    assert entry.breaking == ["Require Python 3.10 or later."]


def test_an_entry_of_one_paragraph_saying_it_breaks_is_breaking(tmp_path: Path) -> None:
    """argcomplete 3.7.2's ``Changes.rst``: "Changes for v3.7.2 (2026-08-05)" and one paragraph,
    "Require Python 3.10+ (#558)"; its notes said no changelog entry was found."""
    from prp_tasks.intake.changelog import changelog_entry

    text = "Changes for v3.7.2 (2026-08-05)\n" + "=" * 31 + "\n\nRequire Python 3.10+ (#558)\n\n"
    (tmp_path / "Changes.rst").write_text(text + "Changes for v3.7.1 (2026-08-04)\n====\n\n-  Fix a bug\n")
    entry = changelog_entry(tmp_path, "3.7.2")
    assert entry is not None and entry.source == "Changes.rst"
    assert entry.highlights == [] and entry.breaking == ["Require Python 3.10+ (#558)"]


def test_a_sphinx_releases_changelog_gives_the_items_below_the_versions_release_line(tmp_path: Path) -> None:
    """invoke 3.0.3's ``sites/www/changelog.rst`` (Sphinx ``releases``): the items below
    ``:release:`3.0.3 <2026-04-07>``` up to the next release line; its notes said no entry."""
    from prp_tasks.intake.changelog import changelog_entry

    text = (
        "=========\nChangelog\n=========\n\n- :release:`3.0.3 <2026-04-07>`\n"
        "- :support:`- backported` Reverted the `@task\n  <invoke.tasks.task>` type hint change.\n"
        "- :bug:`123` Fix a crash.\n- :release:`3.0.2 <2026-04-06>`\n- :feature:`9` Older.\n"
    )
    (tmp_path / "sites" / "www").mkdir(parents=True)
    (tmp_path / "sites" / "www" / "changelog.rst").write_text(text)
    entry = changelog_entry(tmp_path, "3.0.3")
    assert entry is not None and (entry.source, entry.heading) == (
        "sites/www/changelog.rst",
        "3.0.3 (2026-04-07)",
    )
    assert entry.highlights == ["Reverted the `@task` type hint change.", "Fix a crash."]


def test_a_changelog_deeper_in_docs_is_found(tmp_path: Path) -> None:
    """wcmatch keeps its changelog in ``docs/src/markdown/about/changelog.md``: its notes said no
    entry for 12.0.4 was found."""
    from prp_tasks.intake.changelog import changelog_entry

    folder = tmp_path / "docs" / "src" / "markdown" / "about"
    folder.mkdir(parents=True)
    (folder / "changelog.md").write_text("# Changelog\n\n## 12.0.4\n\n- **FIX**: Include `bracex` 3.2.4.\n")
    entry = changelog_entry(tmp_path, "12.0.4")
    assert entry is not None and entry.source == "docs/src/markdown/about/changelog.md"
    assert entry.highlights == ["**FIX**: Include `bracex` 3.2.4."]


def test_items_before_any_heading_and_one_change_a_line(tmp_path: Path) -> None:
    """tabulate's CHANGELOG has no heading: ``- 0.10.0: Add support …`` and a change on each line
    below; the notes said no entry was found, and read as one item its "Drop support" was hidden."""
    text = (
        "- 0.10.0: Add support for Python 3.11, 3.12, 3.13.\n  Drop support for Python 3.7, 3.8.\n"
        "  New output format: ``colon_grid`` (Pandoc grid_tables with alignment)\n  Various bug fixes.\n"
        "- 0.9.0: Drop support for Python 2.7, 3.5, 3.6.\n  Migrate to pyproject.toml project layout\n"
        "  (PEP 621).\n- 0.8.10: Python 3.10 support, bug fixes, column alignment\n  performance.\n"
    )
    (tmp_path / "CHANGELOG").write_text(text)
    assert changelog_entry(tmp_path, "0.10.0") == Entry(
        "CHANGELOG",
        "0.10.0",
        [
            "Add support for Python 3.11, 3.12, 3.13.",
            "New output format: `colon_grid` (Pandoc grid_tables with alignment)",
            "Various bug fixes.",
        ],
        ["Drop support for Python 3.7, 3.8."],
    )
    wrapped = Entry(
        "CHANGELOG", "0.8.10", ["Python 3.10 support, bug fixes, column alignment performance."], []
    )
    assert changelog_entry(tmp_path, "0.8.10") == wrapped  # a line ending mid-sentence goes on below
    parse = (
        "- 1.22.4 Account for %z groups (thanks @simpleqt)\n  Reject out-of-range minutes (thanks @yuefdev)\n"
    )
    (tmp_path / "CHANGELOG").write_text(parse + text)  # parse's README: a credit ends each change
    assert changelog_entry(tmp_path, "1.22.4") == Entry(
        "CHANGELOG",
        "1.22.4",
        ["Account for %z groups (thanks @simpleqt)", "Reject out-of-range minutes (thanks @yuefdev)"],
        [],
    )
    nine = changelog_entry(tmp_path, "0.9.0")
    assert nine is not None and nine.breaking == ["Drop support for Python 2.7, 3.5, 3.6."]
    assert nine.highlights == ["Migrate to pyproject.toml project layout (PEP 621)."]


def test_a_paragraph_dating_the_entry_in_words_is_not_its_change() -> None:
    """glom 25.12.0's notes: "_(December 28, 2025)_", over its one paragraph of change."""
    text = "## 25.12.0\n\n_(December 28, 2025)_\n\nMaintenance release, adding tests.\n\n## 24.11.0\n\n- x\n"
    entry = entry_in(text, "25.12.0", "CHANGELOG.md")
    assert entry is not None and entry.highlights == ["Maintenance release, adding tests."]
    assert entry_in(text.replace("_(December 28, 2025)_", "3 March 2024."), "25.12.0", "C") == Entry(
        "C", "25.12.0", ["Maintenance release, adding tests."], []
    )


def test_an_item_naming_a_file_keeps_the_changes_nested_under_it() -> None:
    """docutils 0.23.1's HISTORY.rst: each item a file, its changes nested below; the notes listed
    the four file names and none of the security fixes."""
    text = (
        "Release 0.23.1 (2026-11-26)\n===========================\n\n"
        "* docutils/writers/_html_base.py\n\n"
        '  - Encode "alt" text if an image is inserted as <video>.\n'
        '  - Don\'t embed images if "file_insertion_enabled" is False.\n'
        "    Fixes vulnerability reported by Z.\n\n"
        "* docutils/nodes.py\n\n  - Fix a crash\n\n"
        "Release 0.23 (2026-05-27)\n=========================\n\n* Other\n"
    )
    entry = entry_in(text, "0.23.1", "HISTORY.rst")
    assert entry is not None and entry.highlights == [
        'docutils/writers/_html_base.py: Encode "alt" text if an image is inserted as <video>. Don\'t '
        'embed images if "file_insertion_enabled" is False. Fixes vulnerability reported by Z.',
        "docutils/nodes.py: Fix a crash",
    ]


PROMPT_TOOLKIT = """CHANGELOG
=========

3.0.53: 2026-07-26
------------------

Fixes:
- Fix get_word_before_cursor behavior.
- Set missing minimal requirement on wcwidth.

New features:
- Lazy load `__version__`.

Added support for Python 3.14, 3.15, and set minimum Python version to 3.10.

3.0.52: 2025-08-27
------------------

Fixes:
- Fix handling of zero sized dimensions.
"""


def test_a_paragraph_after_the_items_that_says_what_it_breaks_is_a_breaking_change() -> None:
    """prompt_toolkit 3.0.53: its closing paragraph sets the minimum Python to 3.10 (3.0.52
    required 3.8); the notes said "Breaking Changes: None listed"."""
    entry = entry_in(PROMPT_TOOLKIT, "3.0.53", "CHANGELOG")
    assert entry is not None
    assert entry.breaking == ["Added support for Python 3.14, 3.15, and set minimum Python version to 3.10."]
    assert "Fix get_word_before_cursor behavior." in entry.highlights
    assert entry_in(PROMPT_TOOLKIT, "3.0.52", "CHANGELOG") == Entry(
        "CHANGELOG", "3.0.52: 2025-08-27", ["Fix handling of zero sized dimensions."], []
    )


def test_a_heading_among_a_releases_lists_is_no_breaking_paragraph() -> None:
    """attrs 26.1.0: its "### Backwards-incompatible Changes" subheading was listed as a breaking
    change of its own, beside the change under it."""
    changelog = (
        "## 26.1.0 - 2026-03-19\n\n### Backwards-incompatible Changes\n\n- Field aliases are resolved "
        "first. #1509\n\n### Changes\n\n- Fix type annotations. #1496\n\nBreaking\n--------\n\n"
        "- Dropped support for Python 3.8.\n\n## 25.4.0\n\n- Other.\n"
    )
    entry = entry_in(changelog, "26.1.0", "CHANGELOG.md")
    assert entry is not None
    assert entry.breaking == ["Field aliases are resolved first. #1509", "Dropped support for Python 3.8."]
