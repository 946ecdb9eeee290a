"""``prp status``, ``runs``, ``outputs``, ``cancel``: runs that are live, or finished and recorded.

A run is looked up on ``PRP_REDIS_URL`` (or, unset, every live embedded server), then among the
records finished runs left on disk (:mod:`prp_tasks.service.records`: ``REPO/.prp/runs/RUN/``, found under
``--repo`` or the current directory, or through the user's index of records).
"""

from __future__ import annotations

import contextlib
import getpass
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from prp_tasks.cli.common import all_controls, app, control_for, errors, out, print_json
from prp_tasks.core.evaluate import parse_ts
from prp_tasks.errors import InputError, RunNotFound, UnsupportedServer
from prp_tasks.service.control import Control
from prp_tasks.service.records import Record, find, listed, not_found, search_roots
from prp_tasks.service.views import run_view

RepoOption = Annotated[
    Path | None,
    typer.Option("--repo", metavar="DIR", help="repository whose finished runs to look in (default: .)"),
]


@dataclass(frozen=True)
class Found:
    """Where a run was found: a live server, or a finished run's record."""

    control: Control | None = None
    record: Record | None = None

    def view(self, run_id: str) -> dict[str, Any]:
        if self.control is not None:
            return self.control.get_run(run_id).model_dump(mode="json")
        assert self.record is not None
        return {k: v for k, v in self.record.view.items() if k != "out_dir"}


def find_run(run_id: str, repo: Path | None) -> Found:
    """The live server holding ``run_id``, else its record; RunNotFound naming where it looked."""
    looked = "PRP_REDIS_URL or the live embedded servers"
    try:
        control = control_for(run_id)
        if control.exists(run_id):
            return Found(control=control)
    except UnsupportedServer:
        raise
    except (RunNotFound, InputError):
        pass  # no live server holds it: a finished run's record may
    roots = search_roots(repo)
    record = find(run_id, roots)
    if record is None:
        raise not_found(run_id, roots, looked)
    return Found(record=record)


@app.command()
def status(
    run_id: Annotated[
        str | None,
        typer.Argument(help="run id (default: the newest run of this repository, live or recorded)"),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    repo: RepoOption = None,
) -> None:
    """Show a run's gates and their states (a live run, or a finished one's record), and why each
    failed check failed."""
    with errors():
        if run_id is None:
            run_id = _newest(repo, quiet=json_out)
        view = find_run(run_id, repo).view(run_id)
    if json_out:
        print_json(view)
        return
    from prp_tasks.cli.progress import approval_hint
    from prp_tasks.cli.tables import dag_view

    out.print(dag_view(view))
    print_gates(view)
    hint = approval_hint(view, None)
    if hint:
        out.print(hint)


def print_gates(view: dict[str, Any]) -> None:
    """A run's gates as a table, and why each failed check failed (the table names them)."""
    from prp_tasks.cli.progress import failed_view_lines
    from prp_tasks.cli.tables import gate_table

    out.print(gate_table(view, out.width))
    for line in failed_view_lines(view):
        out.print(line, markup=False, highlight=False)


@app.command()
def cancel(
    run_id: Annotated[str, typer.Argument(help="run id")],
    actor: Annotated[
        str, typer.Option("--as", metavar="NAME", help="who cancels (default: the OS user)")
    ] = "",
) -> None:
    """Cancel a run: gates not yet finished are skipped; nothing starts afterwards."""
    with errors():
        changed = control_for(run_id).cancel(run_id, actor or getpass.getuser())
    out.print(f"{run_id}: {'cancelled' if changed else 'already cancelled'}")


def _live_rows(limit: int) -> list[dict[str, Any]]:
    rows = []
    for control in all_controls():
        for run_id in control.run_ids(0, limit):
            with contextlib.suppress(RunNotFound):
                rows.append(_row(run_view(control.snapshot(run_id)).model_dump(mode="json")))
    return rows


def _row(view: dict[str, Any]) -> dict[str, Any]:
    row = {k: view[k] for k in ("run_id", "status", "workflow", "created_at")}
    return row | {"repo": view["repo"]["path"] or view["repo"]["url"]}


def _newest(repo: Path | None, *, quiet: bool) -> str:
    """The newest run of this repository (``--repo``, else the current directory or a parent),
    live or recorded, said on a line of its own unless ``quiet``; InputError saying where it
    looked when there is none (another repository's live run is not this one's)."""
    roots = set(search_roots(repo))
    rows = [r for r in _rows(_NEWEST_LOOKED_AT, repo) if r["repo"] and Path(r["repo"]).resolve() in roots]
    if not rows:
        where = search_roots(repo)[0]
        raise InputError(f"no run of {where} (live or recorded): give a RUN_ID, or --repo DIR")
    newest = rows[0]
    if not quiet:
        said = f"the newest run of {newest['repo']}: {newest['run_id']}"
        out.print(f"{said}, submitted {_local_minute(newest['created_at'])}", highlight=False)
    return str(newest["run_id"])


#: live runs looked at for the newest of a repository (per server, newest first)
_NEWEST_LOOKED_AT = 200


def _rows(limit: int, repo: Path | None) -> list[dict[str, Any]]:
    """Live runs and those recorded under the repository, newest first."""
    rows = _live_rows(limit)
    seen = {r["run_id"] for r in rows}
    rows += [_row(r.view) for r in listed(search_roots(repo)) if r.run_id not in seen]
    rows.sort(key=lambda r: r["created_at"], reverse=True)
    return rows[:limit]


def _no_runs(repo: Path | None) -> str:
    where = search_roots(repo)[0]
    parents = "" if repo is not None else " (or a parent's)"
    return f"no runs: none live, none recorded in {where}/.prp/runs{parents}"


@app.command("runs")
def list_runs(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="how many, newest first")] = 20,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    repo: RepoOption = None,
    folder: Annotated[
        Path | None, typer.Argument(metavar="[REPO]", help="the repository, as --repo", show_default=False)
    ] = None,
) -> None:
    """List recent runs: live ones (PRP_REDIS_URL, or every live embedded `prp run`) and the
    finished runs recorded in the repository's .prp/runs/ (`prp runs DIR` or `--repo DIR`)."""
    with errors():
        if folder is not None and repo is not None and folder != repo:
            raise InputError(f"two repositories given: {folder} and --repo {repo}")
        repo = repo or folder
        rows = _rows(limit, repo)
    if json_out:
        print_json(rows)
        return
    if not rows:  # say where it looked, as `prp status` does for an unknown run
        out.print(f"{_no_runs(repo)}; --repo DIR looks elsewhere", highlight=False)
    for line in runs_lines(rows):
        out.print(line, highlight=False)


def runs_lines(rows: list[dict[str, Any]]) -> list[str]:
    """``prp runs``' lines: a header, then a row per run with when it was submitted (local time)."""
    if not rows:
        return []
    table = [("RUN", "STATUS", "WORKFLOW", "SUBMITTED", "REPOSITORY")]
    table += [
        (r["run_id"], r["status"], r["workflow"], _local_minute(r["created_at"]), r["repo"] or "")
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    return ["  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[4]]) for row in table]


def _local_minute(iso: str) -> str:
    """``2026-12-06 01:13`` in the machine's time zone (the timestamp as it is when unreadable)."""
    try:
        return parse_ts(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


@app.command()
def outputs(
    run_id: Annotated[str, typer.Argument(help="run id")],
    to: Annotated[Path, typer.Option("--to", metavar="DIR", help="directory to write into")] = Path("."),
    repo: RepoOption = None,
) -> None:
    """Write a run's prp.md, review.json, run-manifest.json, artifacts and produced files."""
    with errors():
        found = find_run(run_id, repo)
        if found.control is not None:
            written = found.control.write_outputs(run_id, to)
        else:
            assert found.record is not None
            written = found.record.copy_outputs(to)
    for name, path in written.items():
        out.print(f"{name} -> {path}", highlight=False)
