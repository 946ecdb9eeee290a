"""Run state in Redis: creation, atomic check/gate transitions (Lua) and the outbox (the reads,
snapshots and outputs: :mod:`prp_tasks.state.run_reads`; its finalization: :mod:`prp_tasks.state.finish`).

The only module (with :mod:`prp_tasks.state.lua`) that knows how a run is laid out in Redis. Every method
either reads or performs one atomic transition; none of them decides what should happen next
(that is :mod:`prp_tasks.engine.engine`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import redis

from prp_tasks.core.approvals import AuditEvent
from prp_tasks.core.models import GateSpec
from prp_tasks.core.results import GateRecord
from prp_tasks.core.run import RunSpec, RunStatus
from prp_tasks.state.codec import (
    ProfileResolver,
    dump_spec,
    gate_event,
    to_ms,
)
from prp_tasks.state.connection import Batch, Replicas, wrap_errors
from prp_tasks.state.events import append_events
from prp_tasks.state.keys import Keys, RunKeys, check_field
from prp_tasks.state.lua import Args, Lua
from prp_tasks.state.plans import Launch, MessageRow, Plan, SettleSpec
from prp_tasks.state.run_reads import RunReads

if TYPE_CHECKING:
    from prp_tasks.state.events import Rendered


@dataclass(frozen=True)
class Settle:
    """Result of a settle transition."""

    ok: bool
    unsettled: int = -1
    ready: tuple[str, ...] = ()
    current: str | None = None  #: the gate's status when the transition was refused
    #: follow-up items the settle left in the run's outbox (:meth:`Followups.drain` them)
    outbox: tuple[str, ...] = ()


class RunStore(RunReads):
    """Redis-backed run state: creation, gate transitions and the outbox, over the reads of
    :class:`~prp_tasks.state.run_reads.RunReads`."""

    def __init__(
        self, client: redis.Redis, keys: Keys, profiles: ProfileResolver, replicas: Replicas | None = None
    ) -> None:
        super().__init__(client, keys, profiles)
        #: transitions wait for these replicas (``PRP_REDIS_WAIT_REPLICAS``); leases do not
        self.replicas = replicas if replicas is not None and replicas.count > 0 else None
        script = functools.partial(Lua, client, replicas=self.replicas)
        self._settle, self._cancel = script("settle"), script("cancel")
        self._rerun, self._start_queued = script("rerun"), script("start_queued")
        self._skip_pending, self._dispatch = script("skip_pending"), script("dispatch")
        self._outbox_done = script("outbox_done")

    # creation ---------------------------------------------------------------------------------

    def create_run(
        self,
        spec: RunSpec,
        *,
        roots: Sequence[str],
        ttl_s: int,
        now: str,
        due_ms: int,
        queued: bool = False,
        launch: Launch | None = None,
    ) -> dict[str, str]:
        """Write a new run with its roots running (one transaction), indexed by its wall-clock
        deadline if it has one; the roots ``launch`` brings messages for are queued with it, the
        others get their start in the outbox. Returns the outbox items written.

        A ``queued`` run (not admitted yet) is written with every gate pending and no roots.
        """
        k = self.k(spec.run_id)
        roots = () if queued else roots
        launch = launch or Launch(0)
        outbox = {f"start:{g}": "" for g in roots if g not in launch.outgoing}
        state = RunStatus.QUEUED if queued else RunStatus.RUNNING
        batch = Batch(self.redis, transaction=True, replicas=self.replicas)
        batch.add("HSET", k.meta, *_flat(_new_meta(spec, state, now)))
        _add_gates(batch, k, spec, roots, now)
        if outbox:
            batch.add("HSET", k.outbox, *_flat(outbox))
            batch.add("ZADD", self.keys.outbox_index, due_ms, spec.run_id)
        self._launch(batch, spec.run_id, launch, due_ms)
        self._index(batch, spec, state, len(roots))
        for key in (k.meta, k.status, k.deps, k.left, k.started, k.events, k.outbox, k.dispatched):
            batch.add("EXPIRE", key, ttl_s)
        with wrap_errors():
            batch.execute()
        return outbox

    def _index(self, batch: Batch, spec: RunSpec, state: RunStatus, running: int) -> None:
        """A new run in the deployment's indexes (all runs, live runs, wall-clock deadlines) and
        counters (``running`` of its gates started)."""
        batch.add("ZADD", self.keys.runs, to_ms(spec.created_at), spec.run_id)
        batch.add("SADD", self.keys.live_runs, spec.run_id)
        wall_s = spec.workflow.budget.wall_s
        if wall_s is not None:  # the sweeper skips what is still pending at the deadline
            batch.add("ZADD", self.keys.budget_deadlines, to_ms(spec.created_at) + wall_s * 1000, spec.run_id)
        batch.add("HINCRBY", self.keys.metrics, f"runs|state={state.value}", 1)
        batch.add("HINCRBY", self.keys.metrics, "gates|state=running", running)
        batch.add("HINCRBY", self.keys.metrics, "gates|state=pending", len(spec.workflow.gates) - running)

    def _launch(self, batch: Batch, run_id: str, launch: Launch, due_ms: int) -> None:
        """The creation's events (``emit`` in prelude.lua) and its roots' messages (``push_checks``)."""
        rows = [*launch.events, *(e for out in launch.outgoing.values() for e in out.events)]
        append_events(batch, self.keys, launch.events_maxlen, [(run_id, row) for row in rows])
        dispatched = self.k(run_id).dispatched
        for out in launch.outgoing.values():
            for queue, payload, field_, entry, member in out.rows:
                if queue:
                    batch.add("LPUSH", queue, payload)
                batch.add("HSET", dispatched, field_, entry)
                batch.add("ZADD", self.keys.dispatch_index, due_ms, member)

    def rerun(
        self,
        plan: Plan,
        target: str,
        reset: Sequence[tuple[str, int, int, Sequence[str]]],
        drop_outputs: Sequence[str],
        event: AuditEvent,
        ttl_s: int,
        now: str,
    ) -> tuple[bool, str]:
        """Re-open ``target`` (running, its start in the outbox) and the other ``reset`` gates
        (gate, dependencies left, checks, check fields) as pending; (ok, conflict reason)."""
        run_id = plan.run_id
        k = self.k(run_id)
        keys = {
            **self.keys.settle(run_id)._asdict(),
            **self.keys.claim(run_id, target, "")._asdict(),
            "attempts": k.attempts,
            "votes": k.votes,
            "requests": k.requests,
            "live_runs": self.keys.live_runs,
        }
        args = plan.write(Args()).one(now, target, ttl_s, event.to_json(), len(reset))
        for gate, deps_left, n_checks, fields in reset:
            args.one(gate, deps_left, n_checks).many(fields)
        args.many(drop_outputs)
        with wrap_errors():
            out = self._rerun(keys=keys, args=args)
        return (out[0] == "ok", str(out[1]))

    # gate transitions -------------------------------------------------------------------------

    def settle(self, plan: Plan, spec: SettleSpec) -> Settle:
        """Atomically move ``spec.gate_id`` from ``spec.expect`` to its record's status, with every
        consequence (``settle`` in ``lua/prelude.lua``)."""
        args = spec.write(plan.write(Args()))
        with wrap_errors():
            out = self._settle(keys=self.keys.settle(plan.run_id)._asdict(), args=args)
        return settle_result(out)

    def cancel(self, plan: Plan, skips: Mapping[str, GateRecord], now: str, event: AuditEvent) -> int | None:
        """Skip every unsettled gate; returns gates still unsettled, or None if already cancelled."""
        args = (
            plan.write(Args()).one(now, event.to_json()).rows(((g, r.to_json()) for g, r in skips.items()), 2)
        )
        with wrap_errors():
            out = self._cancel(keys=self.keys.settle(plan.run_id)._asdict(), args=args)
        return None if out[0] == "already" else int(out[1])

    def append_audit(self, run_id: str, event: AuditEvent) -> None:
        """Append an audit record that is not part of a state change (e.g. a refusal)."""
        k = self.k(run_id)
        fields = ("type", event.type.value, "event", event.to_json())
        batch = Batch(self.redis, transaction=True, replicas=self.replicas)
        batch.add("XADD", k.audit, "*", *fields)
        batch.add("XADD", self.keys.audit, "MAXLEN", "~", 100_000, "*", *fields)
        with wrap_errors():
            batch.execute()

    def start_queued(self, plan: Plan, roots: Sequence[str], now: str) -> bool:
        """An admitted queued run starts: its roots become running (their start in the outbox).
        False if it was not queued."""
        args = plan.write(Args()).one(now).many(roots)
        with wrap_errors():
            return bool(self._start_queued(keys=self.keys.settle(plan.run_id)._asdict(), args=args))

    def skip_pending(
        self, plan: Plan, records: Mapping[str, GateRecord], reason: str, now: str
    ) -> tuple[int, list[str]]:
        """Skip the given gates that are still pending: (gates unsettled now, gates skipped)."""
        args = plan.write(Args()).one(now, reason).rows(((g, r.to_json()) for g, r in records.items()), 2)
        with wrap_errors():
            out = self._skip_pending(keys=self.keys.settle(plan.run_id)._asdict(), args=args)
        return int(out[1]), [str(g) for g in out[2:]]

    # the outbox -------------------------------------------------------------------------------

    def outbox(self, run_id: str) -> dict[str, str]:
        """The run's follow-up items (item -> '' or, for ``finalize``, when it was last sent)."""
        with wrap_errors():
            items: dict[str, str] = self.redis.hgetall(self.k(run_id).outbox)
        return items

    def outbox_done(self, run_id: str, items: Sequence[str]) -> None:
        """Items that turned out to need nothing (moot, or done by someone else)."""
        if not items:
            return
        k = self.k(run_id)
        with wrap_errors():
            self._outbox_done(
                keys={"outbox": k.outbox, "outbox_index": self.keys.outbox_index}, args=[run_id, *items]
            )

    def outbox_add(self, run_id: str, item: str, due_ms: int) -> None:
        """Leave follow-up work in the run's outbox (the repair loop's safety net)."""
        k = self.k(run_id)
        with wrap_errors(), self.redis.pipeline(transaction=True) as pipe:
            pipe.hsetnx(k.outbox, item, "")
            pipe.zadd(self.keys.outbox_index, {run_id: due_ms}, lt=True)
            pipe.execute()

    def check_dispatches(self, run_id: str, gate: GateSpec) -> tuple[dict[str, bool], dict[str, str]]:
        """Per check of a gate: whether its result is in, and its dispatched record (if any)."""
        fields = [check_field(gate.id, c.name) for c in gate.checks]
        if not fields:
            return {}, {}
        k = self.k(run_id)
        with wrap_errors(), self.redis.pipeline(transaction=False) as pipe:
            pipe.hmget(k.checks, fields)
            pipe.hmget(k.dispatched, fields)
            results, sent = pipe.execute()
        names = [c.name for c in gate.checks]
        return (
            {n: r is not None for n, r in zip(names, results, strict=True)},
            {n: e for n, e in zip(names, sent, strict=True) if e is not None},
        )

    def due_outboxes(self, now_ms: float, limit: int) -> list[str]:
        """Runs whose outbox the repair loop should look at now, oldest first."""
        with wrap_errors():
            runs: list[str] = self.redis.zrangebyscore(self.keys.outbox_index, "-inf", now_ms, 0, limit)
        return runs

    def dispatch(
        self, plan: Plan, item: str, gate_id: str, rows: Sequence[MessageRow], events: Sequence[Rendered]
    ) -> bool:
        """Record (and, direct, queue) a running gate's check messages, removing the outbox
        ``item`` in the same step; checks whose result is in are skipped. False: nothing done."""
        keys = {
            **self.keys.settle(plan.run_id)._asdict(),
            **self.keys.claim(plan.run_id, gate_id, "")._asdict(),
        }
        args = plan.write(Args()).one(item, gate_id).rows(rows, 5).rows(events, 2)
        with wrap_errors():
            return bool(self._dispatch(keys=keys, args=args))


def _add_gates(batch: Batch, k: RunKeys, spec: RunSpec, roots: Sequence[str], now: str) -> None:
    """A new run's gate tables: statuses (the roots running), dependencies and checks left, and
    the roots' start times and start events."""
    gates = spec.workflow.gates
    batch.add("HSET", k.status, *_flat({g.id: "running" if g.id in roots else "pending" for g in gates}))
    batch.add("HSET", k.deps, *_flat({g.id: len(g.depends_on) for g in gates}))
    batch.add("HSET", k.left, *_flat({g.id: len(g.checks) for g in gates}))
    if roots:
        batch.add("HSET", k.started, *_flat(dict.fromkeys(roots, now)))
        batch.add("RPUSH", k.events, *(gate_event(g, "start", now) for g in roots))


def _new_meta(spec: RunSpec, state: RunStatus, now: str) -> dict[str, str | int]:
    return {
        "spec": dump_spec(spec),
        "status": state.value,
        "unsettled": len(spec.workflow.gates),
        "cancelled": "0",
        "created_at": spec.created_at,
        "updated_at": now,
        "repo": spec.repo.full_name,
    }


def _flat(mapping: Mapping[str, Any]) -> list[Any]:
    """A mapping as HSET's field value pairs."""
    return [v for item in mapping.items() for v in item]


def settle_result(out: list[Any]) -> Settle:
    """Decode the reply of a settling script: {'conflict', current} | {'ok', unsettled, outbox
    items (space-separated), ready...}."""
    if out[0] == "conflict":
        return Settle(ok=False, current=str(out[1]) or None)
    items = tuple(str(out[2]).split())
    return Settle(ok=True, unsettled=int(out[1]), ready=tuple(str(g) for g in out[3:]), outbox=items)
