"""Lifecycle events, metrics, structured logs, Flower and OTLP on real Redis and real workers."""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cloudevents.core.formats.json import JSONFormat

from prp_tasks.celeryapp.embedded import EmbeddedRedis
from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.core.snapshot import RunSnapshot
from prp_tasks.intake.submission import prepare_run
from prp_tasks.intake.workflow_files import parse_workflow
from prp_tasks.routing import QUEUE_CLASSES
from prp_tasks.service.control import Control
from prp_tasks.settings import Settings, load_settings
from prp_tasks.state.connection import connect
from prp_tasks.state.keys import Keys
from prp_tasks.state.metrics import MetricStore
from prp_tasks.telemetry.collector import MetricsReader
from prp_tasks.telemetry.logs import ContextFilter, JsonFormatter, log_context
from prp_tasks.telemetry.schema import CHECK_DURATION
from tests.conftest import EMBEDDED_SERVER, ROOT, wait_until
from tests.integration.test_http_api import free_port
from tests.integration.test_worker_loss import Workers

Submit = Callable[..., str]
Finish = Callable[..., RunSnapshot]

FLOW = """
name: observed
gates:
  - {id: A, checks: [{name: a1, run: ["true"]}, {name: a2, run: ["true"]}], approval: {role: code-reviewer}}
  - {id: B, depends_on: [A], checks: [{name: b, run: ["false"]}]}
  - {id: C, depends_on: [B], checks: [{name: c, run: ["true"]}]}
  - {id: D, checks: [{name: d, run: ["true"]}]}
"""


def run_events(control: Control, group: str, run_id: str) -> list[dict[str, Any]]:
    """The run's events as a consumer group delivers them, parsed by the CloudEvents SDK."""
    client, stream = control.store.redis, control.store.keys.events
    out = []
    while True:
        batch = client.xreadgroup(group, "test-consumer", {stream: ">"}, count=500)
        if not batch:
            return out
        for entry_id, fields in batch[0][1]:
            client.xack(stream, group, entry_id)
            if fields["subject"] == run_id:
                event = JSONFormat().read(None, fields["event"].encode())
                assert event.get_type() == fields["type"] and event.get_subject() == run_id
                out.append({"type": fields["type"], "data": event.get_data()})


def test_a_consumer_group_sees_a_runs_full_lifecycle_in_order(
    control: Control, submit: Submit, finish: Finish
) -> None:
    group = f"g-{os.getpid()}"
    control.store.redis.xgroup_create(control.store.keys.events, group, id="$", mkstream=True)
    run_id = submit(FLOW)
    wait_until(lambda: control.store.gate_status(run_id, "A").value == "awaiting_approval")
    control.decide(run_id, "A", actor="alice", approve=True)
    finish(run_id)
    events = run_events(control, group, run_id)
    kinds = [e["type"].removeprefix("prp_runner.") for e in events]
    assert kinds[0] == "processing.started" and kinds[-2:] == ["review.generated", "processing.completed"]
    assert kinds.index("approval.requested") < kinds.index("approval.decided")
    position = {(e["data"].get("kind"), e["data"].get("taskId")): i for i, e in enumerate(events)}
    started = {e["data"]["gateId"]: i for i, e in enumerate(events) if e["type"].endswith("gate.started")}
    assert started["A"] < position[("check", "A/a1")] < position[("gate", "A")] < started["B"]
    assert events[kinds.index("approval.requested")]["data"]["a2aState"] == "input-required"
    assert events[kinds.index("approval.requested")]["data"]["batchId"]
    skipped = next(e for e in events if e["data"].get("taskId") == "C")
    assert skipped["data"]["status"] == "skipped" and skipped["data"]["batch"] == ["B", "C"]
    done = events[-1]["data"]
    assert (done["runStatus"], done["a2aState"], done["totalTasks"], done["failedTasks"]) == (
        "failed",
        "failed",
        4,
        1,
    )


@pytest.fixture
def private(tmp_path: Path) -> Iterator[Settings]:
    server = EmbeddedRedis(tmp_path / "redis", server=EMBEDDED_SERVER)
    server.start()
    try:
        yield load_settings(redis_url=server.url, key_prefix="kill", task_events=False)
    finally:
        server.stop()


def values(reader: MetricsReader) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in reader.refresh() for s in f.samples}


def test_metrics_count_each_gate_once_with_prefork_workers(private: Settings, tmp_path: Path) -> None:
    workers = Workers(private)
    workers.start()  # prefork, concurrency 2
    try:
        control = Runtime(private).control
        flow = parse_workflow(
            "name: m\ngates:\n  - {id: X, checks: [{name: x1, run: ['true']}, {name: x2, run: ['true']}]}\n"
            "  - {id: Y, depends_on: [X], checks: [{name: y, run: ['false']}]}\n"
            "  - {id: Z, depends_on: [Y], checks: [{name: z, run: ['true']}]}\n"
        )
        runs = [control.submit(prepare_run(tmp_path, workflow=flow)) for _ in range(6)]
        for run_id in runs:
            assert control.wait_final(run_id, 60)
    finally:
        workers.stop()
    store = MetricStore(connect(private.redis_url or ""), Keys("kill"))
    metrics = values(MetricsReader(store, QUEUE_CLASSES))
    assert metrics[("prp_gates_settled_total", (("status", "passed"),))] == 6
    assert metrics[("prp_gates_settled_total", (("status", "failed"),))] == 6
    assert metrics[("prp_gates_settled_total", (("status", "skipped"),))] == 6
    assert metrics[("prp_runs_finished_total", (("status", "failed"),))] == 6
    assert metrics[("prp_gates", (("state", "running"),))] == 0
    checks = sum(v for (name, _), v in metrics.items() if name == "prp_check_duration_seconds_count")
    waits = sum(v for (name, _), v in metrics.items() if name == "prp_queue_wait_seconds_count")
    gates = sum(v for (name, _), v in metrics.items() if name == "prp_gate_duration_seconds_count")
    assert (checks, waits, gates) == (18, 18, 12)


def test_metrics_labels_never_carry_actors_rationales_or_commands(
    control: Control, submit: Submit, finish: Finish, settings: Settings
) -> None:
    run_id = submit(FLOW.replace('run: ["false"]', 'run: ["echo", "password=hunter2"]'))
    wait_until(lambda: control.store.gate_status(run_id, "A").value == "awaiting_approval")
    control.decide(run_id, "A", actor="alice-the-approver", approve=True, rationale="token=s3cr3t-rationale")
    finish(run_id)
    from prometheus_client import CollectorRegistry, generate_latest

    from prp_tasks.telemetry.collector import PrpCollector

    reader = MetricsReader(control.state.metrics, QUEUE_CLASSES)
    reader.refresh()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PrpCollector(reader))
    text = generate_latest(registry).decode()
    for secret in ("alice-the-approver", "s3cr3t", "hunter2", "echo", run_id):
        assert secret not in text
    assert 'prp_gate_duration_seconds_bucket{gate="A",le=' in text


def test_lines_logged_inside_a_task_carry_its_context_and_are_redacted(
    control: Control, submit: Submit, finish: Finish
) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    logger = logging.getLogger("prp_tasks")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        run_id = submit("name: l\ngates:\n  - {id: L, checks: [{name: l1, run: ['true']}]}\n")
        finish(run_id)
        with log_context(run_id=run_id):
            logging.getLogger("prp_tasks.test").warning("Authorization: Bearer abcdefghijklmnop")
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    check_line = next(x for x in lines if x.get("run_id") == run_id and x["message"].startswith("check l1"))
    assert (check_line["gate_id"], check_line["check"], check_line["attempt"]) == ("L", "l1", 1)
    # the run's workers log on in their own threads (a workspace released after the run finished):
    # the test's own line is the one its logger wrote, not necessarily the last
    [own] = [x for x in lines if x["logger"] == "prp_tasks.test"]
    assert own["message"] == "Authorization: Bearer [REDACTED]" and own["run_id"] == run_id


class OtlpSink:
    """A tiny OTLP/HTTP receiver: keeps the protobuf bodies POSTed to it."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        bodies = self.bodies = []  # type: list[tuple[str, bytes]]

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                bodies.append((self.path, self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_otlp_export_sends_histograms_with_buckets_and_the_service_name(
    control: Control, submit: Submit, finish: Finish
) -> None:
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

    from prp_tasks.telemetry.otel import start_otlp

    finish(submit("name: o\ngates:\n  - {id: O, checks: [{name: o, run: ['true']}]}\n"))
    reader = MetricsReader(control.state.metrics, QUEUE_CLASSES)
    reader.refresh()
    sink = OtlpSink()
    push = start_otlp(reader, f"{sink.url}/v1/metrics", 3600, "prp-test-service")
    try:
        assert push.export_once()
    finally:
        push.stop()
        sink.close()
    path, body = sink.bodies[-1]
    request = ExportMetricsServiceRequest.FromString(body)
    resource = request.resource_metrics[0].resource
    attributes = {a.key: a.value.string_value for a in resource.attributes}
    assert path == "/v1/metrics" and attributes["service.name"] == "prp-test-service"
    exported = {m.name: m for m in request.resource_metrics[0].scope_metrics[0].metrics}
    checks = exported["prp_check_duration_seconds"].histogram
    point = next(
        p
        for p in checks.data_points
        if {a.key: a.value.string_value for a in p.attributes} == {"gate": "O", "status": "passed"}
    )
    assert list(point.explicit_bounds) == [float(b) for b in CHECK_DURATION.buckets]
    assert len(point.bucket_counts) == len(point.explicit_bounds) + 1
    assert sum(point.bucket_counts) == point.count >= 1
    settled = exported["prp_gates_settled_total"].sum
    assert settled.is_monotonic and any(p.as_double >= 1 for p in settled.data_points)
    assert "prp_check_duration_seconds_count" not in exported


def test_flower_starts_with_the_project_config_and_requires_auth(private: Settings, tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRP_")}
    env.update(
        {
            "PRP_REDIS_URL": private.redis_url or "",
            "FLOWER_BASIC_AUTH": "ops:pw",
            "FLOWER_PORT": str(port),
            "FLOWER_DB": str(tmp_path / "flower.db"),
        }
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "prp_tasks.celeryapp.main",
            "flower",
            "--conf=infra/flower/flowerconfig.py",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: _get(f"{base}/healthcheck") == 200, timeout=30, interval=0.2)
        assert _get(f"{base}/api/workers") == 401
        token = base64.b64encode(b"ops:pw").decode()
        assert _get(f"{base}/api/workers", {"Authorization": f"Basic {token}"}) == 200
    finally:
        proc.terminate()
        proc.wait(10)


def _get(url: str, headers: dict[str, str] | None = None) -> int:
    try:
        return httpx.get(url, headers=headers, timeout=5).status_code
    except httpx.HTTPError:
        return 0


def test_prp_events_prints_the_stream(
    settings: Settings, control: Control, submit: Submit, finish: Finish
) -> None:
    run_id = submit("name: e\ngates:\n  - {id: E, checks: [{name: e, run: ['true']}]}\n")
    finish(run_id)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRP_")}
    env.update({"PRP_REDIS_URL": settings.redis_url or "", "PRP_KEY_PREFIX": settings.key_prefix})
    result = subprocess.run(
        [sys.executable, "-m", "prp_tasks.cli", "events", "--json", "--run", run_id, "--last", "1000"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    types = [json.loads(line)["type"] for line in result.stdout.splitlines()]
    assert types[0] == "prp_runner.processing.started" and types[-1] == "prp_runner.processing.completed"


def test_metrics_answer_head_and_bind_loopback_by_default(runtime: Runtime, control: Control) -> None:
    from fastapi.testclient import TestClient

    from prp_tasks.http.app import create_app
    from prp_tasks.telemetry.server import registry_for, serve

    assert Settings().metrics_host == "127.0.0.1" == Settings().api.host
    reader = MetricsReader(control.state.metrics, QUEUE_CLASSES)
    reader.refresh()
    server = serve(registry_for(reader), "127.0.0.1", 0)
    try:
        url = f"http://127.0.0.1:{server.server_port}/metrics"
        head, get = httpx.head(url, timeout=5), httpx.get(url, timeout=5)
    finally:
        server.shutdown()
        server.server_close()
    assert (head.status_code, head.content) == (200, b"")
    assert get.status_code == 200 and "prp_gates_settled_total" in get.text
    assert head.headers["content-type"] == get.headers["content-type"]
    with TestClient(create_app(runtime, mount_mcp=False)) as client:
        api_head, api_get = client.head("/metrics"), client.get("/metrics")
    assert (api_head.status_code, api_head.content) == (200, b"") and api_get.status_code == 200
