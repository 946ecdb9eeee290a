"""Names of the built-in checks and gate reports: the vocabulary workflow files may reference.

The implementations live in :mod:`prp_tasks.checks`; a unit test keeps both in step.
"""

from __future__ import annotations

#: the requirement ``prp init`` writes when it derives none: G0 fails on it until it is replaced
REQUIREMENT_PLACEHOLDER = "Describe the outcome here"


def has_placeholder(requirements: tuple[str, ...] | list[str]) -> bool:
    """Whether a requirement is still :data:`REQUIREMENT_PLACEHOLDER` (G0 fails on it)."""
    return any(r.strip().rstrip(".") == REQUIREMENT_PLACEHOLDER for r in requirements)


#: the checks the built-in workflow's G1 requires the profile's ``governance.checks`` to list
#: (``governance-required-checks``)
REQUIRED_CHECKS = ("test", "lint", "type-check")


#: built-in check name -> one-line description
BUILTIN_CHECKS: dict[str, str] = {
    # G0 Ideation & Scope
    "blueprint-validation": "blueprint has a title, a description and at least one requirement",
    "duplication-check": "no requirement or acceptance criterion is listed twice",
    "policy-quick-check": "the profile names a license policy and required checks",
    # G1 Architecture & Specification
    "architecture-policy-presence": "package boundaries and naming conventions are declared",
    "governance-required-checks": "required checks include test, lint and type-check",
    "repo-layout-hints": "the declared repository layout exists in the checkout",
    # G2 Test Plan
    "coverage-targets": "coverage budgets are set (total, lines, branches, …), each above 0",
    "perf-a11y-budgets": "performance (LCP, TBT) and accessibility budgets are set",
    "test-categories-plan": "the blueprint's test categories cover every required category",
    # G3 Code Review
    "lint-and-types-configured": (
        "required checks include lint and type-check (one without a command is noted, and the review "
        "counts it as a major finding)"
    ),
    "codeowners-present": "code owners are declared (profile or CODEOWNERS file)",
    # G4 Verification
    "coverage-validation": "a real coverage report meets the coverage budgets",
    "performance-validation": "a performance report meets the LCP/TBT budgets",
    "security-validation": "a security report stays within the finding budgets",
    # G5 Triage
    "no-red-findings": "the review so far has no red (blocker) findings",
    # G6 Release Readiness
    "all-prior-gates-passed": "every gate this one depends on, transitively, passed",
    # G7 Release
    "release-artifacts-present": "every artifact earlier gates produce is present",
}

#: gate report name -> artifact file it renders once the gate's checks pass
GATE_REPORTS: dict[str, str] = {
    "architecture-review": "architecture-review.md",
    "test-plan": "test-plan.md",
    "code-review-checklist": "code-review-checklist.md",
    "verification-report": "verification-report.md",
    "release-checklist": "release-checklist.md",
    "release-notes": "release-notes.md",
}
