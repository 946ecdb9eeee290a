"""``prp doctor``: versions, the embedded server, and whether PRP_REDIS_URL answers and is new enough."""

from __future__ import annotations

from typing import Annotated

import typer

from prp_tasks.cli.common import app, errors, out, print_json, settings, shared_runtime


@app.command()
def doctor(json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Check this installation: Python and library versions, the server embedded mode starts, and
    PRP_REDIS_URL (answers, meets the supported floor). Exit 0 when all is well, else 1."""
    from prp_tasks.service.diagnostics import diagnose

    with errors():
        current = settings()
        report = diagnose(current, shared_runtime().control if current.redis_url else None)
    if json_out:
        print_json(report.as_json())
    else:
        for finding in report.findings:
            mark = "ok     " if finding.ok else "PROBLEM"
            out.print(f"{mark} {finding.name}: {finding.detail}", highlight=False, soft_wrap=True)
    raise typer.Exit(0 if report.ok else 1)
