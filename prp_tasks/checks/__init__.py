"""Checks: the built-in ones, running a user's command, and reading the evidence its tools leave.

:func:`execute` runs one check (in the environment :mod:`prp_tasks.environments` prepares) and
stamps its result; :mod:`.command` runs a ``run`` check's program, :mod:`.evidence` and
:mod:`.test_output`, :mod:`.tool_output` and :mod:`.mypy_output` read the reports it writes
(JUnit and the test runners' output, linters, coverage, mypy) and :mod:`.facts_line`
words what they found, :mod:`.planning` and
:mod:`.verification` are the built-in checks of the G0–G7 workflow.

May import: environments, workspaces (paths in a checkout), processes, core, errors, settings.
Never Redis, Celery, the engine or a front end: a check knows nothing of where its result goes.
"""

from __future__ import annotations

import json
import os
import socket
import time
import traceback
from collections.abc import Callable

from prp_tasks.checks import planning, verification
from prp_tasks.checks.base import CheckContext, Outcome
from prp_tasks.checks.command import run_command
from prp_tasks.core.evaluate import utc_now
from prp_tasks.core.models import CheckSpec, CheckStatus
from prp_tasks.core.redact import redact
from prp_tasks.core.results import CheckResult, Evidence, check_source, evidence_id

Builtin = Callable[[CheckContext], Outcome]

BUILTINS: dict[str, Builtin] = {
    "blueprint-validation": planning.blueprint_validation,
    "duplication-check": planning.duplication_check,
    "policy-quick-check": planning.policy_quick_check,
    "architecture-policy-presence": planning.architecture_policy_presence,
    "governance-required-checks": planning.governance_required_checks,
    "repo-layout-hints": planning.repo_layout_hints,
    "coverage-targets": planning.coverage_targets,
    "perf-a11y-budgets": planning.perf_a11y_budgets,
    "test-categories-plan": planning.test_categories_plan,
    "lint-and-types-configured": planning.lint_and_types_configured,
    "codeowners-present": planning.codeowners_present,
    "coverage-validation": verification.coverage_validation,
    "performance-validation": verification.performance_validation,
    "security-validation": verification.security_validation,
    "no-red-findings": verification.no_red_findings,
    "all-prior-gates-passed": verification.all_prior_gates_passed,
    "release-artifacts-present": verification.release_artifacts_present,
}

#: built-in checks that read only the run's spec (blueprint, profile, workflow) and its records,
#: never the repository: they run without a workspace (none is created for them, none is waited
#: for). A built-in added here must not use ``ctx.repo`` or ``ctx.workdir`` (a test holds them to it).
CHECKOUT_FREE = frozenset(
    {
        "blueprint-validation",
        "duplication-check",
        "policy-quick-check",
        "architecture-policy-presence",
        "governance-required-checks",
        "coverage-targets",
        "perf-a11y-budgets",
        "test-categories-plan",
        "lint-and-types-configured",
        "no-red-findings",
        "all-prior-gates-passed",
        "release-artifacts-present",
    }
)

HOSTNAME = socket.gethostname()


def needs_checkout(check: CheckSpec) -> bool:
    """Whether the check runs in the run's workspace: a command, a built-in that reads the
    repository, or any check that needs or produces files."""
    return (
        check.run is not None
        or check.builtin not in CHECKOUT_FREE
        or bool(check.needs or check.needs_from or check.produces)
    )


def outcome_of(ctx: CheckContext) -> Outcome:
    """Run the check; an unexpected exception is a failed check, never a crashed task."""
    try:
        if ctx.check.run is not None:
            return run_command(ctx)
        return BUILTINS[ctx.check.builtin or ""](ctx)
    except Exception as exc:
        last = traceback.format_exception_only(type(exc), exc)[-1].strip()
        transient = type(exc).__name__ in ctx.check.retry_on.exceptions
        return Outcome(CheckStatus.FAIL, f"check crashed: {redact(last)}", retryable=transient)


def execute(ctx: CheckContext) -> tuple[CheckResult, bool]:
    """Run one check; return its result and whether a failure may be retried."""
    started_at = utc_now()
    t0 = time.monotonic()
    outcome = outcome_of(ctx)
    duration = int((time.monotonic() - t0) * 1000)
    finished_at = utc_now()
    return stamp(ctx, outcome, started_at, finished_at, duration), outcome.retryable


def stamp(
    ctx: CheckContext, outcome: Outcome, started_at: str, finished_at: str, duration: int
) -> CheckResult:
    """Turn an outcome into a CheckResult with one evidence item."""
    spec = ctx.spec
    source = outcome.source or check_source(ctx.gate.id, ctx.check.name)
    content = {"status": outcome.status.value, "output": outcome.output, **outcome.details}
    evidence = Evidence(
        id=evidence_id(spec.run_id, ctx.gate.id, ctx.check.name),
        type=outcome.evidence_type,
        source=source,
        content=json.dumps(content, sort_keys=True, default=str),
        timestamp=finished_at,
        phase=ctx.gate.phase,
        commit_sha=spec.repo.commit_sha,
        metadata={"gate": ctx.gate.id, "check": ctx.check.name, "attempt": ctx.attempt},
    )
    return CheckResult(
        name=ctx.check.name,
        status=outcome.status,
        output=outcome.output[:4000],
        duration=duration,
        started_at=started_at,
        finished_at=finished_at,
        attempt=ctx.attempt,
        worker=ctx.worker or f"{HOSTNAME}/{os.getpid()}",
        evidence=(evidence,),
    )
