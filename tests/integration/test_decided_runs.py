"""A decided run finishes: once a run has failed, gates still waiting for a decision that can no
longer change its outcome are closed (with the decision that settled the run as the reason, in the
audit trail) instead of waiting up to their deadline, and the run finalizes."""

from __future__ import annotations

from collections.abc import Callable

from prp_tasks.core.approvals import AuditType
from prp_tasks.core.models import GateStatus
from prp_tasks.core.run import RunStatus
from prp_tasks.core.snapshot import RunSnapshot
from prp_tasks.service.control import Control
from tests.conftest import wait_until

PARALLEL = """name: two-reviews
gates:
  - {id: A, checks: [{name: a, run: ["true"]}], approval: {role: architect}}
  - {id: B, checks: [{name: b, run: ["true"]}], approval: {role: qa-lead}}
  - {id: C, depends_on: [A, B], checks: [{name: c, run: ["true"]}]}
"""
LATE = """name: late-park
gates:
  - {id: F, checks: [{name: f, run: ["false"]}]}
  - {id: P, checks: [{name: p, run: ["sleep", "0.5"]}], approval: {role: qa-lead}}
  - {id: Q, depends_on: [P], checks: [{name: q, run: ["true"]}]}
"""


def _parked(control: Control, run_id: str, *gates: str) -> bool:
    return all(control.store.gate_status(run_id, g) == GateStatus.AWAITING_APPROVAL for g in gates)


def test_a_rejection_closes_the_other_parked_gate_and_the_run_finishes(
    control: Control, submit: Callable[..., str], finish: Callable[..., RunSnapshot]
) -> None:
    run_id = submit(PARALLEL)
    wait_until(lambda: _parked(control, run_id, "A", "B"))
    control.decide(run_id, "A", actor="bob", approve=False, rationale="no boundaries")
    snapshot = finish(run_id, timeout=20)  # not the 24 h of B's deadline
    assert snapshot.status == RunStatus.FAILED
    assert {g: v.status for g, v in snapshot.gates.items()} == {
        "A": GateStatus.FAILED,
        "B": GateStatus.SKIPPED,
        "C": GateStatus.SKIPPED,
    }
    b = snapshot.gates["B"].record
    assert b is not None and b.result.reason is not None
    assert "the run already failed (A: rejected by bob" in b.result.reason
    closed = [e for e in control.audit(run_id) if e.type == AuditType.CLOSED]
    assert [(e.gate_id, e.actor) for e in closed] == [("B", "system")]
    assert "A: rejected by bob" in (closed[0].reason or "")
    assert not [p for p in control.pending_approvals() if p.run_id == run_id]


def test_a_gate_parking_after_the_run_failed_is_closed_at_once(
    control: Control, submit: Callable[..., str], finish: Callable[..., RunSnapshot]
) -> None:
    run_id = submit(LATE)
    snapshot = finish(run_id, timeout=20)
    assert snapshot.status == RunStatus.FAILED
    assert snapshot.gates["P"].status == GateStatus.SKIPPED
    assert snapshot.gates["Q"].status == GateStatus.SKIPPED
    closed = [e for e in control.audit(run_id) if e.type == AuditType.CLOSED]
    assert [e.gate_id for e in closed] == ["P"]
    assert "F: " in (closed[0].reason or "")
