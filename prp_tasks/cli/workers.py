"""``prp worker`` and ``prp sweeper``: the processes that do the work."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from prp_tasks.cli.common import app, errors, out, print_json, settings, shared_runtime
from prp_tasks.routing import QUEUE_CLASSES

#: every queue class, as ``--queues`` takes them
ALL_QUEUES = ",".join(QUEUE_CLASSES)


@app.command()
def worker(
    queues: Annotated[
        str, typer.Option(metavar="CLASSES", help="comma-separated queue classes")
    ] = ALL_QUEUES,
    concurrency: Annotated[
        int | None, typer.Option(metavar="N", help="processes/threads (default: settings)")
    ] = None,
    pool: Annotated[
        str | None, typer.Option(metavar="POOL", help="prefork, threads or solo (default: settings)")
    ] = None,
    loglevel: Annotated[str, typer.Option(metavar="LEVEL", help="log level")] = "INFO",
    hostname: Annotated[
        str | None, typer.Option(metavar="NAME", help="node name (default <classes>@<host>)")
    ] = None,
) -> None:
    """Start a Celery worker consuming the given queue classes (needs PRP_REDIS_URL).

    A worker of the approval class with a threads/solo pool also runs the sweeper (deadlines,
    reminders, escalations, batches); with prefork, run `prp sweeper` separately.
    """
    with errors():
        from prp_tasks.celeryapp.workers import run_worker

        classes = tuple(q.strip() for q in queues.split(",") if q.strip())
        run_worker(
            settings(), classes, concurrency=concurrency, pool=pool, loglevel=loglevel, hostname=hostname
        )


@app.command("worker-check")
def worker_check(
    queues: Annotated[
        str, typer.Argument(metavar="CLASSES", help="the worker's queue classes, e.g. automated")
    ],
    node: Annotated[
        str | None, typer.Option(metavar="NAME", help="node name (default <classes>@<this host>)")
    ] = None,
    stale_s: Annotated[
        float, typer.Option(metavar="SECONDS", help="seconds without a beat or a receive that count")
    ] = 30.0,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Health probe: exit 0 when the worker answers a ping, beats and is consuming; else 1."""
    with errors():
        import socket

        from prp_tasks.celeryapp.health import check_worker

        runtime = shared_runtime()
        classes = "+".join(q.strip() for q in queues.split(",") if q.strip())
        name = node or f"{classes}@{socket.gethostname()}"
        health = check_worker(runtime.app, runtime.state, name, stale_s)
    if json_out:
        print_json({"node": name, "ok": health.ok, "problems": health.problems, "beat": health.beat})
    else:
        out.print(f"{name}: " + ("healthy" if health.ok else "UNHEALTHY: " + "; ".join(health.problems)))
    raise typer.Exit(0 if health.ok else 1)


@app.command()
def sweeper(
    once: Annotated[bool, typer.Option("--once", help="one pass, print what it did, exit")] = False,
) -> None:
    """Expire overdue approvals, send reminders and escalations, announce batches (needs PRP_REDIS_URL)."""
    with errors():
        runtime = shared_runtime()
        runtime.check_server()
        current = runtime.settings
        sweep = runtime.sweeper
        if once:
            done = sweep.sweep_once()
            delivered = sweep.deliver_once()
            swept: dict[str, object] = dict(done) if done else {"skipped": "another sweeper holds the lease"}
            print_json(
                swept
                | {
                    "notifications_delivered": delivered
                    if delivered is not None
                    else "another sender holds the lease"
                }
            )
            return
        out.print(f"sweeping every {current.sweep_interval_s}s (Ctrl-C to stop)")
        sweep.start()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            sweep.stop()
