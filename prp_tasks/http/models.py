"""Request and response bodies of the HTTP API (request bodies reject unknown fields)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from prp_tasks.core.approvals import DecisionResult, PendingApproval
from prp_tasks.core.run import RunStatus
from prp_tasks.service.views import a2a_state


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RunCreated(_Body):
    run_id: str
    #: false when an earlier request with the same idempotency key created the run
    created: bool
    status_url: str


class RunRow(_Body):
    run_id: str
    #: what the run's own view (``GET /v1/runs/{id}``) says, ``awaiting_approval`` included
    status: RunStatus
    #: the A2A task state beside it (submitted, working, input-required, completed, failed, canceled)
    a2a_state: str
    repo: str | None
    created_at: str | None
    updated_at: str | None

    @classmethod
    def of(cls, row: dict[str, str]) -> RunRow:
        return cls(
            run_id=row["run_id"],
            status=RunStatus(row["status"]),
            a2a_state=a2a_state(row["status"]),
            repo=row.get("repo"),
            created_at=row.get("created_at"),
            updated_at=row.get("updated_at"),
        )


class RunList(_Body):
    items: list[RunRow]
    #: pass as ``cursor`` for the next page; null on the last page
    next_cursor: int | None


class DecisionBody(_Body):
    decision: Literal["approve", "reject"]
    rationale: str = Field(default="", max_length=4000)
    #: refuse unless the run is at this commit
    commit_sha: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{7,64}$")


class BatchDecisionBody(_Body):
    #: runs to cover; empty: every run with a parked gate
    runs: list[str] = Field(default_factory=list, max_length=100)
    decision: Literal["approve", "reject"]
    rationale: str = Field(default="", max_length=4000)
    #: also pre-approve gates that have not parked yet
    include_upcoming: bool = Field(default=False, strict=True)


class DecisionOut(_Body):
    run_id: str
    gate_id: str
    #: approved | rejected | counted | duplicate | preapproved | refused: ...
    outcome: str
    gate_status: str
    votes: int
    quorum: int
    message: str

    @classmethod
    def of(cls, result: DecisionResult) -> DecisionOut:
        return cls(
            run_id=result.run_id,
            gate_id=result.gate_id,
            outcome=result.outcome,
            gate_status=result.gate_status,
            votes=result.votes,
            quorum=result.quorum,
            message=result.describe(),
        )


class BatchDecisionOut(_Body):
    results: list[DecisionOut]


class RerunBody(_Body):
    #: required: re-running re-executes the gate and every gate depending on it
    force: bool = Field(default=False, strict=True)


class RerunOut(_Body):
    run_id: str
    reopened: list[str]


class CancelOut(_Body):
    run_id: str
    #: false when the run was cancelled already
    cancelled: bool


class PendingOut(_Body):
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
    evidence_summary: list[str]

    @classmethod
    def of(cls, pending: PendingApproval) -> PendingOut:
        return cls(**{**pending.to_dict(), "evidence_summary": list(pending.evidence_summary)})


class AuditOut(_Body):
    run_id: str
    events: list[dict[str, Any]]


class Health(_Body):
    status: Literal["ok", "unavailable"]
    redis: bool
    detail: str | None = None


class Problem(_Body):
    """RFC 9457 problem details (``application/problem+json``)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = None
