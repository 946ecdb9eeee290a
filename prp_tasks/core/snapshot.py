"""A read-only view of a whole run, as renderers and status views consume it."""

from __future__ import annotations

import json
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from prp_tasks.core.approvals import DECISION_TYPES, AuditEvent
from prp_tasks.core.models import GateStatus, Phase
from prp_tasks.core.results import (
    CheckResult,
    Evidence,
    EvidenceType,
    GateRecord,
    HumanApproval,
    evidence_id,
)
from prp_tasks.core.run import RunSpec, RunStatus


class GateEventType(StrEnum):
    START = "start"
    SETTLE = "settle"


class GateEvent(BaseModel):
    """A gate was dispatched (start) or reached a terminal status (settle)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    gate_id: str
    type: GateEventType
    timestamp: str
    status: str | None = None
    message: str | None = None


class GateView(BaseModel):
    """One gate as seen now: its status, its record once evaluated, its check results so far."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    gate_id: str
    status: GateStatus
    started_at: str | None = None
    record: GateRecord | None = None
    checks: dict[str, CheckResult] = {}


class RunSnapshot(BaseModel):
    """Everything known about a run at one moment."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    spec: RunSpec
    status: RunStatus
    gates: dict[str, GateView]
    #: the run's audit trail, oldest first
    audit: tuple[AuditEvent, ...] = ()
    events: tuple[GateEvent, ...] = ()
    finished_at: str | None = None
    #: artifact name -> content produced by gates (reports) and checks
    artifacts: dict[str, str] = {}
    cancelled: bool = False

    @property
    def run_id(self) -> str:
        return self.spec.run_id

    @property
    def approvals(self) -> tuple[HumanApproval, ...]:
        """Every decision (votes, decisions, auto-approvals, expiries), in recorded order."""
        return tuple(e.approval for e in self.audit if e.type in DECISION_TYPES and e.approval is not None)

    def gate_status(self, gate_id: str) -> GateStatus:
        return self.gates[gate_id].status

    def evidence(self) -> tuple[Evidence, ...]:
        """All evidence: the profile's origin first, then gates in workflow order."""
        out: list[Evidence] = [profile_evidence(self.spec)]
        for gate_id in self.spec.workflow.gate_ids:
            record = self.gates[gate_id].record
            if record is not None:
                out.extend(record.evidence)
        return tuple(out)


def profile_evidence(spec: RunSpec) -> Evidence:
    """One evidence item saying which profile the run used, or that defaults applied."""
    profile = spec.profile
    if profile.source is None:
        content = {"defaults": True, "message": "no initial.md found; built-in profile defaults apply"}
    else:
        content = {"defaults": False, "source": profile.source, "sha256": profile.sha256}
    return Evidence(
        id=evidence_id(spec.run_id, "profile"),
        type=EvidenceType.VALIDATION,
        source=profile.source or "initial.md",
        content=json.dumps(content, sort_keys=True),
        timestamp=spec.created_at,
        phase=Phase.STRATEGY,
        commit_sha=spec.repo.commit_sha,
    )
