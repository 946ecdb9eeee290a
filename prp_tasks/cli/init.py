"""``prp init``: write an ``initial.md`` whose profile runs the project's own checks."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from prp_tasks.cli.common import app, err, errors, fail, out
from prp_tasks.service.views import EXIT_INPUT


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
    from prp_tasks.intake.init.render import initial_md, unrun_note
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
    if print_only:
        sys.stdout.write(text)
        return
    target = existing if existing is not None else repo / LOOKUP[0]
    target.write_text(text, encoding="utf-8")
    commands = ", ".join(f"{c.name} ({c.why.split(':')[0]})" for c in plan.commands) or "none"
    out.print(f"wrote {target}", highlight=False, markup=False)
    out.print(f"  commands: {commands}", highlight=False, soft_wrap=True, markup=False)
    for name, why in plan.missing.items():
        err.print(f"  no {name} command: {why}", highlight=False, soft_wrap=True, markup=False)
    if facts.unrun:
        err.print(f"  {unrun_note(facts)}", highlight=False, soft_wrap=True, markup=False)
    out.print(f"  coverage: {plan.coverage_note}", highlight=False, soft_wrap=True, markup=False)
    out.print("  the title, description and requirements are derived: edit them", highlight=False)
