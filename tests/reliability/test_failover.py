"""Redis failover under Sentinel: the primary SIGKILLed while runs with approvals are in flight.

A primary, two replicas and three Sentinels run as private processes; workers, the submitter and
the approver reach them through ``sentinel://`` with ``PRP_REDIS_WAIT_REPLICAS=1``, so every
acknowledged transition is on a replica before it is acknowledged. The primary is killed, the
killed server comes back as a replica, then the new primary is killed too. Every acknowledged
submission and decision must survive, every run must finish, and every gate result must be
recorded once (the queue checker). The pause from a kill to the first gate settling afterwards is
printed. A second test kills the primary while a worker puts back the messages a killed worker
left unacknowledged.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.core.approvals import AuditType
from prp_tasks.core.evaluate import parse_ts
from prp_tasks.core.models import GateStatus
from prp_tasks.errors import ConflictError, StoreError
from prp_tasks.service.control import Control
from prp_tasks.settings import Settings, load_settings
from tests.conftest import EMBEDDED_SERVER, wait_until
from tests.integration.test_worker_loss import Workers
from tests.reliability.checker import classify, side_effects
from tests.reliability.conftest import marked_run, side_effect_check
from tests.sentinels import MASTER, Topology, topology

T = TypeVar("T")
#: above the sum of the tests' own deadlines (each failover up to 30 s, each resync up to 20 s, the
#: runs' finish up to 120 s), so a slow failover on a loaded machine ends in the assertion that
#: says which wait ran out, not in pytest-timeout's 120 s cut
pytestmark = pytest.mark.timeout(360)
FAST = {"PRP_SWEEP_INTERVAL_S": "0.5", "PRP_RECONCILE_GRACE_S": "2", "PRP_RECONCILE_INTERVAL_S": "2"}
FLOW = """
name: failover
gates:
  - {{id: A, checks: [{a}]}}
  - {{id: P, depends_on: [A], approval: {{role: maintainer}}}}
  - {{id: B, depends_on: [P], checks: [{b}]}}
"""


@pytest.fixture
def sentinels(tmp_path: Path) -> Iterator[Topology]:
    with topology(tmp_path / "redis", EMBEDDED_SERVER, replicas=2) as top:
        yield top


def _settings(top: Topology) -> Settings:
    return load_settings(
        redis_url=top.url,
        redis_sentinel_master=MASTER,
        redis_wait_replicas=1,
        redis_wait_timeout_ms=500,
        key_prefix="fo",
        check_lease_s=1,
        task_events=False,
    )


def acknowledged(call: Callable[[], T], within: float = 60) -> T:
    """Retry a call until the store acknowledges it (a failover in progress answers errors)."""
    deadline = time.monotonic() + within
    while True:
        try:
            return call()
        except StoreError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _approve_parked(control: Control, runs: list[str], approved: set[str], lost: set[str]) -> None:
    """Approve every run whose P waits. One that waits again after its approval was acknowledged
    lost that decision (a failover to a replica that had not confirmed it): noted in ``lost``,
    and approved again so that the run still finishes."""
    for run_id in runs:
        with contextlib.suppress(StoreError):
            if control.store.gate_status(run_id, "P") != GateStatus.AWAITING_APPROVAL:
                continue
            if run_id in approved:
                lost.add(run_id)
            with contextlib.suppress(ConflictError):
                control.decide(run_id, "P", actor="alice", approve=True)
            approved.add(run_id)  # returned: acknowledged (on a replica too)


def _first_settle_after(control: Control, runs: list[str], since: float) -> float | None:
    times = []
    for run_id in runs:
        with contextlib.suppress(StoreError):
            for event in control.snapshot(run_id).events:
                at = parse_ts(event.timestamp).timestamp()
                if event.type == "settle" and at > since:
                    times.append(at)
    return min(times) - since if times else None


def test_killing_the_primary_twice_loses_no_acknowledged_submission_or_decision(
    sentinels: Topology, tmp_path: Path
) -> None:
    settings = _settings(sentinels)
    control = Runtime(settings).control
    workers = Workers(settings, logs=tmp_path / "workers")
    env = {**sentinels.env(wait_replicas=1), **FAST, "PRP_VISIBILITY_TIMEOUT_S": "3"}
    try:
        for _ in range(2):
            workers.start(env, ["--queues", "automated,approval,control", "--pool", "threads"])
        flow = FLOW.format(a=side_effect_check("a", "A", "1.0"), b=side_effect_check("b", "B", "1.0"))
        runs: list[str] = []
        approved: set[str] = set()
        lost: set[str] = set()
        pauses = []
        for _round in range(2):  # the primary, then the primary that replaced it
            runs += [acknowledged(lambda: marked_run(control, tmp_path, flow)) for _ in range(10)]
            deadline = time.monotonic() + 1.5  # checks running, some gates parked or decided
            while time.monotonic() < deadline:
                _approve_parked(control, runs, approved, lost)
                time.sleep(0.1)
            old = sentinels.master_port()
            assert old is not None
            assert not all(control.is_final(r) for r in runs)  # the kill lands mid-run
            pauses.append(time.time())
            killed = sentinels.kill_master()
            sentinels.wait_failover(old)
            sentinels.restart(killed)  # back as a replica of the new primary
            sentinels.wait_synced()
        _finish(control, runs, approved, lost, workers)
        assert not lost, f"acknowledged decisions rolled back: {sorted(lost)}; {sentinels.switches()}"
        report = classify(
            control, {r: dict.fromkeys("APB", "passed") for r in runs}, side_effects(tmp_path / "effects.log")
        )
        assert report.clean(), report.counts() | {"lost": report.lost, "dup": report.duplicated}
        for run_id in runs:
            decided = [e for e in control.audit(run_id) if e.type == AuditType.DECIDED]
            assert [(e.gate_id, e.actor) for e in decided] == [("P", "alice")]
        print(
            "pause from each kill to the next settle (s):",
            [_first_settle_after(control, runs, t) for t in pauses],
        )
    finally:
        workers.stop()


def test_a_failover_while_a_worker_restores_unacked_messages_loses_nothing(
    sentinels: Topology, tmp_path: Path
) -> None:
    """A worker dies holding checks (their messages stay in the transport's ``unacked`` hash); the
    primary is killed as the next worker starts putting them back (after the visibility timeout,
    under the transport's restore lock). Restored messages may land on the old primary only (lost
    with it) or on both: every run still finishes, every result once."""
    settings = _settings(sentinels)
    control = Runtime(settings).control
    workers = Workers(settings, logs=tmp_path / "workers")
    visibility = {"PRP_VISIBILITY_TIMEOUT_S": "3", "PRP_RESTORE_INTERVAL_S": "1"}
    env = {**sentinels.env(wait_replicas=1), **FAST, **visibility}
    try:
        first = workers.start(env, ["--queues", "automated,approval,control", "--pool", "threads"])
        flow = FLOW.format(a=side_effect_check("a", "A", "4.0"), b=side_effect_check("b", "B", "0.2"))
        runs = [acknowledged(lambda: marked_run(control, tmp_path, flow)) for _ in range(8)]
        effects = tmp_path / "effects.log"
        wait_until(lambda: len(side_effects(effects)) >= 4, timeout=30)  # checks are running
        os.killpg(first.pid, signal.SIGKILL)  # mid-check: the messages stay unacked
        first.wait()
        killed_at = time.monotonic()
        workers.start(env, ["--queues", "automated,approval,control", "--pool", "threads"])
        time.sleep(max(0.0, 3.0 - (time.monotonic() - killed_at)))  # restores begin now
        old = sentinels.master_port()
        assert old is not None
        killed = sentinels.kill_master()
        sentinels.wait_failover(old)
        sentinels.restart(killed)
        sentinels.wait_synced()
        approved: set[str] = set()
        lost: set[str] = set()  # approvals come after the failover: only a second one can lose any
        _finish(control, runs, approved, lost, workers)
        if lost:
            print(f"approvals rolled back by a second failover: {sorted(lost)}; {sentinels.switches()}")
        report = classify(control, {r: dict.fromkeys("APB", "passed") for r in runs}, side_effects(effects))
        assert report.clean(), report.counts() | {"lost": report.lost, "dup": report.duplicated}
    finally:
        workers.stop()


def _finish(
    control: Control,
    runs: list[str],
    approved: set[str],
    lost: set[str],
    workers: Workers,
    within: float = 120,
) -> None:
    deadline = time.monotonic() + within
    while True:
        _approve_parked(control, runs, approved, lost)
        with contextlib.suppress(StoreError):
            if all(control.is_final(r) for r in runs):
                return
        assert time.monotonic() < deadline, (
            f"runs did not finish after the failovers: {_unfinished(control, runs)}\n{workers.report()}"
        )
        time.sleep(0.2)


def _unfinished(control: Control, runs: list[str]) -> dict[str, object]:
    """The gates of the runs that have not finished, with their statuses: what the failure names
    (what the store answered instead, when it does not)."""
    try:
        return {
            r: {g: str(s) for g, s in control.store.gate_statuses(r).items()}
            for r in runs
            if not control.is_final(r)
        }
    except StoreError as exc:
        return {"store": str(exc)}
