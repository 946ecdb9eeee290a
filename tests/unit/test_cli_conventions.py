"""Command-line conventions, in process: help without type noise, one error shape, output that is
not wrapped without a terminal, and the ``PRP_ACTOR`` setting behind ``prp approve``."""

from __future__ import annotations

import io
import os
import re
import sys
from collections.abc import Iterator

import pytest
import typer
from rich.table import Table
from typer.testing import CliRunner

from prp_tasks.cli import app, sentence
from prp_tasks.cli.common import console
from prp_tasks.cli.conventions import reflow
from prp_tasks.errors import ConfigError
from prp_tasks.settings import load_settings, unknown_env_keys


def command_paths(command: typer.main.Command, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield prefix
    for name, sub in getattr(command, "commands", {}).items():
        yield from command_paths(sub, (*prefix, name))


#: what Typer shows by default and ``prp`` does not: types and the off-state of flags
NOISE = re.compile(r"<(bool|str|int|float|path|list\[str\])>|\[default: no-")


@pytest.mark.parametrize("path", list(command_paths(typer.main.get_command(app))), ids=" ".join)
def test_help_shows_no_type_noise(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], prog_name="prp")
    assert result.exit_code == 0, result.output
    assert "--help" in result.output
    assert not NOISE.findall(result.output), result.output


def test_options_that_take_a_value_say_what_they_take() -> None:
    text = CliRunner().invoke(app, ["approve", "--help"], prog_name="prp").output
    assert re.search(r"--as\s+NAME", text) and re.search(r"--commit\s+SHA", text)
    assert re.search(r"--include-upcoming\s+also", text)  # a flag: nothing between name and help
    status = CliRunner().invoke(app, ["audit", "--help"], prog_name="prp").output
    assert "RUN" in status


def test_click_messages_read_as_our_own() -> None:
    assert sentence("No such option: --bogus") == "no such option: --bogus"
    assert sentence("Missing argument 'RUN_ID'.") == "missing argument 'RUN_ID'"
    assert sentence("PRP_REDIS_URL is not set") == "PRP_REDIS_URL is not set"


def test_docstring_paragraphs_are_reflowed_but_lists_keep_their_lines() -> None:
    text = """First line
    goes on.

    Second paragraph
    also goes on.

    - item one
    - item two
    """
    assert reflow(text) == "First line goes on.\n\nSecond paragraph also goes on.\n\n- item one\n- item two"
    assert reflow(None) is None


def test_without_a_terminal_nothing_is_wrapped(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stdout", stream)
    plain = console()
    assert not plain.is_terminal
    long_line = "word " * 60
    plain.print(long_line)
    table = Table("gate", "note")
    table.add_row("G1 Architecture & Specification", "needs architect approval " * 3)
    plain.print(table)
    lines = stream.getvalue().splitlines()
    assert lines[0] == long_line
    assert any("G1 Architecture & Specification" in line and "approval" in line for line in lines)
    assert len(lines) == 1 + 5  # the text, then a table of one row: top, header, rule, row, bottom


def test_prp_actor_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if k.startswith("PRP_")]:
        monkeypatch.delenv(key)
    assert load_settings().actor is None
    monkeypatch.setenv("PRP_ACTOR", "alice")
    assert unknown_env_keys(os.environ) == []
    assert load_settings().actor == "alice"
    monkeypatch.setenv("PRP_ACTOR", "")
    with pytest.raises(ConfigError, match="PRP_ACTOR"):
        load_settings()


def test_a_bug_of_prps_own_is_one_error_line_saying_where_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    """ftfy: a folded CI step made ``prp init`` end in a traceback (IndexError in ``_split``)."""
    from prp_tasks.cli import run
    from prp_tasks.intake.init import render

    def broken(*_: object) -> None:
        return [][0]  # type: ignore[no-any-return]

    monkeypatch.setattr(render, "initial_md", broken)
    assert run(["init", "--print", str(tmp_path)]) == 70
    said = capsys.readouterr().err.strip()
    assert "Traceback" not in said and len(said.splitlines()) == 1, said
    assert said.startswith("error: internal error (IndexError: list index out of range at ")
    assert " at prp_tasks/cli/init.py:" in said and said.endswith(
        "please report it with this line"
    )  # prp's place
