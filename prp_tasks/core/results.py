"""What gates and checks produce: Evidence, CheckResult, HumanApproval, GateResult (reference shapes).

Serialized with camelCase keys (``model_dump(by_alias=True)``) to stay compatible with the
reference's GateResult / Evidence / HumanApproval JSON.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from prp_tasks.core.models import CheckStatus, GateStatus, Phase


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, exclude_none=True)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class EvidenceType(StrEnum):
    FILE = "file"
    COMMAND = "command"
    TEST = "test"
    ANALYSIS = "analysis"
    VALIDATION = "validation"
    LLM_GENERATION = "llm-generation"
    COVERAGE = "coverage"
    A11Y = "a11y"
    SECURITY = "security"
    SBOM = "sbom"


class Evidence(_Record):
    """One piece of evidence (reference ``EvidenceSchema``)."""

    id: str
    type: EvidenceType
    source: str
    #: JSON text, as upstream
    content: str
    timestamp: str
    phase: Phase
    commit_sha: str | None = None
    line_range: str | None = None
    metadata: dict[str, Any] | None = None


def check_source(gate_id: str, check: str) -> str:
    """A check's evidence source when it read no file of its own (the reference's ``g3-run-lint``)."""
    return f"{gate_id.lower()}-{check}"


def evidence_id(*parts: str) -> str:
    """Deterministic evidence id: the same check of the same run always yields the same id."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"ev-{digest[:16]}"


class CheckResult(_Record):
    """Outcome of one check execution, recorded exactly once per (run, gate, check)."""

    name: str
    status: CheckStatus
    output: str = ""
    #: measured wall time in milliseconds (never a constant)
    duration: int = 0
    started_at: str | None = None
    finished_at: str | None = None
    attempt: int = 1
    worker: str | None = None
    evidence: tuple[Evidence, ...] = ()
    #: files the check wrote for later gates (name -> content), e.g. a generated report
    artifacts: dict[str, str] = Field(default_factory=dict)


class AutomatedCheck(_Record):
    """The per-check summary a GateResult carries (reference ``automatedChecks[]``)."""

    name: str
    status: CheckStatus
    output: str | None = None
    duration: int | None = None


class Decision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    PENDING = "pending"


class HumanApproval(_Record):
    """An approval decision: the reference shape plus role and channel (upstream had no role)."""

    gate_id: str
    actor: str
    decision: Decision
    timestamp: str
    commit_sha: str
    rationale: str = ""
    role: str | None = None
    #: cli, http, mcp, auto or client
    channel: str = "cli"
    signature: str | None = None


class GateResult(_Record):
    """Reference ``GateResultSchema`` plus timing and the reason a gate failed or was skipped."""

    id: str
    name: str
    status: GateStatus
    requires_human_approval: bool = False
    human_approval: HumanApproval | None = None
    automated_checks: tuple[AutomatedCheck, ...] = ()
    artifacts: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    #: ISO time the gate was dispatched (reference: taken at gate start)
    timestamp: str
    next_steps: tuple[str, ...] = ()
    reason: str | None = None
    finished_at: str | None = None
    duration_ms: int | None = None
    queue: str | None = None

    @property
    def checks_passed(self) -> int:
        return sum(1 for c in self.automated_checks if c.status == CheckStatus.PASS)


class GateRecord(_Record):
    """What the store keeps per gate: the result plus its evidence objects."""

    result: GateResult
    evidence: tuple[Evidence, ...] = ()
