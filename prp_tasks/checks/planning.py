"""Built-in checks of the planning gates (G0–G3): the blueprint and the profile's declarations."""

from __future__ import annotations

import re

from prp_tasks.checks.base import CheckContext, Outcome
from prp_tasks.core.catalog import REQUIRED_CHECKS, REQUIREMENT_PLACEHOLDER, has_placeholder
from prp_tasks.core.models import CheckStatus
from prp_tasks.core.profile import COVERAGE_METRICS
from prp_tasks.core.text import plural, them
from prp_tasks.workspaces.files import safe_repo_path

REQUIRED_TEST_CATEGORIES = ("unit", "integration", "e2e", "a11y", "security")
CODEOWNERS_FILES = ("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS")


def blueprint_validation(ctx: CheckContext) -> Outcome:
    bp = ctx.spec.blueprint
    problems = []
    if not bp.title.strip():
        problems.append("blueprint title is empty")
    if not bp.description.strip():
        problems.append("blueprint description is empty")
    if not [r for r in bp.requirements if r.strip()]:
        problems.append("blueprint has no requirement")
    elif has_placeholder(bp.requirements):
        problems.append(f"requirement {REQUIREMENT_PLACEHOLDER!r} is a placeholder: state the outcome")
    if problems and ctx.spec.profile.source is None and bp.metadata.get("source") == "defaults":
        problems.append("no initial.md found: `prp init` writes one from the project's metadata")
    ok = f"title, description and {len(bp.requirements)} requirement(s) present"
    return Outcome.verdict(problems, ok, details={"title": bp.title, "requirements": len(bp.requirements)})


def _normal(text: str) -> str:
    return re.sub(r"[\W_]+", " ", text.lower()).strip()


def duplication_check(ctx: CheckContext) -> Outcome:
    """Requirements and acceptance criteria must not repeat (case and punctuation ignored)."""
    doc = ctx.spec.profile.doc
    lists = {
        "blueprint requirement": ctx.spec.blueprint.requirements,
        "initial.md requirement": doc.requirements,
        "acceptance criterion": doc.acceptance_criteria,
    }
    problems = []
    for label, items in lists.items():
        seen: set[str] = set()
        for item in items:
            key = _normal(item)
            if key in seen:
                problems.append(f"duplicate {label}: {item!r}")
            seen.add(key)
    total = sum(len(v) for v in lists.values())
    return Outcome.verdict(problems, f"{total} items compared, no duplicates", details={"items": total})


def policy_quick_check(ctx: CheckContext) -> Outcome:
    gov = ctx.profile.governance
    problems = []
    if not gov.license.strip():
        problems.append("governance.license is empty")
    if not gov.checks:
        problems.append("governance.checks (required checks) is empty")
    return Outcome.verdict(
        problems,
        f"license {gov.license}; required checks: {', '.join(gov.checks)}",
        details={"license": gov.license, "checks": list(gov.checks)},
    )


def architecture_policy_presence(ctx: CheckContext) -> Outcome:
    arch = ctx.profile.architecture
    problems = []
    if not arch.boundaries:
        problems.append("architecture.boundaries is empty")
    if not arch.naming:
        problems.append("architecture.naming is empty")
    return Outcome.verdict(
        problems,
        f"{plural(len(arch.boundaries), 'boundary', 'boundaries')}, "
        f"{plural(len(arch.naming), 'naming rule')}",
        details={"boundaries": list(arch.boundaries), "naming": arch.naming},
    )


def governance_required_checks(ctx: CheckContext) -> Outcome:
    missing = [c for c in REQUIRED_CHECKS if c not in ctx.profile.governance.checks]
    problems = [f"governance.checks lacks {c!r}" for c in missing]
    return Outcome.verdict(problems, "test, lint and type-check are required checks")


def repo_layout_hints(ctx: CheckContext) -> Outcome:
    """The declared layout must be non-empty and exist in the checkout."""
    layout = ctx.profile.architecture.layout
    if not layout:
        return Outcome(CheckStatus.FAIL, "architecture.layout is empty")
    problems = []
    for entry in layout:
        path = safe_repo_path(ctx.repo, entry)
        if path is None:
            problems.append(f"layout entry {entry!r} is not a relative path inside the repository")
        elif not path.exists():
            problems.append(f"layout entry {entry!r} does not exist")
    return Outcome.verdict(
        problems, f"all {len(layout)} layout entries exist", details={"layout": list(layout)}
    )


def coverage_targets(ctx: CheckContext) -> Outcome:
    """Coverage budgets are set (> 0); ``budgets.coverage: null`` says coverage is not enforced."""
    cov = ctx.profile.budgets.coverage
    if cov is None:
        return Outcome(CheckStatus.SKIP, "coverage is not enforced (budgets.coverage: null)")
    enforced = cov.enforced()
    if not enforced:
        return Outcome(CheckStatus.FAIL, "budgets.coverage sets no budget (every metric is null)")
    problems = [f"budgets.coverage.{m} must be > 0" for m, v in enforced.items() if v <= 0]
    shown = ", ".join(f"{m} {enforced[m]:g}%" for m in ("total", *COVERAGE_METRICS) if m in enforced)
    return Outcome.verdict(problems, f"coverage targets: {shown}")


def perf_a11y_budgets(ctx: CheckContext) -> Outcome:
    """Browser budgets are set; a library, CLI or service has none unless initial.md sets them."""
    b = ctx.profile.budgets
    if b.performance is None and b.accessibility is None:
        kind = ctx.profile.project.kind
        why = f"project.kind is {kind}" if kind != "unspecified" else "budgets set to null"
        return Outcome(CheckStatus.SKIP, f"no browser budgets (performance, accessibility): {why}")
    problems, shown = [], []
    if b.performance is not None:
        shown.append(f"LCP ≤ {b.performance.lcp:g} ms, TBT ≤ {b.performance.tbt:g} ms")
    if b.accessibility is not None:
        if b.accessibility.score <= 0:
            problems.append("budgets.accessibility.score must be > 0")
        shown.append(f"a11y score ≥ {b.accessibility.score:g}")
    return Outcome.verdict(problems, ", ".join(shown))


def test_categories_plan(ctx: CheckContext) -> Outcome:
    meta = ctx.spec.blueprint.metadata
    declared = meta.get("testCategories", meta.get("test_categories"))
    if declared is None:
        return Outcome(
            CheckStatus.SKIP, "the blueprint declares no test categories (metadata.testCategories)"
        )
    if not isinstance(declared, list):
        return Outcome(CheckStatus.FAIL, "metadata.testCategories must be a list")
    missing = [c for c in REQUIRED_TEST_CATEGORIES if c not in declared]
    problems = [f"test category {c!r} is not planned" for c in missing]
    return Outcome.verdict(problems, "all test categories planned", details={"declared": declared})


def lint_and_types_configured(ctx: CheckContext) -> Outcome:
    gov = ctx.profile.governance
    problems = [f"governance.checks lacks {c!r}" for c in ("lint", "type-check") if c not in gov.checks]
    unrun = [c for c in gov.checks if c not in gov.commands]
    # passes (the profile requires them), and says what of it nothing verifies: a major finding
    # each in review.json (tabulate's "passed … no command configured for: type-check" read as a pass)
    unverified, each = ", ".join(unrun), "a major finding each" if len(unrun) > 1 else "a major finding"
    note = f"; not verified, no command runs {them(len(unrun))}: {unverified} (review.json: {each})"
    return Outcome.verdict(problems, "lint and type-check are required" + (note if unrun else ""))


def codeowners_present(ctx: CheckContext) -> Outcome:
    """Code owners from the profile (named, so that owners ``prp init`` derived from the authors
    read as what they are: packaging's maintainer's address had passed as "maps 1 path
    pattern(s)"), else from a CODEOWNERS file."""
    owners = ctx.profile.governance.owners
    if owners:
        named = "; ".join(f"{path} → {', '.join(who)}" for path, who in list(owners.items())[:3])
        more = f"; {len(owners) - 3} more" if len(owners) > 3 else ""
        said = f"governance.owners maps {plural(len(owners), 'path pattern')}: {named}{more}"
        if not any((ctx.repo / name).is_file() for name in CODEOWNERS_FILES):
            said += "; the repository has no CODEOWNERS file"
        return Outcome(CheckStatus.PASS, said)
    for name in CODEOWNERS_FILES:
        if (ctx.repo / name).is_file():
            return Outcome(CheckStatus.PASS, f"{name} present", source=name)
    tried = ", ".join(CODEOWNERS_FILES)
    return Outcome(CheckStatus.FAIL, f"no code owners: governance.owners is empty and none of {tried} exists")
