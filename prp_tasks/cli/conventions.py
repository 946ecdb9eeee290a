"""Help without type noise: every command of ``prp`` is tidied once, when the root group is built.

Typer shows a type for every parameter (``--json <bool>``, ``--as <str>``, ``run_id <str>``) and a
default for every on/off flag (``[default: no-strict]``). Here instead:

- a flag shows no type and no default (``--json``, ``--strict / --no-strict``);
- an option taking a value shows what it takes: its declared metavar (``--as NAME``), else a word
  for its type (``TEXT``, ``INTEGER``, ``NUMBER``, ``PATH``); choices keep Typer's list;
- an argument is shown by its name in capitals (``RUN_ID``, its declared metavar if any), no type;
- a docstring's paragraphs are reflowed to the terminal (Typer keeps the source's line breaks in
  every paragraph but the first); a paragraph of list items keeps them.
"""

from __future__ import annotations

import inspect
from typing import Any

import typer
from typer._click import Command, Parameter
from typer.core import TyperArgument, TyperGroup, TyperOption

#: the word shown for an option's value, by its Python type, when it declares no metavar
TYPE_WORDS = {str: "TEXT", int: "INTEGER", float: "NUMBER"}


class NamedArgument(TyperArgument):
    """An argument whose help shows its name (``RUN_ID``) and no type (``<str>``)."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None


class PrpGroup(TyperGroup):
    """The root ``prp`` group: tidies the help of every command below it (see the module)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tidy(self)


def tidy(command: Command) -> None:
    """Tidy the help text and parameters (with ``--help``) of ``command`` and of every subcommand."""
    command.help = reflow(command.help)
    command.epilog = reflow(command.epilog)
    for param in command.params:
        tidy_param(param)
    help_option = command.get_help_option(typer.Context(command, info_name=command.name))
    if help_option is not None:
        tidy_param(help_option)
    for sub in getattr(command, "commands", {}).values():
        tidy(sub)


def tidy_param(param: Parameter) -> None:
    if isinstance(param, TyperOption):
        if param.is_flag:
            param.metavar = ""  # shown instead of the type: nothing
            param.show_default = False
        elif param.metavar is None:
            param.metavar = value_word(param)
    elif isinstance(param, TyperArgument):
        if param.metavar is None:
            param.metavar = (param.name or "").upper()
        param.__class__ = NamedArgument


def value_word(param: TyperOption) -> str | None:
    """``PATH``, ``TEXT``, ``INTEGER``, ``NUMBER``; None (Typer's own display) for anything else."""
    descriptor = param.type_descriptor
    if descriptor.is_choice or descriptor.is_list or descriptor.is_tuple:
        return None
    if descriptor.is_path:
        return "PATH"
    annotation = descriptor.annotation
    return TYPE_WORDS.get(annotation) if isinstance(annotation, type) else None


def reflow(text: str | None) -> str | None:
    """Join the lines of each paragraph, except paragraphs of list items or marked ``\\b``."""
    if not text:
        return text
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(p if _keeps_lines(p) else " ".join(p.split("\n")) for p in paragraphs)


def _keeps_lines(paragraph: str) -> bool:
    return any(line.startswith(("\b", "-", "*", " ")) for line in paragraph.split("\n"))
