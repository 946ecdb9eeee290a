"""The built-in PRP workflow G0–G7, with real dependencies instead of a strict sequence.

    G0 ─┬─> G1 ──> G3 ─┐
        └─> G2 ────────┴─> G4 ──> G5 ──> G6 ──> G7
    G6 also waits for G0…G5 (all of them, directly), as release readiness needs every earlier gate.

Gate purposes, approver roles and check names follow the reference (§1.2). G3 additionally runs the
profile's ``governance.commands`` (test, lint, type-check …) as real commands, so G4 finds the
coverage report the tests wrote.
"""

from __future__ import annotations

from prp_tasks.core.models import ApprovalSpec, Budget, CheckSpec, GateSpec, Phase, Role, Workflow
from prp_tasks.core.profile import EnforcementProfile

WORKFLOW_NAME = "prp-default"

#: gate id -> (name, purpose, role, category, phase, depends_on, builtin checks, report)
_GATES: tuple[tuple[str, str, str, Role, str, Phase, tuple[str, ...], tuple[str, ...], str | None], ...] = (
    (
        "G0",
        "Ideation & Scope",
        "Validate the problem definition and get product-owner approval of the measurable outcome",
        Role.PRODUCT_OWNER,
        "planning",
        Phase.STRATEGY,
        (),
        ("blueprint-validation", "duplication-check", "policy-quick-check"),
        None,
    ),
    (
        "G1",
        "Architecture & Specification",
        "Check the architecture against policy and get architect approval",
        Role.ARCHITECT,
        "design",
        Phase.STRATEGY,
        ("G0",),
        ("architecture-policy-presence", "governance-required-checks", "repo-layout-hints"),
        "architecture-review",
    ),
    (
        "G2",
        "Test Plan",
        "The test strategy must meet the coverage, performance and accessibility requirements",
        Role.QA_LEAD,
        "tests",
        Phase.BUILD,
        ("G0",),
        ("coverage-targets", "perf-a11y-budgets", "test-categories-plan"),
        "test-plan",
    ),
    (
        "G3",
        "Code Review",
        "The code-quality gates are configured and pass, and code owners are declared",
        Role.CODE_REVIEWER,
        "implementation",
        Phase.BUILD,
        ("G1",),
        ("lint-and-types-configured", "codeowners-present"),
        "code-review-checklist",
    ),
    (
        "G4",
        "Verification",
        "The implementation meets the coverage, performance and security budgets",
        Role.QA_LEAD,
        "security",
        Phase.EVALUATION,
        ("G2", "G3"),
        ("coverage-validation", "performance-validation", "security-validation"),
        "verification-report",
    ),
    (
        "G5",
        "Triage",
        "Confirm no blockers remain",
        Role.MAINTAINER,
        "review",
        Phase.EVALUATION,
        ("G4",),
        ("no-red-findings",),
        None,
    ),
    (
        "G6",
        "Release Readiness",
        "Final checks before release-manager approval",
        Role.RELEASE_MANAGER,
        "validation",
        Phase.EVALUATION,
        ("G0", "G1", "G2", "G3", "G4", "G5"),
        ("all-prior-gates-passed",),
        "release-checklist",
    ),
    (
        "G7",
        "Release",
        "Confirm the release artifacts and sign off the release",
        Role.RELEASE_MANAGER,
        "release",
        Phase.EVALUATION,
        ("G6",),
        ("release-artifacts-present",),
        "release-notes",
    ),
)

#: Display names used by prp.md "Decisions & Approvals" (reference §1.3).
APPROVAL_DISPLAY_NAMES = {
    "G0": "Product Approval",
    "G1": "Architecture",
    "G2": "Test Plan",
    "G3": "Code Review",
    "G4": "Verification",
    "G5": "Triage",
    "G6": "Release Readiness",
    "G7": "Release",
}


#: each gate's token estimate (upstream ``estimateTokens``)
TOKENS_PER_GATE = 512

#: the governance command whose run writes the coverage report G4 checks
TEST_COMMAND = "test"


def command_checks(profile: EnforcementProfile) -> tuple[CheckSpec, ...]:
    """One ``run`` check per configured governance command, named ``run-<check>``.

    The ``test`` command produces the coverage report (the first ``reports.coverage`` path) when
    coverage is enforced, so G4 reads the file the tests wrote, on whichever worker they ran.
    """
    return tuple(
        CheckSpec(
            name=f"run-{name}",
            run=argv,
            description=f"runs the required '{name}' check: {' '.join(argv)}{_in(profile, name)}",
            produces=_coverage_file(profile) if name == TEST_COMMAND else (),
            environment=profile.environments.get(name),
            workdir=profile.governance.workdirs.get(name),
        )
        for name, argv in sorted(profile.governance.commands.items())
    )


def _in(profile: EnforcementProfile, name: str) -> str:
    """`` (in test/)`` for a command run in a folder of the repository (``governance.workdirs``)."""
    workdir = profile.governance.workdirs.get(name)
    return f" (in {workdir}/)" if workdir else ""


def _coverage_file(profile: EnforcementProfile) -> tuple[str, ...]:
    """The report G4 reads, when it enforces coverage: without a budget nothing reads it, and a
    report the tests could not write (ordered-set's stale ``.coveragerc``) fails nothing."""
    return profile.reports.coverage[:1] if profile.budgets.coverage is not None else ()


def _check(name: str, profile: EnforcementProfile) -> CheckSpec:
    if (
        name == "coverage-validation"
        and TEST_COMMAND in profile.governance.commands
        and _coverage_file(profile)
    ):
        return CheckSpec(name=name, builtin=name, needs_from={"G3": _coverage_file(profile)})
    return CheckSpec(name=name, builtin=name)


def _approval(profile: EnforcementProfile, gate_id: str, role: Role, description: str) -> ApprovalSpec:
    """The gate's approval step with the profile's overrides and approval policy applied."""
    policy = profile.approval
    return ApprovalSpec(
        role=profile.approvers.get(gate_id, role),
        description=description,
        quorum=policy.quorum.get(gate_id, 1),
        timeout_s=policy.timeout_s,
        on_timeout=policy.on_timeout,
        no_self_approval=policy.no_self_approval,
        reminder_s=policy.reminder_s,
    )


def builtin_workflow(profile: EnforcementProfile | None = None) -> Workflow:
    """The default G0–G7 workflow for ``profile`` (its approver overrides and commands applied)."""
    profile = profile or EnforcementProfile()
    gates = []
    for gate_id, name, purpose, role, category, phase, deps, checks, report in _GATES:
        specs = tuple(_check(c, profile) for c in checks)
        if gate_id == "G3":
            specs += command_checks(profile)
        gates.append(
            GateSpec(
                id=gate_id,
                name=name,
                purpose=purpose,
                depends_on=deps,
                checks=specs,
                approval=_approval(profile, gate_id, role, f"{name}: {purpose}"),
                category=category,
                phase=phase,
                report=report,
                estimate_tokens=TOKENS_PER_GATE,
            )
        )
    return Workflow(
        name=WORKFLOW_NAME,
        description="PRP quality gates G0–G7 as a dependency graph",
        gates=tuple(gates),
        # the upstream runner's spool: 512 tokens per gate against 2048 per gate in total
        budget=Budget(tokens=len(gates) * TOKENS_PER_GATE * 4),
    )
