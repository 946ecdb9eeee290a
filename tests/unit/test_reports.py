"""Report readers (``prp_tasks.checks.reports``): finding files and reading their numbers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from prp_tasks.checks.base import CheckSetupError
from prp_tasks.checks.reports import (
    Report,
    find_report,
    read_coverage,
    read_performance,
    read_security,
)


def write(repo: Path, name: str, data: str | dict[str, Any] | list[Any]) -> None:
    path = repo / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data))


def setup_error(call: Any, *args: Any) -> str:
    with pytest.raises(CheckSetupError) as info:
        call(*args)
    return info.value.message


# find_report ----------------------------------------------------------------------------------


def test_the_first_existing_candidate_is_found(tmp_path: Path) -> None:
    write(tmp_path, "b.xml", "")
    write(tmp_path, "c.xml", "")
    assert find_report(tmp_path, ("a.xml", "b.xml", "c.xml"), "coverage", "reports.coverage") == (
        "b.xml",
        tmp_path.resolve() / "b.xml",
    )


def test_a_directory_is_not_a_report(tmp_path: Path) -> None:
    (tmp_path / "coverage.xml").mkdir()
    message = setup_error(find_report, tmp_path, ("coverage.xml",), "coverage", "reports.coverage")
    assert message == "coverage report not found: tried coverage.xml"


def test_no_candidates_means_not_configured(tmp_path: Path) -> None:
    message = setup_error(find_report, tmp_path, (), "security", "reports.security")
    assert message == "no security report configured (reports.security in initial.md)"


@pytest.mark.parametrize("name", ["../escape.json", "/etc/passwd"])
def test_a_candidate_outside_the_repository_is_refused(tmp_path: Path, name: str) -> None:
    message = setup_error(find_report, tmp_path, (name,), "security", "reports.security")
    assert message == f"reports.security: {name!r} is not a relative path inside the repository"


# coverage -------------------------------------------------------------------------------------


def test_cobertura_rates_become_percentages(tmp_path: Path) -> None:
    write(tmp_path, "coverage.xml", '<coverage line-rate="0.9" branch-rate="0.8" branches-valid="10"/>')
    assert read_coverage(tmp_path, ("coverage.xml",)) == Report(
        "coverage.xml", "cobertura-xml", {"lines": 90.0, "branches": 80.0}
    )


def test_cobertura_with_an_empty_branches_valid_measures_no_branches(tmp_path: Path) -> None:
    write(tmp_path, "cov.xml", '<coverage line-rate="1" branch-rate="0" branches-valid=""/>')
    assert read_coverage(tmp_path, ("cov.xml",)).values == {"lines": 100.0}


def test_cobertura_entities_are_refused(tmp_path: Path) -> None:
    write(
        tmp_path,
        "coverage.xml",
        ('<?xml version="1.0"?><!DOCTYPE c [<!ENTITY e "0.9">]><coverage line-rate="&e;"/>'),
    )
    message = setup_error(read_coverage, tmp_path, ("coverage.xml",))
    assert message.startswith("coverage.xml: not a readable coverage report (")


def test_coverage_py_json_counts_lines_and_branches(tmp_path: Path) -> None:
    write(
        tmp_path,
        "coverage.json",
        {
            "totals": {
                "num_statements": 8,
                "covered_lines": 6,
                "num_branches": 4,
                "covered_branches": 1,
                "percent_covered": 58.3,
            }
        },
    )
    report = read_coverage(tmp_path, ("coverage.json",))
    assert report.format == "coverage.py-json"
    assert report.values == {"lines": 75.0, "branches": 25.0, "total": 58.3}


def test_coverage_py_json_without_branches_measures_none(tmp_path: Path) -> None:
    write(tmp_path, "coverage.json", {"totals": {"num_statements": 4, "covered_lines": 4}})
    assert read_coverage(tmp_path, ("coverage.json",)).values == {"lines": 100.0}


def test_a_non_utf8_coverage_json_is_not_readable(tmp_path: Path) -> None:
    (tmp_path / "coverage.json").write_bytes(b"\xff\xfe\x00garbage")
    message = setup_error(read_coverage, tmp_path, ("coverage.json",))
    assert message.startswith("coverage.json: not a readable coverage report (")


# performance ----------------------------------------------------------------------------------


def test_lighthouse_reads_only_the_audits_present(tmp_path: Path) -> None:
    write(
        tmp_path,
        "lh.json",
        {
            "audits": {
                "largest-contentful-paint": {"numericValue": 1234.5},
                "interactive": {"numericValue": 3000},
                "speed-index": {"numericValue": 99},
            }
        },
    )
    assert read_performance(tmp_path, ("lh.json",)) == Report(
        "lh.json", "lighthouse-json", {"lcp": 1234.5, "tti": 3000.0}
    )


def test_flat_performance_json_reads_the_known_metrics(tmp_path: Path) -> None:
    write(tmp_path, "perf.json", {"lcp": 1000, "tbt": "50", "cls": 0.1})
    assert read_performance(tmp_path, ("perf.json",)) == Report(
        "perf.json", "json", {"lcp": 1000.0, "tbt": 50.0}
    )


@pytest.mark.parametrize("data", ["not json", {"audits": {"interactive": {}}}, {"lcp": None}])
def test_garbage_performance_reports_are_not_readable(tmp_path: Path, data: Any) -> None:
    write(tmp_path, "perf.json", data)
    message = setup_error(read_performance, tmp_path, ("perf.json",))
    assert message.startswith("perf.json: not a readable performance report (")


# security -------------------------------------------------------------------------------------


def sarif_with(result: dict[str, Any], rule: dict[str, Any] | None = None) -> dict[str, Any]:
    rules = [rule] if rule else []
    return {"runs": [{"tool": {"driver": {"rules": rules}}, "results": [result]}]}


def severity_of(repo: Path, result: dict[str, Any], rule: dict[str, Any] | None = None) -> str:
    write(repo, "scan.sarif", sarif_with(result, rule))
    values = read_security(repo, ("scan.sarif",)).values
    [(level, count)] = [(k, v) for k, v in values.items() if v]
    assert count == 1
    return level


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (10, "critical"),
        (9.0, "critical"),
        (8.9, "high"),
        (7.0, "high"),
        (6.9, "medium"),
        (4.0, "medium"),
        (3.9, "low"),
        (0.1, "low"),
    ],
)
def test_security_severity_scores_map_to_cvss_bands(tmp_path: Path, score: float, level: str) -> None:
    assert severity_of(tmp_path, {"properties": {"security-severity": score}}) == level
    rule = {"id": "R", "properties": {"security-severity": str(score)}}
    assert severity_of(tmp_path, {"ruleId": "R", "level": "note"}, rule) == level


def test_a_result_score_overrides_its_rule_score(tmp_path: Path) -> None:
    rule = {"id": "R", "properties": {"security-severity": "9.5"}}
    assert severity_of(tmp_path, {"ruleId": "R", "properties": {"security-severity": "2"}}, rule) == "low"


def test_a_rule_without_a_score_falls_back_to_the_result_level(tmp_path: Path) -> None:
    rule = {"id": "R", "properties": {"tags": ["security"]}}
    assert severity_of(tmp_path, {"ruleId": "R", "level": "error"}, rule) == "high"


@pytest.mark.parametrize(
    ("level", "severity"), [("error", "high"), ("warning", "medium"), ("note", "low"), (None, "medium")]
)
def test_the_sarif_level_is_the_fallback(tmp_path: Path, level: str | None, severity: str) -> None:
    result = {"ruleId": "R"} if level is None else {"ruleId": "R", "level": level}
    assert severity_of(tmp_path, result) == severity


def test_a_sarif_run_without_results_counts_nothing(tmp_path: Path) -> None:
    write(tmp_path, "scan.sarif", {"runs": [{"tool": {"driver": {"name": "x"}}}]})
    report = read_security(tmp_path, ("scan.sarif",))
    assert report == Report("scan.sarif", "sarif", {"critical": 0, "high": 0, "medium": 0, "low": 0})


def test_flat_security_json_fills_missing_levels_with_zero(tmp_path: Path) -> None:
    write(tmp_path, "security.json", {"high": 2, "low": "3"})
    assert read_security(tmp_path, ("security.json",)) == Report(
        "security.json", "json", {"critical": 0.0, "high": 2.0, "medium": 0.0, "low": 3.0}
    )


@pytest.mark.parametrize(
    "data",
    [
        "{",
        [1],
        {"high": "many"},
        {"runs": "x"},
        {"runs": [{"results": [{"properties": {"security-severity": "severe"}}]}]},
    ],
)
def test_garbage_security_reports_are_not_readable(tmp_path: Path, data: Any) -> None:
    write(tmp_path, "security.json", data)
    message = setup_error(read_security, tmp_path, ("security.json",))
    assert message.startswith("security.json: not a readable security report (")
