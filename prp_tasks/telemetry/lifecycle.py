"""What the engine reports as lifecycle events (kept out of the scheduling code paths).

Each method is called right after the state change it reports and before any work it enables
is dispatched, so a consumer sees a run's events in causal order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from prp_tasks.core.approvals import ApprovalRequest
from prp_tasks.core.evaluate import elapsed_ms
from prp_tasks.core.results import CheckResult, GateRecord, HumanApproval
from prp_tasks.core.run import RunSpec
from prp_tasks.core.snapshot import RunSnapshot
from prp_tasks.state import events as ev
from prp_tasks.state.events import EventSink
from prp_tasks.telemetry.tracing import Tracing

#: final run status -> (upstream completion status, A2A state)
_COMPLETION = {
    "passed": ("success", "completed"),
    "failed": ("failed", "failed"),
    "cancelled": ("failed", "canceled"),
}


class Lifecycle:
    """Builds the event payloads; :class:`EventSink` writes them. With ``tracing``, a finished
    run's spans are emitted too (:meth:`traced`)."""

    def __init__(self, sink: EventSink, tracing: Tracing | None = None) -> None:
        self.sink = sink
        self.tracing = tracing

    def traced(self, snapshot: RunSnapshot, status: str, finished_at: str) -> None:
        """The run's span and its gates' spans (nothing when tracing is off)."""
        if self.tracing is not None:
            self.tracing.run_finished(snapshot, status, finished_at)

    def started(self, spec: RunSpec) -> None:
        data = {
            "processId": spec.run_id,
            "repositoryId": spec.repo.full_name,
            "commitSha": spec.repo.commit_sha,
            "initiatedBy": spec.actor,
            "workflow": spec.workflow.name,
            "tasks": list(spec.workflow.gate_ids),
            "startedAt": spec.created_at,
        }
        if spec.idempotency_key is not None:  # how a raw-Celery submitter recognises its run
            data["idempotencyKey"] = spec.idempotency_key
        self.sink.emit(ev.PROCESSING_STARTED, spec.run_id, data)

    def gates_started(self, run_id: str, gate_ids: Sequence[str]) -> None:
        events = [(ev.GATE_STARTED, run_id, {"processId": run_id, "gateId": g}) for g in gate_ids]
        self.sink.emit_many(events, batch=gate_ids if len(gate_ids) > 1 else ())

    def check_executed(self, run_id: str, gate_id: str, result: CheckResult) -> None:
        data = {
            "processId": run_id,
            "taskId": f"{gate_id}/{result.name}",
            "kind": "check",
            "gateId": gate_id,
            "name": result.name,
            "status": _task_status(result.status.value),
            "duration": result.duration,
            "attempt": result.attempt,
            "output": result.output[:500],
            "executedAt": result.finished_at,
        }
        self.sink.emit(ev.TASK_EXECUTED, run_id, data)

    def gates_settled(
        self, run_id: str, record: GateRecord, skipped: Mapping[str, GateRecord] | None = None
    ) -> None:
        """The settled gate, and the gates it caused to be skipped (as one batch)."""
        records = [record, *(skipped or {}).values()]
        events = [(ev.TASK_EXECUTED, run_id, _gate_data(run_id, r)) for r in records]
        self.sink.emit_many(events, batch=[r.result.id for r in records] if len(records) > 1 else ())

    def approval_requested(self, request: ApprovalRequest) -> None:
        data = {
            "processId": request.run_id,
            "gateId": request.gate_id,
            "role": request.role,
            "deadline": request.deadline,
            "quorum": request.quorum,
            "batchId": request.batch_id,
        }
        self.sink.emit(ev.APPROVAL_REQUESTED, request.run_id, data)

    def approval_decided(self, run_id: str, approval: HumanApproval, outcome: str, votes: int) -> None:
        data = {
            "processId": run_id,
            "gateId": approval.gate_id,
            "decision": approval.decision.value,
            "actor": approval.actor,
            "role": approval.role,
            "channel": approval.channel,
            "outcome": outcome,
            "votes": votes,
            "decidedAt": approval.timestamp,
        }
        self.sink.emit(ev.APPROVAL_DECIDED, run_id, data)

    def cancelled(self, run_id: str, actor: str) -> None:
        self.sink.emit(ev.RUN_CANCELLED, run_id, {"processId": run_id, "cancelledBy": actor})

    def finished(
        self, spec: RunSpec, status: str, finished_at: str, gates: Mapping[str, str], review: dict[str, Any]
    ) -> None:
        """Review generated, then processing completed (totals)."""
        findings = review.get("findings", [])
        completion, a2a = _COMPLETION.get(status, ("partial", "failed"))
        review_data = {
            "processId": spec.run_id,
            "reviewId": f"review-{spec.run_id}",
            "type": "automated",
            "findings": len(findings),
            "suggestions": sum(1 for f in findings if f.get("recommendation")),
            "scores": review.get("scores", {}),
            "generatedAt": finished_at,
        }
        totals = {
            "processId": spec.run_id,
            "status": completion,
            "runStatus": status,
            "a2aState": a2a,
            "totalTasks": len(gates),
            "completedTasks": sum(1 for s in gates.values() if s == "passed"),
            "failedTasks": sum(1 for s in gates.values() if s == "failed"),
            "skippedTasks": sum(1 for s in gates.values() if s == "skipped"),
            "duration": elapsed_ms(spec.created_at, finished_at),
            "completedAt": finished_at,
        }
        self.sink.emit_many(
            [(ev.REVIEW_GENERATED, spec.run_id, review_data), (ev.PROCESSING_COMPLETED, spec.run_id, totals)]
        )


def _task_status(status: str) -> str:
    return {"pass": "completed", "fail": "failed", "skip": "skipped"}.get(status, status)


def _gate_data(run_id: str, record: GateRecord) -> dict[str, Any]:
    result = record.result
    status = {"passed": "completed", "failed": "failed", "skipped": "skipped"}.get(
        result.status.value, "started"
    )
    data: dict[str, Any] = {
        "processId": run_id,
        "taskId": result.id,
        "kind": "gate",
        "gateId": result.id,
        "name": result.name,
        "status": status,
        "gateStatus": result.status.value,
        "duration": result.duration_ms or 0,
        "executedAt": result.finished_at,
    }
    if result.reason:
        data["errorMessage"] = result.reason
    return data
