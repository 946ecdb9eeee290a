"""Unit tests of run-manifest.json: stages, status rules, deliverables, summary, telemetry."""

from __future__ import annotations

import pytest

from prp_tasks.core.models import GateStatus, Workflow
from prp_tasks.core.render import render_outputs, run_manifest
from prp_tasks.core.render.manifest import validate_stage_dependencies
from prp_tasks.core.render.stages import stage_status
from prp_tasks.core.results import GateRecord
from prp_tasks.core.run import RunStatus
from prp_tasks.core.snapshot import GateEvent, GateEventType, GateView
from tests.unit.render_builders import (
    CREATED,
    FINISHED,
    SHA,
    all_passed,
    approval,
    at,
    custom_gate,
    make_spec,
    passed_views,
    pending,
    run_gate,
    skipped,
    snap,
    stage,
    with_gates,
)

# run-manifest.json -----------------------------------------------------------------------------


def test_manifest_carries_the_run_identity_and_output_paths() -> None:
    manifest = run_manifest(all_passed(strict=True))
    assert manifest["schemaVersion"] == "1.0.0"
    assert manifest["manifestId"] == "run-manifest-run-test-1"
    assert (manifest["runId"], manifest["generatedAt"]) == ("run-test-1", FINISHED)
    assert (manifest["actor"], manifest["strictMode"]) == ("carol", True)
    assert manifest["repo"] == {
        "owner": "acme",
        "name": "shop",
        "branch": "main",
        "commitSha": SHA,
        "dirty": False,
        "source": "local",
    }
    assert manifest["blueprint"]["title"] == "Checkout flow"
    assert manifest["enforcementProfile"]["budgets"]["coverage"]["lines"] == 95
    assert manifest["artifacts"] == {
        "prpMarkdownPath": "prp.md",
        "reviewJsonPath": "review.json",
        "manifestPath": "run-manifest.json",
    }


def test_builtin_workflow_maps_to_the_five_reference_stages() -> None:
    manifest = run_manifest(all_passed())
    assert [
        (s["key"], s["sequence"], s["gate"]["sourceGateIds"], s["dependencies"]) for s in manifest["stages"]
    ] == [
        ("product-foundation", 1, ["G0", "G1"], []),
        ("product-test-strategy", 2, ["G2"], ["product-foundation"]),
        ("engineering-execution", 3, ["G3", "G4"], ["product-test-strategy"]),
        ("quality-triage", 4, ["G5"], ["engineering-execution"]),
        ("automation-release", 5, ["G6", "G7"], ["quality-triage"]),
    ]
    first = manifest["stages"][0]
    assert first["handoff"]["persona"] == "Product Manager → Systems Architect"
    assert first["handoff"]["chainRole"] == "Product-manager → Systems-architect"
    assert first["handoff"]["batonCheckpoints"] == ["spec_md", "implementation_plan_md"]
    assert first["summary"] == "G0:passed, G1:passed"
    assert [c["id"] for c in first["gate"]["automatedChecks"]][:4] == [
        "G0-check-0",
        "G0-check-1",
        "G0-check-2",
        "G1-check-0",
    ]
    assert manifest["summary"]["status"] == "completed"


def test_stage_approvals_take_the_role_from_the_record() -> None:
    snapshot = all_passed()
    g1 = run_gate(
        snapshot.spec.workflow.gate("G1"),
        1,
        decide=approval("G1", 1, role="security-reviewer", rationale="ok"),
    )
    approvals = stage(run_manifest(with_gates(snapshot, RunStatus.PASSED, G1=g1)), "product-foundation")[
        "gate"
    ]["approvals"]
    assert [(a["gateId"], a["role"]) for a in approvals] == [
        ("G0", "product-owner"),
        ("G1", "security-reviewer"),
    ]
    assert approvals[1] == {
        "gateId": "G1",
        "role": "security-reviewer",
        "actor": "alice",
        "decision": "approved",
        "timestamp": at(1, 30),
        "channel": "http",
        "rationale": "ok",
        "commitSha": SHA,
    }


def test_an_approval_recorded_without_a_role_shows_the_role_the_gate_asked_for() -> None:
    snapshot = all_passed()
    g2 = run_gate(snapshot.spec.workflow.gate("G2"), 2, decide=approval("G2", 2, role=None))
    approvals = stage(run_manifest(with_gates(snapshot, RunStatus.PASSED, G2=g2)), "product-test-strategy")[
        "gate"
    ]["approvals"]
    assert [a["role"] for a in approvals] == ["qa-lead"]


def view_for(status: GateStatus, *, needs_approval: bool = False, approved: bool = False) -> GateView:
    gate = custom_gate("g", ["c"])
    if status == GateStatus.PENDING or status == GateStatus.RUNNING:
        return GateView(gate_id="g", status=status)
    if status == GateStatus.SKIPPED:
        return skipped(gate, 0)
    record = run_gate(gate, 0, fail=["c"] if status == GateStatus.FAILED else []).record
    assert record is not None
    result = record.result.model_copy(
        update={
            "status": status,
            "requires_human_approval": needs_approval,
            "human_approval": approval("g", 0) if approved else None,
        }
    )
    return GateView(gate_id="g", status=status, record=GateRecord(result=result))


S = GateStatus


@pytest.mark.parametrize(
    ("views", "strict", "expected"),
    [
        # 1. any failure wins, even over a missing approval in strict mode
        ([view_for(S.FAILED), view_for(S.AWAITING_APPROVAL, needs_approval=True)], True, "failed"),
        # 2. strict mode: a gate that ran and waits for a decision blocks the stage
        ([view_for(S.PASSED), view_for(S.AWAITING_APPROVAL, needs_approval=True)], True, "blocked"),
        ([view_for(S.PASSED, needs_approval=True)], True, "blocked"),
        # 3. in flight: awaiting approval (not strict), running, or partly done
        (
            [view_for(S.PASSED), view_for(S.AWAITING_APPROVAL, needs_approval=True)],
            False,
            "in-progress",
        ),
        ([view_for(S.RUNNING), view_for(S.PENDING)], True, "in-progress"),
        (
            [view_for(S.PASSED, needs_approval=True, approved=True), view_for(S.PENDING)],
            True,
            "in-progress",
        ),
        # 4. all skipped, including the vacuous case
        ([view_for(S.SKIPPED), view_for(S.SKIPPED)], True, "skipped"),
        ([], False, "skipped"),
        # 5. passed or skipped
        (
            [view_for(S.PASSED, needs_approval=True, approved=True), view_for(S.SKIPPED)],
            True,
            "passed",
        ),
        ([view_for(S.PASSED, needs_approval=True)], False, "passed"),
        # 6. nothing started yet
        ([view_for(S.PENDING), view_for(S.PENDING)], True, "pending"),
        ([view_for(S.PENDING), view_for(S.SKIPPED)], False, "pending"),
    ],
)
def test_stage_status_follows_the_reference_precedence(
    views: list[GateView], strict: bool, expected: str
) -> None:
    assert stage_status(views, strict) == expected


def test_strict_run_waiting_for_approval_is_blocked_and_needs_attention() -> None:
    snapshot = all_passed(strict=True)
    g0 = run_gate(snapshot.spec.workflow.gate("G0"), 0)
    manifest = run_manifest(with_gates(snapshot, RunStatus.AWAITING_APPROVAL, G0=g0))
    assert stage(manifest, "product-foundation")["status"] == "blocked"
    summary = manifest["summary"]
    assert summary["status"] == "in-progress"
    assert summary["pendingStageKeys"] == ["product-foundation"]
    assert summary["requiresHumanAttention"] == ["product-foundation"]
    assert summary["blockers"] == [
        {
            "stageKey": "product-foundation",
            "severity": "major",
            "message": "Product Foundation awaiting human approval",
        }
    ]


def test_a_failed_gate_fails_its_stage_and_the_summary() -> None:
    snapshot = all_passed()
    workflow = snapshot.spec.workflow
    snapshot = with_gates(
        snapshot,
        RunStatus.FAILED,
        G3=run_gate(workflow.gate("G3"), 3, fail=["codeowners-present"]),
        G4=skipped(workflow.gate("G4"), 4),
        G5=skipped(workflow.gate("G5"), 4),
        G6=skipped(workflow.gate("G6"), 4),
        G7=skipped(workflow.gate("G7"), 4),
    )
    manifest = run_manifest(snapshot)
    assert [s["status"] for s in manifest["stages"]] == [
        "passed",
        "passed",
        "failed",
        "skipped",
        "skipped",
    ]
    summary = manifest["summary"]
    assert summary["status"] == "failed" and summary["runStatus"] == "failed"
    assert summary["completedStageKeys"] == ["product-foundation", "product-test-strategy"]
    assert summary["failedStageKeys"] == ["engineering-execution"]
    assert summary["blockers"] == [
        {
            "stageKey": "engineering-execution",
            "severity": "blocker",
            "message": "Engineering Execution failed: G3 (checks failed: codeowners-present)",
        },
        {
            "stageKey": "quality-triage",
            "severity": "major",
            "message": "Quality Triage blocked: dependency failed",
        },
        {
            "stageKey": "automation-release",
            "severity": "major",
            "message": "Automation Release blocked: dependency failed",
        },
    ]
    assert manifest["telemetry"]["metrics"] == {
        "totalStages": 5,
        "completedStages": 2,
        "failedStages": 1,
    }


def test_deliverables_are_fulfilled_by_plan_paths_in_either_metadata_location() -> None:
    meta = {
        "task": {"planPaths": {"SPEC_MD": "docs/spec.md"}},
        "planPaths": {"tdd_plan_md": "docs/tdd.md", "summary_md": ""},
    }
    manifest = run_manifest(all_passed(metadata=meta))
    spec_md = stage(manifest, "product-foundation")["handoff"]["requiredArtifacts"]
    assert spec_md[0] == {
        "name": "feature.prp.md",
        "description": spec_md[0]["description"],
        "planPathKey": "spec_md",
        "status": "fulfilled",
        "reference": "docs/spec.md",
    }
    assert spec_md[1]["status"] == "missing" and "reference" not in spec_md[1]
    tdd = stage(manifest, "product-test-strategy")["handoff"]["requiredArtifacts"][0]
    assert (tdd["status"], tdd["reference"]) == ("fulfilled", "docs/tdd.md")
    rollout = stage(manifest, "quality-triage")["handoff"]["requiredArtifacts"][0]
    assert rollout["status"] == "missing"


def test_deliverable_is_fulfilled_by_a_matching_gate_artifact() -> None:
    spec = make_spec()
    views = passed_views(spec.workflow)
    views["G4"] = run_gate(
        spec.workflow.gate("G4"),
        4,
        artifacts=("verification-report.md",),
        decide=approval("G4", 4, role="qa-lead"),
    )
    manifest = run_manifest(snap(spec, views))
    execution = stage(manifest, "engineering-execution")
    report = execution["handoff"]["requiredArtifacts"][1]
    assert (report["status"], report["reference"]) == ("fulfilled", "verification-report.md")
    assert execution["artifacts"] == ["verification-report.md"]
    runbook, bundle = stage(manifest, "automation-release")["handoff"]["requiredArtifacts"]
    assert (runbook["status"], bundle["status"]) == ("pending", "pending")


def test_custom_workflow_gets_one_stage_per_gate_in_topological_order() -> None:
    gates = (
        custom_gate("package", ["build"], depends_on=("lint", "unit"), name="Package"),
        custom_gate("unit", ["pytest"], purpose="Unit tests pass"),
        custom_gate("lint", ["ruff"]),
    )
    spec = make_spec(Workflow(name="custom", gates=gates))
    views = {
        "unit": run_gate(gates[1], 0),
        "lint": run_gate(gates[2], 1),
        "package": pending(gates[0]),
    }
    manifest = run_manifest(snap(spec, views, RunStatus.RUNNING, finished_at=None))
    assert [
        (s["key"], s["title"], s["category"], s["sequence"], s["dependencies"], s["status"])
        for s in manifest["stages"]
    ] == [
        ("unit", "unit", "custom", 1, [], "passed"),
        ("lint", "lint", "custom", 2, [], "passed"),
        ("package", "Package", "custom", 3, ["lint", "unit"], "pending"),
    ]
    handoff = manifest["stages"][0]["handoff"]
    assert handoff == {
        "persona": "",
        "chainRole": "",
        "description": "Unit tests pass",
        "requiredArtifacts": [],
        "batonCheckpoints": [],
    }
    assert manifest["summary"]["status"] == "in-progress"
    assert manifest["telemetry"]["durationMs"] is None


def test_stage_dependencies_must_exist_and_come_earlier() -> None:
    with pytest.raises(ValueError, match="missing stage 'ghost'"):
        validate_stage_dependencies([{"key": "a", "sequence": 1, "dependencies": ["ghost"]}])
    with pytest.raises(ValueError, match="does not come before"):
        validate_stage_dependencies(
            [
                {"key": "a", "sequence": 1, "dependencies": ["b"]},
                {"key": "b", "sequence": 2, "dependencies": []},
            ]
        )


def test_stage_timings_span_the_first_start_to_the_last_finish() -> None:
    snapshot = all_passed()
    foundation = stage(run_manifest(snapshot), "product-foundation")
    assert foundation["timings"] == {
        "startedAt": at(0),
        "completedAt": at(1, 30),
        "durationMs": 90_000,
    }
    g1 = run_gate(snapshot.spec.workflow.gate("G1"), 1)
    parked = stage(
        run_manifest(with_gates(snapshot, RunStatus.AWAITING_APPROVAL, G1=g1)), "product-foundation"
    )
    assert parked["timings"] == {"startedAt": at(0), "completedAt": None, "durationMs": None}


def test_telemetry_maps_gate_events_to_stages_and_spool_statuses() -> None:
    snapshot = all_passed()
    workflow = snapshot.spec.workflow
    events = (
        GateEvent(gate_id="G0", type=GateEventType.START, timestamp=at(0)),
        GateEvent(gate_id="G0", type=GateEventType.SETTLE, timestamp=at(0, 30), status="passed"),
        GateEvent(
            gate_id="G1",
            type=GateEventType.SETTLE,
            timestamp=at(1),
            status="failed",
            message="checks failed",
        ),
        GateEvent(gate_id="G7", type=GateEventType.SETTLE, timestamp=at(2), status="skipped"),
    )
    snapshot = with_gates(
        snapshot,
        RunStatus.FAILED,
        G1=run_gate(workflow.gate("G1"), 1, fail=["repo-layout-hints"]),
        G7=skipped(workflow.gate("G7"), 2),
    )
    telemetry = run_manifest(snapshot.model_copy(update={"events": events}))["telemetry"]
    assert [(e["stageKey"], e["type"], e["status"]) for e in telemetry["events"]] == [
        ("product-foundation", "start", "pending"),
        ("product-foundation", "settle", "fulfilled"),
        ("product-foundation", "settle", "rejected"),
        ("automation-release", "settle", "skipped"),
    ]
    assert telemetry["events"][2]["message"] == "checks failed"
    assert (telemetry["startedAt"], telemetry["completedAt"]) == (CREATED, FINISHED)
    assert telemetry["durationMs"] == 3 * 3600 * 1000
    assert telemetry["spoolRunId"] == "run-test-1"
    cancelled = snapshot.model_copy(update={"events": events, "cancelled": True})
    assert run_manifest(cancelled)["telemetry"]["events"][3]["status"] == "cancelled"


def test_a_cancelled_run_is_not_completed_in_any_document() -> None:
    """Cancelled while the later gates waited: every stage it reached passed, the rest skipped.
    The manifest's summary says failed (the run did not complete) as prp.md's status does, and
    runStatus says why, as prp.md's status line does."""
    snapshot = all_passed()
    workflow = snapshot.spec.workflow
    later = {g: skipped(workflow.gate(g), 4) for g in ("G4", "G5", "G6", "G7")}
    snapshot = with_gates(snapshot, RunStatus.CANCELLED, **later).model_copy(update={"cancelled": True})
    manifest = run_manifest(snapshot)
    assert {s["status"] for s in manifest["stages"]} == {"passed", "skipped"}
    assert (manifest["summary"]["status"], manifest["summary"]["runStatus"]) == ("failed", "cancelled")
    markdown = render_outputs(snapshot)["prp.md"]
    assert "- **Status:** failed (run cancelled)" in markdown and "(summary status: failed)" in markdown
