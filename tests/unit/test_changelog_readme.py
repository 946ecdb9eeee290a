"""Release notes from a README, read after every changelog file: a section headed by the version
(mccabe), or a changelog section listing one item per release, the version first (docopt)."""

from __future__ import annotations

from pathlib import Path

from prp_tasks.intake.changelog import Entry, changelog_entry


def test_a_readme_section_headed_by_the_version_is_read_last(tmp_path: Path) -> None:
    """mccabe 0.7.0 keeps its changes in README.rst ("Changes", then "0.7.0 - 2021-01-23"); a
    README line that only mentions the version is no entry."""
    readme = (
        "mccabe\n======\n\nInstall 0.7.0 with pip:\n\n    pip install mccabe\n\n"
        "Changes\n-------\n\n0.7.0 - 2021-01-23\n``````````````````\n\n"
        "* Drop support for all versions of Python lower than 3.6\n\n* Fix option declaration for Flake8\n"
    )
    (tmp_path / "README.rst").write_text(readme)
    entry = changelog_entry(tmp_path, "0.7.0")
    assert entry == Entry(
        "README.rst",
        "0.7.0 - 2021-01-23",
        ["Fix option declaration for Flake8"],
        ["Drop support for all versions of Python lower than 3.6"],
    )
    (tmp_path / "README.rst").write_text("x\n=\n\nRelease 0.7.0 of x:\n  * is fast\n")
    assert changelog_entry(tmp_path, "0.7.0") is None  # a definition-list look-alike in a README


def test_an_item_beginning_with_the_version_in_a_changelog_section_is_its_entry(tmp_path: Path) -> None:
    """docopt 0.6.2's README "Changelog": one item per release, the version first, an inline
    ``**Breaking changes**:`` in some; an item elsewhere that begins with the version is none."""
    readme = (
        "docopt\n======\n\nUsage\n-----\n\n- 0.6.2 is the version to pin\n\n"
        "Changelog\n=========\n\nFollows semantic versioning::\n\n    pip install docopt==0.6.2\n\n"
        "- 0.6.2 `Wheel <http://pythonwheels.com/>`_ support.\n- 0.6.1 Bugfix release.\n"
        "- 0.6.0 ``options_first`` parameter.\n  **Breaking changes**: Corrected ``[options]`` meaning.\n"
        "  ``argv`` defaults to ``None``.\n- 0.5.0 Repeated options.\n"
    )
    (tmp_path / "README.rst").write_text(readme)
    wheel = Entry("README.rst", "Changelog: 0.6.2", ["Wheel support."], [])
    assert changelog_entry(tmp_path, "0.6.2") == wheel
    assert changelog_entry(tmp_path, "0.6.0") == Entry(
        "README.rst",
        "Changelog: 0.6.0",
        ["`options_first` parameter."],
        ["Corrected `[options]` meaning. `argv` defaults to `None`."],
    )
    assert changelog_entry(tmp_path, "0.7.0") is None
    (tmp_path / "README.rst").write_text(readme.replace("Changelog\n=========", "Credits\n======="))
    assert changelog_entry(tmp_path, "0.6.2") is None  # not a section that lists changes


def test_a_definition_list_in_a_readme_changes_section_is_the_entry(tmp_path: Path) -> None:
    """parsimonious 0.10.0's README "Version History": ``0.10.0`` at the margin, its items indented
    under it ("Not stated" before); the same list outside a section that lists changes is none."""
    history = "0.10.0\n  * Fix infinite recursion in __eq__\n  * Add range repetition\n\n0.9.0\n  * Older\n"
    title = "parsimonious\n============\n\n"
    readme = f"{title}Version History\n===============\n(Next release)\n  * ...\n\n{history}"
    (tmp_path / "README.rst").write_text(readme)
    entry = changelog_entry(tmp_path, "0.10.0")
    assert entry == Entry(
        "README.rst", "0.10.0", ["Fix infinite recursion in __eq__", "Add range repetition"]
    )
    (tmp_path / "README.rst").write_text(f"parsimonious\n============\n\nUsage\n=====\n\n{history}")
    assert changelog_entry(tmp_path, "0.10.0") is None


def test_a_warning_that_the_release_breaks_something_gives_its_items_as_breaking(tmp_path: Path) -> None:
    """parsimonious 0.10.0: a ``.. warning::`` in its entry says "This release makes
    backward-incompatible changes:" over the change; the notes said "Breaking Changes: None"."""
    readme = (
        "x\n=\n\nVersion History\n===============\n\n0.10.0\n  * Fix recursion in __eq__\n\n"
        "  .. warning::\n\n      This release makes backward-incompatible changes:\n\n"
        "      * Fix precedence of string literal modifiers ``u/r/b``.\n        This will break grammars.\n\n"
        "0.9.0\n  * Older\n"
    )
    (tmp_path / "README.rst").write_text(readme)
    entry = changelog_entry(tmp_path, "0.10.0")
    assert entry == Entry(
        "README.rst",
        "0.10.0",
        ["Fix recursion in __eq__"],
        ["Fix precedence of string literal modifiers `u/r/b`. This will break grammars."],
    )


def test_a_releases_section_ends_where_its_previous_releases_begin(tmp_path: Path) -> None:
    """alive-progress 3.3.0's README: "What's new in 3.3 series" holds "Previous releases" (3.2's,
    3.1's and 2.0's notes), which the release notes had listed as 3.3.0's, "requires Python 3.6+"
    among its breaking changes."""
    readme = (
        "# alive-progress\n\n## What's new in 3.3 series\n\n- new `check()` tool\n- faster spinners\n\n"
        "### Previous releases\n\n- drop python 3.7 and 3.8 (3.2)\n- requires Python 3.6+ (2.0)\n\n"
        "## Using it\n\nRun it.\n"
    )
    (tmp_path / "README.md").write_text(readme)
    entry = changelog_entry(tmp_path, "3.3.0")
    assert entry == Entry(
        "README.md", "What's new in 3.3 series", ["new `check()` tool", "faster spinners"], []
    )
