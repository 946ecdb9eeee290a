"""Forced re-runs (``run_prp_step``): which gates re-open, what they must satisfy, what goes stale."""

from __future__ import annotations

from prp_tasks.core.catalog import GATE_REPORTS
from prp_tasks.core.models import TERMINAL, GateStatus
from prp_tasks.core.run import RunSpec
from prp_tasks.errors import ConflictError, GateNotFound
from prp_tasks.state.codec import OUTPUT_FILES


def check_rerun(spec: RunSpec, statuses: dict[str, GateStatus], gate_id: str, force: bool) -> None:
    """Only a settled gate whose dependencies passed can be re-run, and only when forced."""
    if gate_id not in spec.workflow.gate_ids:
        known = ", ".join(spec.workflow.gate_ids)
        raise GateNotFound(f"run {spec.run_id} has no gate {gate_id!r} (gates: {known})")
    current = statuses[gate_id]
    if current not in TERMINAL:
        raise ConflictError(
            f"gate {gate_id} is {current.value}; only a settled gate can be re-run", state=current
        )
    if not force:
        message = (
            f"gate {gate_id} is {current.value}; re-running re-executes it and its dependents: pass force"
        )
        raise ConflictError(message, state=current.value)
    blocked = [d for d in spec.workflow.gate(gate_id).depends_on if statuses[d] != GateStatus.PASSED]
    if blocked:
        raise ConflictError(
            f"cannot re-run {gate_id}: its dependency {blocked[0]} is {statuses[blocked[0]].value}"
        )


def rerun_plan(
    spec: RunSpec, reset: list[str], statuses: dict[str, GateStatus]
) -> list[tuple[str, int, int, list[str]]]:
    """Per re-opened gate: dependencies left (re-opened ones count as not passed), checks, fields."""
    plan = []
    for gate_id in reset:
        gate = spec.workflow.gate(gate_id)
        left = sum(1 for d in gate.depends_on if d in reset or statuses[d] != GateStatus.PASSED)
        fields = [f"{gate_id}/{c.name}" for c in gate.checks]
        plan.append((gate_id, 0 if gate_id == reset[0] else left, len(gate.checks), fields))
    return plan


def rerun_outputs(spec: RunSpec, reset: list[str]) -> list[str]:
    """Outputs a re-run makes stale: the run's final files and the re-opened gates' reports."""
    reports = [GATE_REPORTS[g.report] for g in spec.workflow.gates if g.id in reset and g.report]
    return [*OUTPUT_FILES, *reports]
