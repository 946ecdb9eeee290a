"""Approval requests and audit events: what is recorded when a gate parks and when anyone acts."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from prp_tasks.core.results import HumanApproval

#: decision channels
Channel = Literal["cli", "http", "mcp", "auto", "client"]


class ApprovalRequest(BaseModel):
    """A parked gate waiting for a human decision (stored; nothing waits in a worker)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str
    gate_id: str
    gate_name: str
    role: str
    description: str
    commit_sha: str
    #: one line per check, e.g. "pass blueprint-validation: title, description ... present"
    evidence_summary: tuple[str, ...] = ()
    requested_at: str
    deadline: str
    quorum: int = 1
    #: who asked for the run (cannot approve when ``no_self_approval``)
    requester: str
    no_self_approval: bool = False
    on_timeout: Literal["fail", "approve"] = "fail"
    reminder_s: float | None = None
    escalate_at: str | None = None
    escalate_to: str | None = None
    batch_id: str | None = None


class AuditType(StrEnum):
    """Every kind of audit record."""

    REQUESTED = "approval.requested"  #: a gate parked
    BATCH = "approval.batch"  #: a notification batch of requests was published
    PREAPPROVED = "approval.preapproved"  #: a decision given before the gate parked
    VOTE = "approval.vote"  #: an approval counted toward a quorum (the gate still waits)
    DECIDED = "approval.decided"  #: a decision settled the gate
    AUTO = "approval.auto"  #: an auto-approval rule settled the gate
    EXPIRED = "approval.expired"  #: the deadline passed
    #: the run already failed: no decision could change its outcome, so the parked gate was closed
    CLOSED = "approval.closed"
    REFUSED = "approval.refused"  #: a decision was refused (role, self-approval, commit)
    DUPLICATE = "approval.duplicate"  #: the same actor approved twice; ignored
    REMINDER = "approval.reminder"
    ESCALATED = "approval.escalated"
    CANCELLED = "run.cancelled"
    RERUN = "gate.rerun"  #: a settled gate and its dependents were re-opened (forced re-run)
    NOTIFIED = "notification.delivered"  #: a webhook accepted a notification
    NOTIFY_RETRY = "notification.retrying"  #: a delivery attempt failed; another follows
    NOTIFY_FAILED = "notification.failed"  #: a delivery was given up after its last attempt


#: audit types that carry a decision (they feed "Decisions & Approvals" and the manifest)
DECISION_TYPES = frozenset({AuditType.VOTE, AuditType.DECIDED, AuditType.AUTO, AuditType.EXPIRED})


class AuditEvent(BaseModel):
    """One audit record. ``id`` is the stream entry id once stored."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: AuditType
    run_id: str
    at: str
    gate_id: str | None = None
    actor: str | None = None
    role: str | None = None
    channel: str | None = None
    decision: str | None = None
    rationale: str | None = None
    reason: str | None = None
    batch_id: str | None = None
    approval: HumanApproval | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    id: str | None = None

    def to_json(self) -> str:
        return self.model_dump_json(exclude_none=True, exclude={"id"})


@dataclass(frozen=True)
class DecisionResult:
    """What a decision call did."""

    run_id: str
    gate_id: str
    #: approved | rejected (the gate settled), counted (quorum not reached), duplicate, preapproved
    outcome: str
    gate_status: str
    votes: int = 0
    quorum: int = 1

    def describe(self) -> str:
        if self.outcome == "counted":
            return f"{self.gate_id}: approval counted ({self.votes} of {self.quorum}); still waiting"
        if self.outcome == "duplicate":
            return f"{self.gate_id}: already approved by this actor ({self.votes} of {self.quorum}); ignored"
        if self.outcome == "preapproved":
            return f"{self.gate_id}: pre-approval recorded; it applies when the gate's checks pass"
        return f"{self.gate_id}: {self.gate_status} ({self.outcome})"


@dataclass(frozen=True)
class PendingApproval:
    """One parked gate, oldest first in listings."""

    run_id: str
    gate_id: str
    gate_name: str
    role: str
    description: str
    commit_sha: str
    requested_at: str
    deadline: str
    age_s: float
    seconds_left: float
    votes: int
    quorum: int
    batch_id: str | None
    escalate_to: str | None
    evidence_summary: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
