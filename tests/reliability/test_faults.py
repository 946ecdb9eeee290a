"""Faults during runs: killed workers, a restarted or crashed Redis, lost messages, cancellation.

Every scenario ends with the queue checker (:mod:`tests.reliability.checker`): each gate result is
ok, lost, duplicated or unexpected, and the pass criterion is 0 lost and 0 duplicated.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import time
from pathlib import Path

import pytest

from prp_tasks.celeryapp.embedded import EmbeddedRedis
from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.core.approvals import AuditType
from prp_tasks.core.models import GateStatus
from prp_tasks.core.run import RunStatus
from prp_tasks.errors import ConflictError
from prp_tasks.service.control import Control
from tests.conftest import wait_until
from tests.integration.test_worker_loss import Workers
from tests.reliability.checker import claims, classify, side_effects
from tests.reliability.conftest import marked_run, side_effect_check

FAST = {"PRP_RECONCILE_INTERVAL_S": "1", "PRP_RECONCILE_GRACE_S": "2", "PRP_SWEEP_INTERVAL_S": "0.5"}
ALL = ["--queues", "automated,approval,control", "--pool", "prefork", "--concurrency", "2"]


def chain(sleep: str = "0.2") -> str:
    return f"""
name: chain
gates:
  - {{id: A, checks: [{side_effect_check("a1", "A", sleep)}, {side_effect_check("a2", "A", sleep)}]}}
  - {{id: B, depends_on: [A], checks: [{side_effect_check("b", "B", sleep)}]}}
  - {{id: C, depends_on: [A], checks: [{side_effect_check("c", "C", sleep)}]}}
"""


def assert_clean(control: Control, runs: list[str], repo: Path, expected: dict[str, str]) -> None:
    for run_id in runs:
        assert control.wait_final(run_id, 120), f"{run_id} never finished"
    report = classify(control, {r: expected for r in runs}, side_effects(repo / "effects.log"))
    assert report.clean(), report.counts() | {"lost": report.lost, "dup": report.duplicated}
    assert max(claims(control, runs).values(), default=1) == 1  # each check result claimed once


def test_workers_killed_ten_times_at_random_lose_and_duplicate_nothing(
    control: Control, workers: Workers, tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    # ten kills could hit one check three times, which then fails as a poison check ("worker
    # lost", tested in test_worker_loss); here every check must survive however the kills fall
    env = {**FAST, "PRP_MAX_LOST_ATTEMPTS": "11"}
    procs = [workers.start(env, ALL) for _ in range(2)]
    runs = [marked_run(control, tmp_path, chain(str(rng.choice([0.1, 0.3, 0.6])))) for _ in range(20)]
    for _ in range(10):
        time.sleep(rng.uniform(0.2, 1.2))
        victim = rng.randrange(len(procs))
        os.killpg(procs[victim].pid, signal.SIGKILL)  # the whole worker: main process and children
        procs[victim].wait()
        procs[victim] = workers.start(env, ALL)
    assert_clean(control, runs, tmp_path, {"A": "passed", "B": "passed", "C": "passed"})


def test_a_dispatched_message_that_vanished_is_sent_again(
    private_runtime: Runtime, control: Control, workers: Workers, tmp_path: Path
) -> None:
    run_id = marked_run(control, tmp_path, chain("0"))  # no worker yet: the A checks wait in the queue
    assert private_runtime.reconciler.pass_once().resent == []  # queued messages are live
    assert control.store.redis.delete("prp.automated") == 1  # lost between fetch and bookkeeping
    early = private_runtime.reconciler.pass_once()
    assert early.resent == []  # within the grace period nothing is sent twice
    later = private_runtime.reconciler.pass_once(now_ms=time.time() * 1000 + 3000)
    assert sorted(later.resent) == [f"{run_id}/A/a1", f"{run_id}/A/a2"]
    workers.start(FAST, ALL)
    assert_clean(control, [run_id], tmp_path, {"A": "passed", "B": "passed", "C": "passed"})


def test_a_gate_whose_last_check_was_just_claimed_is_left_to_the_task_claiming_it(
    private_runtime: Runtime, control: Control, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """coloredlogs, five runs at once on 2 cores: the repair loop's round found a gate whose last
    check result was claimed and not yet completed by the task that claimed it, completed it itself
    and warned "1 gate(s) completed" (a lost step) on the user's terminal. The claim left the
    completion in the run's outbox, due after the grace: that is how a task that died is repaired."""
    run_id = marked_run(control, tmp_path, chain("0"))
    engine = private_runtime.engine
    monkeypatch.setattr(engine, "complete_gate", lambda *a, **k: None)  # between claim and completion
    for check in ("a1", "a2"):
        engine.run_check(run_id, "A", check)
    monkeypatch.undo()
    assert private_runtime.reconciler.pass_once().completed == []
    assert control.store.gate_status(run_id, "A") == GateStatus.RUNNING
    later = private_runtime.reconciler.pass_once(now_ms=time.time() * 1000 + 3000)  # the task died
    assert later.completed == [] and control.store.gate_status(run_id, "A") == GateStatus.PASSED
    lost = marked_run(control, tmp_path, chain("0"))  # no outbox item (an older version's run): repaired
    monkeypatch.setattr(engine, "complete_gate", lambda *a, **k: None)
    for check in ("a1", "a2"):
        engine.run_check(lost, "A", check)
    monkeypatch.undo()
    control.store.outbox_done(lost, ["complete:A"])
    assert private_runtime.reconciler.pass_once().completed == [f"{lost}/A"]


APPROVAL = """
name: approved
gates:
  - {{id: A, checks: [{a}]}}
  - {{id: P, depends_on: [A], approval: {{role: maintainer}}}}
  - {{id: B, depends_on: [P], checks: [{b}]}}
"""


def approval_flow() -> str:
    return APPROVAL.format(a=side_effect_check("a", "A", "0.3"), b=side_effect_check("b", "B", "0.3"))


def test_a_redis_restart_mid_run_loses_no_acknowledged_decision(
    control: Control, workers: Workers, server: EmbeddedRedis, tmp_path: Path
) -> None:
    for _ in range(2):
        workers.start(FAST, ALL)
    runs = [marked_run(control, tmp_path, approval_flow()) for _ in range(8)]
    parked = lambda r: control.store.gate_status(r, "P") == GateStatus.AWAITING_APPROVAL  # noqa: E731
    wait_until(lambda: all(parked(r) for r in runs[:4]), timeout=60)
    for run_id in runs[:4]:
        control.decide(run_id, "P", actor="alice", approve=True)  # acknowledged before the restart
    server.restart(down_s=1.0)  # SIGTERM: Redis flushes its append-only file and stops
    wait_until(lambda: all(parked(r) for r in runs[4:]), timeout=60)  # workers reconnected by themselves
    for run_id in runs[4:]:
        control.decide(run_id, "P", actor="bob", approve=True)
    assert_clean(control, runs, tmp_path, {"A": "passed", "P": "passed", "B": "passed"})
    for run_id, actor in zip(runs, ["alice"] * 4 + ["bob"] * 4, strict=True):
        decided = [e for e in control.audit(run_id) if e.type == AuditType.DECIDED]
        assert [(e.gate_id, e.actor) for e in decided] == [("P", actor)]


def test_a_redis_crash_mid_run_is_repaired_without_loss_or_duplicates(
    control: Control, workers: Workers, server: EmbeddedRedis, tmp_path: Path
) -> None:
    for _ in range(2):
        workers.start(FAST, ALL)
    runs = [marked_run(control, tmp_path, chain("0.3")) for _ in range(10)]
    time.sleep(1.5)
    server.restart(down_s=1.0, crash=True)  # SIGKILL: up to a second of writes may be gone
    survivors = [r for r in runs if control.store.redis.exists(control.store.keys.run(r).meta)]
    assert survivors, "the append-only file lost every run"
    assert_clean(control, survivors, tmp_path, {"A": "passed", "B": "passed", "C": "passed"})


def test_no_gate_starts_after_a_cancel_was_acknowledged_even_across_worker_restarts(
    control: Control, workers: Workers, tmp_path: Path
) -> None:
    procs = [workers.start(FAST, ALL) for _ in range(2)]
    runs = [marked_run(control, tmp_path, chain("0.5")) for _ in range(6)]
    wait_until(lambda: all(control.store.gate_status(r, "A") == GateStatus.RUNNING for r in runs), timeout=30)
    time.sleep(0.3)
    for run_id in runs:
        control.cancel(run_id, "tester")
    acknowledged = time.time() * 1000
    for proc in procs:
        os.killpg(proc.pid, signal.SIGKILL)
    for _ in range(2):
        workers.start(FAST, ALL)
    for run_id in runs:
        assert control.wait_final(run_id, 60)
        snapshot = control.snapshot(run_id)
        assert snapshot.status == RunStatus.CANCELLED
        started = [e for e in snapshot.events if e.type.value == "start"]
        assert all(_ms(e.timestamp) <= acknowledged for e in started), started
        assert {snapshot.gates[g].status for g in "BC"} == {GateStatus.SKIPPED}


def _ms(iso: str) -> float:
    from prp_tasks.state.codec import to_ms

    return to_ms(iso)


def test_a_check_longer_than_the_visibility_timeout_never_runs_twice_at_once(
    control: Control, workers: Workers, tmp_path: Path
) -> None:
    # a lease of 3 s (renewed every second): the 1 s of the other tests lapsed once on a loaded CI
    # machine (a renewal 0.7 s late), and a lapsed lease rightly lets the redelivery take over
    for _ in range(2):  # a second worker is ready to take the redelivered message
        workers.start({**FAST, "PRP_CHECK_LEASE_S": "3"}, ALL)
    log = tmp_path / "long.log"  # by absolute path: the check runs in a workspace of tmp_path
    code = (
        f"import time; open('{log}','a').write('start\\\\n'); time.sleep(8); "
        f"open('{log}','a').write('end\\\\n')"
    )
    run_id = marked_run(
        control,
        tmp_path,
        f'name: long\ngates:\n  - {{id: L, checks: [{{name: l, run: [python, -c, "{code}"]}}]}}\n',
    )
    assert control.wait_final(run_id, 60)  # the Redis transport redelivers after 3 s (visibility timeout)
    assert control.snapshot(run_id).status == RunStatus.PASSED
    assert log.read_text().split() == ["start", "end"]
    assert control.snapshot(run_id).gates["L"].checks["l"].attempt == 1


FANOUT = """
name: fanout
gates:
  - {{id: A, checks: [{a}]}}
  - {{id: B, depends_on: [A], checks: [{b1}, {b2}]}}
  - {{id: P, depends_on: [A], checks: [{p}], approval: {{role: maintainer}}}}
  - {{id: D, depends_on: [B, P], checks: [{d}]}}
  - {{id: E, depends_on: [D]}}
"""
HOOK = str(Path(__file__).resolve().parent / "crashhook")


def fanout() -> str:
    checks = {n: side_effect_check(n, n[0].upper(), "0.05") for n in ("a", "b1", "b2", "p", "d")}
    return FANOUT.format(**checks)


@pytest.mark.parametrize("mode", ["child", "whole"])
def test_workers_dying_at_the_instant_of_a_settle_leave_no_run_stuck(
    control: Control, workers: Workers, tmp_path: Path, seed: int, mode: str
) -> None:
    """Every worker prefork; each settle (claim + settle, settle, decision) kills its process with
    probability 0.3 right after the script committed: the pool process, or the whole worker."""
    rng = random.Random(seed)
    path = os.pathsep.join(p for p in (HOOK, os.environ.get("PYTHONPATH", "")) if p)
    env = {**FAST, "PRP_MAX_LOST_ATTEMPTS": "50", "PYTHONPATH": path, "PRPTEST_DIE_AT": mode}
    deaths = tmp_path / "deaths.log"
    env |= {"PRPTEST_SEED": str(seed), "PRPTEST_DIE_P": "0.3", "PRPTEST_DIE_LOG": str(deaths)}
    procs = [workers.start(env, ALL) for _ in range(2)]
    runs = [marked_run(control, tmp_path, fanout()) for _ in range(6)]
    for run_id in runs[::2]:  # half pre-approved at random moments, the others approved parked
        time.sleep(rng.uniform(0, 0.3))
        control.decide(run_id, "P", actor="alice", approve=True)
    deadline = time.monotonic() + 120
    while not all(control.is_final(r) for r in runs):
        assert time.monotonic() < deadline, "runs stuck: " + ", ".join(
            r for r in runs if not control.is_final(r)
        )
        for i, proc in enumerate(procs):
            if proc.poll() is not None:  # a whole worker died: its supervisor starts it again
                procs[i] = workers.start(env, ALL)
        for run_id in runs:
            if control.store.gate_status(run_id, "P") == GateStatus.AWAITING_APPROVAL:
                with contextlib.suppress(ConflictError):  # a pre-approval applied meanwhile
                    control.decide(run_id, "P", actor="alice", approve=True)
        time.sleep(0.2)
    expected = {g: "passed" for g in ("A", "B", "P", "D", "E")}
    assert_clean(control, runs, tmp_path, expected)
    assert deaths.read_text().splitlines()  # the hook really killed workers at settles
