"""Traces: one per run, with a span for the run, each gate (its queue wait and approval wait) and
each check, exported over OTLP/HTTP (``PRP_OTLP_TRACES_ENDPOINT``) and/or as JSON lines
(``PRP_TRACE_FILE``).

Off unless one of those is set, and then nothing of OpenTelemetry is imported: :class:`Tracing`
answers every call with nothing. The ``otel`` extra provides the SDK, the exporter and the
official Celery instrumentation (:mod:`prp_tasks.celeryapp.tracing` installs it in workers).

**Any process can parent a span on the run's.** The run's trace id, the run span's id and each
gate span's id are derived from the run id (and gate id), so the worker that executes a check,
the one that settles a gate and the one that finalizes the run agree on them without reading or
storing anything: the run id *is* the stored trace context. A check message carries its gate
span's W3C ``traceparent`` header (the Celery instrumentation's consumer span is its child, and
our check span the instrumentation's child); without the header, or with a foreign trace in it,
the check span is parented on the gate span directly. Check spans are emitted live by the worker
that runs the check; the run span, the gate spans and their queue-wait and approval-wait children
are emitted once, by the worker that finalizes the run, from the run's recorded timeline.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import logging
import os
import threading
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from prp_tasks.core.approvals import DECISION_TYPES, AuditType
from prp_tasks.core.snapshot import GateView, RunSnapshot
from prp_tasks.settings import Settings

log = logging.getLogger("prp_tasks.telemetry")

TRACEPARENT = "traceparent"
#: span ids the next span must take (run and gate spans are deterministic)
_NEXT_IDS: contextvars.ContextVar[tuple[int, int] | None] = contextvars.ContextVar(
    "prp_next_ids", default=None
)


def _digest(*parts: str, bits: int) -> int:
    value = int(hashlib.sha256("|".join(parts).encode()).hexdigest()[: bits // 4], 16)
    return value or 1  # all-zero ids are invalid


def trace_id_of(run_id: str) -> int:
    """The run's trace id (128 bits, derived from the run id)."""
    return _digest("prp-trace", run_id, bits=128)


def run_span_id(run_id: str) -> int:
    return _digest("prp-span", run_id, bits=64)


def gate_span_id(run_id: str, gate_id: str) -> int:
    return _digest("prp-span", run_id, gate_id, bits=64)


def traceparent(run_id: str, gate_id: str | None = None) -> str:
    """The W3C ``traceparent`` of the run span, or of one of its gates' spans."""
    span = gate_span_id(run_id, gate_id) if gate_id else run_span_id(run_id)
    return f"00-{trace_id_of(run_id):032x}-{span:016x}-01"


def current_traceparent() -> str | None:
    """The W3C ``traceparent`` of the span current in this process (OpenTelemetry's API, which
    redis-py imports anyway), or None when there is none: what a run submitted from here links to."""
    try:
        from opentelemetry import trace
    except ImportError:
        return None
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


def ns(iso: str | None) -> int | None:
    return int(datetime.fromisoformat(iso).timestamp() * 1e9) if iso else None


class Tracing:
    """The process's tracing: a no-op unless an exporter is configured."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.enabled = bool(settings.otlp_traces_endpoint or settings.trace_file)
        self._provider: Any = None
        self._pid = 0
        self._lock = threading.Lock()

    def headers(self, run_id: str, gate_id: str | None = None) -> dict[str, str]:
        """The headers a check message (a gate's span) or a finalization message (the run's span)
        carries; none when tracing is off."""
        return {TRACEPARENT: traceparent(run_id, gate_id)} if self.enabled else {}

    @contextlib.contextmanager
    def publishing(self, run_id: str, gate_id: str) -> Iterator[None]:
        """The gate span's context is current while a check message is published (so a producer
        span of the Celery instrumentation, and the header it injects, belong to the gate)."""
        if not self.enabled:
            yield
            return
        from opentelemetry import context

        token = context.attach(remote_context(run_id, gate_span_id(run_id, gate_id)))
        try:
            yield
        finally:
            context.detach(token)

    def provider(self) -> Any:
        """This process's TracerProvider (made on first use, anew in a forked child)."""
        with self._lock:
            if self._provider is None or self._pid != os.getpid():
                self._provider, self._pid = make_provider(self.settings), os.getpid()
            return self._provider

    def tracer(self) -> Any:
        return self.provider().get_tracer("prp_tasks")

    @contextlib.contextmanager
    def check_span(
        self, run_id: str, gate_id: str, check: str, carrier: Any = None, **attributes: Any
    ) -> Iterator[dict[str, Any]]:
        """A span around one check execution; the caller puts ``outcome`` (and more) into the dict
        yielded. ``carrier``: the task's request (its ``traceparent`` header)."""
        if not self.enabled:
            yield {}
            return
        from opentelemetry import trace

        parent = _parent_context(run_id, gate_id, carrier)
        names = {"prp.run_id": run_id, "prp.gate": gate_id, "prp.check": check}
        out: dict[str, Any] = {}
        with self.tracer().start_as_current_span(
            f"prp.check {gate_id}/{check}", context=parent, kind=trace.SpanKind.INTERNAL
        ) as span:
            span.set_attributes({**names, **_clean({f"prp.{k}": v for k, v in attributes.items()})})
            try:
                yield out
            finally:
                span.set_attributes(_clean({f"prp.{k}": v for k, v in out.items()}))
                if out.get("outcome") in ("failed", "error"):
                    span.set_status(trace.Status(trace.StatusCode.ERROR, str(out.get("reason", ""))))

    def run_finished(self, snapshot: RunSnapshot, status: str, finished_at: str) -> None:
        """The run's span and its gates' spans (with their waits), from its recorded timeline."""
        if not self.enabled:
            return
        try:
            RunSpans(self.tracer(), snapshot).emit(status, finished_at)
            self.flush()
        except Exception:  # tracing never fails a run
            log.warning("run %s: spans not emitted", snapshot.run_id, exc_info=True)

    def flush(self) -> None:
        if self._provider is not None and self._pid == os.getpid():
            self._provider.force_flush()

    def shutdown(self) -> None:
        if self._provider is not None and self._pid == os.getpid():
            self._provider.shutdown()
            self._provider = None


def _clean(attributes: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in attributes.items() if isinstance(v, str | bool | int | float)}


def _parent_context(run_id: str, gate_id: str, carrier: Any) -> Any:
    """The current span's context when it belongs to the run's trace (the Celery instrumentation's
    consumer span), else the ``traceparent`` the message carries, else the gate span's."""
    from opentelemetry import trace
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    trace_id = trace_id_of(run_id)
    if trace.get_current_span().get_span_context().trace_id == trace_id:
        return None  # the current context
    header = getattr(carrier, TRACEPARENT, None) if carrier is not None else None
    if isinstance(header, str):
        extracted = TraceContextTextMapPropagator().extract({TRACEPARENT: header})
        if trace.get_current_span(extracted).get_span_context().trace_id == trace_id:
            return extracted
    return remote_context(run_id, gate_span_id(run_id, gate_id))


def remote_context(run_id: str, span_id: int) -> Any:
    from opentelemetry import trace

    span = trace.SpanContext(
        trace_id_of(run_id), span_id, is_remote=True, trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED)
    )
    return trace.set_span_in_context(trace.NonRecordingSpan(span))


class RunSpans:
    """The run's span and its gates' spans, with deterministic ids."""

    def __init__(self, tracer: Any, snapshot: RunSnapshot) -> None:
        self.tracer, self.snapshot = tracer, snapshot
        self.run_id = snapshot.run_id

    def emit(self, status: str, finished_at: str) -> None:
        spec = self.snapshot.spec
        attributes = {
            "prp.run_id": self.run_id,
            "prp.workflow": spec.workflow.name,
            "prp.repository": spec.repo.full_name,
            "prp.commit": spec.repo.commit_sha,
            "prp.outcome": status,
        }
        for view in self.snapshot.gates.values():
            self.gate(view)
        from opentelemetry.context import Context

        token = _NEXT_IDS.set((trace_id_of(self.run_id), run_span_id(self.run_id)))
        try:
            span = self.tracer.start_span(  # a root, whatever span is current
                f"prp.run {spec.workflow.name}",
                context=Context(),
                start_time=ns(spec.created_at),
                attributes=attributes,
                links=caller_links(spec.caller_trace),
            )
        finally:
            _NEXT_IDS.reset(token)
        _end(span, status, ns(finished_at))

    def gate(self, view: GateView) -> None:
        record = view.record.result if view.record else None
        started = view.started_at or (record.timestamp if record else None)
        ended = record.finished_at if record else None
        if started is None:  # never dispatched (skipped before it could start)
            started = ended
        if started is None:
            return
        attributes = {
            "prp.run_id": self.run_id,
            "prp.gate": view.gate_id,
            "prp.commit": self.snapshot.spec.repo.commit_sha,
            "prp.outcome": view.status.value,
            "prp.queue": (record.queue if record else None) or "",
            "prp.reason": (record.reason if record else None) or "",
        }
        parent = remote_context(self.run_id, run_span_id(self.run_id))
        token = _NEXT_IDS.set((0, gate_span_id(self.run_id, view.gate_id)))
        try:
            span = self.tracer.start_span(
                f"prp.gate {view.gate_id}",
                context=parent,
                start_time=ns(started),
                attributes=_clean(attributes),
            )
        finally:
            _NEXT_IDS.reset(token)
        self.waits(view, started)
        _end(span, view.status.value, ns(ended) or ns(started))

    def waits(self, view: GateView, started: str) -> None:
        """The gate's queue wait (dispatch to its first check's start) and approval wait."""
        parent = remote_context(self.run_id, gate_span_id(self.run_id, view.gate_id))
        names = {"prp.run_id": self.run_id, "prp.gate": view.gate_id}
        first = min((c.started_at for c in view.checks.values() if c.started_at), default=None)
        if first:
            self.tracer.start_span(
                "prp.gate.queue_wait", context=parent, start_time=ns(started), attributes=names
            ).end(end_time=ns(first))
        asked = [
            e for e in self.snapshot.audit if e.gate_id == view.gate_id and e.type == AuditType.REQUESTED
        ]
        if not asked:
            return
        closing = (AuditType.CLOSED, *DECISION_TYPES)
        done = [e for e in self.snapshot.audit if e.gate_id == view.gate_id and e.type in closing]
        decided = next((e for e in reversed(done) if e.type != AuditType.VOTE), done[-1] if done else None)
        approval = decided.approval if decided else None
        attributes = {
            **names,
            "prp.outcome": decided.type.value if decided else "undecided",
            "prp.decision": approval.decision.value if approval else "",
            "prp.role": (approval.role if approval else None) or "",
        }
        span = self.tracer.start_span(
            "prp.gate.approval_wait", context=parent, start_time=ns(asked[0].at), attributes=attributes
        )
        span.end(end_time=ns(decided.at) if decided else None)


def caller_links(traceparent: str | None) -> list[Any]:
    """A link to the span that submitted the run (its own trace is the run's: a link, not a parent,
    joins the two, as for any work started by a message)."""
    if not traceparent:
        return []
    from opentelemetry import trace

    _, trace_id, span_id, flags = traceparent.split("-")
    caller = trace.SpanContext(int(trace_id, 16), int(span_id, 16), True, trace.TraceFlags(int(flags, 16)))
    return [trace.Link(caller, {"prp.link": "submitted by"})]


def _end(span: Any, outcome: str, end_ns: int | None) -> None:
    from opentelemetry import trace

    if outcome in ("failed", "cancelled"):
        span.set_status(trace.Status(trace.StatusCode.ERROR, outcome))
    span.end(end_time=end_ns)


def make_provider(settings: Settings) -> Any:
    """A TracerProvider with ``service.name`` from settings and the configured exporters."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    provider = TracerProvider(
        resource=Resource.create({"service.name": settings.service_name}), id_generator=_id_generator()
    )
    if settings.otlp_traces_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_traces_endpoint))
        )
    if settings.trace_file:
        provider.add_span_processor(SimpleSpanProcessor(JsonLinesExporter(settings.trace_file)))  # type: ignore[arg-type]
    return provider


def _id_generator() -> Any:
    from opentelemetry.sdk.trace.id_generator import RandomIdGenerator

    class DeterministicWhenAsked(RandomIdGenerator):
        """Random ids, except for the run and gate spans (:data:`_NEXT_IDS`)."""

        def generate_trace_id(self) -> int:
            wanted = _NEXT_IDS.get()
            return wanted[0] if wanted and wanted[0] else super().generate_trace_id()

        def generate_span_id(self) -> int:
            wanted = _NEXT_IDS.get()
            return wanted[1] if wanted else super().generate_span_id()

    return DeterministicWhenAsked()


class JsonLinesExporter:
    """A span exporter appending one JSON object per finished span to a file (one ``write`` per
    batch on an ``O_APPEND`` descriptor, so several processes can share the file)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def export(self, spans: Any) -> Any:
        from opentelemetry.sdk.trace.export import SpanExportResult

        lines = "".join(json.dumps(span_record(s), sort_keys=True) + "\n" for s in spans)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, lines.encode())
        finally:
            os.close(fd)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def span_record(span: Any) -> dict[str, Any]:
    context, parent = span.get_span_context(), span.parent
    return {
        "name": span.name,
        "trace_id": f"{context.trace_id:032x}",
        "span_id": f"{context.span_id:016x}",
        "parent_id": f"{parent.span_id:016x}" if parent else None,
        "kind": span.kind.name,
        "start": span.start_time,
        "end": span.end_time,
        "status": span.status.status_code.name,
        "attributes": dict(span.attributes or {}),
        "events": [{"name": e.name, "attributes": dict(e.attributes or {})} for e in span.events],
        "links": [
            {"trace_id": f"{link.context.trace_id:032x}", "span_id": f"{link.context.span_id:016x}"}
            for link in span.links
        ],
        "service": span.resource.attributes.get("service.name"),
        "pid": os.getpid(),
    }
