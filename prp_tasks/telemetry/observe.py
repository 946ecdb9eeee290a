"""The metric increments each transition records (passed to the Lua script that makes it)."""

from __future__ import annotations

import time

from prp_tasks.core.evaluate import elapsed_ms
from prp_tasks.core.results import CheckResult, GateRecord
from prp_tasks.telemetry.schema import (
    APPROVAL_WAIT,
    CHECK_DURATION,
    CHECK_STATUS_LABEL,
    GATE_DURATION,
    QUEUE_WAIT,
    observe,
)

Pairs = list[tuple[str, float]]


def gate_settled(record: GateRecord, queue: str) -> Pairs:
    """A gate reached a final status: its duration from dispatch."""
    result = record.result
    labels = {"gate": result.id, "queue": queue, "status": result.status.value}
    return observe(GATE_DURATION, labels, (result.duration_ms or 0) / 1000)


def check_recorded(gate_id: str, result: CheckResult) -> Pairs:
    """A check's result was claimed: its run time, labelled ``passed``/``failed``/``skipped`` (the
    gates' vocabulary)."""
    status = CHECK_STATUS_LABEL.get(result.status.value, result.status.value)
    return observe(CHECK_DURATION, {"gate": gate_id, "status": status}, result.duration / 1000)


def queue_wait(queue: str, enqueued_at: float | None) -> Pairs:
    """Enqueue to first execution start (nothing when the message did not say when it was sent)."""
    if enqueued_at is None:
        return []
    return observe(QUEUE_WAIT, {"queue": queue}, max(0.0, time.time() - enqueued_at))


def approval_waited(gate_id: str, parked_at: str, decided_at: str, outcome: str) -> Pairs:
    wait_s = elapsed_ms(parked_at, decided_at) / 1000
    return observe(APPROVAL_WAIT, {"gate": gate_id, "outcome": outcome}, wait_s)
