"""Budgets as text for prp.md §3 and the gate reports, where a budget may be off (``null``). Pure."""

from __future__ import annotations

from prp_tasks.core.profile import (
    AccessibilityBudget,
    CoverageBudget,
    PerformanceBudget,
    ResolvedProfile,
)


def num(value: float) -> str:
    """A budget number without a useless ``.0``."""
    return str(int(value)) if float(value).is_integer() else str(value)


def coverage_text(cov: CoverageBudget | None, metrics: tuple[str, ...] = ("lines", "branches")) -> str:
    """``total ≥ 85%`` / ``lines ≥ 90%, branches ≥ 80%`` / ``not enforced``."""
    if cov is None:
        return "not enforced"
    enforced = cov.enforced()
    shown = [f"{m} ≥ {num(enforced[m])}%" for m in ("total", *metrics) if m in enforced]
    return ", ".join(shown) or "not enforced"


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
