"""Built-in G4 checks reading reports (``prp_tasks.checks.verification``: coverage, performance,
security) from a real directory."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from prp_tasks.checks.base import Outcome
from prp_tasks.core.models import CheckStatus
from prp_tasks.core.profile import EnforcementProfile, ResolvedProfile
from prp_tasks.core.results import EvidenceType
from prp_tasks.intake.profiles.parser import parse_initial_md
from tests.unit.builtin_checks import FAIL, PASS, SKIP, run_check, write

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


def test_a_value_just_below_its_budget_is_not_rounded_onto_it(tmp_path: Path) -> None:
    write(tmp_path, "coverage.xml", cobertura("0.9647"))
    outcome = run_check(tmp_path, "coverage-validation", coverage_budget(lines=96.5))
    assert outcome.details["failures"] == ["lines coverage 96.47% < required 96.5%"]
    write(tmp_path, "coverage.xml", cobertura("0.987392"))
    outcome = run_check(tmp_path, "coverage-validation", coverage_budget(lines=76))
    assert outcome.output.startswith("coverage.xml (cobertura-xml): lines 98.74")  # (not 98.7392)


def test_a_budget_initial_md_sets_that_the_report_does_not_measure_fails(tmp_path: Path) -> None:
    """xmltodict with ``coverage: {lines: 80, branches: 80}`` and no branch measurement: the
    branch budget was never verified, yet the gate passed; a default one only warns."""
    write(tmp_path, "coverage.xml", cobertura("0.9", "0", "0"))
    text = "# P\n\n```yaml\nbudgets:\n  coverage:\n    lines: 80\n    branches: 80\n```\n"
    parsed = parse_initial_md(text)
    resolved = ResolvedProfile(**parsed.model_dump(), source="initial.md")
    outcome = run_check(tmp_path, "coverage-validation", resolved=resolved)
    assert outcome.status == FAIL
    assert outcome.details["failures"] == [
        "branches coverage is not measured by this report, so its budget (initial.md:7) is unverified"
        " (measure branches: --cov-branch, or branch = true under [tool.coverage.run])"
    ]
    assert outcome.details["warnings"] == ["not measured by this report: functions, statements"]


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


def test_a_cobertura_rate_is_read_unrounded_from_its_counts(tmp_path: Path) -> None:
    """python-json-logger: 295 of 320 lines is 92.1875%, which coverage.py writes as
    line-rate="0.9219": a 92.19 budget passed "exactly at" it."""
    xml = (
        '<?xml version="1.0" ?>\n<coverage line-rate="0.9219" branch-rate="0" lines-valid="320" '
        'lines-covered="295" branches-valid="0" branches-covered="0" version="7.4" timestamp="0">'
        "<packages/></coverage>\n"
    )
    write(tmp_path, "coverage.xml", xml)
    outcome = run_check(tmp_path, "coverage-validation", coverage_budget(lines=92.19))
    assert outcome.status == FAIL, outcome.output
    assert "lines coverage 92.188% < required 92.19%" in outcome.output
    assert run_check(tmp_path, "coverage-validation", coverage_budget(lines=92.18)).status == PASS


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
    budget = coverage_budget(lines=90, branches=50)
    outcome = run_check(tmp_path, "coverage-validation", budget)
    assert outcome.status == PASS
    assert outcome.details["format"] == "coverage.py-json"
    # coverage.py's statements are its lines: one measurement, one metric (as in its XML report)
    assert outcome.details["actual"] == {"lines": 90.0, "branches": 50.0}
    assert outcome.output.startswith("coverage.json (coverage.py-json): branches 50, lines 90;")


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


def test_coverage_is_not_enforced_without_reports_or_without_budgets(tmp_path: Path) -> None:
    outcome = run_check(tmp_path, "coverage-validation", {"reports": {"coverage": []}})
    assert (outcome.status, outcome.output) == (SKIP, "coverage is not enforced (reports.coverage is empty)")
    outcome = run_check(tmp_path, "coverage-validation", {"budgets": {"coverage": None}})
    assert (outcome.status, outcome.output) == (SKIP, "coverage is not enforced (budgets.coverage: null)")


def test_a_total_budget_alone_checks_coverage_pys_combined_total(tmp_path: Path) -> None:
    report = '<coverage line-rate="0.95" branch-rate="0.5" lines-valid="20" lines-covered="19"'
    (tmp_path / "coverage.xml").write_text(report + ' branches-valid="4" branches-covered="2"/>')
    outcome = run_check(tmp_path, "coverage-validation", {"budgets": {"coverage": {"total": 87}}})
    assert (outcome.status, outcome.details["actual"]) == (
        PASS,
        {"lines": 95.0, "branches": 50.0, "total": 87.5},
    )
    outcome = run_check(tmp_path, "coverage-validation", {"budgets": {"coverage": {"total": 88}}})
    assert (outcome.status, outcome.output) == (FAIL, "total coverage 87.5% < required 88%")


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
