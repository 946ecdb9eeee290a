"""``prp events`` (tail the lifecycle stream) and ``prp metrics serve`` (standalone /metrics)."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer

from prp_tasks.cli.common import app, errors, out, shared_runtime

metrics_app = typer.Typer(help="Prometheus metrics.", no_args_is_help=True)
app.add_typer(metrics_app, name="metrics")


def _show(fields: dict[str, str], run_id: str | None, raw: bool) -> None:
    if run_id and fields.get("subject") != run_id:
        return
    if raw:
        out.print(fields["event"], highlight=False, soft_wrap=True)
        return
    event = json.loads(fields["event"])
    data = event.get("data", {})
    what = data.get("gateId") or data.get("taskId") or ""
    status = data.get("status") or data.get("decision") or data.get("a2aState") or ""
    out.print(f"{event['time']} {event['subject']} {event['type']:<34} {what:<20} {status}", highlight=False)


@app.command()
def events(
    follow: Annotated[bool, typer.Option("--follow", "-f", help="keep waiting for new events")] = False,
    run_id: Annotated[str | None, typer.Option("--run", metavar="RUN", help="only this run's events")] = None,
    last: Annotated[int, typer.Option(metavar="N", help="start with the last N events")] = 50,
    json_out: Annotated[bool, typer.Option("--json", help="print the CloudEvents envelopes")] = False,
) -> None:
    """Tail the lifecycle event stream (prp:events)."""
    with errors():
        control = shared_runtime().control
        entries = control.recent_events(last)
        cursor = entries[-1][0] if entries else "$"
        for _, fields in entries:
            _show(fields, run_id, json_out)
        while follow:
            for entry_id, fields in control.events_after(cursor):
                _show(fields, run_id, json_out)
                cursor = entry_id


@metrics_app.command("serve")
def metrics_serve(
    port: Annotated[
        int | None, typer.Option(metavar="PORT", help="port (default PRP_METRICS_PORT, 9464)")
    ] = None,
    host: Annotated[
        str | None,
        typer.Option(metavar="ADDRESS", help="bind address (default PRP_METRICS_HOST, 127.0.0.1)"),
    ] = None,
) -> None:
    """Serve /metrics from the shared aggregate (one process is enough; workers need none)."""
    with errors():
        runtime = shared_runtime()
        current = runtime.settings
        from prp_tasks.telemetry.otel import start_otlp
        from prp_tasks.telemetry.server import registry_for, serve

        reader = runtime.metrics_reader().start()
        bind, bound_port = host or current.metrics_host, port or current.metrics_port
        serve(registry_for(reader), bind, bound_port)
        if current.otlp_endpoint:
            start_otlp(reader, current.otlp_endpoint, current.metrics_interval_s, current.service_name)
    out.print(f"serving /metrics on {bind}:{bound_port}")
    while True:
        time.sleep(3600)
