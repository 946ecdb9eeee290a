"""Gate evaluation: turn a gate's check results into its GateRecord, and apply decisions. Pure."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime

from prp_tasks.core.models import CheckStatus, GateSpec, GateStatus
from prp_tasks.core.results import (
    AutomatedCheck,
    CheckResult,
    Decision,
    Evidence,
    GateRecord,
    GateResult,
    HumanApproval,
)


def utc_now() -> str:
    """ISO-8601 UTC timestamp with milliseconds, e.g. ``2026-11-28T10:00:00.123Z`` (the part up to
    the second is formatted once per second: a gate takes a dozen timestamps)."""
    global _SECOND
    seconds, ns = divmod(time.time_ns(), 1_000_000_000)
    second = _SECOND
    if second[0] != seconds:
        second = _SECOND = (seconds, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)))
    return f"{second[1]}.{ns // 1_000_000:03d}Z"


_SECOND: tuple[int, str] = (-1, "")


def parse_ts(value: str) -> datetime:
    """Parse an ISO-8601 timestamp; one without a timezone is taken as UTC."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def elapsed_ms(start: str, end: str) -> int:
    return max(0, int((parse_ts(end) - parse_ts(start)).total_seconds() * 1000))


def evaluate_gate(
    gate: GateSpec,
    checks: Mapping[str, CheckResult],
    *,
    started_at: str,
    finished_at: str,
    extra_evidence: tuple[Evidence, ...] = (),
    artifacts: tuple[str, ...] = (),
) -> GateRecord:
    """Outcome of a gate whose checks have all reported (in declaration order)."""
    ordered = [checks[c.name] for c in gate.checks]
    failing = [c.name for c in ordered if c.status == CheckStatus.FAIL]
    if failing:
        status, reason = GateStatus.FAILED, "checks failed: " + ", ".join(failing)
    elif gate.approval is not None:
        status, reason = GateStatus.AWAITING_APPROVAL, None
    else:
        status, reason = GateStatus.PASSED, None
    evidence = tuple(e for c in ordered for e in c.evidence) + extra_evidence
    result = GateResult(
        id=gate.id,
        name=gate.display_name,
        status=status,
        requires_human_approval=gate.approval is not None,
        automated_checks=tuple(
            AutomatedCheck(name=c.name, status=c.status, output=c.output, duration=c.duration)
            for c in ordered
        ),
        artifacts=artifacts if not failing else (),
        evidence=tuple(e.id for e in evidence),
        timestamp=started_at,
        next_steps=_next_steps(gate, failing),
        reason=reason,
        finished_at=finished_at,
        duration_ms=elapsed_ms(started_at, finished_at),
        queue=gate.queue,
    )
    return GateRecord(result=result, evidence=evidence)


def _next_steps(gate: GateSpec, failing: list[str]) -> tuple[str, ...]:
    steps = []
    if failing:
        steps.append(
            f"Fix {len(failing)} failing check{'s' if len(failing) != 1 else ''}: {', '.join(failing)}"
        )
    elif gate.approval is not None:
        steps.append(f"Request {gate.approval.role} approval")
    if not steps:
        steps.append("Gate passed - proceed to next gate")
    return tuple(steps)


def apply_decision(record: GateRecord, approval: HumanApproval, at: str | None = None) -> GateRecord:
    """Settle a parked gate with a human (or auto) decision, taking effect ``at`` (default: when
    it was given; a pre-approval takes effect when the gate parks, never before it started)."""
    finished = at or approval.timestamp
    approved = approval.decision == Decision.APPROVED
    who = f"{approval.actor} ({approval.role})" if approval.role else approval.actor
    result = record.result.model_copy(
        update={
            "status": GateStatus.PASSED if approved else GateStatus.FAILED,
            "human_approval": approval,
            "reason": None if approved else f"rejected by {who}",
            "finished_at": finished,
            "duration_ms": elapsed_ms(record.result.timestamp, finished),
            "next_steps": ("Gate passed - proceed to next gate",)
            if approved
            else (f"Address the rejection by {who}",),
        }
    )
    return record.model_copy(update={"result": result})


#: a gate skipped because one it depends on failed or was skipped: its reason starts with this
DEPENDENCY = "dependency "


def dependency_reason(gate_id: str, status: GateStatus) -> str:
    """Why the dependents of ``gate_id``, which ended ``status``, are skipped."""
    return f"{DEPENDENCY}{gate_id} {status.value}"


def _next_step(reason: str) -> str:
    """A skipped gate's next step: a dependency's skip waits on that gate (whose own next step says
    what to fix: "Resolve: dependency G3 failed" had been one more follow-up to do), else resolve it."""
    words = reason.removeprefix(DEPENDENCY).split(" ")
    if reason.startswith(DEPENDENCY) and len(words) == 2:
        return f"Runs once {words[0]} passes"
    return f"Resolve: {reason}"


def skipped_record(gate: GateSpec, reason: str, at: str) -> GateRecord:
    """Record of a gate that never ran."""
    result = GateResult(
        id=gate.id,
        name=gate.display_name,
        status=GateStatus.SKIPPED,
        requires_human_approval=gate.approval is not None,
        timestamp=at,
        finished_at=at,
        duration_ms=0,
        reason=reason,
        next_steps=(_next_step(reason),),
        queue=gate.queue,
    )
    return GateRecord(result=result)


def cut_short(
    gate: GateSpec, record: GateRecord, started_at: str | None, checks: Mapping[str, CheckResult]
) -> GateRecord:
    """The record of a gate skipped after it had started (a cancel while its checks ran, a parked
    gate closed without a decision) as it happened: from its start to the skip, with the checks
    that finished and the others as ``skip`` ("did not finish: REASON"). Any other record as it is
    (a gate skipped before it started has no start and no checks)."""
    result = record.result
    if result.status != GateStatus.SKIPPED or started_at is None or result.finished_at is None:
        return record
    if not checks and result.reason != "cancelled":
        return record
    finished = [checks[c.name] for c in gate.checks if c.name in checks]
    summaries = tuple(
        AutomatedCheck(name=c.name, status=r.status, output=r.output, duration=r.duration)
        if (r := checks.get(c.name)) is not None
        else AutomatedCheck(name=c.name, status=CheckStatus.SKIP, output=f"did not finish: {result.reason}")
        for c in gate.checks
    )
    evidence = tuple(e for c in finished for e in c.evidence)
    update = {
        "timestamp": started_at,
        "duration_ms": elapsed_ms(started_at, result.finished_at),
        "automated_checks": summaries,
        "evidence": tuple(e.id for e in evidence),
    }
    return GateRecord(result=result.model_copy(update=update), evidence=evidence)


def failed_record(gate: GateSpec, reason: str, started_at: str, at: str) -> GateRecord:
    """Record of a gate that ended without a normal evaluation (e.g. approval expired)."""
    result = GateResult(
        id=gate.id,
        name=gate.display_name,
        status=GateStatus.FAILED,
        requires_human_approval=gate.approval is not None,
        timestamp=started_at,
        finished_at=at,
        duration_ms=elapsed_ms(started_at, at),
        reason=reason,
        next_steps=(f"Resolve: {reason}",),
        queue=gate.queue,
    )
    return GateRecord(result=result)


def expired_record(record: GateRecord, reason: str, at: str) -> GateRecord:
    """A parked gate whose request expired: failed, keeping its checks."""
    result = record.result.model_copy(
        update={
            "status": GateStatus.FAILED,
            "reason": reason,
            "finished_at": at,
            "duration_ms": elapsed_ms(record.result.timestamp, at),
            "next_steps": (f"Resolve: {reason}",),
        }
    )
    return record.model_copy(update={"result": result})
