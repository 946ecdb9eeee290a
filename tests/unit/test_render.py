"""Unit tests of render_outputs and prp.md."""

from __future__ import annotations

import json

import pytest

from prp_tasks.core.evaluate import cut_short, skipped_record
from prp_tasks.core.models import ApprovalSpec, GateStatus, Phase, Role, Workflow
from prp_tasks.core.profile import (
    Architecture,
    Budgets,
    CoverageBudget,
    EnforcementProfile,
    InitialDoc,
    ResolvedProfile,
)
from prp_tasks.core.render import render_outputs
from prp_tasks.core.render.common import inline
from prp_tasks.core.results import Evidence
from prp_tasks.core.run import RunStatus
from prp_tasks.core.snapshot import GateView, RunSnapshot
from tests.unit.render_builders import (
    CREATED,
    FINISHED,
    SECTIONS,
    all_commanded,
    all_passed,
    approval,
    at,
    custom_gate,
    make_spec,
    passed_views,
    record,
    run_gate,
    section,
    skipped,
    snap,
    with_gates,
)

# render_outputs --------------------------------------------------------------------------------


def test_render_outputs_returns_exactly_the_three_run_files() -> None:
    outputs = render_outputs(all_passed())
    assert list(outputs) == ["prp.md", "review.json", "run-manifest.json"]
    for name in ("review.json", "run-manifest.json"):
        assert outputs[name].endswith("}\n")
        assert json.loads(outputs[name])


def test_rendering_the_same_snapshot_twice_gives_identical_bytes() -> None:
    snapshot = all_passed(metadata={"planPaths": {"spec_md": "docs/spec.md"}})
    first = render_outputs(snapshot)
    copy = RunSnapshot.model_validate(snapshot.model_dump())
    assert render_outputs(snapshot) == first
    assert render_outputs(copy) == first


def test_json_files_keep_non_ascii_text_unescaped() -> None:
    outputs = render_outputs(all_passed())
    assert "→" in outputs["run-manifest.json"]
    assert "\\u2192" not in outputs["run-manifest.json"]


# prp.md ----------------------------------------------------------------------------------------


def test_prp_md_has_the_fourteen_sections_in_order_separated_by_rules() -> None:
    markdown = render_outputs(all_passed())["prp.md"]
    parts = markdown.split("\n\n---\n\n")
    assert len(parts) == len(SECTIONS)
    for part, heading in zip(parts, SECTIONS, strict=True):
        assert part.startswith(heading + "\n")
    assert markdown.endswith("\n") and not markdown.endswith("\n\n")


def test_prp_md_header_lists_the_run_fields() -> None:
    header = section(render_outputs(all_passed())["prp.md"], 0)
    for line in (
        "- **ID:** run-test-1",
        "- **Title:** Checkout flow",
        "- **Repository:** acme/shop",
        "- **Branch:** main",
        "- **Owner:** acme",
        f"- **Created:** {CREATED}",
        f"- **Updated:** {FINISHED}",
        "- **Version:** unknown",
        "- **Status:** ready-for-release",
    ):
        assert line in header
    assert "Links" not in header


@pytest.mark.parametrize(
    ("run_status", "cancelled", "g7", "expected"),
    [
        (RunStatus.PASSED, False, None, "ready-for-release"),
        (RunStatus.FAILED, False, "fail", "failed"),
        (RunStatus.CANCELLED, True, "skip", "failed (run cancelled)"),
        (RunStatus.AWAITING_APPROVAL, False, "park", "in-progress"),
        (RunStatus.FINALIZING, False, "fail", "failed"),
        (RunStatus.FINALIZING, False, None, "ready-for-release"),
    ],
)
def test_prp_md_status_follows_the_gates_and_the_run(
    run_status: RunStatus, cancelled: bool, g7: str | None, expected: str
) -> None:
    snapshot = all_passed()
    gate = snapshot.spec.workflow.gate("G7")
    views = {
        "fail": lambda: run_gate(gate, 7, fail=["release-artifacts-present"]),
        "skip": lambda: skipped(gate, 7, "run cancelled"),
        "park": lambda: run_gate(gate, 7),
    }
    if g7 is not None:
        snapshot = with_gates(snapshot, run_status, G7=views[g7]())
    snapshot = snapshot.model_copy(update={"cancelled": cancelled})
    assert f"**Status:** {expected}" in render_outputs(snapshot)["prp.md"]


def test_scope_says_not_specified_instead_of_inventing_content() -> None:
    markdown = render_outputs(all_passed())["prp.md"]
    assert section(markdown, 2).count("_Not specified_") == 2


def test_scope_lists_the_blueprint_scope_and_non_goals() -> None:
    meta = {"scope": ["Payment page"], "nonGoals": "Shipping"}
    scope = section(render_outputs(all_passed(metadata=meta))["prp.md"], 2)
    assert "- Payment page" in scope and "- Shipping" in scope


def test_constraints_come_from_the_profile_budgets() -> None:
    profile = EnforcementProfile(
        budgets=Budgets(coverage=CoverageBudget(lines=80, branches=70.5)),
        architecture=Architecture(boundaries=("core", "api")),
    )
    resolved = ResolvedProfile(
        profile=profile, source="/r/initial.md", doc=InitialDoc(constraints=("No new deps",))
    )
    text = section(render_outputs(all_passed(resolved=resolved))["prp.md"], 3)
    assert "lines ≥ 80%, branches ≥ 70.5%" in text
    assert "LCP ≤ 2500 ms, TBT ≤ 300 ms" in text
    assert "WCAG 2.2 AA, score ≥ 95" in text
    assert "0 critical, 0 high and 5 medium" in text
    assert "`core`, `api`" in text and "`/r/initial.md`" in text and "- No new deps" in text


def test_the_coverage_constraint_shows_every_budget_g4_applies_and_where_each_came_from() -> None:
    """xmltodict: initial.md set lines to 80; the default statements budget of 95 failed G4 while
    §3 showed only lines and branches."""
    profile = EnforcementProfile(budgets=Budgets(coverage=CoverageBudget(lines=80)))
    lines = {"budgets": 20, "budgets.coverage": 21, "budgets.coverage.lines": 23}
    resolved = ResolvedProfile(profile=profile, source="initial.md", lines=lines)
    text = section(render_outputs(all_passed(resolved=resolved))["prp.md"], 3)
    expected = "lines ≥ 80% (initial.md:23); branches ≥ 90%, functions ≥ 95%, statements ≥ 95% (default)"
    assert f"**Coverage:** {expected}" in text


def test_design_summary_shows_design_analysis_evidence_or_says_there_is_none() -> None:
    snapshot = all_passed()
    assert "_No design evidence recorded._" in section(render_outputs(snapshot)["prp.md"], 4)
    design = Evidence(
        id="ev-design",
        type="analysis",
        source="g1-design-notes",
        content='{"summary": "Hexagonal core"}',
        timestamp=at(1),
        phase=Phase.STRATEGY,
    )
    g1 = snapshot.gates["G1"]
    with_design = record(g1).model_copy(update={"evidence": (design,)})
    g1 = g1.model_copy(update={"record": with_design})
    snapshot = with_gates(snapshot, RunStatus.PASSED, G1=g1)
    assert "`g1-design-notes`: Hexagonal core" in section(render_outputs(snapshot)["prp.md"], 4)


def test_handoffs_section_shows_each_stage_persona_and_deliverable_state() -> None:
    meta = {"planPaths": {"spec_md": "docs/spec.md"}}
    text = section(render_outputs(all_passed(metadata=meta))["prp.md"], 5)
    assert "### Product Foundation (Product Manager → Systems Architect)" in text
    assert "✅ `feature.prp.md` — fulfilled (`docs/spec.md`)" in text
    assert "⚠️ `architecture-plan.md` — missing" in text
    assert "⏳ `automation-runbook.md` — pending (no gate has produced it)" in text


def test_test_plan_lists_test_evidence_and_the_acceptance_criteria() -> None:
    doc = InitialDoc(acceptance_criteria=("Pay in two clicks",), tests=("e2e checkout",))
    spec = make_spec(resolved=ResolvedProfile(doc=doc))
    views = passed_views(spec.workflow)
    g4 = spec.workflow.gate("G4")
    views["G4"] = run_gate(
        g4,
        4,
        sources={"coverage-validation": ["coverage.xml"]},
        decide=approval("G4", 4, role="qa-lead"),
    )
    text = section(render_outputs(snap(spec, views))["prp.md"], 7)
    assert '`coverage.xml` (test): {"ok": true}' in text
    assert "- Pay in two clicks" in text and "- e2e checkout" in text


def test_verification_results_count_checks_and_give_the_failure_reason() -> None:
    snapshot = all_passed()
    g1 = run_gate(snapshot.spec.workflow.gate("G1"), 1, fail=["repo-layout-hints"])
    g5 = skipped(snapshot.spec.workflow.gate("G5"), 5)
    snapshot = with_gates(snapshot, RunStatus.FAILED, G1=g1, G5=g5)
    text = section(render_outputs(snapshot)["prp.md"], 8)
    assert "**G0 Ideation & Scope:** passed — Checks: 3/3 passed · Evidence: 0" in text
    assert "**G1 Architecture & Specification:** failed — Checks: 2/3 passed, 1 failed" in text
    assert "Reason: checks failed: repo-layout-hints" in text
    assert "Not verified: G5 (skipped)." in text


def test_a_gate_cut_short_by_a_cancel_shows_the_checks_it_had() -> None:
    """natsort's G3, cancelled after its type check failed: §8 said "Not verified: G3"."""
    snapshot = all_passed()
    gate = snapshot.spec.workflow.gate("G3")
    ran = run_gate(gate, 3, fail=[gate.checks[0].name])
    done = {gate.checks[0].name: ran.checks[gate.checks[0].name]}
    record = cut_short(gate, skipped_record(gate, "cancelled", at(4)), at(3), done)
    g3 = GateView(gate_id="G3", status=GateStatus.SKIPPED, started_at=at(3), record=record, checks=done)
    outputs = render_outputs(with_gates(snapshot, RunStatus.CANCELLED, G3=g3))
    total = len(gate.checks)
    line = f"**G3 Code Review:** skipped — Checks: 0/{total} passed, 1 failed, {total - 1} skipped"
    assert line in section(outputs["prp.md"], 8)
    stages = json.loads(outputs["run-manifest.json"])["stages"]
    stage = next(s for s in stages if "G3" in s["gate"]["sourceGateIds"])
    assert stage["timings"]["startedAt"] == at(3)  # it ran: its start counts


def test_reviewer_summary_embeds_the_review_without_finding_evidence() -> None:
    snapshot = all_commanded()
    g3 = run_gate(
        snapshot.spec.workflow.gate("G3"),
        3,
        fail=["codeowners-present"],
        outputs={"codeowners-present": "no CODEOWNERS file"},
    )
    text = section(render_outputs(with_gates(snapshot, RunStatus.FAILED, G3=g3))["prp.md"], 9)
    embedded = json.loads(text.split("```json\n")[1].split("\n```")[0])
    assert embedded["schema"] == "com.cortex.review/v1"
    assert embedded["findings"] == [
        {"id": "G3-codeowners-present", "severity": "minor", "recommendation": "no CODEOWNERS file"}
    ]
    assert "**minor** `G3-codeowners-present`: no CODEOWNERS file" in text
    # which gates each score is for: a test suite is G3's (implementation), its result G2's (tests) too
    assert "`tests`: G2 Test Plan, G3's passing `run-test`; `implementation`: G3 Code Review;" in text


def test_decisions_are_sorted_by_time_with_role_channel_and_short_sha() -> None:
    spec = make_spec()
    views = passed_views(spec.workflow)
    early = approval("G3", 0, role="security-reviewer", actor="bob", channel="mcp")
    early = early.model_copy(update={"timestamp": "2026-03-01T11:59:00.250+02:00"})
    views["G3"] = run_gate(spec.workflow.gate("G3"), 3, decide=early)
    text = section(render_outputs(snap(spec, views))["prp.md"], 10)
    lines = [line for line in text.splitlines() if line.startswith("- **") and " by " in line]
    assert lines[0] == (
        "- **Code Review** — approved by bob (security-reviewer, via mcp) "
        "@ 2026-03-01T09:59:00Z (SHA: 0123456)"
    )
    assert lines[1].startswith("- **Product Approval** — approved by alice (product-owner")
    assert "- **Architecture:** G1 looks right" in text


def test_decisions_leave_out_an_unknown_sha() -> None:
    spec = make_spec()
    views = passed_views(spec.workflow)
    unknown = approval("G0", 0, role="product-owner").model_copy(update={"commit_sha": "unknown"})
    views["G0"] = run_gate(spec.workflow.gate("G0"), 0, decide=unknown)
    text = section(render_outputs(snap(spec, views))["prp.md"], 10)
    assert "@ 2026-03-01T10:00:30Z\n" in text + "\n" and "SHA: unkn" not in text


def test_release_notes_use_blueprint_metadata_or_say_nothing_was_stated() -> None:
    """pluggy, itsdangerous, cachetools: "Highlights: Initial implementation", "Breaking Changes:
    None" (the reference's defaults) over changelogs that said otherwise: never made up now."""
    default = section(render_outputs(all_passed())["prp.md"], 11)
    assert "Initial implementation" not in default
    assert (
        "**Highlights:**\n\n_Not stated: no version was found, so no changelog entry was looked for"
        in default
    )
    assert "**Breaking Changes:** _Not stated._" in default and "**Migration:** _Not stated._" in default
    found = {"version": "2.2.0", "versionSource": "PKG-INFO"}
    unknown = section(render_outputs(all_passed(metadata=found))["prp.md"], 11)
    assert "_Not stated: no changelog entry for 2.2.0 was found (`CHANGES`, `CHANGELOG`" in unknown
    read = {**found, "changelog": "CHANGES.rst, Version 2.2.0", "highlights": ["Drop 3.7. #372"]}
    notes = section(render_outputs(all_passed(metadata=read | {"breakingChanges": []}))["prp.md"], 11)
    assert "**Highlights** (from CHANGES.rst, Version 2.2.0):\n\n- Drop 3.7. #372" in notes
    assert "**Breaking Changes:** _None listed in CHANGES.rst, Version 2.2.0._" in notes
    assert "**Migration:** N/A" in notes
    notes = section(render_outputs(all_passed(metadata=read | {"breakingChanges": ["No 3.8"]}))["prp.md"], 11)
    assert "**Breaking Changes:**\n\n- No 3.8" in notes
    assert "**Migration:** _See CHANGES.rst, Version 2.2.0._" in notes
    meta = {
        "highlights": ["Wallet pay"],
        "breakingChanges": ["Drops v1 API"],
        "migration": "Use /v2",
    }
    custom = section(render_outputs(all_passed(metadata=meta))["prp.md"], 11)
    assert "- Wallet pay" in custom and "- Drops v1 API" in custom and "- Use /v2" in custom


def test_artifacts_section_lists_sorted_artifacts_and_run_facts() -> None:
    snapshot = all_passed().model_copy(
        update={"artifacts": {"test-plan.md": "x", "architecture-review.md": "y"}}
    )
    text = section(render_outputs(snapshot)["prp.md"], 12)
    assert text.index("`architecture-review.md`") < text.index("`test-plan.md`")
    assert "`run-manifest.json` (summary status: completed)" in text
    assert "Evidence items: 1" in text and "Gates executed: 8 of 8" in text


def test_follow_ups_skip_proceed_steps_and_repeat_nothing() -> None:
    snapshot = all_commanded()
    workflow = snapshot.spec.workflow
    g1 = run_gate(workflow.gate("G1"), 1, fail=["repo-layout-hints"])
    g2 = run_gate(workflow.gate("G2"), 2)
    snapshot = with_gates(snapshot, RunStatus.FAILED, G1=g1, G2=g2)
    text = section(render_outputs(snapshot)["prp.md"], 13)
    assert text.splitlines()[2:] == [
        "- Fix 1 failing check: repo-layout-hints",
        "- Request qa-lead approval",
    ]


def test_custom_workflow_prp_md_names_gates_by_their_own_names_in_dependency_order() -> None:
    gates = (
        custom_gate("package", ["build"], depends_on=("unit",), name="Package"),
        custom_gate("unit", ["pytest"], approval=ApprovalSpec(role=Role.QA_LEAD)),
    )
    spec = make_spec(Workflow(name="custom", gates=gates))
    decision = approval("unit", 0, role=None, rationale="Green build")
    views = {
        "unit": run_gate(gates[1], 0, decide=decision),
        "package": run_gate(gates[0], 1, fail=["build"]),
    }
    markdown = render_outputs(snap(spec, views, RunStatus.FAILED))["prp.md"]
    assert "- **unit:** passed" in section(markdown, 8)
    assert "- **package Package:** failed" in section(markdown, 8)
    decisions = section(markdown, 10)
    assert "- **unit** — approved by alice (qa-lead, via http) @ 2026-03-01T10:00:30Z" in decisions
    assert "- **unit:** Green build" in decisions
    assert section(markdown, 13).splitlines()[2:] == ["- Fix 1 failing check: build"]


def test_header_shows_blueprint_links_only_when_given() -> None:
    meta = {"links": {"issue": "https://example.org/i/1", "pr": "", "checks": "https://ci/9"}}
    header = section(render_outputs(all_passed(metadata=meta))["prp.md"], 0)
    assert "- **Links:** [Issue](https://example.org/i/1) · [Checks](https://ci/9)" in header


def test_decisions_include_approvals_found_only_on_gate_records() -> None:
    snapshot = all_passed().model_copy(update={"approvals": ()})
    text = section(render_outputs(snapshot)["prp.md"], 10)
    assert text.count(" — approved by alice") == 8


def test_decision_times_without_a_zone_are_read_as_utc() -> None:
    spec = make_spec()
    views = passed_views(spec.workflow)
    g0 = record(views["G0"])
    naive = g0.result.human_approval
    assert naive is not None
    naive = naive.model_copy(update={"timestamp": "2026-03-01T10:00:30.999"})
    g0 = g0.model_copy(update={"result": g0.result.model_copy(update={"human_approval": naive})})
    views["G0"] = views["G0"].model_copy(update={"record": g0})
    text = section(render_outputs(snap(spec, views))["prp.md"], 10)
    assert "- **Product Approval** — approved by alice (product-owner, via http) @ " in text
    assert "@ 2026-03-01T10:00:30Z (SHA: 0123456)" in text
    # a checkout with uncommitted changes: the approver saw those too, not the commit alone (semver)
    dirty = spec.model_copy(update={"repo": spec.repo.model_copy(update={"dirty": True})})
    text = section(render_outputs(snap(dirty, views))["prp.md"], 10)
    assert "@ 2026-03-01T10:00:30Z (SHA: 0123456 + uncommitted changes)" in text


def test_design_evidence_that_is_not_json_is_shown_as_text() -> None:
    snapshot = all_passed()
    design = Evidence(
        id="ev-design",
        type="analysis",
        source="design-review",
        content="Ports and\nadapters",
        timestamp=at(1),
        phase=Phase.STRATEGY,
    )
    g1 = snapshot.gates["G1"]
    g1 = g1.model_copy(update={"record": record(g1).model_copy(update={"evidence": (design,)})})
    markdown = render_outputs(with_gates(snapshot, RunStatus.PASSED, G1=g1))["prp.md"]
    assert "`design-review`: Ports and adapters" in section(markdown, 4)


def test_a_cut_summary_ends_at_a_space_and_leaves_no_code_span_open() -> None:
    """tzlocal's key finding ended "…, test…" and "in the `…" (an open backtick)."""
    text = "3 failed: tests/test_tz.py::test_symlink, tests/test_tz.py::test_conflicting"
    assert inline(text, 50) == "3 failed: tests/test_tz.py::test_symlink, …"
    code = "Fix it in the `tests/test_data/symlink_localtime` folder"
    assert inline(code, 40) == "Fix it in the …"
    fenced = "19 | ``` a fence ruff quoted and more words"  # validators: an open "``" was left
    assert inline(fenced, 30) == "19 | …"
    assert inline("a ``b`c`` d and more words", 20) == "a ``b`c`` d and …"


def test_follow_ups_leave_out_the_gates_a_failure_skipped() -> None:
    """jsonschema-specifications with a failing test: §13 said "Fix 1 failing check: run-test",
    then "Resolve: dependency G3 failed" for the four gates G3's failure skipped."""
    snapshot = all_commanded()
    workflow = snapshot.spec.workflow
    g3 = run_gate(workflow.gate("G3"), 3, fail=["run-test"])
    later = {g: skipped(workflow.gate(g), 4, "dependency G3 failed") for g in ("G4", "G5", "G6", "G7")}
    failed = with_gates(snapshot, RunStatus.FAILED, G3=g3, **later)
    assert later["G4"].record is not None
    assert later["G4"].record.result.next_steps == ("Runs once G3 passes",)
    lines = section(render_outputs(failed)["prp.md"], 13).splitlines()[2:]
    assert lines == ["- Fix 1 failing check: run-test"], lines


def test_follow_ups_name_the_major_findings_of_gates_that_passed() -> None:
    """cachetools: G3 passed, the review had a major finding (no command runs type-check), and
    §13 said "Follow-ups: None"."""
    lines = section(render_outputs(all_passed())["prp.md"], 13).splitlines()[2:]
    assert lines[0].startswith("- `G3-run-test` (major): No command runs the required check 'test'")
    assert [line.split("`")[1] for line in lines] == ["G3-run-test", "G3-run-lint", "G3-run-type-check"]
    assert section(render_outputs(all_commanded())["prp.md"], 13).splitlines()[2:] == ["_None._"]
