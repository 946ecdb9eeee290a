"""Run-manifest stage entries (reference §4.4): status, timings, approvals, checks and handoff."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from prp_tasks.core.models import TERMINAL, GateSpec, GateStatus
from prp_tasks.core.render.chain_io import Deliverable, StageDef
from prp_tasks.core.render.common import approvals_of, dedupe, duration_ms, ts_key, view_of, was_cut_short
from prp_tasks.core.results import HumanApproval
from prp_tasks.core.snapshot import GateView, RunSnapshot

_IN_FLIGHT = frozenset({GateStatus.RUNNING, GateStatus.AWAITING_APPROVAL})


def stage_status(views: Sequence[GateView], strict: bool) -> str:
    """The reference's precedence: failed, blocked, in-progress, skipped, passed, pending."""
    statuses = [v.status for v in views]
    if GateStatus.FAILED in statuses:
        return "failed"
    if strict and any(missing_approval(v) for v in views):
        return "blocked"
    if any(s in _IN_FLIGHT for s in statuses) or (
        GateStatus.PENDING in statuses and GateStatus.PASSED in statuses
    ):
        return "in-progress"
    if all(s == GateStatus.SKIPPED for s in statuses):
        return "skipped"
    if all(s in (GateStatus.PASSED, GateStatus.SKIPPED) for s in statuses):
        return "passed"
    return "pending"


def missing_approval(view: GateView) -> bool:
    """The gate ran, needs a human decision and has none (and neither failed nor was skipped)."""
    if view.record is None or view.status in (GateStatus.FAILED, GateStatus.SKIPPED):
        return False
    result = view.record.result
    return result.requires_human_approval and result.human_approval is None


def stage_entry(
    snapshot: RunSnapshot, sdef: StageDef, sequence: int, plan: Mapping[str, str]
) -> dict[str, Any]:
    """One stage of the manifest."""
    workflow = snapshot.spec.workflow
    gates = [workflow.gate(g) for g in sdef.gate_ids]
    views = [view_of(snapshot, g.id) for g in gates]
    results = [v.record.result for v in views if v.record is not None]
    return {
        "key": sdef.key,
        "title": sdef.title,
        "category": sdef.category,
        "sequence": sequence,
        "status": stage_status(views, snapshot.spec.strict),
        "summary": ", ".join(f"{v.gate_id}:{v.status}" for v in views) or "No gate data recorded",
        "dependencies": list(sdef.dependencies),
        "timings": _timings(views),
        "gate": _gate_block(gates, views, approvals_of(snapshot)),
        "artifacts": sorted({a for r in results for a in r.artifacts}),
        "evidence": [
            {"type": "kernel", "evidenceId": e} for e in dedupe(e for r in results for e in r.evidence)
        ],
        "nextSteps": dedupe(s for r in results for s in r.next_steps),
        "handoff": _handoff(sdef, plan, [a for r in results for a in r.artifacts]),
    }


def _timings(views: Sequence[GateView]) -> dict[str, Any]:
    """First start and last finish of the stage's gates that ran (a gate skipped before it started
    does not count; one cut short by a cancel does, its record listing the checks it had)."""
    ran = [v for v in views if v.status != GateStatus.SKIPPED or was_cut_short(v)]
    starts = [v.record.result.timestamp if v.record else v.started_at for v in ran]
    started = min((s for s in starts if s), key=ts_key, default=None)
    finishes = [v.record.result.finished_at if v.record else None for v in ran]
    done = bool(ran) and all(v.status in TERMINAL for v in ran) and all(finishes)
    completed = max((f for f in finishes if f), key=ts_key) if done else None
    return {
        "startedAt": started,
        "completedAt": completed,
        "durationMs": duration_ms(started, completed),
    }


def _gate_block(
    gates: Sequence[GateSpec], views: Sequence[GateView], decisions: Sequence[HumanApproval]
) -> dict[str, Any]:
    return {
        "sourceGateIds": [g.id for g in gates],
        "requiresHumanApproval": any(g.approval is not None for g in gates),
        "approvals": [a for g in gates for a in _approvals(g, decisions)],
        "automatedChecks": [c for v in views for c in _automated_checks(v)],
    }


def _approvals(gate: GateSpec, decisions: Sequence[HumanApproval]) -> list[dict[str, Any]]:
    """Every decision on the gate (each vote of a quorum), from the audit trail."""
    out = []
    for approval in (a for a in decisions if a.gate_id == gate.id):
        role = approval.role or (str(gate.approval.role) if gate.approval is not None else None)
        entry: dict[str, Any] = {
            "gateId": gate.id,
            "role": role,
            "actor": approval.actor,
            "decision": str(approval.decision),
            "timestamp": approval.timestamp,
            "channel": approval.channel,
        }
        if approval.rationale:
            entry["rationale"] = approval.rationale
        entry["commitSha"] = approval.commit_sha
        out.append(entry)
    return out


def _automated_checks(view: GateView) -> list[dict[str, Any]]:
    if view.record is None:
        return []
    out = []
    for index, check in enumerate(view.record.result.automated_checks):
        detail = view.checks.get(check.name)
        entry: dict[str, Any] = {
            "id": f"{view.gate_id}-check-{index}",
            "name": check.name,
            "status": str(check.status),
        }
        if check.output:
            entry["output"] = check.output
        if check.duration is not None:
            entry["durationMs"] = check.duration
        evidence = detail.evidence if detail is not None else ()
        entry["evidence"] = [{"type": "kernel", "evidenceId": e.id} for e in evidence]
        out.append(entry)
    return out


def _handoff(sdef: StageDef, plan: Mapping[str, str], artifacts: Sequence[str]) -> dict[str, Any]:
    personas = sdef.personas
    return {
        "persona": " → ".join(p.persona for p in personas),
        "chainRole": " → ".join(p.chain_role for p in personas),
        "description": " ".join(p.description for p in personas if p.description),
        "requiredArtifacts": [
            deliverable_entry(d, plan, artifacts) for p in personas for d in p.deliverables
        ],
        "batonCheckpoints": dedupe(c for p in personas for c in p.checkpoints),
    }


def deliverable_entry(
    deliverable: Deliverable, plan: Mapping[str, str], artifacts: Sequence[str]
) -> dict[str, Any]:
    """Fulfilled via a plan path, a gate artifact of the same name or a matching one; else missing
    (a plan key was expected) or pending."""
    key = deliverable.plan_path_key
    reference = plan.get(key.lower()) if key else None
    match = deliverable.artifact_match
    if reference is None and deliverable.name in artifacts:  # a gate wrote the deliverable itself
        reference = deliverable.name
    if reference is None and match:
        reference = next((a for a in artifacts if match.lower() in a.lower()), None)
    status = "fulfilled" if reference else ("missing" if key else "pending")
    entry: dict[str, Any] = {
        "name": deliverable.name,
        "description": deliverable.description,
    }
    if key:
        entry["planPathKey"] = key
    if match:
        entry["artifactMatch"] = match
    entry["status"] = status
    if reference:
        entry["reference"] = reference
    return entry
