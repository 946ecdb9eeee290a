"""Built-in checks of the verification gates (G4–G7): real reports and the run's own results."""

from __future__ import annotations

from prp_tasks.checks.base import CheckContext, CheckSetupError, Outcome
from prp_tasks.checks.reports import Report, read_coverage, read_performance, read_security
from prp_tasks.core import dag
from prp_tasks.core.catalog import GATE_REPORTS
from prp_tasks.core.models import CheckStatus, GateStatus
from prp_tasks.core.render.review import (
    CONFIGURED_CHECK,
    category_unverified,
    is_red,
    required_checks,
    unrun_checks,
)
from prp_tasks.core.results import AutomatedCheck, EvidenceType, GateRecord


def _report_outcome(report: Report, failures: list[str], warnings: list[str], kind: EvidenceType) -> Outcome:
    shown = ", ".join(f"{k} {round(v, 2):g}" for k, v in sorted(report.values.items()))  # (two decimals)
    ok = f"{report.path} ({report.format}): {shown}"
    if warnings:
        ok += "; warnings: " + "; ".join(warnings)
    details = {
        "report": report.path,
        "format": report.format,
        "actual": report.values,
        "failures": failures,
        "warnings": warnings,
    }
    return Outcome.verdict(failures, ok, evidence_type=kind, details=details, source=report.path)


def coverage_validation(ctx: CheckContext) -> Outcome:
    """Each measured coverage metric must reach its budget (equal to the budget only warns).

    Skipped when coverage is not enforced: ``budgets.coverage: null`` or ``reports.coverage: []``.
    """
    budget = ctx.profile.budgets.coverage
    if budget is None or not ctx.profile.reports.coverage:
        setting = "budgets.coverage: null" if budget is None else "reports.coverage is empty"
        return Outcome(CheckStatus.SKIP, f"coverage is not enforced ({setting})", EvidenceType.COVERAGE)
    try:
        report = read_coverage(ctx.repo, ctx.profile.reports.coverage)
    except CheckSetupError as exc:
        return Outcome(CheckStatus.FAIL, exc.message, EvidenceType.COVERAGE)
    failures, warnings = [], []
    enforced = budget.enforced()
    if "total" not in enforced:  # coverage.py's combined total, shown only when it is a budget
        report = Report(report.path, report.format, {k: v for k, v in report.values.items() if k != "total"})
    for metric, actual in sorted(report.values.items()):
        required = enforced.get(metric)
        if required is None:
            continue
        if actual < required:
            failures.append(f"{metric} coverage {_percent(actual, required)}% < required {required:g}%")
        elif actual == required:
            warnings.append(f"{metric} coverage exactly at the {required:g}% budget")
    _unmeasured(ctx, [m for m in enforced if m not in report.values], failures, warnings)
    return _report_outcome(report, failures, warnings, EvidenceType.COVERAGE)


def _percent(actual: float, required: float) -> str:
    """``actual`` (below ``required``) with the fewest decimals (1 to 4) that keep it below
    (markdown-it-py: "lines coverage 96.5% < required 96.5%" for 96.47; 92.1875 is not "92.2% <
    required 92.19%" but 92.188)."""
    for digits in (1, 2, 3):
        text = f"{actual:.{digits}f}"
        if float(text) < required:
            return text
    return f"{actual:.4f}"


_HINTS = {
    "branches": " (measure branches: --cov-branch, or branch = true under [tool.coverage.run])",
    "statements": " (coverage.py reports its statements as lines: set budgets.coverage.lines)",
    "functions": " (coverage.py does not measure functions)",
}


def _unmeasured(ctx: CheckContext, metrics: list[str], failures: list[str], warnings: list[str]) -> None:
    """A budget the report does not measure: one the profile sets is unverified, so it fails (a
    branch budget with no branch data); a default one only warns (coverage.py measures no
    functions)."""
    resolved = ctx.spec.profile
    chosen = [m for m in metrics if resolved.source and resolved.origin(f"budgets.coverage.{m}") != "default"]
    for metric in chosen:
        where = resolved.origin(f"budgets.coverage.{metric}")
        failures.append(
            f"{metric} coverage is not measured by this report, so its budget ({where}) is unverified"
            + _HINTS.get(metric, "")
        )
    rest = [m for m in metrics if m not in chosen]
    if rest:
        warnings.append("not measured by this report: " + ", ".join(rest))


def performance_validation(ctx: CheckContext) -> Outcome:
    if not ctx.profile.reports.performance:
        return Outcome(CheckStatus.SKIP, "no performance report configured (reports.performance)")
    try:
        report = read_performance(ctx.repo, ctx.profile.reports.performance)
    except CheckSetupError as exc:
        return Outcome(CheckStatus.FAIL, exc.message, EvidenceType.ANALYSIS)
    budget = ctx.profile.budgets.performance
    if budget is None:
        return Outcome(CheckStatus.SKIP, "no performance budget (budgets.performance: null)")
    failures, warnings = [], []
    for metric, actual in sorted(report.values.items()):
        limit = getattr(budget, metric)
        if limit is None:
            continue
        if actual > limit:
            failures.append(f"{metric.upper()} {actual:g} ms > budget {limit:g} ms")
        elif actual > 0.9 * limit:
            warnings.append(f"{metric.upper()} {actual:g} ms within 10% of the {limit:g} ms budget")
    if "lcp" not in report.values or "tbt" not in report.values:
        failures.append(f"{report.path} has no LCP/TBT measurement")
    return _report_outcome(report, failures, warnings, EvidenceType.ANALYSIS)


def security_validation(ctx: CheckContext) -> Outcome:
    if not ctx.profile.reports.security:
        return Outcome(CheckStatus.SKIP, "no security report configured (reports.security)")
    try:
        report = read_security(ctx.repo, ctx.profile.reports.security)
    except CheckSetupError as exc:
        return Outcome(CheckStatus.FAIL, exc.message, EvidenceType.SECURITY)
    sec = ctx.profile.budgets.security
    counts = report.values
    failures, warnings = [], []
    for level, limit in (("critical", sec.max_critical), ("high", sec.max_high)):
        if counts.get(level, 0) > limit:
            failures.append(f"{counts[level]:g} {level} finding(s) > allowed {limit}")
    medium = counts.get("medium", 0)
    if medium > sec.max_medium:
        failures.append(f"{medium:g} medium finding(s) > allowed {sec.max_medium}")
    elif medium > 0:
        warnings.append(f"{medium:g} medium finding(s) (allowed {sec.max_medium})")
    if counts.get("low", 0) > 0:
        warnings.append(f"{counts['low']:g} low finding(s)")
    if sec.fail_on_any and any(counts.values()) and not failures:
        failures.append("security.fail_on_any is set and the report has findings")
    return _report_outcome(report, failures, warnings, EvidenceType.SECURITY)


def no_red_findings(ctx: CheckContext) -> Outcome:
    """Red = a failed blocker or required check (the review's rule), in any settled gate."""
    records = ctx.load_records()
    required = required_checks(ctx.profile)
    red: list[str] = []
    amber: list[str] = []
    for gate_id, record in sorted(records.items()):
        if gate_id == ctx.gate.id:
            continue
        for check in record.result.automated_checks:
            if check.status == CheckStatus.FAIL:
                (red if is_red(check.name, required) else amber).append(f"{gate_id}/{check.name}")
            elif check.name == CONFIGURED_CHECK and check.status == CheckStatus.PASS:  # nothing ran them
                amber += [f"{gate_id}/run-{name} (no command)" for name in unrun_checks(ctx.profile)]
        amber += [f"{gate_id}/{c.name} (skipped)" for c in _unverified(ctx, gate_id, record)]
    if red:
        return Outcome(CheckStatus.FAIL, "red findings: " + ", ".join(red), EvidenceType.ANALYSIS)
    note = f"; amber: {', '.join(amber)}" if amber else ""
    return Outcome(
        CheckStatus.PASS,
        f"no red findings across {len(records)} gates{note}",
        EvidenceType.ANALYSIS,
        {"amber": amber},
    )


def _unverified(ctx: CheckContext, gate_id: str, record: GateRecord) -> list[AutomatedCheck]:
    """The review's rule: a skipped check named for its gate's category left it unverified."""
    try:
        gate = ctx.spec.workflow.gate(gate_id)
    except KeyError:
        return []
    return category_unverified(gate, record.result.automated_checks)


def _ancestors(ctx: CheckContext) -> list[str]:
    wf = ctx.spec.workflow
    return [g for g in wf.gate_ids if ctx.gate.id in dag.transitive_dependents(wf, g)]


def all_prior_gates_passed(ctx: CheckContext) -> Outcome:
    records = ctx.load_records()
    problems = []
    for gate_id in _ancestors(ctx):
        record = records.get(gate_id)
        status = record.result.status if record else "not run"
        if status != GateStatus.PASSED:
            problems.append(f"{gate_id} is {status}")
    return Outcome.verdict(problems, f"all {len(_ancestors(ctx))} prior gates passed")


def release_artifacts_present(ctx: CheckContext) -> Outcome:
    """Every artifact an earlier gate of this run declares (its report) must have been stored."""
    wf = ctx.spec.workflow
    expected = [GATE_REPORTS[wf.gate(g).report or ""] for g in _ancestors(ctx) if wf.gate(g).report]
    present = ctx.load_artifact_names()
    missing = [name for name in expected if name not in present]
    problems = [f"missing artifact {name}" for name in missing]
    return Outcome.verdict(
        problems,
        "present: " + (", ".join(expected) or "no artifacts expected"),
        details={"expected": expected, "missing": missing},
    )
