"""Budgets as text for prp.md §3 and the gate reports, where a budget may be off (``null``). Pure."""

from __future__ import annotations

from prp_tasks.core.profile import (
    COVERAGE_METRICS,
    AccessibilityBudget,
    CoverageBudget,
    PerformanceBudget,
    ResolvedProfile,
)


def num(value: float) -> str:
    """A budget number without a useless ``.0``."""
    return str(int(value)) if float(value).is_integer() else str(value)


#: the coverage budgets in the order they are shown
SHOWN_METRICS = ("total", *COVERAGE_METRICS)


def coverage_text(cov: CoverageBudget | None) -> str:
    """``total ≥ 85%`` / ``lines ≥ 90%, branches ≥ 80%, …`` (every budget G4 applies) /
    ``not enforced``."""
    if cov is None:
        return "not enforced"
    enforced = cov.enforced()
    shown = [f"{m} ≥ {num(enforced[m])}%" for m in SHOWN_METRICS if m in enforced]
    return ", ".join(shown) or "not enforced"


def coverage_marked(resolved: ResolvedProfile) -> str:
    """:func:`coverage_text` with where each budget came from, budgets of one origin together:
    ``lines ≥ 80% (initial.md:23); branches ≥ 90%, functions ≥ 95%, statements ≥ 95% (default)``."""
    cov = resolved.profile.budgets.coverage
    enforced = cov.enforced() if cov is not None else {}
    if not enforced or resolved.source is None:
        return marked(resolved, coverage_text(cov), "budgets.coverage")
    groups: dict[str, list[str]] = {}
    for m in (m for m in SHOWN_METRICS if m in enforced):
        origin = resolved.origin(f"budgets.coverage.{m}")
        groups.setdefault(origin, []).append(f"{m} ≥ {num(enforced[m])}%")
    return "; ".join(f"{', '.join(texts)} ({origin})" for origin, texts in groups.items())


def performance_text(perf: PerformanceBudget | None, kind: str) -> str:
    if perf is None:
        return _none(kind)
    extra = [f"FCP ≤ {num(perf.fcp)} ms" if perf.fcp else "", f"TTI ≤ {num(perf.tti)} ms" if perf.tti else ""]
    return f"LCP ≤ {num(perf.lcp)} ms, TBT ≤ {num(perf.tbt)} ms" + "".join(f", {e}" for e in extra if e)


def accessibility_text(a11y: AccessibilityBudget | None, kind: str) -> str:
    if a11y is None:
        return _none(kind)
    return f"WCAG {a11y.wcag_version} {a11y.wcag_level}, score ≥ {num(a11y.score)}"


def _none(kind: str) -> str:
    return f"none (no browser budgets for a {kind})" if kind != "unspecified" else "none"


def marked(resolved: ResolvedProfile, text: str, *paths: str) -> str:
    """``text`` with where its values came from: ``(initial.md:14)``, ``(default)`` or both."""
    origins = list(dict.fromkeys(resolved.origin(p) for p in paths))
    if resolved.source is None:
        return text
    return f"{text} ({', '.join(origins)})"
