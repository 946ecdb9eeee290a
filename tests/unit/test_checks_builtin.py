"""Built-in planning and review checks (``prp_tasks.checks.planning``, G0–G3 and G5–G7) on a real
directory; the report readers of G4 are in test_checks_builtin_reports.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from prp_tasks.checks import BUILTINS, CHECKOUT_FREE, needs_checkout
from prp_tasks.checks.base import CheckContext
from prp_tasks.core import dag
from prp_tasks.core.catalog import BUILTIN_CHECKS
from prp_tasks.core.models import GateStatus
from prp_tasks.core.profile import InitialDoc
from prp_tasks.core.results import GateRecord
from prp_tasks.core.run import Blueprint
from tests.unit.builtin_checks import BLUEPRINT, FAIL, PASS, SKIP, WORKFLOW, gate_of, record, run_check, write

# the registry ---------------------------------------------------------------------------------


def test_every_catalogued_builtin_has_an_implementation_and_vice_versa() -> None:
    assert set(BUILTINS) == set(BUILTIN_CHECKS)


def test_the_builtin_workflow_only_uses_registered_builtins() -> None:
    dag.validate(WORKFLOW, known_builtins=BUILTINS)


# G0 ---------------------------------------------------------------------------------------------


def test_a_complete_blueprint_passes_validation(tmp_path: Path) -> None:
    outcome = run_check(tmp_path, "blueprint-validation")
    assert (outcome.status, outcome.output) == (PASS, "title, description and 1 requirement(s) present")


def test_an_incomplete_blueprint_fails_naming_every_gap(tmp_path: Path) -> None:
    outcome = run_check(
        tmp_path, "blueprint-validation", blueprint=Blueprint(title=" ", requirements=("  ",))
    )
    assert outcome.status == FAIL
    assert outcome.output == (
        "blueprint title is empty; blueprint description is empty; blueprint has no requirement"
    )


def test_the_placeholder_requirement_is_no_requirement(tmp_path: Path) -> None:
    """decorator: prp init found no command, wrote its placeholder, and G0 passed it."""
    blueprint = Blueprint(
        title="decorator", description="Decorators.", requirements=("Describe the outcome here",)
    )
    outcome = run_check(tmp_path, "blueprint-validation", blueprint=blueprint)
    assert (outcome.status, outcome.output) == (
        FAIL,
        "requirement 'Describe the outcome here' is a placeholder: state the outcome",
    )


def test_duplicates_inside_one_list_are_found_ignoring_case_and_punctuation(tmp_path: Path) -> None:
    blueprint = BLUEPRINT.model_copy(
        update={"requirements": ("Support card payments", "support CARD-payments!")}
    )
    doc = InitialDoc(acceptance_criteria=("Works offline.", "Loads fast", "works_offline"))
    outcome = run_check(tmp_path, "duplication-check", blueprint=blueprint, doc=doc)
    assert outcome.status == FAIL
    assert outcome.output == (
        "duplicate blueprint requirement: 'support CARD-payments!'; "
        "duplicate acceptance criterion: 'works_offline'"
    )


def test_the_same_requirement_in_the_blueprint_and_initial_md_is_not_a_duplicate(tmp_path: Path) -> None:
    doc = InitialDoc(
        requirements=("cut abandonment by 10 %",), acceptance_criteria=("Cut abandonment by 10%",)
    )
    outcome = run_check(tmp_path, "duplication-check", doc=doc)
    assert (outcome.status, outcome.output) == (PASS, "3 items compared, no duplicates")


def test_the_default_profile_passes_the_policy_quick_check(tmp_path: Path) -> None:
    outcome = run_check(tmp_path, "policy-quick-check")
    assert outcome.status == PASS
    assert outcome.output == "license (Apache-2.0 OR Commercial); required checks: test, lint, type-check"


def test_a_profile_without_license_or_checks_fails_the_policy_quick_check(tmp_path: Path) -> None:
    outcome = run_check(tmp_path, "policy-quick-check", {"governance": {"license": "", "checks": []}})
    assert outcome.output == "governance.license is empty; governance.checks (required checks) is empty"


# G1 ---------------------------------------------------------------------------------------------


def test_architecture_policy_needs_boundaries_and_naming(tmp_path: Path) -> None:
    assert run_check(tmp_path, "architecture-policy-presence").output == (
        "architecture.boundaries is empty; architecture.naming is empty"
    )
    declared = {"architecture": {"boundaries": ["core", "adapters"], "naming": {"modules": "snake_case"}}}
    outcome = run_check(tmp_path, "architecture-policy-presence", declared)
    assert (outcome.status, outcome.output) == (PASS, "2 boundaries, 1 naming rule")


def test_required_checks_must_include_test_lint_and_type_check(tmp_path: Path) -> None:
    assert run_check(tmp_path, "governance-required-checks").status == PASS
    outcome = run_check(tmp_path, "governance-required-checks", {"governance": {"checks": ["test"]}})
    assert outcome.output == "governance.checks lacks 'lint'; governance.checks lacks 'type-check'"


def layout(*entries: str) -> dict[str, Any]:
    return {"architecture": {"layout": list(entries)}}


def test_an_existing_layout_passes(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    write(tmp_path, "pyproject.toml", "")
    outcome = run_check(tmp_path, "repo-layout-hints", layout("src", "pyproject.toml"))
    assert (outcome.status, outcome.output) == (PASS, "all 2 layout entries exist")


def test_a_missing_layout_path_fails(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    outcome = run_check(tmp_path, "repo-layout-hints", layout("src", "tests"))
    assert (outcome.status, outcome.output) == (FAIL, "layout entry 'tests' does not exist")


def test_an_empty_layout_fails(tmp_path: Path) -> None:
    assert run_check(tmp_path, "repo-layout-hints").output == "architecture.layout is empty"


@pytest.mark.parametrize("entry", ["../x", "/etc", "src/../../x"])
def test_layout_entries_outside_the_repository_are_refused(tmp_path: Path, entry: str) -> None:
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    (tmp_path / "x").mkdir()  # exists, but outside the repository
    outcome = run_check(repo, "repo-layout-hints", layout(entry))
    assert outcome.status == FAIL
    assert outcome.output == f"layout entry {entry!r} is not a relative path inside the repository"


def test_a_layout_link_escaping_the_repository_is_refused(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "escape").symlink_to("/etc")
    outcome = run_check(repo, "repo-layout-hints", layout("escape"))
    assert outcome.output == "layout entry 'escape' is not a relative path inside the repository"


# G2 ---------------------------------------------------------------------------------------------


def test_coverage_targets_must_be_positive(tmp_path: Path) -> None:
    assert run_check(tmp_path, "coverage-targets").output == (
        "coverage targets: lines 95%, branches 90%, functions 95%, statements 95%"
    )
    outcome = run_check(tmp_path, "coverage-targets", {"budgets": {"coverage": {"lines": 0}}})
    assert (outcome.status, outcome.output) == (FAIL, "budgets.coverage.lines must be > 0")


def test_perf_and_a11y_budgets_are_reported_and_need_an_a11y_score(tmp_path: Path) -> None:
    assert run_check(tmp_path, "perf-a11y-budgets").output == "LCP ≤ 2500 ms, TBT ≤ 300 ms, a11y score ≥ 95"
    outcome = run_check(tmp_path, "perf-a11y-budgets", {"budgets": {"accessibility": {"score": 0}}})
    assert (outcome.status, outcome.output) == (FAIL, "budgets.accessibility.score must be > 0")


def with_categories(categories: object) -> Blueprint:
    return BLUEPRINT.model_copy(update={"metadata": {"testCategories": categories}})


def test_test_categories_are_skipped_when_the_blueprint_declares_none(tmp_path: Path) -> None:
    assert run_check(tmp_path, "test-categories-plan").status == SKIP


def test_every_required_test_category_must_be_planned(tmp_path: Path) -> None:
    full = with_categories(["unit", "integration", "e2e", "a11y", "security"])
    assert run_check(tmp_path, "test-categories-plan", blueprint=full).status == PASS
    partial = run_check(tmp_path, "test-categories-plan", blueprint=with_categories(["unit", "e2e"]))
    assert partial.output == (
        "test category 'integration' is not planned; test category 'a11y' is not planned; "
        "test category 'security' is not planned"
    )
    wrong = run_check(tmp_path, "test-categories-plan", blueprint=with_categories("unit"))
    assert (wrong.status, wrong.output) == (FAIL, "metadata.testCategories must be a list")


# G3 ---------------------------------------------------------------------------------------------


def test_lint_and_types_configured_notes_checks_without_commands(tmp_path: Path) -> None:
    commands = {"governance": {"commands": {"lint": ["ruff", "check"]}}}
    outcome = run_check(tmp_path, "lint-and-types-configured", commands)
    assert outcome.status == PASS
    assert outcome.output == (
        "lint and type-check are required; not verified, no command runs them: test, type-check "
        "(review.json: a major finding each)"
    )
    missing = run_check(tmp_path, "lint-and-types-configured", {"governance": {"checks": ["test"]}})
    assert missing.status == FAIL
    one = {"governance": {"commands": {"lint": ["ruff", "check"], "test": ["pytest"]}}}  # sqlparse's
    assert run_check(tmp_path, "lint-and-types-configured", one).output == (
        "lint and type-check are required; not verified, no command runs it: type-check "
        "(review.json: a major finding)"
    )


def test_code_owners_may_come_from_the_profile(tmp_path: Path) -> None:
    """Named, with whether a CODEOWNERS file backs them (packaging: ``prp init``'s owners derived
    from its maintainer had passed as "governance.owners maps 1 path pattern(s)")."""
    outcome = run_check(tmp_path, "codeowners-present", {"governance": {"owners": {"src/": ["@team"]}}})
    said = "governance.owners maps 1 path pattern: src/ → @team"
    assert (outcome.status, outcome.output) == (PASS, f"{said}; the repository has no CODEOWNERS file")
    write(tmp_path, "CODEOWNERS", "* @team\n")
    two = {"governance": {"owners": {"src/": ["@team"], "*": ["a@b.c", "d@e.f"]}}}
    assert run_check(tmp_path, "codeowners-present", two).output == (
        "governance.owners maps 2 path patterns: src/ → @team; * → a@b.c, d@e.f"
    )


def test_code_owners_may_come_from_a_codeowners_file(tmp_path: Path) -> None:
    write(tmp_path, ".github/CODEOWNERS", "* @team\n")
    outcome = run_check(tmp_path, "codeowners-present")
    assert (outcome.status, outcome.output, outcome.source) == (
        PASS,
        ".github/CODEOWNERS present",
        ".github/CODEOWNERS",
    )


def test_without_code_owners_the_check_names_every_file_tried(tmp_path: Path) -> None:
    outcome = run_check(tmp_path, "codeowners-present")
    assert outcome.status == FAIL
    assert outcome.output == (
        "no code owners: governance.owners is empty and none of "
        "CODEOWNERS, .github/CODEOWNERS, docs/CODEOWNERS, .gitlab/CODEOWNERS exists"
    )


# G5–G7 ------------------------------------------------------------------------------------------


def test_a_failed_blocker_check_is_a_red_finding(tmp_path: Path) -> None:
    records = {
        "G3": record("G3", GateStatus.FAILED, **{"run-docs": FAIL, "blocker-scan": FAIL}),
        "G4": record("G4", GateStatus.PASSED, **{"coverage-validation": PASS}),
    }
    outcome = run_check(tmp_path, "no-red-findings", records=records)
    assert (outcome.status, outcome.output) == (FAIL, "red findings: G3/blocker-scan")


def test_a_failed_required_check_is_a_red_finding(tmp_path: Path) -> None:
    records = {"G3": record("G3", GateStatus.FAILED, **{"run-test": FAIL, "run-docs": FAIL})}
    outcome = run_check(tmp_path, "no-red-findings", records=records)  # required: test, lint, type-check
    assert (outcome.status, outcome.output) == (FAIL, "red findings: G3/run-test")


def test_other_failed_checks_are_amber(tmp_path: Path) -> None:
    records = {
        "G3": record("G3", GateStatus.FAILED, **{"run-docs": FAIL}),
        "G5": record("G5", GateStatus.RUNNING, **{"blocker-self": FAIL}),  # the gate itself is ignored
    }
    outcome = run_check(tmp_path, "no-red-findings", records=records)
    assert (outcome.status, outcome.output) == (PASS, "no red findings across 2 gates; amber: G3/run-docs")
    assert outcome.details == {"amber": ["G3/run-docs"]}


def test_required_checks_no_command_runs_are_amber(tmp_path: Path) -> None:
    records = {"G3": record("G3", GateStatus.PASSED, **{"lint-and-types-configured": PASS, "run-test": PASS})}
    profile = {"governance": {"commands": {"test": ["pytest"]}}}
    outcome = run_check(tmp_path, "no-red-findings", profile, records=records)
    unrun = ["G3/run-lint (no command)", "G3/run-type-check (no command)"]
    assert (outcome.status, outcome.details) == (PASS, {"amber": unrun})
    assert outcome.output == "no red findings across 1 gates; amber: " + ", ".join(unrun)


def test_a_skipped_check_named_for_its_gates_category_is_amber(tmp_path: Path) -> None:
    """As in review.json: G4 (security) passed on its coverage with no security report."""
    records = {
        "G4": record("G4", GateStatus.PASSED, **{"coverage-validation": PASS, "security-validation": SKIP}),
        "G2": record("G2", GateStatus.PASSED, **{"test-categories-plan": SKIP, "coverage-targets": PASS}),
    }
    outcome = run_check(tmp_path, "no-red-findings", records=records)
    assert (outcome.status, outcome.details) == (PASS, {"amber": ["G4/security-validation (skipped)"]})


def passed_records(*gate_ids: str) -> dict[str, GateRecord]:
    return {g: record(g, GateStatus.PASSED) for g in gate_ids}


def test_release_readiness_needs_every_prior_gate_passed(tmp_path: Path) -> None:
    records = passed_records("G0", "G1", "G2", "G3", "G4", "G5")
    outcome = run_check(tmp_path, "all-prior-gates-passed", records=records)
    assert (outcome.status, outcome.output) == (PASS, "all 6 prior gates passed")


def test_release_readiness_names_gates_that_did_not_pass(tmp_path: Path) -> None:
    records = passed_records("G0", "G1", "G2", "G3") | {"G4": record("G4", GateStatus.FAILED)}
    outcome = run_check(tmp_path, "all-prior-gates-passed", records=records)
    assert (outcome.status, outcome.output) == (FAIL, "G4 is failed; G5 is not run")


EXPECTED_ARTIFACTS = (
    "architecture-review.md",
    "test-plan.md",
    "code-review-checklist.md",
    "verification-report.md",
    "release-checklist.md",
)


def test_the_release_needs_every_artifact_earlier_gates_produce(tmp_path: Path) -> None:
    outcome = run_check(tmp_path, "release-artifacts-present", artifacts=frozenset(EXPECTED_ARTIFACTS))
    assert outcome.status == PASS
    assert outcome.output == "present: " + ", ".join(EXPECTED_ARTIFACTS)


def test_a_missing_release_artifact_is_named(tmp_path: Path) -> None:
    present = frozenset(EXPECTED_ARTIFACTS) - {"test-plan.md"}
    outcome = run_check(tmp_path, "release-artifacts-present", artifacts=present)
    assert (outcome.status, outcome.output) == (FAIL, "missing artifact test-plan.md")
    assert outcome.details["missing"] == ["test-plan.md"]


def test_checkout_free_builtins_never_look_at_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """They run without a workspace, so ``ctx.repo`` would be the user's own directory."""

    def no_repository(_ctx: CheckContext) -> Path:
        raise AssertionError("looked at the repository")

    monkeypatch.setattr(CheckContext, "repo", property(no_repository))
    profile = {"budgets": {"performance": {"lcp": 2500}, "accessibility": {"score": 90}}}
    records = {"G0": record("G0", GateStatus.PASSED, a=PASS)}
    for name in sorted(CHECKOUT_FREE):
        outcome = run_check(tmp_path, name, profile, records=records)
        assert "check crashed" not in outcome.output, (name, outcome.output)
    # the guard works: a built-in that reads the checkout trips it
    assert "looked at the repository" in run_check(tmp_path, "codeowners-present").output
    assert not needs_checkout(WORKFLOW.gate(gate_of("blueprint-validation")).check("blueprint-validation"))
    assert needs_checkout(WORKFLOW.gate(gate_of("codeowners-present")).check("codeowners-present"))
