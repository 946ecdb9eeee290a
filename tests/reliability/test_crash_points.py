"""A crash at every step between a settle and its follow-up work never leaves a run stuck.

Each case runs one run of a fan-out/fan-in workflow (a single-check gate, a two-check gate, a
parked gate, a gate without checks) in-process (:mod:`tests.reliability.crashes`) and kills the
"process" once, right before or after one atomic step. The handled message is then delivered
again (a worker killed before acknowledging it) or lost, and the repair loop runs after its
grace. Every run must finish, with every gate settled once, every check's result claimed once
and the outputs committed once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from prp_tasks.celeryapp.embedded import EmbeddedRedis
from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.core.run import RunStatus
from prp_tasks.errors import StoreError
from prp_tasks.intake.submission import prepare_run
from prp_tasks.intake.workflow_files import parse_workflow
from prp_tasks.settings import load_settings
from prp_tasks.state.approvals import ApprovalStore
from prp_tasks.state.checks import CheckStore
from prp_tasks.state.events import GATE_STARTED, PROCESSING_STARTED
from prp_tasks.state.finish import FinishStore
from prp_tasks.state.runs import RunStore
from tests.conftest import EMBEDDED_SERVER
from tests.reliability.crashes import Crash, Harness, Injection

WORKFLOW = """
name: crash-points
gates:
  - {id: A, checks: [{name: a, run: ["true"]}]}
  - {id: B, depends_on: [A], checks: [{name: b1, run: ["true"]}, {name: b2, run: ["true"]}]}
  - {id: C, depends_on: [A], checks: [{name: c, run: ["true"]}], approval: {role: maintainer}}
  - {id: D, depends_on: [B, C], checks: [{name: d, run: ["true"]}]}
  - {id: E, depends_on: [D]}
"""
CHECKS = {"A/a", "B/b1", "B/b2", "C/c", "D/d"}
#: the same run screened against a budget: every gate's start goes through the outbox and the
#: dispatch script (unscreened, the submission and the settles queue the messages themselves)
SCREENED = WORKFLOW.replace("name: crash-points\n", "name: crash-points\nbudget: {wall_s: 3600}\n")


def _last(*_: Any, reply: Any = None, **__: Any) -> bool:
    """A claim that completed its gate's join (record_check's reply: outcome, left, inputs)."""
    return reply is not None and reply[1] == 0


#: (name, store class, method, before/after, which call)
POINTS: list[tuple[str, Any, str, str, Any]] = [
    (
        "after a single-check gate settled and queued its dependents",
        CheckStore,
        "record_and_settle",
        "after",
        None,
    ),
    ("after the claim completing a two-check gate", CheckStore, "record_check", "after", _last),
    ("after a gate settled (two-check, fan-in)", RunStore, "settle", "after", None),
    ("before an outbox start was sent", RunStore, "dispatch", "before", None),
    ("after an outbox start was sent", RunStore, "dispatch", "after", None),
    # the task that settles the last gate finalizes the run: its claim records it as under way
    ("before the finalization was claimed", FinishStore, "finish_claim", "before", None),
    ("after the finalization was claimed", FinishStore, "finish_claim", "after", None),
    # such a task died after its claim: the repair loop queues the finalization after the grace
    ("before the repair loop queued the finalization", FinishStore, "send_finalize", "before", None),
    ("after the repair loop queued the finalization", FinishStore, "send_finalize", "after", None),
    ("after the run was created (submit)", RunStore, "create_run", "after", None),
    ("after a gate parked", ApprovalStore, "park", "after", None),
    ("after a decision settled a parked gate", ApprovalStore, "decide", "after", None),
    # a submission drains the starts it wrote without reading them back; the repair loop (and a
    # stale delivery) read a run's outbox: here the submission died before sending the roots, and
    # the repair loop then dies reading what the submission left
    ("while the repair loop reads an outbox to drain it", RunStore, "outbox", "after", None),
]


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    with EmbeddedRedis(tmp_path / "redis", server=EMBEDDED_SERVER) as server:
        settings = load_settings(
            redis_url=server.url, key_prefix="crash", task_events=False, reconcile_grace_s=0.05
        )
        runtime = Runtime(settings)
        client = redis.Redis(unix_socket_path=str(server.socket), decode_responses=True)
        yield Harness(runtime.control, client, runtime.reconciler)


def _submit(harness: Harness, tmp_path: Path, preapprove: bool = False, text: str = WORKFLOW) -> str:
    spec = prepare_run(tmp_path, workflow=parse_workflow(text))
    try:
        harness.control.submit(spec)
    except Crash as crash:  # the submitting process died: nobody will retry it but the repair loop
        harness.crashes.append(str(crash))
    if preapprove:
        harness.control.decide(spec.run_id, "C", actor="alice", approve=True)
    return spec.run_id


def _assert_once(harness: Harness, run_id: str) -> None:
    snapshot = harness.control.snapshot(run_id)
    assert snapshot.status == RunStatus.PASSED, {g: v.status for g, v in snapshot.gates.items()}
    settles = [e.gate_id for e in snapshot.events if e.type == "settle"]
    assert sorted(settles) == ["A", "B", "C", "D", "E"]  # every gate settled exactly once
    starts = [e.gate_id for e in snapshot.events if e.type == "start"]
    assert sorted(starts) == ["A", "B", "C", "D", "E"]  # and started exactly once
    k = harness.control.store.k(run_id)
    assert set(harness.client.hkeys(k.checks)) == CHECKS  # each result claimed (once: HSETNX)
    decided = [e for e in harness.control.audit(run_id) if e.type.value == "approval.decided"]
    assert [e.gate_id for e in decided] == ["C"]
    assert harness.finalized == 1  # outputs committed once
    assert harness.client.hgetall(k.outbox) == {}
    assert harness.client.zscore(harness.control.store.keys.outbox_index, run_id) is None
    leftovers = [
        json.loads(m)[0] for m in harness.client.zrange(harness.control.store.keys.dispatch_index, 0, -1)
    ]
    assert run_id not in leftovers


@pytest.mark.parametrize("redeliver", [True, False], ids=["redelivered", "lost"])
@pytest.mark.parametrize(("name", "owner", "method", "when", "only"), POINTS, ids=[p[0] for p in POINTS])
def test_a_crash_at_each_step_ends_with_the_run_finished_and_nothing_recorded_twice(
    harness: Harness,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    redeliver: bool,
    name: str,
    owner: Any,
    method: str,
    when: str,
    only: Any,
) -> None:
    injection = Injection(owner, method, when, only=only or (lambda *a, reply=None, **kw: True))
    injection.install(monkeypatch)
    harness.redeliver = redeliver
    if method == "outbox":
        Injection(RunStore, "dispatch", "before").install(monkeypatch)
    if method == "send_finalize":
        Injection(FinishStore, "finish_claim", "after").install(monkeypatch)
    run_id = _submit(harness, tmp_path, text=SCREENED if method in ("dispatch", "outbox") else WORKFLOW)
    harness.finish(run_id, approve=("C",))
    assert injection.fired, f"the crash point was never reached: {name}"
    _assert_once(harness, run_id)


def test_a_crash_after_parking_with_a_preapproval_waiting_still_applies_it(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    injection = Injection(ApprovalStore, "park", "after")
    injection.install(monkeypatch)
    harness.redeliver = False
    run_id = _submit(harness, tmp_path, preapprove=True)
    harness.finish(run_id)  # nobody approves: the pre-approval must take effect
    assert injection.fired
    _assert_once(harness, run_id)
    record = harness.control.store.record(run_id, "C")
    assert record is not None and record.result.finished_at is not None
    assert record.result.finished_at >= (record.result.timestamp or "")  # finishes after it started
    assert (record.result.duration_ms or 0) >= 0


def test_a_failing_redis_call_at_dispatch_is_retried_and_records_nothing_twice(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = RunStore.dispatch
    failures = iter([True, True])

    def flaky(self: RunStore, *args: Any, **kwargs: Any) -> bool:
        if next(failures, False):
            raise StoreError("Redis error: connection reset")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(RunStore, "dispatch", flaky)
    run_id = _submit_tolerating(harness, tmp_path, SCREENED)
    harness.finish(run_id, approve=("C",))
    _assert_once(harness, run_id)


def _submit_tolerating(harness: Harness, tmp_path: Path, text: str = WORKFLOW) -> str:
    spec = prepare_run(tmp_path, workflow=parse_workflow(text))
    try:
        harness.control.submit(spec)
    except StoreError:  # the caller sees the error; the run exists and the repair loop starts it
        pass
    return spec.run_id


def test_a_check_message_lost_between_pop_and_record_is_sent_again_after_the_grace(
    harness: Harness, tmp_path: Path
) -> None:
    submitted = harness_now()
    run_id = _submit(harness, tmp_path)
    assert harness.client.delete("prp.automated") == 1  # popped by a worker killed before unacked
    early = harness.reconciler.repair(now_ms=submitted)
    assert early.resent == []  # within the grace period nothing is sent twice
    later = harness.reconciler.repair(now_ms=harness_now() + 60_000)
    assert later.resent == [f"{run_id}/A/a"]
    harness.finish(run_id, approve=("C",))
    _assert_once(harness, run_id)


def harness_now() -> float:
    return time.time() * 1000


def test_an_unscreened_submission_queues_its_roots_with_the_run(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The roots' messages are written by the run's creation: no outbox item, no dispatch step."""

    def no_dispatch(*_: Any, **__: Any) -> bool:
        raise AssertionError("a root was dispatched after the run's creation")

    monkeypatch.setattr(RunStore, "dispatch", no_dispatch)
    spec = prepare_run(tmp_path, workflow=parse_workflow(WORKFLOW))
    run_id = harness.control.submit(spec)
    k = harness.control.store.k(run_id)
    assert harness.client.hgetall(k.outbox) == {}
    sent = json.loads(harness.client.hget(k.dispatched, "A/a") or "{}")
    [(_queue, raw)] = harness.pending()
    assert json.loads(raw)["headers"]["id"] == sent["task_id"]
    entries = harness.client.xrange(harness.control.store.keys.events)
    assert [e["type"] for _, e in entries] == [PROCESSING_STARTED, GATE_STARTED]  # in that order


def test_the_check_settling_the_last_gate_finalizes_the_run_in_its_own_task(
    harness: Harness, tmp_path: Path
) -> None:
    one = 'name: one\ngates:\n  - {id: A, checks: [{name: a, run: ["true"]}]}\n'
    spec = prepare_run(tmp_path, workflow=parse_workflow(one))
    harness.control.submit(spec)
    harness.step(repair=False)
    assert harness.control.is_final(spec.run_id)
    assert harness.finalized == 1
    assert all(harness.client.llen(q) == 0 for q in ("prp.control", "prp.automated"))  # no message
    assert harness.client.hgetall(harness.control.store.k(spec.run_id).outbox) == {}
