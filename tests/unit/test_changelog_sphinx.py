"""Release notes from a changelog in the Sphinx ``changelog`` extension's form
(``prp_tasks.intake.changelog_sphinx``): Mako, Alembic, SQLAlchemy."""

from __future__ import annotations

from pathlib import Path

from prp_tasks.intake.changelog import Entry, changelog_entry

MAKO = """
=========
Changelog
=========

1.4
===

.. changelog::
    :version: 1.4.3
    :released: Tue Sep 22 2026

    .. change::
        :tags: bug, tests
        :tickets: 441

        Fixed regression caused in 1.4.2 where tests were unable to run on
        Windows; :meth:`.TemplateLookup.get_template` uses ``os.path.sep``.

        A second paragraph that says more.

    .. change::
        :tags: removed, py3k

        Python 3.8 support is removed.

.. changelog::
    :version: 1.4.2
    :released: Tue Sep 22 2026

    .. change::
        :tags: bug

        An older fix.
"""


def test_a_changelog_directive_naming_the_version_is_its_entry(tmp_path: Path) -> None:
    """Mako 1.4.3: its CHANGES only says the changelog moved to doc/build/changelog.rst, whose
    ``:version: 1.4.3`` heads the entry; the notes had said no entry was found."""
    (tmp_path / "CHANGES").write_text("MOVED: see /doc/build/changelog.rst\n")
    (tmp_path / "doc" / "build").mkdir(parents=True)
    (tmp_path / "doc" / "build" / "changelog.rst").write_text(MAKO)
    assert changelog_entry(tmp_path, "1.4.3") == Entry(
        "doc/build/changelog.rst",
        "1.4.3 (released Tue Sep 22 2026)",
        [
            "Fixed regression caused in 1.4.2 where tests were unable to run on Windows; "
            "`.TemplateLookup.get_template` uses `os.path.sep`."
        ],
        ["Python 3.8 support is removed."],
    )
    assert changelog_entry(tmp_path, "1.4.2") is not None
    assert changelog_entry(tmp_path, "1.4.9") is None
