"""Run state in Redis: creation, atomic check/gate transitions (Lua), snapshots, outputs (its
finalization: :mod:`prp_tasks.state.finish`).

The only module (with :mod:`prp_tasks.state.lua`) that knows how a run is laid out in Redis. Every method
either reads or performs one atomic transition; none of them decides what should happen next
(that is :mod:`prp_tasks.engine.engine`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import redis

from prp_tasks.core.approvals import AuditEvent
from prp_tasks.core.models import GateSpec, GateStatus
from prp_tasks.core.results import CheckResult, GateRecord
from prp_tasks.core.run import RunSpec, RunStatus
from prp_tasks.core.snapshot import RunSnapshot
from prp_tasks.errors import RunNotFound
from prp_tasks.state.checks import GateInputs
from prp_tasks.state.codec import (
    OUTPUT_FILES,
    ProfileResolver,
    audit_event,
    build_snapshot,
    dump_spec,
    gate_event,
    load_spec,
    pairs,
    to_ms,
)
from prp_tasks.state.connection import Batch, Replicas, wrap_errors
from prp_tasks.state.events import append_events
from prp_tasks.state.keys import Keys, RunKeys, check_field
from prp_tasks.state.lua import Args, Lua
from prp_tasks.state.plans import Launch, MessageRow, Plan, SettleSpec

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


#: specs kept per process. Runs of one workflow and profile share those objects (a spec's own part
#: is its ids, blueprint and source: about 4 KB), so this covers thousands of runs in flight; past
#: it, every check would load and validate its run's spec again.
SPEC_CACHE_SIZE = 2048


class RunStore:
    """Redis-backed run state: creation, reads, gate transitions, outbox, outputs."""

    def __init__(
        self, client: redis.Redis, keys: Keys, profiles: ProfileResolver, replicas: Replicas | None = None
    ) -> None:
        self.redis = client
        self.keys = keys
        self.profiles = profiles
        #: transitions wait for these replicas (``PRP_REDIS_WAIT_REPLICAS``); leases do not
        self.replicas = replicas if replicas is not None and replicas.count > 0 else None
        script = functools.partial(Lua, client, replicas=self.replicas)
        self._settle, self._cancel = script("settle"), script("cancel")
        self._rerun, self._start_queued = script("rerun"), script("start_queued")
        self._skip_pending, self._dispatch = script("skip_pending"), script("dispatch")
        self._outbox_done = script("outbox_done")
        self._spec = lru_cache(maxsize=SPEC_CACHE_SIZE)(self._load_spec)

    def k(self, run_id: str) -> RunKeys:
        return self.keys.run(run_id)

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

    # reads ------------------------------------------------------------------------------------

    def spec(self, run_id: str) -> RunSpec:
        """The run's immutable spec (cached per process)."""
        spec: RunSpec = self._spec(run_id)
        return spec

    def _load_spec(self, run_id: str) -> RunSpec:
        with wrap_errors():
            raw = self.redis.hget(self.k(run_id).meta, "spec")
        if raw is None:
            raise RunNotFound(f"no such run: {run_id}")
        return load_spec(raw, self.profiles)

    def exists(self, run_id: str) -> bool:
        with wrap_errors():
            return bool(self.redis.exists(self.k(run_id).meta))

    def meta(self, run_id: str) -> dict[str, str]:
        with wrap_errors():
            meta: dict[str, str] = self.redis.hgetall(self.k(run_id).meta)
        if not meta:
            raise RunNotFound(f"no such run: {run_id}")
        return meta

    def finalized(self, run_id: str) -> bool:
        """Whether the run's outputs are committed: two fields, not the meta hash with its spec."""
        with wrap_errors():
            finalized, status = self.redis.hmget(self.k(run_id).meta, "finalized", "status")
        if status is None:
            raise RunNotFound(f"no such run: {run_id}")
        return bool(finalized == "1")

    def gate_statuses(self, run_id: str) -> dict[str, GateStatus]:
        with wrap_errors():
            raw = self.redis.hgetall(self.k(run_id).status)
        return {g: GateStatus(s) for g, s in raw.items()}

    def gate_status(self, run_id: str, gate_id: str) -> GateStatus | None:
        with wrap_errors():
            raw = self.redis.hget(self.k(run_id).status, gate_id)
        return GateStatus(raw) if raw else None

    def check_results(self, run_id: str, gate_id: str) -> dict[str, CheckResult]:
        """Results recorded so far for one gate's checks."""
        return self.gate_inputs(run_id, gate_id)[0]

    def gate_inputs(self, run_id: str, gate_id: str) -> GateInputs:
        """One round trip: the gate's check results so far and when it started."""
        names = [c.name for c in self.spec(run_id).workflow.gate(gate_id).checks]
        k = self.k(run_id)
        with wrap_errors(), self.redis.pipeline(transaction=False) as pipe:
            pipe.hget(k.started, gate_id)
            if names:
                pipe.hmget(k.checks, [check_field(gate_id, n) for n in names])
            started, *found = pipe.execute()
        raw = found[0] if found else []
        results = {n: CheckResult.model_validate_json(r) for n, r in zip(names, raw, strict=True) if r}
        return GateInputs(results, started)

    def record(self, run_id: str, gate_id: str) -> GateRecord | None:
        with wrap_errors():
            raw = self.redis.hget(self.k(run_id).records, gate_id)
        return GateRecord.model_validate_json(raw) if raw else None

    def records(self, run_id: str) -> dict[str, GateRecord]:
        with wrap_errors():
            raw = self.redis.hgetall(self.k(run_id).records)
        return {g: GateRecord.model_validate_json(r) for g, r in raw.items()}

    def outputs(self, run_id: str, names: Sequence[str] | None = None) -> dict[str, str]:
        """Stored outputs and artifacts (all, or just ``names``)."""
        key = self.k(run_id).outputs
        with wrap_errors():
            if names is None:
                out: dict[str, str] = self.redis.hgetall(key)
                return out
            values = self.redis.hmget(key, list(names))
        return {n: v for n, v in zip(names, values, strict=True) if v is not None}

    def finished(self, run_ids: list[str]) -> list[bool]:
        """Per run: finalized, or gone (expired). Used to clean up worker workspaces."""
        with wrap_errors(), self.redis.pipeline(transaction=False) as pipe:
            for run_id in run_ids:
                pipe.hget(self.k(run_id).meta, "finalized")
            flags = pipe.execute()
        return [flag is None or flag == "1" for flag in flags]

    def artifact_names(self, run_id: str) -> frozenset[str]:
        """Names of the artifacts stored for a run so far."""
        with wrap_errors():
            names = self.redis.hkeys(self.k(run_id).outputs)
        return frozenset(n for n in names if n not in OUTPUT_FILES)

    def snapshot(self, run_id: str) -> RunSnapshot:
        """Everything about a run, read in one round trip."""
        with wrap_errors(), self.redis.pipeline(transaction=False) as pipe:
            for command in self.snapshot_reads(run_id):
                pipe.execute_command(*command)
            replies = pipe.execute()
        return self.snapshot_from(run_id, replies)

    def snapshot_reads(self, run_id: str) -> list[tuple[Any, ...]]:
        """The commands that read a run's snapshot, for :meth:`snapshot_from` (sent by
        :meth:`snapshot`, or after a script in the script's round trip)."""
        k = self.k(run_id)
        hashes = (k.meta, k.status, k.started, k.records, k.checks, k.outputs)
        lists = [("LRANGE", k.events, 0, -1), ("XRANGE", k.audit, "-", "+")]
        return [*(("HGETALL", key) for key in hashes), *lists]

    def snapshot_from(self, run_id: str, replies: Sequence[Any]) -> RunSnapshot:
        """The snapshot :meth:`snapshot_reads`' replies give, as redis-py parses them or raw."""
        meta, status, started, records, checks, outputs = (pairs(r) for r in replies[:6])
        if not meta:
            raise RunNotFound(f"no such run: {run_id}")
        audit = [(entry_id, pairs(fields)) for entry_id, fields in replies[7]]
        return build_snapshot(
            self.spec(run_id), meta, status, started, records, checks, outputs, list(replies[6]), audit
        )

    def list_runs(self, offset: int = 0, limit: int = 50) -> list[str]:
        """Run ids, newest first."""
        with wrap_errors():
            ids: list[str] = self.redis.zrevrange(self.keys.runs, offset, offset + limit - 1)
        return ids

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

    def audit(self, run_id: str) -> list[AuditEvent]:
        """The run's audit trail, oldest first."""
        with wrap_errors():
            entries = self.redis.xrange(self.k(run_id).audit)
        return [audit_event(entry_id, fields) for entry_id, fields in entries]

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
