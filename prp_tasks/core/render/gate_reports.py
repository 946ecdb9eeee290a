"""Gate reports (architecture review, test plan …) from check results, profile and blueprint."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from prp_tasks.core.catalog import BUILTIN_CHECKS, GATE_REPORTS
from prp_tasks.core.models import CheckStatus, GateSpec
from prp_tasks.core.profile import Governance
from prp_tasks.core.render.budgets import accessibility_text, coverage_text, performance_text
from prp_tasks.core.render.common import (
    as_list,
    bullets,
    code,
    document_version,
    fence,
    inline,
    known,
    release_changes,
    uncommitted,
)
from prp_tasks.core.results import CheckResult
from prp_tasks.core.run import RunSpec

#: Longest check output shown in a report; longer outputs keep their end (where summaries are).
OUTPUT_LIMIT = 4000
_MARKS = {CheckStatus.PASS: "✅", CheckStatus.FAIL: "❌", CheckStatus.SKIP: "⏭️"}
_TITLES = {
    "architecture-review": "Architecture Review",
    "test-plan": "Test Plan",
    "code-review-checklist": "Code Review Checklist",
    "verification-report": "Verification Report",
    "release-checklist": "Release Checklist",
    "release-notes": "Release Notes",
}

Checks = Mapping[str, CheckResult]
Body = Callable[[GateSpec, Checks, RunSpec], list[str]]


def render_gate_report(report: str, gate: GateSpec, checks: Checks, spec: RunSpec) -> str:
    """Markdown of the gate report ``report``; KeyError when the name is not a known report."""
    if report not in GATE_REPORTS:
        raise KeyError(report)
    body = _BODIES[report](gate, checks, spec)
    parts = [f"# {_TITLES[report]}", _context(gate, spec), *body, _checks_section(gate, checks)]
    return "\n\n".join(p.strip() for p in parts if p.strip()) + "\n"


def _context(gate: GateSpec, spec: RunSpec) -> str:
    repo = f"{spec.repo.full_name} @ {spec.repo.branch}"
    sha = known(spec.repo.commit_sha)
    if sha:
        repo += f" (commit {sha[:12]})"
    if spec.repo.dirty:  # the checks ran on the checkout as it was (prp.md's header says so too)
        repo += " + " + uncommitted(spec.repo)
    lines = [
        f"- **Gate:** {gate.id} — {gate.display_name}",
        f"- **Run:** {spec.run_id}",
        f"- **Repository:** {repo}",
        f"- **Blueprint:** {inline(spec.blueprint.title)}",
    ]
    if gate.purpose:
        lines.append(f"- **Purpose:** {gate.purpose}")
    return "\n".join(lines)


def _ordered(gate: GateSpec, checks: Checks) -> list[tuple[str, CheckResult | None]]:
    """Declared checks in declaration order, then any other reported checks by name."""
    declared = [c.name for c in gate.checks]
    extra = sorted(n for n in checks if n not in declared)
    return [(name, checks.get(name)) for name in declared + extra]


def _description(gate: GateSpec, name: str) -> str:
    try:
        spec = gate.check(name)
    except KeyError:
        return ""
    if spec.description:
        return spec.description
    return BUILTIN_CHECKS.get(spec.builtin or "", "")


def _outcome(gate: GateSpec, checks: Checks) -> str:
    """One line: how many checks passed, failed, were skipped or did not report."""
    counts = dict.fromkeys(CheckStatus, 0)
    missing = 0
    for _, result in _ordered(gate, checks):
        if result is None:
            missing += 1
        else:
            counts[result.status] += 1
    line = (
        f"**Outcome:** {counts[CheckStatus.PASS]} passed, {counts[CheckStatus.FAIL]} failed, "
        f"{counts[CheckStatus.SKIP]} skipped"
    )
    return line + (f", {missing} not reported." if missing else ".")


def _checklist(gate: GateSpec, checks: Checks) -> str:
    lines = []
    for name, result in _ordered(gate, checks):
        box = "x" if result is not None and result.status == CheckStatus.PASS else " "
        state = str(result.status) if result is not None else "not reported"
        description = _description(gate, name)
        suffix = f": {description}" if description else ""
        lines.append(f"- [{box}] {code(name)} ({state}){suffix}")
    return "\n".join(lines) or "_No checks declared._"


def _checks_section(gate: GateSpec, checks: Checks) -> str:
    blocks = ["## Check Results", _outcome(gate, checks)]
    for name, result in _ordered(gate, checks):
        blocks.append(_check_block(gate, name, result))
    return "\n\n".join(blocks)


def _check_block(gate: GateSpec, name: str, result: CheckResult | None) -> str:
    if result is None:
        return f"### {name} — not reported"
    head = f"### {_MARKS[result.status]} {name} — {result.status} ({result.duration} ms)"
    parts = [head]
    description = _description(gate, name)
    if description:  # what it checks, not what it found (a skipped check found nothing)
        parts.append(f"_Checks that_ {description}")
    output = result.output.strip()
    if len(output) > OUTPUT_LIMIT:
        output = f"… ({len(output) - OUTPUT_LIMIT} characters omitted)\n" + output[-OUTPUT_LIMIT:]
    parts.append(fence(output, "text") if output else "_No output._")
    if result.evidence:
        refs = [f"{code(e.source)} ({e.type})" for e in result.evidence]
        parts.append("**Evidence:**\n\n" + bullets(refs))
    return "\n\n".join(parts)


def _section(title: str, items: list[str], empty: str) -> str:
    return f"## {title}\n\n" + bullets(items, empty)


def _architecture_review(gate: GateSpec, checks: Checks, spec: RunSpec) -> list[str]:
    arch, gov = spec.profile.profile.architecture, spec.profile.profile.governance
    naming = [f"{code(k)}: {v}" for k, v in sorted(arch.naming.items())]
    return [
        _section("Package Boundaries", [code(b) for b in arch.boundaries], "_None declared._"),
        _section("Naming Conventions", naming, "_None declared._"),
        _section("Repository Layout", [code(p) for p in arch.layout], "_None declared._"),
        _section("Allowed Cross-Boundary Imports", [code(e) for e in arch.exceptions], "_None._"),
        _section("Required Checks", [code(c) for c in gov.checks], "_None._"),
    ]


def _test_plan(gate: GateSpec, checks: Checks, spec: RunSpec) -> list[str]:
    budgets, doc = spec.profile.profile.budgets, spec.profile.doc
    kind = spec.profile.profile.project.kind
    targets = [
        "Coverage: " + coverage_text(budgets.coverage),
        "Performance: " + performance_text(budgets.performance, kind),
        "Accessibility: " + accessibility_text(budgets.accessibility, kind),
    ]
    categories = as_list(spec.blueprint.metadata.get("testCategories"))
    return [
        _section("Targets", targets, ""),
        _section("Test Categories", categories, "_Not specified in the blueprint._"),
        _section("Tests (initial.md)", list(doc.tests), "_Not specified._"),
        _section("Acceptance Criteria (initial.md)", list(doc.acceptance_criteria), "_Not specified._"),
        _section("Requirements Under Test", list(spec.blueprint.requirements), "_None._"),
    ]


def _command_text(gov: Governance, name: str) -> str:
    """The command a required check runs (with the folder it runs in), or that none is configured."""
    if name not in gov.commands:
        return "no command configured"
    workdir = gov.workdirs.get(name)
    return code(" ".join(gov.commands[name])) + (f" in {code(workdir + '/')}" if workdir else "")


def _code_review_checklist(gate: GateSpec, checks: Checks, spec: RunSpec) -> list[str]:
    gov, arch = spec.profile.profile.governance, spec.profile.profile.architecture
    required = [f"{code(name)}: {_command_text(gov, name)}" for name in gov.checks]
    owners = [f"{code(p)}: {', '.join(o)}" for p, o in sorted(gov.owners.items())]
    naming = [f"{code(k)}: {v}" for k, v in sorted(arch.naming.items())]
    return [
        "## Checklist\n\n" + _checklist(gate, checks),
        _section("Required Checks", required, "_None._"),
        _section("Code Owners", owners, "_None declared in the profile._"),
        _section("Naming Conventions", naming, "_None declared._"),
    ]


def _verification_report(gate: GateSpec, checks: Checks, spec: RunSpec) -> list[str]:
    budgets = spec.profile.profile.budgets
    sec, kind = budgets.security, spec.profile.profile.project.kind
    limits = [
        "Coverage: " + coverage_text(budgets.coverage),
        "Performance: " + performance_text(budgets.performance, kind),
        (
            f"Security: at most {sec.max_critical} critical, {sec.max_high} high, "
            f"{sec.max_medium} medium findings"
        ),
    ]
    status = [
        f"{code(name)}: {result.status if result is not None else 'not reported'}"
        for name, result in _ordered(gate, checks)
    ]
    return [_section("Budgets", limits, ""), _section("Status", status, "_No checks declared._")]


def _release_checklist(gate: GateSpec, checks: Checks, spec: RunSpec) -> list[str]:
    return [
        "## Checklist\n\n" + _checklist(gate, checks),
        _section("Depends On", [code(d) for d in gate.depends_on], "_No dependencies._"),
        _section("Required Checks", [code(c) for c in spec.profile.profile.governance.checks], "_None._"),
    ]


def _release_notes(gate: GateSpec, checks: Checks, spec: RunSpec) -> list[str]:
    meta: Mapping[str, Any] = spec.blueprint.metadata
    changes = release_changes(meta)
    highlights = f"## Highlights\n\n_From {changes.source}._\n\n" if changes.source else "## Highlights\n\n"
    return [
        f"## Version {document_version(meta)}",
        "## Summary\n\n" + (spec.blueprint.description.strip() or "_Not specified._"),
        highlights + changes.highlights,
        _section("Requirements", list(spec.blueprint.requirements), "_None._"),
        "## Breaking Changes\n\n" + changes.breaking,
        "## Migration\n\n" + changes.migration,
    ]


_BODIES: dict[str, Body] = {
    "architecture-review": _architecture_review,
    "test-plan": _test_plan,
    "code-review-checklist": _code_review_checklist,
    "verification-report": _verification_report,
    "release-checklist": _release_checklist,
    "release-notes": _release_notes,
}
