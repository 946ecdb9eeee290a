"""Lifecycle events on a Redis Stream (``prp:events``): one CloudEvents 1.0 JSON envelope per entry.

Stream entry fields: ``type`` and ``subject`` (the run id), duplicated for cheap filtering, and
``event`` (the structured-mode envelope: specversion, id, source, type, subject, time,
datacontenttype, data). Every ``data`` carries ``a2aState`` (submitted, working, input-required,
completed, failed, canceled) so an A2A consumer can map runs to tasks; events about several
gates settled together carry ``batch``.

Emission never blocks or fails a gate: it happens after the state change it reports, and a
failed XADD is logged and counted (``events_failed``), never raised.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

import redis

from prp_tasks.core.evaluate import utc_now
from prp_tasks.core.redact import redact
from prp_tasks.ids import new_hex
from prp_tasks.state.connection import Batch, wrap_errors
from prp_tasks.state.keys import Keys

log = logging.getLogger("prp_tasks.state.events")

SOURCE = "urn:prp-tasks"

PROCESSING_STARTED = "prp_runner.processing.started"
GATE_STARTED = "prp_runner.gate.started"
TASK_EXECUTED = "prp_runner.task.executed"
APPROVAL_REQUESTED = "prp_runner.approval.requested"
APPROVAL_DECIDED = "prp_runner.approval.decided"
REVIEW_GENERATED = "prp_runner.review.generated"
PROCESSING_COMPLETED = "prp_runner.processing.completed"
RUN_CANCELLED = "prp_runner.run.cancelled"
BREAKER_STATE_CHANGED = "prp_runner.breaker.state_changed"

#: the A2A task state a run is in after each kind of event (``None``: depends on the run)
A2A_AFTER = {
    PROCESSING_STARTED: "submitted",
    GATE_STARTED: "working",
    TASK_EXECUTED: "working",
    APPROVAL_REQUESTED: "input-required",
    APPROVAL_DECIDED: "working",
    REVIEW_GENERATED: "working",
    RUN_CANCELLED: "canceled",
    BREAKER_STATE_CHANGED: "working",
}


def envelope(
    event_type: str, run_id: str, data: dict[str, Any], *, time: str | None = None
) -> dict[str, Any]:
    """A CloudEvents 1.0 structured-mode envelope."""
    return {
        "specversion": "1.0",
        "id": new_hex(),
        "source": SOURCE,
        "type": event_type,
        "subject": run_id,
        "time": time or utc_now(),
        "datacontenttype": "application/json",
        "data": data,
    }


#: an event waiting to be written: type, run id, data, batch, time
Row = tuple[str, str, dict[str, Any], Sequence[str], str]
#: an event ready for a script to append: type, envelope JSON (redacted)
Rendered = tuple[str, str]


class EventSink:
    """Appends lifecycle events to ``P:events`` (capped with ``MAXLEN ~``)."""

    def __init__(self, client: redis.Redis, keys: Keys, maxlen: int = 100_000) -> None:
        self.client = client
        self.keys = keys
        self.maxlen = maxlen
        self.failed: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._local = threading.local()  # per thread: events held back by ``deferred``

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """Hold events emitted in this thread and write them in one round trip at ``flush`` or at
        the end of the block (in order). A task that emits several events pays one round trip."""
        outer = getattr(self._local, "held", None)
        if outer is not None:  # nested: the outer block flushes
            yield
            return
        self._local.held = []
        try:
            yield
        finally:
            self.flush()
            self._local.held = None

    def flush(self, batch: Batch | None = None) -> None:
        """Write the events held back so far (before anything that lets another process react);
        with ``batch``, add them to that batch (the caller executes it)."""
        held = getattr(self._local, "held", None)
        if held:
            self._local.held = []
            if batch is not None:
                self._add(batch, held)
            else:
                self._write(held)

    @contextlib.contextmanager
    def capture(self) -> Iterator[list[Row]]:
        """Collect the events emitted in this thread during the block instead of writing them (a
        script appends them, see :meth:`render`)."""
        outer = getattr(self._local, "capturing", None)
        rows: list[Row] = []
        self._local.capturing = rows
        try:
            yield rows
        finally:
            self._local.capturing = outer

    def render(self, rows: Sequence[Row]) -> list[Rendered]:
        """Events as a script appends them: (type, redacted envelope JSON)."""
        out = []
        for event_type, run_id, data, batch, at in rows:
            body = {"a2aState": A2A_AFTER.get(event_type, "working"), **data}
            if batch:
                body["batch"] = list(batch)
            text = json.dumps(envelope(event_type, run_id, body, time=at), sort_keys=True)
            out.append((event_type, redact(text)))
        return out

    def take_held(self) -> list[Rendered]:
        """The events this thread holds back (``deferred``), rendered for a script that writes them."""
        held = getattr(self._local, "held", None)
        if not held:
            return []
        self._local.held = []
        return self.render(held)

    def hold(self, rows: Sequence[Row]) -> None:
        """Emit captured events the usual way (held back inside ``deferred``, else written now)."""
        held = getattr(self._local, "held", None)
        if held is not None:
            held.extend(rows)
        elif rows:
            self._write(rows)

    def emit(self, event_type: str, run_id: str, data: dict[str, Any], *, batch: Sequence[str] = ()) -> None:
        """Emit one event; never raises."""
        self.emit_many([(event_type, run_id, data)], batch=batch)

    def emit_many(
        self, events: Sequence[tuple[str, str, dict[str, Any]]], *, batch: Sequence[str] = ()
    ) -> None:
        """Emit several events in one round trip (in order); never raises."""
        if not events:
            return
        held = getattr(self._local, "held", None)
        now = utc_now()
        rows = [(t, r, d, batch, now) for t, r, d in events]
        capturing = getattr(self._local, "capturing", None)
        if capturing is not None:
            capturing.extend(rows)
            return
        if held is not None:
            held.extend(rows)
            return
        self._write(rows)

    def _write(self, events: Sequence[Row]) -> None:
        earlier_failures = 0
        try:
            batch = Batch(self.client, transaction=False)
            earlier_failures = self._add(batch, events)
            batch.execute()
        except Exception as exc:  # a lost event must never fail a gate
            with self._lock:
                self.failed["events_failed_total"] += len(events) + earlier_failures
            log.warning("could not emit %d event(s): %s", len(events), exc)

    def _add(self, out: Batch, events: Sequence[Row]) -> int:
        """XADD each event (in order) and count them, to ``out``; returns the earlier failures
        it reports (for the caller to count again if the batch fails)."""
        with self._lock:
            earlier_failures = self.failed.pop("events_failed_total", 0)
        rendered = zip((row[1] for row in events), self.render(events), strict=True)
        append_events(out, self.keys, self.maxlen, list(rendered))
        if earlier_failures:  # counted here once Redis answers again
            out.add("HINCRBY", self.keys.metrics, "events_failed_total", earlier_failures)
        return int(earlier_failures)


def append_events(out: Batch, keys: Keys, maxlen: int, events: Sequence[tuple[str, Rendered]]) -> None:
    """XADD each (subject, rendered event) to the lifecycle stream in order and count them, to
    ``out`` (what ``emit`` in prelude.lua does inside a script)."""
    for subject, (event_type, text) in events:
        fields = ("type", event_type, "subject", subject, "event", text)
        out.add("XADD", keys.events, "MAXLEN", "~", maxlen, "*", *fields)
    if events:
        out.add("HINCRBY", keys.metrics, "events_emitted_total", len(events))


#: a stream entry: its id and fields (``type``, ``subject``, ``event``)
Entry = tuple[str, dict[str, str]]


class EventStream:
    """Reads the lifecycle stream (``prp events``)."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.key = keys.events

    def recent(self, count: int) -> list[Entry]:
        """The last ``count`` entries, oldest first."""
        with wrap_errors():
            entries = self.client.xrevrange(self.key, count=count)
        return list(reversed(entries))

    def after(self, cursor: str, block_ms: int | None = 5000, count: int = 100) -> list[Entry]:
        """Entries after ``cursor`` (``$``: from now on), waiting up to ``block_ms`` for one
        (``None``: not waiting)."""
        with wrap_errors():
            batches = self.client.xread({self.key: cursor}, block=block_ms, count=count) or []
        return [entry for _, batch in batches for entry in batch]
