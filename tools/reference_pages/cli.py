"""``docs/reference/cli.md``: the ``prp`` command tree (typer/click)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reference_pages.markdown import anchor, first_sentence, header, md, paragraphs, table


def cli_page() -> str:
    """``docs/reference/cli.md``: every ``prp`` command with its usage, help, arguments and options."""
    import typer
    import typer.main

    from prp_tasks.cli import app

    root = typer.main.get_command(app)
    commands = list(walk_commands(root, typer.Context(root, info_name="prp")))
    lines = [
        header("the typer app `prp_tasks.cli.app`"),
        "# Command line",
        "",
        "Every command below also takes `--help`, which prints the same text. Options that take a",
        "value show what they take (`--as NAME`); flags show none. Errors are one line",
        "`error: MESSAGE` on stderr; a command line that does not parse exits 2.",
        "",
    ]
    rows = [
        (f"[{ctx.command_path}](#{anchor(ctx.command_path)})", md(first_sentence(cmd.help), cell=True))
        for cmd, ctx in commands
    ]
    lines += table(("command", "what it does"), rows)
    for cmd, ctx in commands:
        lines += command_section(cmd, ctx, listed=ctx.parent is not None)
    return "\n".join(lines).rstrip() + "\n"


def walk_commands(command: Any, ctx: Any) -> Iterator[tuple[Any, Any]]:
    """``command`` and, in name order, every visible command below it (depth first)."""
    import typer

    yield command, ctx
    for name in sorted(getattr(command, "commands", {})):
        sub = command.commands[name]
        if not sub.hidden:
            yield from walk_commands(sub, typer.Context(sub, info_name=name, parent=ctx))


def command_section(command: Any, ctx: Any, *, listed: bool = True) -> list[str]:
    path = ctx.command_path
    usage = " ".join([path, *command.collect_usage_pieces(ctx)])
    lines = [f"## {path} {{#{anchor(path)}}}", "", "```text", usage, "```", ""]
    lines += paragraphs(command.help)
    arguments: list[tuple[str, str]] = []
    options: list[tuple[str, str]] = []
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is None or record[0] == "--help":
            continue
        row = (f"`{record[0]}`", md(record[1], cell=True))
        (arguments if param.param_type_name == "argument" else options).append(row)
    if arguments:
        lines += table(("argument", "description"), arguments)
    if options:
        lines += table(("option", "description"), options)
    if listed and getattr(command, "commands", None):
        subs = ", ".join(f"[{path} {name}](#{anchor(path, name)})" for name in sorted(command.commands))
        lines += [f"Subcommands: {subs}.", ""]
    return lines + paragraphs(command.epilog)
