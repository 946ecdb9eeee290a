"""The built-in G0–G7 workflow (``prp_tasks.core.builtin_workflow``)."""

from __future__ import annotations

from typing import Any

from prp_tasks.core import dag
from prp_tasks.core.builtin_workflow import APPROVAL_DISPLAY_NAMES, WORKFLOW_NAME, builtin_workflow
from prp_tasks.core.catalog import BUILTIN_CHECKS, GATE_REPORTS
from prp_tasks.core.models import GateStatus, Phase, Role, Workflow
from prp_tasks.core.profile import EnforcementProfile
from prp_tasks.routing import QUEUE_CLASSES

GATES = ("G0", "G1", "G2", "G3", "G4", "G5", "G6", "G7")


def workflow(profile: dict[str, Any] | None = None) -> Workflow:
    return builtin_workflow(EnforcementProfile.model_validate(profile or {}))


def roles(wf: Workflow) -> dict[str, Role]:
    return {g.id: g.approval.role for g in wf.gates if g.approval is not None}


def test_the_gates_are_g0_to_g7_in_order() -> None:
    wf = builtin_workflow()
    assert wf.name == WORKFLOW_NAME == "prp-default"
    assert wf.gate_ids == GATES


def test_the_edges_are_exactly_the_documented_graph() -> None:
    assert {g.id: g.depends_on for g in builtin_workflow().gates} == {
        "G0": (),
        "G1": ("G0",),
        "G2": ("G0",),
        "G3": ("G1",),
        "G4": ("G2", "G3"),
        "G5": ("G4",),
        "G6": ("G0", "G1", "G2", "G3", "G4", "G5"),
        "G7": ("G6",),
    }


def test_g1_and_g2_become_ready_together_after_g0() -> None:
    wf = builtin_workflow()
    assert dag.roots(wf) == ("G0",)
    assert dag.ready(wf, {"G0": GateStatus.PASSED}) == ("G1", "G2")
    assert dag.levels(wf) == {"G0": 0, "G1": 1, "G2": 1, "G3": 2, "G4": 3, "G5": 4, "G6": 5, "G7": 6}


def test_every_gate_needs_the_documented_role() -> None:
    assert roles(builtin_workflow()) == {
        "G0": Role.PRODUCT_OWNER,
        "G1": Role.ARCHITECT,
        "G2": Role.QA_LEAD,
        "G3": Role.CODE_REVIEWER,
        "G4": Role.QA_LEAD,
        "G5": Role.MAINTAINER,
        "G6": Role.RELEASE_MANAGER,
        "G7": Role.RELEASE_MANAGER,
    }


def test_profile_approvers_override_single_gates() -> None:
    overridden = roles(workflow({"approvers": {"G4": "security-reviewer", "G7": "maintainer"}}))
    expected = roles(builtin_workflow()) | {"G4": Role.SECURITY_REVIEWER, "G7": Role.MAINTAINER}
    assert overridden == expected


def test_each_gate_runs_its_builtin_checks() -> None:
    assert {g.id: tuple(c.builtin for c in g.checks) for g in builtin_workflow().gates} == {
        "G0": ("blueprint-validation", "duplication-check", "policy-quick-check"),
        "G1": ("architecture-policy-presence", "governance-required-checks", "repo-layout-hints"),
        "G2": ("coverage-targets", "perf-a11y-budgets", "test-categories-plan"),
        "G3": ("lint-and-types-configured", "codeowners-present"),
        "G4": ("coverage-validation", "performance-validation", "security-validation"),
        "G5": ("no-red-findings",),
        "G6": ("all-prior-gates-passed",),
        "G7": ("release-artifacts-present",),
    }
    assert all(c.name == c.builtin for g in builtin_workflow().gates for c in g.checks)


def test_governance_commands_become_run_checks_in_g3() -> None:
    wf = workflow({"governance": {"commands": {"test": ["pytest", "-q"], "lint": ["ruff", "check", "."]}}})
    g3 = wf.gate("G3")
    runs = [(c.name, c.run) for c in g3.checks if c.run is not None]
    assert runs == [("run-lint", ("ruff", "check", ".")), ("run-test", ("pytest", "-q"))]
    assert g3.check("run-test").description == "runs the required 'test' check: pytest -q"
    others = [c for g in wf.gates if g.id != "G3" for c in g.checks]
    assert all(c.run is None for c in others)


def test_the_tests_produce_the_coverage_report_g4_reads_only_when_coverage_is_enforced() -> None:
    """ordered-set (no budget, a stale ``.coveragerc``): the report its tests could not write was a
    declared file "not produced", failing 53 passing tests although nothing would read it."""
    commands = {"governance": {"commands": {"test": ["pytest"]}}}
    enforced = workflow(commands)
    assert enforced.gate("G3").check("run-test").produces == ("coverage.xml",)
    assert enforced.gate("G4").check("coverage-validation").needs_from == {"G3": ("coverage.xml",)}
    free = workflow({**commands, "budgets": {"coverage": None}})
    assert free.gate("G3").check("run-test").produces == ()
    assert not free.gate("G4").check("coverage-validation").needs_from


def test_without_commands_no_run_checks_are_added() -> None:
    assert all(c.run is None for g in builtin_workflow().gates for c in g.checks)


def test_reports_phases_and_queues_are_as_documented() -> None:
    wf = builtin_workflow()
    assert {g.id: g.report for g in wf.gates} == {
        "G0": None,
        "G1": "architecture-review",
        "G2": "test-plan",
        "G3": "code-review-checklist",
        "G4": "verification-report",
        "G5": None,
        "G6": "release-checklist",
        "G7": "release-notes",
    }
    assert [g.phase for g in wf.gates] == [Phase.STRATEGY] * 2 + [Phase.BUILD] * 2 + [Phase.EVALUATION] * 4
    assert {g.queue for g in wf.gates} == {"automated"}
    assert set(APPROVAL_DISPLAY_NAMES) == set(GATES)


def test_the_builtin_workflow_validates() -> None:
    for wf in (builtin_workflow(), workflow({"governance": {"commands": {"test": ["pytest"]}}})):
        assert dag.validate(wf, known_builtins=BUILTIN_CHECKS, queue_classes=QUEUE_CLASSES) is wf
        assert all(g.report is None or g.report in GATE_REPORTS for g in wf.gates)
