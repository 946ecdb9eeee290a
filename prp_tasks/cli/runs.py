"""``prp run``, ``status``, ``cancel``, ``runs``, ``outputs``."""

from __future__ import annotations

import contextlib
import getpass
from pathlib import Path
from typing import Annotated

import typer

from prp_tasks.cli.common import all_controls, app, control_for, err, errors, out, print_json, settings
from prp_tasks.control import Control, connect_control
from prp_tasks.core.evaluate import utc_now
from prp_tasks.core.run import RunSpec
from prp_tasks.errors import RunNotFound
from prp_tasks.settings import Settings
from prp_tasks.views import EXIT_CANCELLED, exit_code, run_view


@app.command()
def run(
    repo: Annotated[Path | None, typer.Argument(help="repository to check [default: .]")] = None,
    workflow: Annotated[Path | None, typer.Option("--workflow", "-w", help="workflow YAML file")] = None,
    blueprint: Annotated[Path | None, typer.Option(help="blueprint YAML/JSON file")] = None,
    profile: Annotated[Path | None, typer.Option(help="initial.md to use instead of the lookup")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="output directory")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print the final run as JSON")] = False,
    auto_approve: Annotated[bool, typer.Option(help="approve parked gates automatically")] = False,
    strict: Annotated[bool, typer.Option(help="strict mode (no implicit auto-approval)")] = False,
    actor: Annotated[str, typer.Option("--as", help="who requests the run")] = "",
    timeout: Annotated[float | None, typer.Option(help="cancel the run after this many seconds")] = None,
    distributed: Annotated[
        bool, typer.Option(help="workers fetch origin at HEAD (any machine; clean, pushed tree)")
    ] = False,
    git: Annotated[str | None, typer.Option("--git", help="run on this git remote instead of a path")] = None,
    commit: Annotated[str | None, typer.Option(help="with --git: the full commit SHA")] = None,
) -> None:
    """Run a PRP workflow on REPO and write prp.md, review.json and run-manifest.json."""
    with errors():
        current = settings()
        from prp_tasks.sources import RunSource
        from prp_tasks.submission import prepare_run

        source = RunSource(distributed=distributed, git_url=git, commit=commit, workspaces=current.workspace)
        spec = prepare_run(
            repo if repo is not None or git else Path("."),
            source=source,
            workflow=workflow,
            blueprint=blueprint,
            profile_path=profile,
            actor=actor or getpass.getuser(),
            strict=strict,
            auto_approve=auto_approve,
        )
        target = out_dir or _home(spec) / "runs" / spec.run_id
        if current.embedded:
            code = _run_embedded(current, spec, target, json_out, timeout)
        else:
            code = _drive(connect_control(current), spec, target, json_out, timeout, None)
    raise typer.Exit(code)


def _home(spec: RunSpec) -> Path:
    """``.prp`` of the local checkout (of the current directory for a git-only source)."""
    return Path(spec.repo.path or ".").resolve() / ".prp"


def _run_embedded(
    current: Settings, spec: RunSpec, target: Path, json_out: bool, timeout: float | None
) -> int:
    from prp_tasks.celery_app import create_celery
    from prp_tasks.embedded import EmbeddedRedis, embedded_services

    with EmbeddedRedis(_home(spec), label=spec.run_id) as server:
        local = current.model_copy(update={"redis_url": server.url})
        celery = create_celery(local)
        with embedded_services(celery, local):
            return _drive(Control(local, celery), spec, target, json_out, timeout, server.url)


def _drive(
    control: Control, spec: RunSpec, target: Path, json_out: bool, timeout: float | None, hint_url: str | None
) -> int:
    """Submit, follow until final (or timeout / Ctrl-C: cancel), write the outputs, report."""
    run_id = control.submit(spec)
    stopped = _follow(control, run_id, json_out, timeout, hint_url)
    snapshot = control.snapshot(run_id)
    code = EXIT_CANCELLED if stopped else exit_code(snapshot)
    written = control.write_outputs(run_id, target)
    if json_out:
        view = run_view(snapshot).model_dump(mode="json")
        print_json({**view, "exit_code": code, "out_dir": str(target), "outputs": written})
    else:
        out.print(f"\nrun {run_id}: [bold]{snapshot.status.value}[/bold]; outputs in {target}")
    return code


def _follow(
    control: Control, run_id: str, json_out: bool, timeout: float | None, hint_url: str | None
) -> bool:
    """Wait for the run to be final; True when it had to be cancelled (timeout or Ctrl-C)."""
    from prp_tasks.progress import follow

    try:
        if json_out:
            finished = control.wait_final(run_id, timeout)
        else:
            finished = follow(
                control, run_id, out, live=out.is_terminal, timeout_s=timeout, redis_url=hint_url
            )
        if finished:
            return False
        _cancel_and_wait(control, run_id, "timeout")
    except KeyboardInterrupt:
        err.print("interrupted: cancelling the run")
        _cancel_and_wait(control, run_id, "interrupt")
    return True


def _cancel_and_wait(control: Control, run_id: str, actor: str) -> None:
    control.cancel(run_id, actor)
    control.wait_final(run_id, 30)


@app.command()
def status(
    run_id: Annotated[str, typer.Argument(help="run id")],
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show a run's gates and their states."""
    with errors():
        control = control_for(run_id)
        view = run_view(control.snapshot(run_id), now=utc_now()).model_dump(mode="json")
    if json_out:
        print_json(view)
        return
    from prp_tasks.progress import approval_hint, dag_view, gate_table

    out.print(dag_view(view))
    out.print(gate_table(view))
    hint = approval_hint(view, None)
    if hint:
        out.print(hint)


@app.command()
def cancel(
    run_id: Annotated[str, typer.Argument(help="run id")],
    actor: Annotated[str, typer.Option("--as", help="who cancels")] = "",
) -> None:
    """Cancel a run: gates not yet finished are skipped; nothing starts afterwards."""
    with errors():
        changed = control_for(run_id).cancel(run_id, actor or getpass.getuser())
    out.print(f"{run_id}: {'cancelled' if changed else 'already cancelled'}")


@app.command("runs")
def list_runs(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="how many, newest first")] = 20,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List recent runs (of PRP_REDIS_URL, or of every live embedded `prp run`)."""
    rows = []
    with errors():
        for control in all_controls():
            for run_id in control.run_ids(0, limit):
                with contextlib.suppress(RunNotFound):
                    view = run_view(control.snapshot(run_id)).model_dump(mode="json")
                    row = {k: view[k] for k in ("run_id", "status", "workflow", "created_at")}
                    rows.append(row | {"repo": view["repo"]["path"] or view["repo"]["url"]})
    rows.sort(key=lambda r: r["created_at"], reverse=True)
    if json_out:
        print_json(rows[:limit])
        return
    for row in rows[:limit]:
        out.print(f"{row['run_id']}  {row['status']:<18} {row['workflow']:<16} {row['repo']}")


@app.command()
def outputs(
    run_id: Annotated[str, typer.Argument(help="run id")],
    to: Annotated[Path, typer.Option("--to", help="directory to write into")] = Path("."),
) -> None:
    """Fetch a finished run's prp.md, review.json, run-manifest.json and artifacts."""
    with errors():
        written = control_for(run_id).write_outputs(run_id, to)
    for name, path in written.items():
        out.print(f"{name} -> {path}")
