"""Budgets and backpressure on real Redis and workers: tokens, wall clock, slots, admission."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.core.models import GateStatus
from prp_tasks.core.run import RunStatus
from prp_tasks.core.snapshot import RunSnapshot
from prp_tasks.intake.submission import prepare_run
from prp_tasks.intake.workflow_files import parse_workflow
from prp_tasks.service.control import Control
from prp_tasks.settings import Settings
from tests.conftest import wait_until
from tests.integration.test_worker_loss import Workers, private, workers  # noqa: F401

Submit = Callable[..., str]
Finish = Callable[..., RunSnapshot]


def reason(snapshot: RunSnapshot, gate: str) -> str | None:
    record = snapshot.gates[gate].record
    return record.result.reason if record else None


def test_a_gate_whose_estimate_exceeds_the_tokens_left_is_skipped(
    submit: Submit, finish: Finish, control: Control
) -> None:
    run_id = submit(
        """
name: tokens
budget: {tokens: 1000}
gates:
  - {id: A, estimate_tokens: 600, checks: [{name: a, run: ["true"]}]}
  - {id: B, estimate_tokens: 500, checks: [{name: b, run: ["true"]}]}
  - {id: C, checks: [{name: c, run: ["true"], estimate_tokens: 300}]}
  - {id: D, depends_on: [B], checks: [{name: d, run: ["true"]}]}
"""
    )
    snapshot = finish(run_id)
    statuses = {g: v.status for g, v in snapshot.gates.items()}
    assert statuses == {
        "A": GateStatus.PASSED,
        "B": GateStatus.SKIPPED,
        "C": GateStatus.PASSED,  # a cheaper gate after a skipped one still starts
        "D": GateStatus.SKIPPED,
    }
    assert reason(snapshot, "B") == "token budget exhausted"
    assert reason(snapshot, "D") == "dependency B skipped"
    assert control.engine.limits.tokens_used(run_id) == 900


def test_gates_not_started_before_the_wall_clock_budget_are_skipped(
    submit: Submit, finish: Finish, control: Control
) -> None:
    run_id = submit(
        """
name: wall
budget: {wall_s: 1.5}
gates:
  - {id: A, checks: [{name: slow, run: [sleep, "2"]}]}
  - {id: B, depends_on: [A], checks: [{name: b, run: ["true"]}]}
"""
    )
    snapshot = finish(run_id)
    assert snapshot.gates["A"].status == GateStatus.PASSED  # a running check is not interrupted
    assert reason(snapshot, "B") == "time budget exceeded"  # skipped when about to start
    assert snapshot.status == RunStatus.FAILED


def test_the_sweeper_skips_gates_still_pending_at_the_wall_clock_deadline(
    submit: Submit, finish: Finish, control: Control, runtime: Runtime
) -> None:
    run_id = submit(
        """
name: wall-parked
budget: {wall_s: 1.0}
gates:
  - {id: P, approval: {role: maintainer}}
  - {id: Q, depends_on: [P], checks: [{name: q, run: ["true"]}]}
"""
    )
    wait_until(lambda: control.store.gate_status(run_id, "P") == GateStatus.AWAITING_APPROVAL, timeout=20)
    time.sleep(1.2)
    assert runtime.deadlines.sweep() == 1  # Q waits behind the parked P: the sweeper skips it
    snapshot = finish(run_id)  # the run failed: P, still waiting, is closed and the run finishes
    assert reason(snapshot, "Q") == "time budget exceeded"
    assert "the run already failed (Q skipped)" in (reason(snapshot, "P") or "")
    assert snapshot.status == RunStatus.FAILED


def test_at_most_max_parallel_gates_run_at_once(submit: Submit, finish: Finish, control: Control) -> None:
    gates = "\n".join(f"  - {{id: G{i}, checks: [{{name: s, run: [sleep, '0.3']}}]}}" for i in range(6))
    run_id = submit(f"name: slots\nbudget: {{max_parallel_gates: 2}}\ngates:\n{gates}\n")
    snapshot = finish(run_id)
    assert snapshot.status == RunStatus.PASSED
    spans = [(r.started_at, r.finished_at) for v in snapshot.gates.values() for r in v.checks.values()]
    for started, _ in spans:
        overlapping = sum(1 for s, f in spans if s <= started < f)
        assert overlapping <= 2
    assert max(sum(1 for s, f in spans if s <= t < f) for t, _ in spans) == 2


def test_runs_beyond_the_admission_limit_queue_and_start_in_order(
    private: Settings,  # noqa: F811
    workers: Workers,  # noqa: F811
    tmp_path: Path,
) -> None:
    env = {"PRP_MAX_RUNS_IN_FLIGHT": "1", "PRP_SWEEP_INTERVAL_S": "0.2"}
    workers.start(env, ["--queues", "automated,approval,control", "--pool", "threads", "--concurrency", "4"])
    limited = private.model_copy(update={"max_runs_in_flight": 1})
    control = Runtime(limited).control
    flow = parse_workflow("name: one\ngates:\n  - {id: A, checks: [{name: a, run: [sleep, '0.4']}]}\n")
    runs = [control.submit(prepare_run(tmp_path, workflow=flow)) for _ in range(3)]
    assert [control.snapshot(r).status for r in runs[1:]] == [RunStatus.QUEUED] * 2
    assert control.get_run(runs[1]).status == "queued"
    control.cancel(runs[2])  # a queued run can be cancelled; it never starts
    for run_id in runs:
        assert control.wait_final(run_id, 30)
    first, second, third = (control.snapshot(r) for r in runs)
    assert (first.status, second.status, third.status) == (
        RunStatus.PASSED,
        RunStatus.PASSED,
        RunStatus.CANCELLED,
    )
    assert first.gates["A"].checks["a"].finished_at <= second.gates["A"].checks["a"].started_at
    assert third.gates["A"].checks == {}


def test_admission_recovers_a_place_lost_in_a_crash(
    private: Settings,  # noqa: F811
    workers: Workers,  # noqa: F811
    tmp_path: Path,
) -> None:
    workers.start(
        {"PRP_MAX_RUNS_IN_FLIGHT": "1"}, ["--queues", "automated,approval,control", "--pool", "threads"]
    )
    limited = private.model_copy(update={"max_runs_in_flight": 1})
    limited_runtime = Runtime(limited)
    control = limited_runtime.control
    control.store.redis.sadd(control.store.keys.admission("active"), "run-that-crashed")
    flow = parse_workflow("name: one\ngates:\n  - {id: A, checks: [{name: a, run: ['true']}]}\n")
    run_id = control.submit(prepare_run(tmp_path, workflow=flow))
    time.sleep(0.5)
    assert control.snapshot(run_id).status == RunStatus.QUEUED
    assert limited_runtime.deadlines.repair_admission() == 1
    assert control.wait_final(run_id, 30) and control.snapshot(run_id).status == RunStatus.PASSED
