"""What a decision is made of, without the store: the request a parked gate records, the rule
that approves it automatically, the approval record of a human's decision, what a rejection stops,
the audit records; and the time helpers their schedules use."""

from __future__ import annotations

import secrets
import time
from datetime import timedelta
from typing import Any

from prp_tasks.core import dag
from prp_tasks.core.approvals import ApprovalRequest, AuditEvent, AuditType
from prp_tasks.core.evaluate import dependency_reason, parse_ts, skipped_record, utc_now
from prp_tasks.core.models import GateSpec, GateStatus
from prp_tasks.core.results import Decision, GateRecord, HumanApproval
from prp_tasks.core.run import RunSpec
from prp_tasks.errors import GateNotFound, InputError


def new_batch_id() -> str:
    return f"b-{int(time.time() * 1000):x}-{secrets.token_hex(3)}"


def iso_after(start: str, seconds: float) -> str:
    return (
        (parse_ts(start) + timedelta(seconds=seconds))
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def to_ms(iso: str) -> int:
    return int(parse_ts(iso).timestamp() * 1000)


def build_request(spec: RunSpec, gate: GateSpec, record: GateRecord, now: str) -> ApprovalRequest:
    """The request a parked gate records: role, deadline, quorum, evidence summary, escalation."""
    assert gate.approval is not None
    policy = spec.profile.profile.approval
    appr = gate.approval
    timeout = appr.timeout_s or policy.timeout_s
    return ApprovalRequest(
        run_id=spec.run_id,
        gate_id=gate.id,
        gate_name=gate.display_name,
        role=appr.role.value,
        description=appr.description or f"{gate.display_name}: {gate.purpose}".rstrip(": "),
        commit_sha=spec.repo.commit_sha,
        evidence_summary=tuple(
            f"{c.status.value} {c.name}: {(c.output or '').splitlines()[0][:160] if c.output else ''}"
            for c in record.result.automated_checks
        ),
        requested_at=now,
        deadline=iso_after(now, timeout),
        quorum=appr.quorum,
        requester=spec.actor,
        no_self_approval=appr.no_self_approval or policy.no_self_approval,
        on_timeout=appr.on_timeout,
        reminder_s=appr.reminder_s or policy.reminder_s,
        escalate_at=iso_after(now, appr.escalate_after_s) if appr.escalate_after_s else None,
        escalate_to=appr.escalate_to.value if appr.escalate_to else None,
    )


def auto_rule(spec: RunSpec, gate: GateSpec) -> str | None:
    """The auto-approval rule matching this gate, if any (strict mode needs an explicit rule)."""
    if spec.auto_approve:
        return "--auto-approve"
    role = gate.approval.role.value if gate.approval else ""
    for rule in spec.profile.profile.approval.auto_approve:
        if rule.matches(gate.id, role, spec.strict):
            return rule.describe()
    return None


def approval_gate(spec: RunSpec, gate_id: str) -> GateSpec:
    """The gate, which must exist and have an approval step."""
    try:
        gate = spec.workflow.gate(gate_id)
    except KeyError:
        known = ", ".join(spec.workflow.gate_ids)
        raise GateNotFound(f"run {spec.run_id} has no gate {gate_id!r} (gates: {known})") from None
    if gate.approval is None:
        raise InputError(f"gate {gate_id} of {spec.run_id} has no approval step")
    return gate


def stopped_by(spec: RunSpec, gate: GateSpec, decided: GateRecord) -> dict[str, GateRecord]:
    """Gates a rejection stops: its dependents, or in strict mode every unstarted gate."""
    status = decided.result.status
    if status not in (GateStatus.FAILED, GateStatus.SKIPPED):
        return {}
    now = decided.result.finished_at or utc_now()
    if status == GateStatus.SKIPPED:  # closed without a decision
        reason = dependency_reason(gate.id, GateStatus.SKIPPED)
        return {
            g: skipped_record(spec.workflow.gate(g), reason, now)
            for g in dag.transitive_dependents(spec.workflow, gate.id)
        }
    if spec.strict:
        reason = f"strict mode: run stopped after {gate.id} was rejected"
        targets = [g for g in spec.workflow.gate_ids if g != gate.id]
    else:
        reason = dependency_reason(gate.id, GateStatus.FAILED)
        targets = list(dag.transitive_dependents(spec.workflow, gate.id))
    return {g: skipped_record(spec.workflow.gate(g), reason, now) for g in targets}


def human_approval(
    spec: RunSpec,
    gate: GateSpec,
    actor: str,
    approve: bool,
    rationale: str,
    channel: str,
    role: str,
    now: str,
) -> HumanApproval:
    """The record of ``actor``'s decision on ``gate`` (approving or rejecting it) as ``role``."""
    return HumanApproval(
        gate_id=gate.id,
        actor=actor,
        decision=Decision.APPROVED if approve else Decision.REJECTED,
        timestamp=now,
        commit_sha=spec.repo.commit_sha,
        rationale=rationale,
        role=role,
        channel=channel,
    )


def audit_event(kind: AuditType, spec: RunSpec, gate_id: str | None, at: str, **kw: Any) -> AuditEvent:
    """An audit record of the run; an ``approval`` given fills in who decided what, as which role."""
    approval: HumanApproval | None = kw.get("approval")
    if approval is not None:
        kw.setdefault("actor", approval.actor)
        kw.setdefault("role", approval.role)
        kw.setdefault("channel", approval.channel)
        kw.setdefault("decision", approval.decision.value)
        kw.setdefault("rationale", approval.rationale or None)
    return AuditEvent(type=kind, run_id=spec.run_id, gate_id=gate_id, at=at, **kw)
