"""The reconciler: re-drives work that was recorded as dispatched but has no live message.

Delivery is at least once, but a message can still vanish: kombu's Redis transport pops a message
from the queue before it records it as unacknowledged, so a worker killed in that window (or a
Redis that lost its last second of writes) loses it. Every check the engine sends is recorded in
``P:run:{R}:dispatched`` with its message id. Periodically (from the sweeper) every live run is
checked:

* a check of a running gate without a result is *live* when its lease exists (executing), or its
  message is in the broker (queued, or reserved by a worker: the Redis transport's ``unacked``);
  otherwise, once older than ``PRP_RECONCILE_GRACE_S``, it is sent again. With a broker that
  cannot be inspected (RabbitMQ, which does not lose acknowledged-late messages this way) only
  checks older than their time limit plus the grace are sent again.
* a gate whose checks all reported is completed; a run whose gates all settled is finalized.

Re-sending is safe: results are claimed once, so a message that was not lost after all only causes
a delivery that finds the result recorded.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prp_tasks.core.models import TERMINAL, GateSpec, GateStatus
from prp_tasks.errors import RunNotFound
from prp_tasks.keys import check_field
from prp_tasks.redis_client import wrap_errors
from prp_tasks.run_index import prune_index

if TYPE_CHECKING:
    import redis

    from prp_tasks.engine import Engine

log = logging.getLogger("prp_tasks.reconciler")


def redis_broker_ids(client: redis.Redis, queues: list[str]) -> set[str]:
    """Message ids in the Redis transport: queued in ``queues`` or reserved (``unacked``)."""
    ids: set[str] = set()
    with client.pipeline(transaction=False) as pipe:
        for queue in queues:
            pipe.lrange(queue, 0, -1)
        pipe.hvals("unacked")
        *queued, unacked = pipe.execute()
    for raw in (m for batch in queued for m in batch):
        ids.add(_message_id(json.loads(raw)))
    for raw in unacked:
        ids.add(_message_id(json.loads(raw)[0]))
    return ids


def _message_id(message: dict[str, Any]) -> str:
    return str(
        (message.get("headers") or {}).get("id") or (message.get("properties") or {}).get("correlation_id")
    )


@dataclass
class Pass:
    """What one reconciliation pass did."""

    runs: int = 0
    resent: list[str] = field(default_factory=list)
    completed: list[str] = field(default_factory=list)
    finalized: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "reconciled_runs": self.runs,
            "resent_checks": len(self.resent),
            "completed_gates": len(self.completed),
            "finalized_runs": len(self.finalized),
        }


class Reconciler:
    """One pass over every live run; ``broker_ids`` lists live message ids (None: unknown)."""

    def __init__(self, engine: Engine, broker_ids: Callable[[], set[str]] | None) -> None:
        self.engine = engine
        self.store = engine.store
        self.grace_s = engine.settings.reconcile_grace_s
        self.broker_ids = broker_ids

    def maybe_pass(self) -> dict[str, int]:
        """A pass unless any process made one in the last ``PRP_RECONCILE_INTERVAL_S``."""
        interval_ms = int(self.engine.settings.reconcile_interval_s * 1000)
        with wrap_errors():
            due = self.store.redis.set(self.store.keys.lock("reconcile"), "1", nx=True, px=interval_ms)
        if not due:
            return {}
        counts = self.pass_once().counts()
        counts["index_pruned"] = prune_index(self.store, self.engine.settings.retention_s)
        return counts

    def pass_once(self, now_ms: float | None = None) -> Pass:
        now_ms = time.time() * 1000 if now_ms is None else now_ms
        with wrap_errors():
            live = sorted(self.store.redis.smembers(self.store.keys.live_runs))
        done = Pass()
        in_broker = self.broker_ids() if (live and self.broker_ids is not None) else None
        for run_id in live:
            try:
                self._run(run_id, now_ms, in_broker, done)
            except RunNotFound:
                self.store.redis.srem(self.store.keys.live_runs, run_id)
        if done.resent or done.completed or done.finalized:
            log.warning("reconciled: %s", done.counts())
        return done

    def _run(self, run_id: str, now_ms: float, in_broker: set[str] | None, done: Pass) -> None:
        meta = self.store.meta(run_id)
        if meta.get("finalized") == "1":
            self.store.redis.srem(self.store.keys.live_runs, run_id)
            return
        if meta.get("status") == "queued":
            return
        done.runs += 1
        spec = self.store.spec(run_id)
        statuses = self.store.gate_statuses(run_id)
        if all(s in TERMINAL for s in statuses.values()):
            self.engine.enqueue.finalize(run_id)
            done.finalized.append(run_id)
            return
        waiting = set(self.engine.limits.waiting(run_id))
        for gate in spec.workflow.gates:
            if statuses.get(gate.id) == GateStatus.RUNNING and gate.id not in waiting:
                self._gate(run_id, gate, now_ms, in_broker, done)

    def _gate(
        self, run_id: str, gate: GateSpec, now_ms: float, in_broker: set[str] | None, done: Pass
    ) -> None:
        k = self.store.keys.run(run_id)
        fields = [check_field(gate.id, c.name) for c in gate.checks]
        results: list[Any] = []
        if fields:
            with wrap_errors(), self.store.redis.pipeline(transaction=False) as pipe:
                pipe.hmget(k.checks, fields)
                pipe.hmget(k.dispatched, fields)
                for check in gate.checks:
                    pipe.exists(k.lease(gate.id, check.name))
                results, sent, *leases = pipe.execute()
        if all(results):
            self.engine.complete_gate(run_id, gate.id)
            done.completed.append(f"{run_id}/{gate.id}")
            return
        lost = [
            check.name
            for check, result, entry, lease in zip(gate.checks, results, sent, leases, strict=True)
            if not result and not lease and self._lost(gate, check.name, entry, now_ms, in_broker)
        ]
        if lost:
            self.engine.send_checks(run_id, gate, lost)
            done.resent += [f"{run_id}/{gate.id}/{name}" for name in lost]

    def _lost(
        self, gate: GateSpec, check: str, entry: str | None, now_ms: float, in_broker: set[str] | None
    ) -> bool:
        if entry is None:
            return True  # recorded running, never sent (a crash between the two)
        sent = json.loads(entry)
        age_s = (now_ms - sent["at_ms"]) / 1000
        if in_broker is not None:
            return sent["task_id"] not in in_broker and age_s > self.grace_s
        return age_s > self.engine.executor.timeout(gate, check) + self.grace_s


def broker_probe(engine: Engine) -> Callable[[], set[str]] | None:
    """How to list live message ids: the Redis transport's lists, or None for other brokers."""
    settings = engine.settings
    url = settings.broker_url or settings.redis_url or ""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return None
    from prp_tasks.celery_app import queue_name
    from prp_tasks.redis_client import connect
    from prp_tasks.settings import QUEUE_CLASSES

    client = engine.store.redis if url == settings.redis_url else connect(url)
    queues = [queue_name(c) for c in QUEUE_CLASSES]
    return lambda: redis_broker_ids(client, queues)
