"""A changelog whose entries are list items named by the version (deepdiff 9.1.0's CHANGELOG.md:
``- v9-1-0`` with its changes nested below), and a README whose title names the version."""

from __future__ import annotations

from pathlib import Path

from prp_tasks.intake.changelog import changelog_entry

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
