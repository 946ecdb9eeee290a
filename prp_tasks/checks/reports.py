"""Readers for the reports G4 verifies: coverage (Cobertura XML, coverage.py JSON), performance
(Lighthouse JSON or a flat ``{lcp, tbt, fcp, tti}`` object) and security (SARIF or flat counts)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prp_tasks.checks.base import CheckSetupError
from prp_tasks.checks.tool_output import cobertura_values, coverage_json_values
from prp_tasks.workspaces.files import safe_repo_path


@dataclass(frozen=True)
class Report:
    """A report found on disk and the numbers read from it (metric -> value)."""

    path: str
    format: str
    values: dict[str, float]


def find_report(repo: Path, candidates: tuple[str, ...], kind: str, setting: str) -> tuple[str, Path]:
    """First candidate that exists, or a CheckSetupError naming every file tried."""
    if not candidates:
        raise CheckSetupError(f"no {kind} report configured ({setting} in initial.md)")
    for name in candidates:
        path = safe_repo_path(repo, name)
        if path is None:
            raise CheckSetupError(f"{setting}: {name!r} is not a relative path inside the repository")
        if path.is_file():
            return name, path
    raise CheckSetupError(f"{kind} report not found: tried {', '.join(candidates)}")


def read_coverage(repo: Path, candidates: tuple[str, ...]) -> Report:
    name, path = find_report(repo, candidates, "coverage", "reports.coverage")
    try:
        if path.suffix == ".json":
            return Report(name, "coverage.py-json", coverage_json_values(json.loads(path.read_text())))
        return Report(name, "cobertura-xml", cobertura_values(path.read_bytes()))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CheckSetupError(f"{name}: not a readable coverage report ({exc})") from None


_LIGHTHOUSE = {
    "lcp": "largest-contentful-paint",
    "tbt": "total-blocking-time",
    "fcp": "first-contentful-paint",
    "tti": "interactive",
}


def read_performance(repo: Path, candidates: tuple[str, ...]) -> Report:
    name, path = find_report(repo, candidates, "performance", "reports.performance")
    try:
        data = json.loads(path.read_text())
        if isinstance(data, dict) and "audits" in data:
            audits = data["audits"]
            values = {k: float(audits[a]["numericValue"]) for k, a in _LIGHTHOUSE.items() if a in audits}
            return Report(name, "lighthouse-json", values)
        values = {k: float(data[k]) for k in _LIGHTHOUSE if k in data}
        return Report(name, "json", values)
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckSetupError(f"{name}: not a readable performance report ({exc})") from None


_SEVERITIES = ("critical", "high", "medium", "low")


def read_security(repo: Path, candidates: tuple[str, ...]) -> Report:
    name, path = find_report(repo, candidates, "security", "reports.security")
    try:
        data = json.loads(path.read_text())
        if isinstance(data, dict) and "runs" in data:
            return Report(name, "sarif", _sarif_counts(data))
        return Report(name, "json", {s: float(int(data.get(s, 0))) for s in _SEVERITIES})
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CheckSetupError(f"{name}: not a readable security report ({exc})") from None


def _sarif_counts(data: dict[str, Any]) -> dict[str, float]:
    counts = dict.fromkeys(_SEVERITIES, 0.0)
    for run in data["runs"]:
        rules = _sarif_rule_severity(run)
        for result in run.get("results", []):
            if _is_problem(result):
                counts[_sarif_severity(result, rules)] += 1
    return counts


def _is_problem(result: dict[str, Any]) -> bool:
    """SARIF results of kind pass/open/informational/notApplicable or level none are not findings."""
    return result.get("kind", "fail") == "fail" and result.get("level") != "none"


def _sarif_rule_severity(run: dict[str, Any]) -> dict[str, float | str]:
    """Rule id -> its security-severity score, else its default level."""
    rules = run.get("tool", {}).get("driver", {}).get("rules", [])
    out: dict[str, float | str] = {}
    for rule in rules:
        score = rule.get("properties", {}).get("security-severity")
        level = rule.get("defaultConfiguration", {}).get("level")
        if score is not None:
            out[rule.get("id", "")] = float(score)
        elif level is not None:
            out[rule.get("id", "")] = str(level)
    return out


def _sarif_severity(result: dict[str, Any], rules: dict[str, float | str]) -> str:
    rule = rules.get(result.get("ruleId", ""))
    score = result.get("properties", {}).get("security-severity")
    if score is None and isinstance(rule, float):
        score = rule
    if score is not None:
        score = float(score)
        return "critical" if score >= 9 else "high" if score >= 7 else "medium" if score >= 4 else "low"
    level = result.get("level") or (rule if isinstance(rule, str) else "warning")
    return {"error": "high", "warning": "medium"}.get(level, "low")
