"""Built-in checks (``prp_tasks.checks.planning`` and ``.verification``) on a real directory."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from prp_tasks.checks import BUILTINS, outcome_of
from prp_tasks.checks.base import CheckContext, Outcome
from prp_tasks.core import dag
from prp_tasks.core.builtin_workflow import builtin_workflow
from prp_tasks.core.catalog import BUILTIN_CHECKS
from prp_tasks.core.models import CheckStatus, GateStatus
from prp_tasks.core.profile import EnforcementProfile, InitialDoc, ResolvedProfile
from prp_tasks.core.results import AutomatedCheck, EvidenceType, GateRecord, GateResult
from prp_tasks.core.run import Blueprint, RepoInfo, RunSpec

PASS, FAIL, SKIP = CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.SKIP
WORKFLOW = builtin_workflow()
BLUEPRINT = Blueprint(
    title="Checkout", description="Users abandon carts.", requirements=("Cut abandonment by 10%",)
)


def gate_of(check: str) -> str:
    return next(g.id for g in WORKFLOW.gates if any(c.name == check for c in g.checks))


def run_check(
    repo: Path,
    check: str,
    profile: Mapping[str, Any] | None = None,
    *,
    blueprint: Blueprint = BLUEPRINT,
    doc: InitialDoc | None = None,
    records: Mapping[str, GateRecord] | None = None,
    artifacts: frozenset[str] = frozenset(),
) -> Outcome:
    """Run built-in ``check`` of the built-in workflow against ``repo`` (crashes become FAILs)."""
    resolved = ResolvedProfile(
        profile=EnforcementProfile.model_validate(profile or {}), doc=doc or InitialDoc()
    )
    spec = RunSpec(
        run_id="run-unit",
        workflow=WORKFLOW,
        blueprint=blueprint,
        repo=RepoInfo(path=str(repo)),
        profile=resolved,
        created_at="2026-03-01T10:00:00.000Z",
    )
    gate = WORKFLOW.gate(gate_of(check))
    ctx = CheckContext(
        spec=spec,
        gate=gate,
        check=gate.check(check),
        timeout_s=10,
        env_allowlist=(),
        output_tail_bytes=4000,
        load_records=lambda: dict(records or {}),
        load_artifact_names=lambda: artifacts,
    )
    return outcome_of(ctx)


def write(repo: Path, name: str, content: str | Mapping[str, Any]) -> None:
    path = repo / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content))


def record(gate_id: str, status: GateStatus, **checks: CheckStatus) -> GateRecord:
    return GateRecord(
        result=GateResult(
            id=gate_id,
            name=gate_id,
            status=status,
            timestamp="2026-03-01T10:00:00.000Z",
            automated_checks=tuple(AutomatedCheck(name=n, status=s) for n, s in checks.items()),
        )
    )


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
    assert (outcome.status, outcome.output) == (PASS, "2 boundaries, 1 naming rules")


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
    assert run_check(tmp_path, "coverage-targets").output == "coverage targets: lines 95%, branches 90%"
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
    assert outcome.output == "lint and type-check are required; no command configured for: test, type-check"
    missing = run_check(tmp_path, "lint-and-types-configured", {"governance": {"checks": ["test"]}})
    assert missing.status == FAIL


def test_code_owners_may_come_from_the_profile(tmp_path: Path) -> None:
    outcome = run_check(tmp_path, "codeowners-present", {"governance": {"owners": {"src/": ["@team"]}}})
    assert (outcome.status, outcome.output) == (PASS, "governance.owners maps 1 path pattern(s)")


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


# G4 coverage ----------------------------------------------------------------------------------


def cobertura(line_rate: str, branch_rate: str = "0", branches_valid: str = "0") -> str:
    return (
        f'<?xml version="1.0" ?>\n<coverage line-rate="{line_rate}" branch-rate="{branch_rate}" '
        f'branches-valid="{branches_valid}" branches-covered="0" lines-valid="100" lines-covered="90" '
        'version="7.4" timestamp="0"><packages/></coverage>\n'
    )


def coverage_budget(**values: float) -> dict[str, Any]:
    return {"budgets": {"coverage": values}}


def test_a_cobertura_report_within_budget_passes(tmp_path: Path) -> None:
    write(tmp_path, "coverage.xml", cobertura("0.9", "0.8", "10"))
    outcome = run_check(tmp_path, "coverage-validation", coverage_budget(lines=85, branches=75))
    assert outcome.status == PASS
    assert outcome.output == (
        "coverage.xml (cobertura-xml): branches 80, lines 90; "
        "warnings: not measured by this report: functions, statements"
    )
    assert outcome.evidence_type == EvidenceType.COVERAGE
    assert outcome.source == "coverage.xml"
    assert outcome.details["actual"] == {"lines": 90.0, "branches": 80.0}


def test_coverage_below_budget_fails_with_actual_and_required(tmp_path: Path) -> None:
    write(tmp_path, "coverage.xml", cobertura("0.9", "0.8", "10"))
    outcome = run_check(tmp_path, "coverage-validation")
    assert outcome.status == FAIL
    assert outcome.output == ("branches coverage 80.0% < required 90%; lines coverage 90.0% < required 95%")
    assert outcome.details["failures"] == outcome.output.split("; ")


def test_cobertura_without_branches_does_not_measure_branches(tmp_path: Path) -> None:
    write(tmp_path, "coverage.xml", cobertura("0.99", "0", "0"))
    outcome = run_check(tmp_path, "coverage-validation")
    assert outcome.status == PASS
    assert outcome.details["actual"] == {"lines": 99.0}
    assert "not measured by this report: branches, functions, statements" in outcome.output


def test_coverage_exactly_at_the_budget_passes_with_a_warning(tmp_path: Path) -> None:
    write(tmp_path, "coverage.xml", cobertura("0.9", "0.8", "10"))
    outcome = run_check(tmp_path, "coverage-validation", coverage_budget(lines=90, branches=80))
    assert outcome.status == PASS
    assert outcome.details["warnings"][:2] == [
        "branches coverage exactly at the 80% budget",
        "lines coverage exactly at the 90% budget",
    ]


def test_a_cobertura_rate_equal_to_the_budget_is_not_a_failure(tmp_path: Path) -> None:
    write(tmp_path, "coverage.xml", cobertura("0.57"))
    outcome = run_check(tmp_path, "coverage-validation", coverage_budget(lines=57))
    assert outcome.status == PASS, outcome.output  # today: "lines coverage 57.0% < required 57%"
    assert "lines coverage exactly at the 57% budget" in outcome.output


COVERAGE_PY = {
    "totals": {
        "num_statements": 10,
        "covered_lines": 9,
        "num_branches": 4,
        "covered_branches": 2,
        "percent_covered": 85.7,
    }
}


def test_a_coverage_py_json_report_is_read(tmp_path: Path) -> None:
    write(tmp_path, "coverage.json", COVERAGE_PY)
    budget = coverage_budget(lines=90, branches=50, statements=90)
    outcome = run_check(tmp_path, "coverage-validation", budget)
    assert outcome.status == PASS
    assert outcome.details["format"] == "coverage.py-json"
    assert outcome.details["actual"] == {"statements": 90.0, "lines": 90.0, "branches": 50.0}
    assert outcome.output.startswith("coverage.json (coverage.py-json): branches 50, lines 90, statements 90")


def test_a_coverage_py_report_without_statements_falls_back_to_percent_covered(tmp_path: Path) -> None:
    write(tmp_path, "coverage.json", {"totals": {"num_statements": 0, "percent_covered": 85.7}})
    outcome = run_check(tmp_path, "coverage-validation")
    assert outcome.details["actual"] == {"lines": 85.7}
    assert outcome.output == "lines coverage 85.7% < required 95%"


def test_the_first_existing_coverage_report_wins(tmp_path: Path) -> None:
    write(tmp_path, "coverage.xml", cobertura("0.99"))
    write(tmp_path, "coverage.json", COVERAGE_PY)
    assert run_check(tmp_path, "coverage-validation").source == "coverage.xml"


def test_a_missing_coverage_report_names_every_file_tried(tmp_path: Path) -> None:
    profile = {"reports": {"coverage": ["build/cov.xml", "out/coverage.json", "coverage.xml"]}}
    outcome = run_check(tmp_path, "coverage-validation", profile)
    assert outcome.status == FAIL
    assert outcome.output == "coverage report not found: tried build/cov.xml, out/coverage.json, coverage.xml"
    assert outcome.evidence_type == EvidenceType.COVERAGE


def test_no_configured_coverage_report_fails(tmp_path: Path) -> None:
    outcome = run_check(tmp_path, "coverage-validation", {"reports": {"coverage": []}})
    assert outcome.output == "no coverage report configured (reports.coverage in initial.md)"


def test_a_coverage_report_outside_the_repository_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="not a plain relative path"):
        EnforcementProfile.model_validate({"reports": {"coverage": ["../coverage.xml"]}})
    repo = tmp_path / "repo"
    repo.mkdir()
    write(tmp_path, "coverage.xml", cobertura("1.0"))
    (repo / "coverage.xml").symlink_to(tmp_path / "coverage.xml")  # escapes through a link
    outcome = run_check(repo, "coverage-validation", {"reports": {"coverage": ["coverage.xml"]}})
    assert outcome.status == CheckStatus.FAIL
    assert "not a relative path inside the repository" in outcome.output


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("coverage.xml", "this is not xml"),
        ("coverage.xml", "<report line-rate='1'/>"),
        ("coverage.xml", "<coverage branch-rate='1'/>"),
        ("coverage.json", "garbage"),
        ("coverage.json", "[1, 2]"),
        ("coverage.json", '{"totals": {"num_statements": 10}}'),
    ],
)
def test_a_garbage_coverage_report_is_not_readable(tmp_path: Path, name: str, content: str) -> None:
    write(tmp_path, name, content)
    outcome = run_check(tmp_path, "coverage-validation")
    assert outcome.status == FAIL
    assert outcome.output.startswith(f"{name}: not a readable coverage report (")


@pytest.mark.parametrize("totals", ['"x"', "[]"])
def test_coverage_json_with_non_mapping_totals_is_not_readable(tmp_path: Path, totals: str) -> None:
    write(tmp_path, "coverage.json", f'{{"totals": {totals}}}')
    outcome = run_check(tmp_path, "coverage-validation")
    assert outcome.output.startswith("coverage.json: not a readable coverage report ("), outcome.output


# G4 performance -------------------------------------------------------------------------------


def perf_profile(**budget: float) -> dict[str, Any]:
    return {"reports": {"performance": ["perf.json"]}, "budgets": {"performance": budget}}


def lighthouse(**values: float) -> dict[str, Any]:
    names = {
        "lcp": "largest-contentful-paint",
        "tbt": "total-blocking-time",
        "fcp": "first-contentful-paint",
        "tti": "interactive",
    }
    return {
        "lighthouseVersion": "12",
        "audits": {names[k]: {"id": names[k], "numericValue": v} for k, v in values.items()},
    }


def test_performance_is_skipped_when_no_report_is_configured(tmp_path: Path) -> None:
    outcome = run_check(tmp_path, "performance-validation")
    assert outcome.status == SKIP
    assert outcome.output == "no performance report configured (reports.performance)"


def test_a_lighthouse_report_within_budget_passes(tmp_path: Path) -> None:
    write(tmp_path, "perf.json", lighthouse(lcp=1800, tbt=120, fcp=900))
    outcome = run_check(tmp_path, "performance-validation", perf_profile())
    assert outcome.status == PASS
    assert outcome.output == "perf.json (lighthouse-json): fcp 900, lcp 1800, tbt 120"
    assert outcome.evidence_type == EvidenceType.ANALYSIS


def test_a_flat_performance_report_over_budget_fails(tmp_path: Path) -> None:
    write(tmp_path, "perf.json", {"lcp": 3100, "tbt": 280, "fcp": 1500})
    outcome = run_check(tmp_path, "performance-validation", perf_profile(fcp=1000))
    assert outcome.status == FAIL
    assert outcome.output == "FCP 1500 ms > budget 1000 ms; LCP 3100 ms > budget 2500 ms"
    assert outcome.details["format"] == "json"
    assert outcome.details["warnings"] == ["TBT 280 ms within 10% of the 300 ms budget"]


def test_a_performance_report_without_lcp_or_tbt_fails(tmp_path: Path) -> None:
    write(tmp_path, "perf.json", lighthouse(lcp=1000))
    outcome = run_check(tmp_path, "performance-validation", perf_profile())
    assert (outcome.status, outcome.output) == (FAIL, "perf.json has no LCP/TBT measurement")


def test_a_configured_but_missing_performance_report_fails(tmp_path: Path) -> None:
    outcome = run_check(tmp_path, "performance-validation", perf_profile())
    assert (outcome.status, outcome.output) == (FAIL, "performance report not found: tried perf.json")


def test_an_unreadable_performance_report_fails(tmp_path: Path) -> None:
    write(tmp_path, "perf.json", {"lcp": "fast", "tbt": 1})
    outcome = run_check(tmp_path, "performance-validation", perf_profile())
    assert outcome.output.startswith("perf.json: not a readable performance report (")


# G4 security ----------------------------------------------------------------------------------


def sec_profile(**budget: object) -> dict[str, Any]:
    return {"reports": {"security": ["scan.sarif", "security.json"]}, "budgets": {"security": budget}}


def sarif(rules: Mapping[str, float], results: list[dict[str, Any]]) -> dict[str, Any]:
    driver = {
        "name": "scanner",
        "rules": [
            {"id": rule_id, "properties": {"security-severity": str(score)}}
            for rule_id, score in rules.items()
        ],
    }
    return {"version": "2.1.0", "runs": [{"tool": {"driver": driver}, "results": results}]}


def counts(outcome: Outcome) -> dict[str, float]:
    actual: dict[str, float] = outcome.details["actual"]
    return actual


def test_security_is_skipped_when_no_report_is_configured(tmp_path: Path) -> None:
    outcome = run_check(tmp_path, "security-validation")
    assert (outcome.status, outcome.output) == (SKIP, "no security report configured (reports.security)")


def test_sarif_severity_comes_from_the_rule_then_the_result_then_the_level(tmp_path: Path) -> None:
    rules = {"crit": 9.8, "high": 7.0, "med": 4.0, "low": 3.9}
    results = [
        {"ruleId": "crit"},
        {"ruleId": "high"},
        {"ruleId": "med"},
        {"ruleId": "low"},
        {"ruleId": "low", "properties": {"security-severity": "9.0"}},  # result overrides rule
        {"ruleId": "unscored", "level": "error"},
        {"ruleId": "unscored", "level": "warning"},
        {"ruleId": "unscored", "level": "note"},
        {"ruleId": "unscored"},  # SARIF's default level is "warning"
    ]
    write(tmp_path, "scan.sarif", sarif(rules, results))
    outcome = run_check(tmp_path, "security-validation", sec_profile(max_critical=2, max_high=2))
    assert counts(outcome) == {"critical": 2, "high": 2, "medium": 3, "low": 2}
    assert outcome.status == PASS
    assert outcome.details["format"] == "sarif"
    assert outcome.output == (
        "scan.sarif (sarif): critical 2, high 2, low 2, medium 3; "
        "warnings: 3 medium finding(s) (allowed 5); 2 low finding(s)"
    )


def test_sarif_findings_over_the_limits_fail(tmp_path: Path) -> None:
    write(tmp_path, "scan.sarif", sarif({"c": 9.5, "h": 8}, [{"ruleId": "c"}, {"ruleId": "h"}]))
    outcome = run_check(tmp_path, "security-validation", sec_profile())
    assert outcome.status == FAIL
    assert outcome.output == "1 critical finding(s) > allowed 0; 1 high finding(s) > allowed 0"
    assert outcome.evidence_type == EvidenceType.SECURITY


def test_sarif_results_across_several_runs_are_counted(tmp_path: Path) -> None:
    report = sarif({}, [{"level": "note"}])
    report["runs"].append({"results": [{"level": "note"}, {"level": "error"}]})
    write(tmp_path, "scan.sarif", report)
    outcome = run_check(tmp_path, "security-validation", sec_profile(max_high=1))
    assert counts(outcome) == {"critical": 0, "high": 1, "medium": 0, "low": 2}


def test_flat_json_security_counts_are_read(tmp_path: Path) -> None:
    write(tmp_path, "security.json", {"critical": 0, "high": 0, "medium": 2, "low": 1})
    outcome = run_check(tmp_path, "security-validation", sec_profile())
    assert outcome.status == PASS
    assert outcome.output == (
        "security.json (json): critical 0, high 0, low 1, medium 2; "
        "warnings: 2 medium finding(s) (allowed 5); 1 low finding(s)"
    )


@pytest.mark.parametrize(
    ("found", "budget", "message"),
    [
        ({"medium": 6}, {}, "6 medium finding(s) > allowed 5"),
        ({"medium": 1}, {"max_medium": 0}, "1 medium finding(s) > allowed 0"),
        ({"high": 3}, {"max_high": 2}, "3 high finding(s) > allowed 2"),
        ({"low": 1}, {"fail_on_any": True}, "security.fail_on_any is set and the report has findings"),
    ],
)
def test_security_limits_are_enforced(
    tmp_path: Path, found: dict[str, int], budget: dict[str, object], message: str
) -> None:
    write(tmp_path, "security.json", found)
    outcome = run_check(tmp_path, "security-validation", sec_profile(**budget))
    assert (outcome.status, outcome.output) == (FAIL, message)


def test_findings_within_raised_limits_pass(tmp_path: Path) -> None:
    write(tmp_path, "security.json", {"critical": 1, "high": 2, "medium": 5})
    outcome = run_check(tmp_path, "security-validation", sec_profile(max_critical=1, max_high=2))
    assert outcome.status == PASS


def test_an_unreadable_security_report_fails(tmp_path: Path) -> None:
    write(tmp_path, "security.json", "[1, 2]")
    outcome = run_check(tmp_path, "security-validation", sec_profile())
    assert outcome.output.startswith("security.json: not a readable security report (")


def test_a_sarif_result_with_level_none_is_not_a_finding(tmp_path: Path) -> None:
    write(tmp_path, "scan.sarif", sarif({}, [{"ruleId": "x", "kind": "pass", "level": "none"}]))
    outcome = run_check(tmp_path, "security-validation", sec_profile(fail_on_any=True))
    assert outcome.status == PASS, outcome.output


# G5–G7 ------------------------------------------------------------------------------------------


def test_a_failed_blocker_check_is_a_red_finding(tmp_path: Path) -> None:
    records = {
        "G3": record("G3", GateStatus.FAILED, **{"run-lint": FAIL, "blocker-scan": FAIL}),
        "G4": record("G4", GateStatus.PASSED, **{"coverage-validation": PASS}),
    }
    outcome = run_check(tmp_path, "no-red-findings", records=records)
    assert (outcome.status, outcome.output) == (FAIL, "red findings: G3/blocker-scan")


def test_other_failed_checks_are_amber(tmp_path: Path) -> None:
    records = {
        "G3": record("G3", GateStatus.FAILED, **{"run-lint": FAIL}),
        "G5": record("G5", GateStatus.RUNNING, **{"blocker-self": FAIL}),  # the gate itself is ignored
    }
    outcome = run_check(tmp_path, "no-red-findings", records=records)
    assert (outcome.status, outcome.output) == (PASS, "no red findings across 2 gates; amber: G3/run-lint")
    assert outcome.details == {"amber": ["G3/run-lint"]}


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
