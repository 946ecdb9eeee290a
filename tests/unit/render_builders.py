"""Snapshot builders shared by the renderer tests (no tests here)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from prp_tasks.core.approvals import AuditEvent, AuditType
from prp_tasks.core.builtin_workflow import builtin_workflow
from prp_tasks.core.evaluate import apply_decision, evaluate_gate, skipped_record
from prp_tasks.core.models import CheckSpec, CheckStatus, GateSpec, GateStatus, Phase, Workflow
from prp_tasks.core.profile import EnforcementProfile, ResolvedProfile
from prp_tasks.core.results import CheckResult, Decision, Evidence, GateRecord, HumanApproval
from prp_tasks.core.run import Blueprint, RepoInfo, RunSpec, RunStatus
from prp_tasks.core.snapshot import GateView, RunSnapshot

SHA = "0123456789abcdef0123456789abcdef01234567"
CREATED = "2026-03-01T09:00:00.000Z"
FINISHED = "2026-03-01T12:00:00.000Z"
SECTIONS = [
    "# PRP Document",
    "## 1. Objective",
    "## 2. Scope & Non-Goals",
    "## 3. Constraints",
    "## 4. Design Summary",
    "## 5. Chain I/O Handoffs",
    "## 6. Interfaces & Contracts",
    "## 7. Test Plan",
    "## 8. Verification Results",
    "## 9. Reviewer Summary",
    "## 10. Decisions & Approvals",
    "## 11. Release Notes",
    "## 12. Artifacts",
    "## 13. Follow-ups",
]


def at(minute: int, second: int = 0) -> str:
    return f"2026-03-01T10:{minute:02d}:{second:02d}.000Z"


def make_spec(
    workflow: Workflow | None = None,
    *,
    strict: bool = False,
    metadata: Mapping[str, Any] | None = None,
    resolved: ResolvedProfile | None = None,
    commit_sha: str = SHA,
) -> RunSpec:
    return RunSpec(
        run_id="run-test-1",
        workflow=workflow or builtin_workflow(),
        blueprint=Blueprint(
            title="Checkout flow",
            description="Users abandon carts at payment.",
            requirements=("Cut payment abandonment by 10%", "Support card and wallet"),
            metadata=dict(metadata or {}),
        ),
        repo=RepoInfo(owner="acme", repo="shop", branch="main", commit_sha=commit_sha, path="/r"),
        profile=resolved or ResolvedProfile(),
        created_at=CREATED,
        actor="carol",
        strict=strict,
    )


def check(
    name: str, status: CheckStatus = CheckStatus.PASS, output: str = "", sources: Iterable[str] = ()
) -> CheckResult:
    evidence = tuple(
        Evidence(
            id=f"ev-{name}-{i}",
            type="test",
            source=src,
            content='{"ok": true}',
            timestamp=at(0),
            phase=Phase.EVALUATION,
        )
        for i, src in enumerate(sources)
    )
    return CheckResult(name=name, status=status, output=output or f"{name}: ok", evidence=evidence)


def approval(
    gate_id: str,
    minute: int,
    *,
    decision: Decision = Decision.APPROVED,
    role: str | None = "architect",
    actor: str = "alice",
    rationale: str = "",
    channel: str = "http",
) -> HumanApproval:
    return HumanApproval(
        gate_id=gate_id,
        actor=actor,
        decision=decision,
        timestamp=at(minute, 30),
        commit_sha=SHA,
        rationale=rationale,
        role=role,
        channel=channel,
    )


def run_gate(
    gate: GateSpec,
    minute: int,
    *,
    fail: Iterable[str] = (),
    outputs: Mapping[str, str] = {},
    artifacts: tuple[str, ...] = (),
    decide: HumanApproval | None = None,
    sources: Mapping[str, Iterable[str]] = {},
) -> GateView:
    """Evaluate ``gate`` with every check passing except ``fail``; settle with ``decide``."""
    failing = set(fail)
    checks = {
        c.name: check(
            c.name,
            CheckStatus.FAIL if c.name in failing else CheckStatus.PASS,
            outputs.get(c.name, ""),
            sources.get(c.name, ()),
        )
        for c in gate.checks
    }
    record = evaluate_gate(
        gate, checks, started_at=at(minute), finished_at=at(minute, 20), artifacts=artifacts
    )
    if decide is not None and record.result.status == GateStatus.AWAITING_APPROVAL:
        record = apply_decision(record, decide)
    return GateView(gate_id=gate.id, status=record.result.status, record=record, checks=checks)


def skipped(gate: GateSpec, minute: int, reason: str = "dependency failed") -> GateView:
    record = skipped_record(gate, reason, at(minute))
    return GateView(gate_id=gate.id, status=GateStatus.SKIPPED, record=record)


def pending(gate: GateSpec) -> GateView:
    return GateView(gate_id=gate.id, status=GateStatus.PENDING)


def passed_views(workflow: Workflow) -> dict[str, GateView]:
    """Every gate passed, approved by a human whose role is recorded."""
    views = {}
    for i, gate in enumerate(workflow.gates):
        role = str(gate.approval.role) if gate.approval else None
        decide = approval(gate.id, i, role=role, rationale=f"{gate.id} looks right")
        views[gate.id] = run_gate(gate, i, decide=decide)
    return views


def snap(
    spec: RunSpec, views: Mapping[str, GateView], status: RunStatus = RunStatus.PASSED, **kw: Any
) -> RunSnapshot:
    approvals = tuple(
        v.record.result.human_approval
        for v in views.values()
        if v.record is not None and v.record.result.human_approval is not None
    )
    kw.setdefault("finished_at", FINISHED)
    decisions = kw.pop("approvals", approvals)
    kw.setdefault("audit", tuple(decided(spec, a) for a in decisions))
    return RunSnapshot(spec=spec, status=status, gates=dict(views), **kw)


def decided(spec: RunSpec, approval: HumanApproval) -> AuditEvent:
    """The audit record a decision leaves (snapshots derive their approvals from it)."""
    return AuditEvent(
        type=AuditType.DECIDED,
        run_id=spec.run_id,
        gate_id=approval.gate_id,
        at=approval.timestamp,
        actor=approval.actor,
        role=approval.role,
        decision=approval.decision.value,
        approval=approval,
    )


def all_passed(**spec_kw: Any) -> RunSnapshot:
    spec = make_spec(**spec_kw)
    return snap(spec, passed_views(spec.workflow))


#: a profile with a command for every required check (G3 runs them as run-test, run-lint, …)
COMMANDED = ResolvedProfile(
    source="initial.md",
    profile=EnforcementProfile.model_validate(
        {"governance": {"commands": {"test": ["pytest"], "lint": ["ruff", "check"], "type-check": ["mypy"]}}}
    ),
)


def all_commanded() -> RunSnapshot:
    """Every gate passed, with every required check run by its command."""
    spec = make_spec(builtin_workflow(COMMANDED.profile), resolved=COMMANDED)
    return snap(spec, passed_views(spec.workflow))


def with_gates(snapshot: RunSnapshot, status: RunStatus, **views: GateView) -> RunSnapshot:
    """Replace some gates; the audit trail follows the gates' recorded decisions."""
    gates = {**snapshot.gates, **views}
    audit = tuple(
        decided(snapshot.spec, v.record.result.human_approval)
        for v in gates.values()
        if v.record is not None and v.record.result.human_approval is not None
    )
    return snapshot.model_copy(update={"gates": gates, "status": status, "audit": audit})


def stage(manifest: Mapping[str, Any], key: str) -> dict[str, Any]:
    return next(s for s in manifest["stages"] if s["key"] == key)


def section(markdown: str, number: int) -> str:
    return markdown.split("\n\n---\n\n")[number]


def custom_gate(gate_id: str, checks: Iterable[str], **kw: Any) -> GateSpec:
    return GateSpec(id=gate_id, checks=tuple(CheckSpec(name=c, run=("true",)) for c in checks), **kw)


def record(view: GateView) -> GateRecord:
    """The record of a gate that has one."""
    assert view.record is not None
    return view.record
