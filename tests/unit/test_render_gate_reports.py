"""Unit tests of the gate reports: every report renders from real check results only."""

from __future__ import annotations

import pytest

from prp_tasks.core.builtin_workflow import builtin_workflow
from prp_tasks.core.catalog import GATE_REPORTS
from prp_tasks.core.models import CheckStatus, GateSpec, Phase
from prp_tasks.core.profile import Architecture, EnforcementProfile, Governance, ResolvedProfile
from prp_tasks.core.render import render_gate_report
from prp_tasks.core.results import CheckResult, Evidence
from prp_tasks.core.run import Blueprint, RepoInfo, RunSpec

SHA = "fedcba9876543210fedcba9876543210fedcba98"
PROFILE = EnforcementProfile(
    architecture=Architecture(
        boundaries=("core", "adapters"), naming={"modules": "snake_case"}, layout=("src/", "tests/")
    ),
    governance=Governance(owners={"src/": ("@acme/core",)}, commands={"test": ("pytest", "-q")}),
)
WORKFLOW = builtin_workflow(PROFILE)
SPEC = RunSpec(
    run_id="run-report-1",
    workflow=WORKFLOW,
    blueprint=Blueprint(
        title="Checkout flow",
        description="Faster payments.",
        requirements=("Pay in two clicks",),
        metadata={"testCategories": ["unit", "e2e"], "highlights": ["Wallet pay"]},
    ),
    repo=RepoInfo(owner="acme", repo="shop", branch="main", commit_sha=SHA, path="/r"),
    profile=ResolvedProfile(profile=PROFILE),
    created_at="2026-03-01T09:00:00.000Z",
)
#: report name -> the gate that renders it in the built-in workflow
REPORT_GATES = {g.report: g for g in WORKFLOW.gates if g.report is not None}


def results_for(gate: GateSpec, fail: str | None = None) -> dict[str, CheckResult]:
    """Each check reports a distinctive output; ``fail`` fails."""
    out = {}
    for check in gate.checks:
        evidence = Evidence(
            id=f"ev-{check.name}",
            type="validation",
            source=f"reports/{check.name}.json",
            content="{}",
            timestamp="2026-03-01T10:00:00.000Z",
            phase=Phase.EVALUATION,
        )
        out[check.name] = CheckResult(
            name=check.name,
            status=CheckStatus.FAIL if check.name == fail else CheckStatus.PASS,
            output=f"output of {check.name} in {gate.id}",
            duration=42,
            evidence=(evidence,),
        )
    return out


def test_every_catalog_report_belongs_to_a_builtin_gate() -> None:
    assert set(REPORT_GATES) == set(GATE_REPORTS)


@pytest.mark.parametrize("report", sorted(GATE_REPORTS))
def test_every_gate_report_renders_the_real_check_outputs(report: str) -> None:
    gate = REPORT_GATES[report]
    text = render_gate_report(report, gate, results_for(gate), SPEC)
    assert text.startswith("# ") and text.endswith("\n")
    assert f"- **Gate:** {gate.id} — {gate.display_name}" in text
    assert "run-report-1" in text and SHA[:12] in text
    for check in gate.checks:
        assert f"output of {check.name} in {gate.id}" in text
        assert f"`reports/{check.name}.json` (validation)" in text
    known = text.replace("## Version unknown", "")  # SPEC names no version: said so, not 0.1.0
    assert "unknown" not in known and "sigstore" not in text.lower()


def test_rendering_a_report_twice_gives_the_same_text() -> None:
    gate = REPORT_GATES["verification-report"]
    checks = results_for(gate)
    assert render_gate_report("verification-report", gate, checks, SPEC) == render_gate_report(
        "verification-report", gate, checks, SPEC
    )


def test_an_unknown_report_name_raises_key_error() -> None:
    with pytest.raises(KeyError):
        render_gate_report("threat-model", WORKFLOW.gate("G1"), {}, SPEC)


def test_architecture_review_lists_the_profile_policy_and_g1_outcomes() -> None:
    gate = WORKFLOW.gate("G1")
    text = render_gate_report("architecture-review", gate, results_for(gate, fail="repo-layout-hints"), SPEC)
    assert "- `core`\n- `adapters`" in text
    assert "- `modules`: snake_case" in text
    assert "- `src/`\n- `tests/`" in text
    assert "**Outcome:** 2 passed, 1 failed, 0 skipped." in text
    assert "### ❌ repo-layout-hints — fail (42 ms)" in text
    assert "the declared repository layout exists in the checkout" in text


def test_verification_report_lists_each_check_status_and_output() -> None:
    gate = WORKFLOW.gate("G4")
    text = render_gate_report(
        "verification-report", gate, results_for(gate, fail="security-validation"), SPEC
    )
    assert "- `coverage-validation`: pass" in text
    assert "- `security-validation`: fail" in text
    assert "```text\noutput of security-validation in G4\n```" in text


def test_code_review_checklist_ticks_passed_checks_and_shows_commands() -> None:
    gate = WORKFLOW.gate("G3")
    checks = results_for(gate, fail="codeowners-present")
    text = render_gate_report("code-review-checklist", gate, checks, SPEC)
    assert "- [x] `lint-and-types-configured` (pass)" in text
    assert "- [ ] `codeowners-present` (fail)" in text
    assert "- `test`: `pytest -q`" in text and "- `lint`: no command configured" in text
    assert "- `src/`: @acme/core" in text


def test_a_declared_check_without_a_result_is_reported_as_missing() -> None:
    gate = WORKFLOW.gate("G6")
    text = render_gate_report("release-checklist", gate, {}, SPEC)
    assert "- [ ] `all-prior-gates-passed` (not reported)" in text
    assert "### all-prior-gates-passed — not reported" in text
    assert "0 passed, 0 failed, 0 skipped, 1 not reported." in text


def test_test_plan_and_release_notes_use_the_blueprint() -> None:
    g2, g7 = WORKFLOW.gate("G2"), WORKFLOW.gate("G7")
    plan = render_gate_report("test-plan", g2, results_for(g2), SPEC)
    assert "- unit\n- e2e" in plan and "- Pay in two clicks" in plan
    assert "lines ≥ 95%, branches ≥ 90%" in plan
    notes = render_gate_report("release-notes", g7, results_for(g7), SPEC)
    assert "## Version unknown" in notes and "- Wallet pay" in notes
    assert "Faster payments." in notes and "## Breaking Changes\n\nNone" in notes
    # pluggy 1.6.0: the notes said "Version 0.1.0" under prp.md's 1.6.0
    found = {"version": "1.6.0", "versionSource": "PKG-INFO", "changelog": "CHANGELOG.rst, pluggy 1.6.0"}
    spec = SPEC.model_copy(update={"blueprint": SPEC.blueprint.model_copy(update={"metadata": found})})
    notes = render_gate_report("release-notes", g7, results_for(g7), spec)
    assert "## Version 1.6.0" in notes and "_From CHANGELOG.rst, pluggy 1.6.0._" in notes
    assert "## Breaking Changes\n\n_None listed in CHANGELOG.rst, pluggy 1.6.0._" in notes


def test_a_report_of_a_run_on_uncommitted_changes_says_so() -> None:
    """more-itertools with initial.md not yet committed: release-notes.md said "@ master (commit
    e91e230e0166)" where prp.md said "+ uncommitted changes: `initial.md`"."""
    g7 = WORKFLOW.gate("G7")
    repo = SPEC.repo.model_copy(update={"dirty": True, "changed": 1, "changes": ("initial.md",)})
    notes = render_gate_report("release-notes", g7, results_for(g7), SPEC.model_copy(update={"repo": repo}))
    assert f"acme/shop @ main (commit {SHA[:12]}) + uncommitted changes: `initial.md`" in notes
    assert "uncommitted" not in render_gate_report("release-notes", g7, results_for(g7), SPEC)


def test_check_output_with_backticks_cannot_break_out_of_its_block() -> None:
    gate = WORKFLOW.gate("G5")
    result = CheckResult(name="no-red-findings", status=CheckStatus.FAIL, output="a\n```\nb")
    text = render_gate_report("release-checklist", gate, {"no-red-findings": result}, SPEC)
    assert "````text\na\n```\nb\n````" in text


def test_a_long_output_keeps_its_end() -> None:
    gate = WORKFLOW.gate("G5")
    output = "x" * 5000 + "SUMMARY: 3 failed"
    result = CheckResult(name="no-red-findings", status=CheckStatus.FAIL, output=output)
    text = render_gate_report("release-checklist", gate, {"no-red-findings": result}, SPEC)
    assert "SUMMARY: 3 failed" in text and "characters omitted" in text
    assert "x" * 4500 not in text
