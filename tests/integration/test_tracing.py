"""One trace per run across two worker processes, read from the spans each process exported.

Two ``prp worker`` processes (a prefork worker for the automated class, a threads worker for the
approval and control classes) write their finished spans to one JSON-lines file
(``PRP_TRACE_FILE``, the file exporter); the run's gates alternate between them, so the run's
trace is assembled from several processes joined only by the W3C context in the Celery messages
and the run id.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from prp_tasks.celeryapp.embedded import EmbeddedRedis
from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.intake.submission import prepare_run
from prp_tasks.intake.workflow_files import parse_workflow
from prp_tasks.settings import Settings, load_settings
from prp_tasks.telemetry.tracing import Tracing, gate_span_id, run_span_id, trace_id_of, traceparent
from tests.conftest import EMBEDDED_SERVER, wait_until
from tests.integration.test_worker_loss import Workers

pytest.importorskip("opentelemetry.sdk", reason="the otel extra is not installed")
pytest.importorskip("opentelemetry.instrumentation.celery", reason="the otel extra is not installed")

pytestmark = pytest.mark.slow

FLOW = """
name: traced
gates:
  - {id: A, checks: [{name: a1, run: ["true"]}, {name: a2, run: ["true"]}]}
  - id: B
    depends_on: [A]
    queue: approval
    checks: [{name: b, run: ["true"]}]
    approval: {role: code-reviewer}
  - {id: C, depends_on: [B], checks: [{name: c, run: ["sh", "-c", "exit 1"]}]}
"""


@pytest.fixture
def traced(tmp_path: Path) -> Iterator[tuple[Settings, Path]]:
    server = EmbeddedRedis(tmp_path / "redis", server=EMBEDDED_SERVER)
    server.start()
    spans = tmp_path / "spans.jsonl"
    settings = load_settings(
        redis_url=server.url, key_prefix="tr", task_events=False, trace_file=spans, service_name="prp-traced"
    )
    workers = Workers(settings)
    env = {"PRP_TRACE_FILE": str(spans), "PRP_SERVICE_NAME": "prp-traced", "PRP_VISIBILITY_TIMEOUT_S": "60"}
    try:
        workers.start(env, ["--queues", "automated", "--pool", "prefork", "--concurrency", "2"])
        workers.start(env, ["--queues", "approval,control", "--pool", "threads", "--concurrency", "2"])
        yield settings, spans
    finally:
        workers.stop()
        server.stop()


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _whole(spans: list[dict[str, Any]]) -> bool:
    """The run's span is out, and so is the task's span each check's runs in (each process
    exports its own in batches: the task that finalized the run ends, and exports its span, after
    the run's; on a loaded machine the test had read the file before it)."""
    ids = {s["span_id"] for s in spans}
    checks = [s for s in spans if s["name"].startswith("prp.check ")]
    return any(s["name"].startswith("prp.run ") for s in spans) and all(s["parent_id"] in ids for s in checks)


def test_a_run_is_one_trace_across_two_worker_processes(
    traced: tuple[Settings, Path], tmp_path: Path
) -> None:
    settings, path = traced
    runtime = Runtime(settings)
    control = runtime.control
    run_id = control.submit(prepare_run(tmp_path, workflow=parse_workflow(FLOW)))
    wait_until(lambda: control.store.gate_status(run_id, "B").value == "awaiting_approval", timeout=60)
    control.decide(run_id, "B", actor="alice", approve=True)
    assert control.wait_final(run_id, 60)
    wait_until(lambda: _whole(_read(path)), timeout=30)
    spans = _read(path)
    trace_id = f"{trace_id_of(run_id):032x}"
    assert {s["trace_id"] for s in spans} == {trace_id}
    assert {s["service"] for s in spans} == {"prp-traced"}
    by_id = {s["span_id"]: s for s in spans}
    commit = control.store.spec(run_id).repo.commit_sha

    run = next(s for s in spans if s["name"] == "prp.run traced")
    assert run["span_id"] == f"{run_span_id(run_id):016x}" and run["parent_id"] is None
    assert run["attributes"] == {
        "prp.run_id": run_id,
        "prp.workflow": "traced",
        "prp.repository": run["attributes"]["prp.repository"],
        "prp.commit": commit,
        "prp.outcome": "failed",
    }
    gates = {s["attributes"]["prp.gate"]: s for s in spans if s["name"].startswith("prp.gate ")}
    assert {g: s["attributes"]["prp.outcome"] for g, s in gates.items()} == {
        "A": "passed",
        "B": "passed",
        "C": "failed",
    }
    for gate_id, span in gates.items():
        assert span["span_id"] == f"{gate_span_id(run_id, gate_id):016x}"
        assert span["parent_id"] == run["span_id"] and span["attributes"]["prp.commit"] == commit
        waits = [s["name"] for s in spans if s["parent_id"] == span["span_id"] and ".gate." in s["name"]]
        assert "prp.gate.queue_wait" in waits
    approval = next(s for s in spans if s["name"] == "prp.gate.approval_wait")
    assert approval["parent_id"] == gates["B"]["span_id"]
    assert approval["attributes"]["prp.decision"] == "approved"
    assert approval["attributes"]["prp.role"] == "code-reviewer"

    checks = {s["attributes"]["prp.check"]: s for s in spans if s["name"].startswith("prp.check ")}
    assert set(checks) == {"a1", "a2", "b", "c"}
    for name, span in checks.items():
        gate_id = span["attributes"]["prp.gate"]
        consumer = by_id[span["parent_id"]]  # the Celery instrumentation's span of the task
        assert consumer["name"] == "run/prp.run_check" and consumer["kind"] == "CONSUMER"
        assert consumer["parent_id"] == gates[gate_id]["span_id"]  # from the message's traceparent
        attributes = span["attributes"]
        assert (attributes["prp.run_id"], attributes["prp.commit"], attributes["prp.attempt"]) == (
            run_id,
            commit,
            1,
        )
        assert attributes["prp.outcome"] == ("failed" if name == "c" else "passed")
    assert checks["c"]["status"] == "ERROR" and run["status"] == "ERROR"
    # the automated gates ran in the prefork worker's children, B in the threads worker
    automated = {checks[c]["pid"] for c in ("a1", "a2", "c")}
    assert checks["b"]["pid"] not in automated
    assert len({s["pid"] for s in spans}) >= 2


def test_tracing_off_imports_no_tracer_and_adds_no_header(settings: Settings) -> None:
    import subprocess
    import sys

    tracing = Tracing(settings)
    assert not tracing.enabled and tracing.headers("run-x", "G0") == {}
    with tracing.check_span("run-x", "G0", "c") as span:
        assert span == {}
    # redis-py imports OpenTelemetry's API itself; tracing off adds no SDK tracer, exporter or
    # instrumentation to that, however far the runtime is built and used
    code = (
        "import sys; from prp_tasks.celeryapp.runtime import Runtime; from prp_tasks.settings import "
        "load_settings; r = Runtime(load_settings(redis_url='redis://127.0.0.1:1/0')); r.app; r.enqueuer; "
        "r.tracing.headers('run-x', 'G0'); r.tracing.check_span('run-x', 'G0', 'c').__enter__(); "
        "print([m for m in sys.modules if m.startswith(('opentelemetry.sdk.trace', "
        "'opentelemetry.instrumentation', 'opentelemetry.exporter'))])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"


def test_spans_go_to_the_otlp_endpoint_with_the_service_name(settings: Settings) -> None:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    from tests.integration.test_observability import OtlpSink

    sink = OtlpSink()
    configured = settings.model_copy(
        update={"otlp_traces_endpoint": f"{sink.url}/v1/traces", "service_name": "prp-otlp"}
    )
    tracing = Tracing(configured)
    try:
        assert tracing.headers("run-otlp", "G1") == {"traceparent": traceparent("run-otlp", "G1")}
        with tracing.check_span("run-otlp", "G1", "lint", queue="automated") as span:
            span.update(outcome="passed", commit="abc123")
        tracing.flush()
    finally:
        tracing.shutdown()
        sink.close()
    path, body = sink.bodies[-1]
    request = ExportTraceServiceRequest.FromString(body)
    resource = {a.key: a.value.string_value for a in request.resource_spans[0].resource.attributes}
    [exported] = request.resource_spans[0].scope_spans[0].spans
    attributes = {a.key: a.value.string_value for a in exported.attributes}
    assert path == "/v1/traces" and resource["service.name"] == "prp-otlp"
    assert (
        exported.name == "prp.check G1/lint" and exported.trace_id.hex() == f"{trace_id_of('run-otlp'):032x}"
    )
    assert exported.parent_span_id.hex() == f"{gate_span_id('run-otlp', 'G1'):016x}"
    assert attributes["prp.outcome"] == "passed" and attributes["prp.commit"] == "abc123"


CALLER = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_a_run_span_links_to_the_span_that_submitted_it(
    traced: tuple[Settings, Path], tmp_path: Path
) -> None:
    """The run keeps its own trace (any process derives it from the run id); the caller's span is
    joined by a link: an HTTP request's ``traceparent``, or the span current where a Python client
    or a traced Celery task submits."""
    from opentelemetry.sdk.trace import TracerProvider

    from prp_tasks.intake.submission import SubmitRequest

    settings, path = traced
    control = Runtime(settings).control
    flow = {"name": "linked", "gates": [{"id": "A", "checks": [{"name": "a", "run": ["true"]}]}]}
    request = SubmitRequest(repo=str(tmp_path), workflow=flow)
    from_header = control.submit_request(request, actor="svc", traceparent=CALLER).run_id
    with TracerProvider().get_tracer("caller").start_as_current_span("caller work") as caller:
        from_context = control.submit_request(request, actor="svc").run_id
        current = caller.get_span_context()
    plain = control.submit_request(request, actor="svc").run_id
    for run_id in (from_header, from_context, plain):
        assert control.wait_final(run_id, 60)
    wait_until(lambda: sum(s["name"] == "prp.run linked" for s in _read(path)) == 3, timeout=30)
    links = {s["attributes"]["prp.run_id"]: s["links"] for s in _read(path) if s["name"] == "prp.run linked"}
    assert links[from_header] == [{"trace_id": CALLER[3:35], "span_id": CALLER[36:52]}]
    assert links[from_context] == [
        {"trace_id": f"{current.trace_id:032x}", "span_id": f"{current.span_id:016x}"}
    ]
    assert links[plain] == []


def test_prp_run_links_its_run_to_the_span_in_traceparent_and_traces_its_tasks(tmp_path: Path) -> None:
    """A traced parent process hands its span to ``prp run`` in ``TRACEPARENT`` (OpenTelemetry's
    environment carrier); the run, on the embedded server and in-process workers, links to it."""
    from tests.conftest import run_prp

    flow = tmp_path / "flow.yaml"
    flow.write_text('name: cli-linked\ngates:\n  - {id: A, checks: [{name: a, run: ["true"]}]}\n')
    (tmp_path / "repo").mkdir()
    spans = tmp_path / "spans.jsonl"
    env = {"TRACEPARENT": CALLER, "PRP_TRACE_FILE": str(spans)}
    done = run_prp("run", str(tmp_path / "repo"), "--workflow", str(flow), env=env)
    assert done.returncode == 0, done.stderr
    found = _read(spans)
    [run] = [s for s in found if s["name"] == "prp.run cli-linked"]
    assert run["links"] == [{"trace_id": CALLER[3:35], "span_id": CALLER[36:52]}]
    # the in-process worker is instrumented as a `prp worker` is: the check inside its task's span
    [check] = [s for s in found if s["name"] == "prp.check A/a"]
    consumer = next(s for s in found if s["span_id"] == check["parent_id"])
    assert consumer["name"] == "run/prp.run_check" and consumer["kind"] == "CONSUMER"
