"""Building approval requests, and the time helpers their schedules use."""

from __future__ import annotations

import secrets
import time
from datetime import timedelta

from prp_tasks.core.approvals import ApprovalRequest
from prp_tasks.core.evaluate import parse_ts
from prp_tasks.core.models import GateSpec
from prp_tasks.core.results import GateRecord
from prp_tasks.core.run import RunSpec


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
