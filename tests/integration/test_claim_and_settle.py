"""A gate's only check claims its result and settles the gate in one script; a second delivery of
the same check changes nothing. The engine is driven directly on a private Redis (its messages
taken off the queue by the test), so the scripts it runs per gate can be counted."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from prp_tasks.celeryapp.embedded import EmbeddedRedis
from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.core.approvals import AuditEvent, AuditType
from prp_tasks.core.run import RunStatus
from prp_tasks.engine import finalization
from prp_tasks.engine.engine import Engine
from prp_tasks.intake.submission import prepare_run
from prp_tasks.intake.workflow_files import parse_workflow
from prp_tasks.routing import queue_name
from prp_tasks.settings import load_settings
from tests.conftest import EMBEDDED_SERVER

WORKFLOW = """
name: singles
gates:
  - {id: A, checks: [{name: a, run: ["true"]}]}
  - {id: B, depends_on: [A], checks: [{name: b, run: ["true"]}]}
  - {id: C, depends_on: [A], checks: [{name: c1, run: ["true"]}, {name: c2, run: ["true"]}]}
  - {id: D, depends_on: [B, C], checks: [{name: d, run: ["false"]}]}
  - {id: E, depends_on: [D], checks: [{name: e, run: ["true"]}]}
"""


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[tuple[Engine, redis.Redis]]:
    with EmbeddedRedis(tmp_path / "redis", server=EMBEDDED_SERVER) as server:
        settings = load_settings(redis_url=server.url, key_prefix="cs", task_events=False)
        yield Runtime(settings).engine, redis.Redis.from_url(server.url, decode_responses=True)


def take(client: redis.Redis) -> dict[str, Any] | None:
    raw = client.rpop(queue_name("automated"))
    if raw is None:
        return None
    _args, kwargs, _ = json.loads(base64.b64decode(json.loads(raw)["body"]))
    return dict(kwargs)


def evalsha_calls(client: redis.Redis) -> int:
    """Scripts run (a script's first call in a fresh Redis fails with NOSCRIPT and is sent again)."""
    stats = client.info("commandstats").get("cmdstat_evalsha", {})
    return int(stats.get("calls", 0)) - int(stats.get("failed_calls", 0))


def test_each_single_check_gate_costs_two_scripts_dependents_included_and_a_failure_still_skips(
    engine: tuple[Engine, redis.Redis], tmp_path: Path
) -> None:
    eng, client = engine
    run_id = eng.submit(prepare_run(tmp_path, workflow=parse_workflow(WORKFLOW)))
    per_check: dict[str, int] = {}
    while (kwargs := take(client)) is not None:
        before = evalsha_calls(client)
        assert eng.run_check(**kwargs).state == "done"
        per_check[f"{kwargs['gate_id']}/{kwargs['check']}"] = evalsha_calls(client) - before
    # lease; claim + settle + the dependents' messages (A made B and C ready)
    assert per_check["A/a"] == per_check["B/b"] == 2
    # the run's last settle; then the task finalizes the run itself: the finish time fixed (the
    # finalization recorded as under way in the same script), the outputs committed
    assert per_check["D/d"] == 4
    assert sorted(per_check) == ["A/a", "B/b", "C/c1", "C/c2", "D/d"]  # E is skipped, never queued
    assert max(per_check["C/c1"], per_check["C/c2"]) == 3  # two checks: claim, then settle
    snapshot = eng.store.snapshot(run_id)
    status = {g: v.status.value for g, v in snapshot.gates.items()}
    assert status == {"A": "passed", "B": "passed", "C": "passed", "D": "failed", "E": "skipped"}
    assert eng.store.meta(run_id)["unsettled"] == "0"
    assert [e for e in snapshot.events if e.type == "settle" and e.gate_id == "D"]


def test_a_second_delivery_of_a_settled_single_check_changes_nothing(
    engine: tuple[Engine, redis.Redis], tmp_path: Path
) -> None:
    eng, client = engine
    run_id = eng.submit(prepare_run(tmp_path, workflow=parse_workflow(WORKFLOW)))
    first = take(client)
    assert first is not None and first["gate_id"] == "A"
    assert eng.run_check(**first).state == "done"
    metrics = client.hgetall(eng.store.keys.metrics)
    record = eng.store.snapshot(run_id).gates["A"].record
    queued = client.llen(queue_name("automated"))
    assert eng.run_check(**first).state == "stale"  # the redelivered message: its gate is settled
    assert client.llen(queue_name("automated")) == queued  # B and C were not queued again
    assert eng.store.snapshot(run_id).gates["A"].record == record
    assert client.hgetall(eng.store.keys.metrics) == metrics
    while (kwargs := take(client)) is not None:
        eng.run_check(**kwargs)
    assert eng.store.snapshot(run_id).status in (RunStatus.RUNNING, RunStatus.FAILED)


def test_the_finalizations_snapshot_read_with_its_claim_is_the_runs_snapshot(
    engine: tuple[Engine, redis.Redis], tmp_path: Path
) -> None:
    """The finalization reads the run in its claim's round trip (raw replies, parsed by the store)
    and renders from that: it must be what ``snapshot`` reads, audit trail included."""
    eng, client = engine
    run_id = eng.submit(prepare_run(tmp_path, workflow=parse_workflow(WORKFLOW)))
    event = AuditEvent(type=AuditType.REFUSED, run_id=run_id, at="2026-01-02T03:04:05Z", reason="ü")
    client.xadd(eng.store.k(run_id).audit, {"event": event.to_json()})
    while (kwargs := take(client)) is not None:
        eng.run_check(**kwargs)
    finish = eng.finalizer.finish
    reads = eng.store.snapshot_reads(run_id)
    claimed, replies = finish.finish_claim(run_id, "2030-01-01T00:00:00Z", 1000, reads)
    assert claimed is None  # finalized already: the reads come back all the same
    read = eng.store.snapshot_from(run_id, replies)
    assert read == eng.store.snapshot(run_id)
    assert read.status == RunStatus.FAILED and [a.reason for a in read.audit] == ["ü"]
    assert read.events and read.finished_at and read.gates["E"].status.value == "skipped"


def test_a_finalization_that_fails_after_its_claim_is_left_to_the_repair_loop_after_the_grace(
    engine: tuple[Engine, redis.Redis], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The task that settles the last gate claims the finalization (recorded as under way, due
    again for the repair loop after the grace) and fails rendering: a drain within the grace
    queues nothing; the repair's ``prp.finalize_run`` then commits the outputs."""
    eng, client = engine
    run_id = eng.submit(prepare_run(tmp_path, workflow=parse_workflow(WORKFLOW)))

    def broken(snapshot: Any) -> dict[str, str]:
        raise RuntimeError("renderer broke")

    monkeypatch.setattr(finalization, "render_outputs", broken)
    before_ms = time.time() * 1000
    while (kwargs := take(client)) is not None:
        eng.run_check(**kwargs)
    k = eng.store.k(run_id)
    under_way = float(client.hget(k.outbox, "finalize") or 0)
    assert under_way >= before_ms  # recorded by the claim, not left as never sent
    due = client.zscore(eng.store.keys.outbox_index, run_id)
    assert due == under_way + eng.settings.reconcile_grace_s * 1000
    eng.followups.drain(run_id)  # the repair loop, early: the finalization may still be under way
    assert client.llen("prp.control") == 0
    assert not eng.store.finalized(run_id)
    monkeypatch.undo()
    eng.finalize(run_id)  # what the repair's message runs after the grace
    assert eng.store.finalized(run_id)
    assert client.hget(k.outbox, "finalize") is None
