"""The ``prp`` command line (typer + rich). Parses and formats only; the work is in :mod:`.control`."""

from __future__ import annotations

import contextlib
import getpass
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from prp_tasks import __version__
from prp_tasks.control import Control, connect_control, find_run_url
from prp_tasks.core.evaluate import utc_now
from prp_tasks.core.run import RunSpec
from prp_tasks.errors import ConflictError, InputError, NotAuthorized, PrpError, RunNotFound
from prp_tasks.settings import QUEUE_CLASSES, Settings, load_settings
from prp_tasks.views import EXIT_CANCELLED, EXIT_INPUT, exit_code, run_view

app = typer.Typer(
    name="prp",
    help="Run PRP quality-gate workflows on Celery + Redis.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)


def _fail(message: str, code: int) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False, markup=True, soft_wrap=True)
    return typer.Exit(code)


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    """Map project errors to exit codes: 2 bad input / unknown run, 1 refused or failed."""
    try:
        yield
    except (InputError, RunNotFound) as exc:
        raise _fail(exc.message, EXIT_INPUT) from None
    except (ConflictError, NotAuthorized) as exc:
        raise _fail(exc.message, 1) from None
    except PrpError as exc:
        raise _fail(exc.message, 1) from None


def _settings() -> Settings:
    return load_settings()


def _control_for(run_id: str) -> Control:
    """Control plane holding ``run_id``: PRP_REDIS_URL, else a live embedded ``prp run``."""
    from prp_tasks.embedded import live_embedded_urls

    settings = _settings()
    if settings.redis_url is not None:
        return connect_control(settings)
    urls = live_embedded_urls()
    if not urls:
        raise InputError("PRP_REDIS_URL is not set and no embedded `prp run` is active")
    return connect_control(settings.model_copy(update={"redis_url": find_run_url(settings, run_id, urls)}))


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False) + "\n")


@app.command()
def run(
    repo: Annotated[Path, typer.Argument(help="repository to check")] = Path("."),
    workflow: Annotated[Path | None, typer.Option("--workflow", "-w", help="workflow YAML file")] = None,
    blueprint: Annotated[Path | None, typer.Option(help="blueprint YAML/JSON file")] = None,
    profile: Annotated[Path | None, typer.Option(help="initial.md to use instead of the lookup")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="output directory")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print the final run as JSON")] = False,
    auto_approve: Annotated[bool, typer.Option(help="approve parked gates automatically")] = False,
    strict: Annotated[bool, typer.Option(help="strict mode (no implicit auto-approval)")] = False,
    actor: Annotated[str, typer.Option("--as", help="who requests the run")] = "",
    timeout: Annotated[float | None, typer.Option(help="cancel the run after this many seconds")] = None,
) -> None:
    """Run a PRP workflow on REPO and write prp.md, review.json and run-manifest.json."""
    with _errors():
        settings = _settings()
        from prp_tasks.submission import prepare_run

        spec = prepare_run(
            repo,
            workflow=workflow,
            blueprint=blueprint,
            profile_path=profile,
            actor=actor or getpass.getuser(),
            strict=strict,
            auto_approve=auto_approve,
        )
        target = out_dir or Path(spec.repo.path) / ".prp" / "runs" / spec.run_id
        if settings.embedded:
            code = _run_embedded(settings, spec, target, json_out, timeout)
        else:
            code = _drive(connect_control(settings), spec, target, json_out, timeout, None)
    raise typer.Exit(code)


def _run_embedded(
    settings: Settings, spec: RunSpec, target: Path, json_out: bool, timeout: float | None
) -> int:
    from prp_tasks.celery_app import create_celery
    from prp_tasks.embedded import EmbeddedRedis, embedded_worker

    with EmbeddedRedis(Path(spec.repo.path) / ".prp", label=spec.run_id) as server:
        local = settings.model_copy(update={"redis_url": server.url})
        celery = create_celery(local)
        with embedded_worker(celery, local):
            return _drive(Control(local, celery), spec, target, json_out, timeout, server.url)


def _drive(
    control: Control,
    spec: RunSpec,
    target: Path,
    json_out: bool,
    timeout: float | None,
    hint_url: str | None,
) -> int:
    from prp_tasks.progress import follow

    run_id = control.submit(spec)
    timed_out = False
    try:
        if json_out:
            finished = control.wait_final(run_id, timeout)
        else:
            finished = follow(
                control, run_id, out, live=out.is_terminal, timeout_s=timeout, redis_url=hint_url
            )
        if not finished:
            timed_out = True
            control.cancel(run_id)
            control.wait_final(run_id, 30)
    except KeyboardInterrupt:
        err.print("interrupted: cancelling the run")
        control.cancel(run_id)
        control.wait_final(run_id, 30)
        timed_out = True
    snapshot = control.snapshot(run_id)
    code = EXIT_CANCELLED if timed_out else exit_code(snapshot)
    written = control.write_outputs(run_id, target)
    if json_out:
        _print_json({**run_view(snapshot), "exit_code": code, "out_dir": str(target), "outputs": written})
    else:
        out.print(f"run {run_id}: [bold]{snapshot.status.value}[/bold]; outputs in {target}")
    return code


@app.command()
def status(
    run_id: Annotated[str, typer.Argument(help="run id")],
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show a run's gates and their states."""
    with _errors():
        control = _control_for(run_id)
        view = run_view(control.snapshot(run_id), now=utc_now())
    if json_out:
        _print_json(view)
        return
    from prp_tasks.progress import approval_hint, gate_table

    out.print(gate_table(view))
    hint = approval_hint(view, None)
    if hint:
        out.print(hint)


def _decide(run_id: str, gate: str, actor: str, approve: bool, rationale: str) -> None:
    with _errors():
        control = _control_for(run_id)
        record = control.decide(run_id, gate, actor=actor, approve=approve, rationale=rationale)
    out.print(f"{gate}: {record.result.status.value} ({'approved' if approve else 'rejected'} by {actor})")


@app.command()
def approve(
    run_id: Annotated[str, typer.Argument(help="run id")],
    gate: Annotated[str, typer.Argument(help="gate id, e.g. G0")],
    actor: Annotated[str, typer.Option("--as", help="who decides")] = "",
    reject: Annotated[bool, typer.Option("--reject", help="reject instead of approving")] = False,
    rationale: Annotated[str, typer.Option(help="why")] = "",
) -> None:
    """Approve (or with --reject, reject) a gate that awaits a human decision."""
    _decide(run_id, gate, actor or getpass.getuser(), not reject, rationale)


@app.command()
def reject(
    run_id: Annotated[str, typer.Argument(help="run id")],
    gate: Annotated[str, typer.Argument(help="gate id")],
    actor: Annotated[str, typer.Option("--as", help="who decides")] = "",
    rationale: Annotated[str, typer.Option(help="why")] = "",
) -> None:
    """Reject a gate that awaits a human decision."""
    _decide(run_id, gate, actor or getpass.getuser(), False, rationale)


@app.command()
def cancel(run_id: Annotated[str, typer.Argument(help="run id")]) -> None:
    """Cancel a run: gates not yet finished are skipped; nothing starts afterwards."""
    with _errors():
        changed = _control_for(run_id).cancel(run_id)
    out.print(f"{run_id}: {'cancelled' if changed else 'already cancelled'}")


def _all_controls() -> list[Control]:
    from prp_tasks.embedded import live_embedded_urls

    settings = _settings()
    if settings.redis_url is not None:
        return [connect_control(settings)]
    return [connect_control(settings.model_copy(update={"redis_url": u})) for u in live_embedded_urls()]


@app.command("runs")
def list_runs(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="how many, newest first")] = 20,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List recent runs (of PRP_REDIS_URL, or of every live embedded `prp run`)."""
    rows = []
    with _errors():
        for control in _all_controls():
            for run_id in control.run_ids(0, limit):
                with contextlib.suppress(RunNotFound):
                    view = run_view(control.snapshot(run_id))
                    rows.append(
                        {k: view[k] for k in ("run_id", "status", "workflow", "created_at")}
                        | {"repo": view["repo"]["path"]}
                    )
    rows.sort(key=lambda r: r["created_at"], reverse=True)
    if json_out:
        _print_json(rows[:limit])
        return
    for row in rows[:limit]:
        out.print(f"{row['run_id']}  {row['status']:<18} {row['workflow']:<16} {row['repo']}")


@app.command()
def outputs(
    run_id: Annotated[str, typer.Argument(help="run id")],
    to: Annotated[Path, typer.Option("--to", help="directory to write into")] = Path("."),
) -> None:
    """Fetch a finished run's prp.md, review.json, run-manifest.json and artifacts."""
    with _errors():
        written = _control_for(run_id).write_outputs(run_id, to)
    for name, path in written.items():
        out.print(f"{name} -> {path}")


@app.command()
def worker(
    queues: Annotated[str, typer.Option(help="comma-separated queue classes")] = ",".join(QUEUE_CLASSES),
    concurrency: Annotated[int | None, typer.Option(help="processes/threads (default: settings)")] = None,
    pool: Annotated[str | None, typer.Option(help="prefork, threads or solo (default: settings)")] = None,
    loglevel: Annotated[str, typer.Option(help="log level")] = "INFO",
    hostname: Annotated[str | None, typer.Option(help="node name (default <classes>@<host>)")] = None,
) -> None:
    """Start a Celery worker consuming the given queue classes (needs PRP_REDIS_URL)."""
    with _errors():
        from prp_tasks.workers import run_worker

        classes = tuple(q.strip() for q in queues.split(",") if q.strip())
        run_worker(
            _settings(), classes, concurrency=concurrency, pool=pool, loglevel=loglevel, hostname=hostname
        )


profile_app = typer.Typer(
    help="Inspect and validate enforcement profiles (initial.md).", no_args_is_help=True
)
app.add_typer(profile_app, name="profile")


def _resolve(repo: Path, profile: Path | None) -> Any:
    from prp_tasks.profiles import resolve_profile

    settings = _settings()
    return resolve_profile(repo, profile, cache=_profile_cache(settings))


def _profile_cache(settings: Settings) -> Any:
    from prp_tasks.keys import Keys
    from prp_tasks.profiles.cache import ProfileCache
    from prp_tasks.store import connect

    client = connect(settings.redis_url) if settings.redis_url else None
    return ProfileCache(client, Keys(settings.key_prefix), settings.profile_cache)


@profile_app.command("show")
def profile_show(
    repo: Annotated[Path, typer.Argument(help="repository")] = Path("."),
    profile: Annotated[Path | None, typer.Option(help="initial.md to use instead of the lookup")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Print the effective profile and where each value came from (default or file:line)."""
    from prp_tasks.profiles.explain import explain

    with _errors():
        resolved = _resolve(repo, profile)
    rows = explain(resolved)
    if json_out:
        _print_json(
            {
                "source": resolved.source,
                "sha256": resolved.sha256,
                "profile": resolved.profile.model_dump(mode="json"),
                "origins": {path: origin for path, _, origin in rows},
                "doc": resolved.doc.model_dump(mode="json"),
            }
        )
        return
    out.print(f"profile: {resolved.source or 'built-in defaults (no initial.md found)'}", highlight=False)
    for path, value, origin in rows:
        line = f"  {path} = {escape(json.dumps(value))}  [dim]({origin})[/dim]"
        out.print(line, highlight=False, soft_wrap=True)


@profile_app.command("check")
def profile_check(
    repo: Annotated[Path, typer.Argument(help="repository")] = Path("."),
    profile: Annotated[Path | None, typer.Option(help="initial.md to use instead of the lookup")] = None,
) -> None:
    """Validate the profile; exit 2 with every problem (file:line: field: message) if invalid."""
    with _errors():
        resolved = _resolve(repo, profile)
    where = resolved.source or "built-in defaults (no initial.md found)"
    out.print(f"ok: {where} {resolved.sha256[:12]}".rstrip(), highlight=False)


@app.command()
def version() -> None:
    """Print the version."""
    out.print(__version__)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
