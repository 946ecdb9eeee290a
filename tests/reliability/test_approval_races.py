"""Approval races under load: 50 parked gates, each decided at once by 3 actors (separate
processes) and the expiry sweeper, while other runs keep the workers busy: exactly one outcome each."""

from __future__ import annotations

from pathlib import Path

from prp_tasks.core.approvals import AuditType
from prp_tasks.core.models import GateStatus
from prp_tasks.service.control import Control
from prp_tasks.settings import Settings
from tests.conftest import wait_until
from tests.integration.test_approvals import approval_gate, gates_yaml, race
from tests.integration.test_worker_loss import Workers
from tests.reliability.conftest import marked_run, side_effect_check

GATES = [f"P{i}" for i in range(50)]


def test_fifty_gates_decided_by_three_actors_and_the_sweeper_settle_once_each(
    control: Control, workers: Workers, private: Settings, tmp_path: Path
) -> None:
    for _ in range(2):
        workers.start(
            args=["--queues", "automated,approval,control", "--pool", "threads", "--concurrency", "8"]
        )
    run_id = marked_run(control, tmp_path, gates_yaml(*(approval_gate(g, timeout_s=60) for g in GATES)))
    wait_until(
        lambda: all(s == GateStatus.AWAITING_APPROVAL for s in control.store.gate_statuses(run_id).values()),
        timeout=60,
    )
    load = f"name: load\ngates:\n  - {{id: L, checks: [{side_effect_check('busy', 'L', '1')}]}}\n"
    for _ in range(10):  # keep the workers busy meanwhile
        marked_run(control, tmp_path, load)
    wins = race(private, run_id, GATES, start_in_s=2.0, timeout_s=90)
    assert control.wait_final(run_id, 60)
    snapshot = control.snapshot(run_id)
    for gate in GATES:
        outcomes = [
            e
            for e in snapshot.audit
            if e.gate_id == gate and e.type in (AuditType.DECIDED, AuditType.EXPIRED, AuditType.CLOSED)
        ]
        assert len(outcomes) == 1, (gate, [e.type.value for e in snapshot.audit if e.gate_id == gate])
        winners = [o for racer in wins for (g, o) in racer if g == gate]
        assert len(winners) == (1 if outcomes[0].type == AuditType.DECIDED else 0), (gate, winners)
        assert snapshot.gates[gate].status in (GateStatus.PASSED, GateStatus.FAILED, GateStatus.SKIPPED)
        settles = [e for e in snapshot.events if e.gate_id == gate and e.type.value == "settle"]
        assert len(settles) == 1
