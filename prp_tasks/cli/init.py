"""``prp init``: write an ``initial.md`` whose profile runs the project's own checks."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from prp_tasks.cli.common import app, err, errors, fail, out
from prp_tasks.service.views import EXIT_INPUT

if TYPE_CHECKING:
    from rich.console import Console

    from prp_tasks.intake.init.commands import Plan
    from prp_tasks.intake.init.facts import Facts


@app.command("init")
def init(
    repo: Annotated[Path, typer.Argument(metavar="REPO", help="repository (default: .)")] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="overwrite an existing initial.md")] = False,
    print_only: Annotated[
        bool, typer.Option("--print", help="write the initial.md to stdout instead of the repository")
    ] = False,
) -> None:
    """Inspect REPO (languages, test runner, lint/format/type tools, coverage, CODEOWNERS, CI) and
    write REPO/initial.md: a blueprint derived from the project's metadata and a profile that
    runs the project's own checks, each value commented with where it came from."""
    from prp_tasks.errors import InputError
    from prp_tasks.intake.init.render import initial_md
    from prp_tasks.intake.profiles import LOOKUP, find_initial_md
    from prp_tasks.intake.profiles.parser import parse_initial_md

    with errors():
        if not repo.is_dir():
            raise InputError(f"repository path is not a directory: {repo}")
        existing = find_initial_md(repo)
        if existing is not None and not force and not print_only:
            raise fail(
                f"{existing} exists; prp init overwrites it only with --force (--print shows it)", EXIT_INPUT
            )
        text, facts, plan = initial_md(repo)
        parse_initial_md(text, source="initial.md")  # what we write must be a valid profile
    if print_only:  # the file to stdout, what it could not derive to stderr as without --print
        sys.stdout.write(text)
        _notes(facts, plan)
        return
    target = existing if existing is not None else repo / LOOKUP[0]
    target.write_text(text, encoding="utf-8")
    _summary(target, facts, plan)


def _notes(facts: Facts, plan: Plan) -> None:
    """The checks without a command and the checkers no check runs, and why (to stderr)."""
    from prp_tasks.intake.init.render import unrun_note

    for name, why in plan.missing.items():
        err.print(f"  no {name} command: {why}", highlight=False, soft_wrap=True, markup=False)
    if facts.unrun:
        err.print(f"  {unrun_note(facts)}", highlight=False, soft_wrap=True, markup=False)


def _summary(target: Path, facts: Facts, plan: Plan) -> None:
    """What ``prp init`` wrote, and what it could not derive (to stderr)."""
    from prp_tasks.core.catalog import REQUIREMENT_PLACEHOLDER

    def said(stream: Console, text: str) -> None:
        stream.print(text, highlight=False, soft_wrap=True, markup=False)

    commands = ", ".join(f"{c.name} ({re.split('[:,]', c.why)[0]})" for c in plan.commands) or "none"
    said(out, f"wrote {target}")
    said(out, f"  commands: {commands}")
    _notes(facts, plan)
    said(out, f"  coverage: {plan.coverage_note}")
    said(out, "  the title, description and requirements are derived: edit them")
    if not plan.commands:  # nothing to derive a requirement from: G0 refuses the placeholder
        said(
            err,
            f"  requirements: only the placeholder '{REQUIREMENT_PLACEHOLDER}' (no command to derive one "
            "from): G0's blueprint validation fails until you state what the PRP must achieve",
        )
