"""The run manifest (reference §4.4): stages, summary, blockers and telemetry of one run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from prp_tasks.core.models import GateStatus
from prp_tasks.core.render.chain_io import stage_defs
from prp_tasks.core.render.common import duration_ms, plan_paths, view_of
from prp_tasks.core.render.stages import stage_entry
from prp_tasks.core.run import RunStatus, redact_url
from prp_tasks.core.snapshot import GateEvent, GateEventType, RunSnapshot

SCHEMA_VERSION = "1.0.0"
PRP_MARKDOWN = "prp.md"
REVIEW_JSON = "review.json"
RUN_MANIFEST = "run-manifest.json"
_SETTLED = {"passed": "fulfilled", "failed": "rejected", "skipped": "skipped"}


def run_manifest(snapshot: RunSnapshot) -> dict[str, Any]:
    """The manifest of ``snapshot``; raises ValueError when stage dependencies are inconsistent."""
    spec = snapshot.spec
    plan = plan_paths(spec.blueprint.metadata)
    defs = stage_defs(spec.workflow)
    stages = [stage_entry(snapshot, d, i, plan) for i, d in enumerate(defs, start=1)]
    validate_stage_dependencies(stages)
    stage_of = {g: d.key for d in defs for g in d.gate_ids}
    return {
        "schemaVersion": SCHEMA_VERSION,
        "manifestId": f"run-manifest-{spec.run_id}",
        "runId": spec.run_id,
        "generatedAt": snapshot.finished_at,
        "actor": spec.actor,
        "strictMode": spec.strict,
        "blueprint": spec.blueprint.model_dump(mode="json"),
        "repo": {
            "owner": spec.repo.owner,
            "name": spec.repo.repo,
            "branch": spec.repo.branch,
            "commitSha": spec.repo.commit_sha,
            "dirty": spec.repo.dirty,
            "source": redact_url(spec.repo.url) if spec.repo.url else "local",
        },
        "enforcementProfile": spec.profile.profile.model_dump(mode="json"),
        "stages": stages,
        "summary": summary(stages, str(snapshot.status), gate_outcomes(snapshot), stopped=_stopped(snapshot)),
        "telemetry": _telemetry(snapshot, stages, stage_of),
        "artifacts": {
            "prpMarkdownPath": PRP_MARKDOWN,
            "reviewJsonPath": REVIEW_JSON,
            "manifestPath": RUN_MANIFEST,
        },
    }


def validate_stage_dependencies(stages: Sequence[Mapping[str, Any]]) -> None:
    """Every dependency must name a stage with an earlier sequence."""
    sequence = {s["key"]: s["sequence"] for s in stages}
    for stage in stages:
        for dep in stage["dependencies"]:
            if dep not in sequence:
                raise ValueError(f"stage {stage['key']!r} depends on missing stage {dep!r}")
            if sequence[dep] >= stage["sequence"]:
                raise ValueError(
                    f"stage {stage['key']!r} (sequence {stage['sequence']}) depends on "
                    f"{dep!r} (sequence {sequence[dep]}), which does not come before it"
                )


def gate_outcomes(snapshot: RunSnapshot) -> dict[str, tuple[str, str]]:
    """Gate id -> (status, reason) of every gate that failed or was skipped."""
    out = {}
    for gate_id in snapshot.spec.workflow.gate_ids:
        view = view_of(snapshot, gate_id)
        if view.status in (GateStatus.FAILED, GateStatus.SKIPPED):
            reason = view.record.result.reason if view.record is not None else None
            out[gate_id] = (str(view.status), reason or str(view.status))
    return out


def blockers(
    stages: Sequence[Mapping[str, Any]], outcomes: Mapping[str, tuple[str, str]] | None = None
) -> list[dict[str, str]]:
    """What stands in the way, per stage: a ``blocker`` per failed stage naming the gates that
    failed and why; a ``major`` item per stage whose gates were not run because a dependency
    failed ("blocked"), and per stage awaiting approval in strict mode."""
    outcomes = outcomes or {}
    out = []
    for stage in stages:
        gates = stage["gate"]["sourceGateIds"]
        if stage["status"] == "failed":
            failed = [f"{g} ({outcomes[g][1]})" for g in gates if outcomes.get(g, ("",))[0] == "failed"]
            why = "; ".join(failed) or "a gate failed"
            out.append(_blocker(stage, "blocker", f"{stage['title']} failed: {why}"))
        elif stage["status"] == "blocked":
            out.append(_blocker(stage, "major", f"{stage['title']} awaiting human approval"))
        else:
            held = [outcomes[g][1] for g in gates if _blocked(outcomes.get(g))]
            if held:
                why = "; ".join(dict.fromkeys(held))
                out.append(_blocker(stage, "major", f"{stage['title']} blocked: {why}"))
    return out


def _blocked(outcome: tuple[str, str] | None) -> bool:
    """Skipped because a gate it depends on failed (or was itself skipped for that)."""
    return outcome is not None and outcome[0] == "skipped" and outcome[1].startswith("dependency ")


def _blocker(stage: Mapping[str, Any], severity: str, message: str) -> dict[str, str]:
    return {"stageKey": stage["key"], "severity": severity, "message": message}


def _stopped(snapshot: RunSnapshot) -> bool:
    """The run failed or was cancelled (as prp.md's ``failed`` status says)."""
    return snapshot.cancelled or snapshot.status in (RunStatus.FAILED, RunStatus.CANCELLED)


def summary(
    stages: Sequence[Mapping[str, Any]],
    run_status: str,
    outcomes: Mapping[str, tuple[str, str]] | None = None,
    *,
    stopped: bool = False,
) -> dict[str, Any]:
    """Stage keys by outcome and the overall status: failed, completed or in-progress. A run that
    failed or was cancelled (``stopped``) is ``failed`` even when every stage it reached passed or
    was skipped: it did not complete (``runStatus`` says which)."""

    def keys(*statuses: str) -> list[str]:
        return [s["key"] for s in stages if s["status"] in statuses]

    failed, pending = keys("failed"), keys("pending", "in-progress", "blocked")
    if failed or stopped:
        status = "failed"
    elif not pending and all(s["status"] in ("passed", "skipped") for s in stages):
        status = "completed"
    else:
        status = "in-progress"
    return {
        "status": status,
        "runStatus": run_status,
        "completedStageKeys": keys("passed"),
        "pendingStageKeys": pending,
        "failedStageKeys": failed,
        "requiresHumanAttention": keys("blocked", "failed"),
        "blockers": blockers(stages, outcomes),
    }


def _telemetry(
    snapshot: RunSnapshot, stages: Sequence[Mapping[str, Any]], stage_of: Mapping[str, str]
) -> dict[str, Any]:
    started = snapshot.spec.created_at
    return {
        "startedAt": started,
        "completedAt": snapshot.finished_at,
        "durationMs": duration_ms(started, snapshot.finished_at),
        "spoolRunId": snapshot.run_id,
        "events": [_event(snapshot, e, stage_of) for e in snapshot.events],
        "metrics": {
            "totalStages": len(stages),
            "completedStages": sum(1 for s in stages if s["status"] == "passed"),
            "failedStages": sum(1 for s in stages if s["status"] == "failed"),
        },
    }


def _event(snapshot: RunSnapshot, event: GateEvent, stage_of: Mapping[str, str]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "stageKey": stage_of.get(event.gate_id, event.gate_id),
        "gateId": event.gate_id,
        "type": str(event.type),
        "status": event_status(snapshot, event),
        "timestamp": event.timestamp,
    }
    if event.message:
        entry["message"] = event.message
    return entry


def event_status(snapshot: RunSnapshot, event: GateEvent) -> str:
    """``pending`` for a start; for a settle the spool outcome of the gate's status."""
    if event.type == GateEventType.START:
        return "pending"
    status = event.status or str(view_of(snapshot, event.gate_id).status)
    if status == "skipped" and snapshot.cancelled:
        return "cancelled"
    return _SETTLED.get(status, "pending")
