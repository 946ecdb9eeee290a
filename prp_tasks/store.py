"""Run state in Redis: creation, atomic check/gate transitions (Lua), snapshots, outputs.

The only module (with :mod:`prp_tasks.lua`) that knows how a run is laid out in Redis. Every method
either reads or performs one atomic transition; none of them decides what should happen next
(that is :mod:`prp_tasks.engine`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import redis

from prp_tasks import lua
from prp_tasks.check_store import CheckTransitions, GateInputs
from prp_tasks.codec import (
    OUTPUT_FILES,
    audit_event,
    build_snapshot,
    dump_spec,
    gate_event,
    load_spec,
    settle_args,
    to_ms,
)
from prp_tasks.core.approvals import AuditEvent
from prp_tasks.core.models import GateStatus
from prp_tasks.core.results import CheckResult, GateRecord
from prp_tasks.core.run import RunSpec, RunStatus
from prp_tasks.core.snapshot import RunSnapshot
from prp_tasks.errors import RunNotFound
from prp_tasks.keys import Keys, RunKeys, check_field
from prp_tasks.profiles.cache import ProfileCache
from prp_tasks.redis_client import Batch, Script, wrap_errors


@dataclass(frozen=True)
class Settle:
    """Result of a settle transition."""

    ok: bool
    unsettled: int = -1
    ready: tuple[str, ...] = ()
    current: str | None = None  #: the gate's status when the transition was refused


#: specs kept per process. Runs of one workflow and profile share those objects (a spec's own part
#: is its ids, blueprint and source: about 4 KB), so this covers thousands of runs in flight; past
#: it, every check would load and validate its run's spec again.
SPEC_CACHE_SIZE = 2048


class RunStore(CheckTransitions):
    """Redis-backed run state."""

    def __init__(self, client: redis.Redis, keys: Keys, profiles: ProfileCache) -> None:
        self.redis = client
        self.keys = keys
        self.profiles = profiles
        self._acquire = Script(client, lua.ACQUIRE)
        self._heartbeat = Script(client, lua.HEARTBEAT)
        self._end_attempt = Script(client, lua.END_ATTEMPT)
        self._record = Script(client, lua.RECORD_CHECK)
        self._settle = Script(client, lua.SETTLE)
        self._record_and_settle = Script(client, lua.RECORD_AND_SETTLE)
        self._cancel = Script(client, lua.CANCEL)
        self._finalize = Script(client, lua.FINALIZE)
        self._rerun = Script(client, lua.RERUN)
        self._start_queued = Script(client, lua.START_QUEUED)
        self._skip_pending = Script(client, lua.SKIP_PENDING)
        self._spec = lru_cache(maxsize=SPEC_CACHE_SIZE)(self._load_spec)

    def k(self, run_id: str) -> RunKeys:
        return self.keys.run(run_id)

    # creation ---------------------------------------------------------------------------------

    def create_run(
        self, spec: RunSpec, *, roots: Sequence[str], ttl_s: int, now: str, queued: bool = False
    ) -> None:
        """Write a new run with its roots already dispatched (one transaction).

        A ``queued`` run (not admitted yet) is written with every gate pending and no roots.
        """
        k = self.k(spec.run_id)
        gates = spec.workflow.gates
        roots = () if queued else roots
        state = RunStatus.QUEUED if queued else RunStatus.RUNNING
        with wrap_errors(), self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(k.meta, mapping=_new_meta(spec, state, now))
            pipe.hset(k.status, mapping={g.id: "running" if g.id in roots else "pending" for g in gates})
            pipe.hset(k.deps, mapping={g.id: len(g.depends_on) for g in gates})
            pipe.hset(k.left, mapping={g.id: len(g.checks) for g in gates})
            if roots:
                pipe.hset(k.started, mapping={g: now for g in roots})
                pipe.rpush(k.events, *(gate_event(g, "start", now) for g in roots))
            pipe.zadd(self.keys.runs, {spec.run_id: to_ms(spec.created_at)})
            pipe.sadd(self.keys.live_runs, spec.run_id)
            pipe.hincrby(self.keys.metrics, f"runs|state={state.value}", 1)
            pipe.hincrby(self.keys.metrics, "gates|state=running", len(roots))
            pipe.hincrby(self.keys.metrics, "gates|state=pending", len(gates) - len(roots))
            for key in (k.meta, k.status, k.deps, k.left, k.started, k.events):
                pipe.expire(key, ttl_s)
            pipe.execute()

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
        k = self.k(run_id)
        with wrap_errors(), self.redis.pipeline(transaction=False) as pipe:
            for key in (k.meta, k.status, k.started, k.records, k.checks, k.outputs):
                pipe.hgetall(key)
            pipe.lrange(k.events, 0, -1)
            pipe.xrange(k.audit)
            meta, status, started, records, checks, outputs, events, audit = pipe.execute()
        if not meta:
            raise RunNotFound(f"no such run: {run_id}")
        return build_snapshot(
            self.spec(run_id), meta, status, started, records, checks, outputs, events, audit
        )

    def list_runs(self, offset: int = 0, limit: int = 50) -> list[str]:
        """Run ids, newest first."""
        with wrap_errors():
            ids: list[str] = self.redis.zrevrange(self.keys.runs, offset, offset + limit - 1)
        return ids

    def rerun(
        self,
        run_id: str,
        target: str,
        plan: Sequence[tuple[str, int, int, Sequence[str]]],
        drop_outputs: Sequence[str],
        event: AuditEvent,
        ttl_s: int,
        now: str,
    ) -> tuple[bool, str]:
        """Re-open ``target`` (running) and the other planned gates (pending); (ok, conflict reason)."""
        k = self.k(run_id)
        keys = [
            k.meta,
            k.status,
            k.deps,
            k.left,
            k.started,
            k.records,
            k.checks,
            k.attempts,
            k.events,
            k.audit,
            self.keys.audit,
            k.votes,
            k.requests,
            k.outputs,
            self.keys.metrics,
            k.files,
        ]
        args: list[Any] = [now, target, ttl_s, event.to_json(), len(plan)]
        for gate, deps_left, n_checks, fields in plan:
            args += [gate, deps_left, n_checks, len(fields), *fields]
        args += [len(drop_outputs), *drop_outputs]
        with wrap_errors():
            out = self._rerun(keys=keys, args=args)
        return (out[0] == "ok", str(out[1]))

    # check transitions ------------------------------------------------------------------------

    # gate transitions -------------------------------------------------------------------------

    def settle_keys(self, run_id: str) -> list[str]:
        """The ten keys every settling script starts with (see ``lua.SETTLE_FN``)."""
        k = self.k(run_id)
        return [
            k.meta,
            k.status,
            k.deps,
            k.records,
            k.started,
            k.events,
            k.audit,
            k.outputs,
            self.keys.audit,
            self.keys.metrics,
        ]

    def settle_args(self, gate_id: str, **kwargs: Any) -> list[Any]:
        """ARGV for ``lua.SETTLE_FN`` (see :func:`prp_tasks.codec.settle_args`)."""
        return settle_args(gate_id, **kwargs)

    def settle(self, run_id: str, gate_id: str, **kwargs: Any) -> Settle:
        """Atomically move ``gate_id`` from ``expect`` to ``record``'s status and advance the DAG.

        Keyword arguments are those of :meth:`settle_args`.
        """
        args = self.settle_args(gate_id, **kwargs)
        with wrap_errors():
            out = self._settle(keys=self.settle_keys(run_id), args=args)
        return settle_result(out)

    def cancel(self, run_id: str, skips: Mapping[str, GateRecord], now: str, event: AuditEvent) -> int | None:
        """Skip every unsettled gate; returns gates still unsettled, or None if already cancelled."""
        k = self.k(run_id)
        args: list[Any] = [now, event.to_json(), len(skips)]
        args += [v for g, r in skips.items() for v in (g, r.to_json())]
        keys = [k.meta, k.status, k.records, k.events, k.audit, self.keys.audit, self.keys.metrics]
        with wrap_errors():
            out = self._cancel(keys=keys, args=args)
        return None if out[0] == "already" else int(out[1])

    def audit(self, run_id: str) -> list[AuditEvent]:
        """The run's audit trail, oldest first."""
        with wrap_errors():
            entries = self.redis.xrange(self.k(run_id).audit)
        return [audit_event(entry_id, fields) for entry_id, fields in entries]

    def append_audit(self, run_id: str, event: AuditEvent) -> None:
        """Append an audit record that is not part of a state change (e.g. a refusal)."""
        k = self.k(run_id)
        with wrap_errors(), self.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(k.audit, {"type": event.type.value, "event": event.to_json()})
            pipe.xadd(
                self.keys.audit,
                {"type": event.type.value, "event": event.to_json()},
                maxlen=100_000,
                approximate=True,
            )
            pipe.execute()

    def finalize(
        self,
        run_id: str,
        *,
        status: RunStatus,
        finished_at: str,
        outputs: Mapping[str, str],
        retention_s: int,
    ) -> bool:
        """Commit final outputs once; True when this call committed them."""
        k = self.k(run_id)
        args: list[Any] = [status.value, finished_at, retention_s, len(outputs)]
        args += [v for item in outputs.items() for v in item]
        with wrap_errors():
            state = [key for key in k.all_state() if key not in (k.meta, k.outputs)]
            done = self._finalize(keys=[k.meta, k.outputs, self.keys.metrics, *state], args=args)
        return bool(done)

    def start_queued(self, run_id: str, roots: Sequence[str], now: str) -> bool:
        """An admitted queued run starts: its roots become running. False if not queued."""
        k = self.k(run_id)
        keys = [k.meta, k.status, k.started, k.events, self.keys.metrics]
        with wrap_errors():
            return bool(self._start_queued(keys=keys, args=[now, *roots]))

    def skip_pending(
        self, run_id: str, records: Mapping[str, GateRecord], reason: str, now: str
    ) -> tuple[int, list[str]]:
        """Skip the given gates that are still pending: (gates unsettled now, gates skipped)."""
        k = self.k(run_id)
        args: list[Any] = [now, reason, len(records)]
        args += [v for g, r in records.items() for v in (g, r.to_json())]
        with wrap_errors():
            out = self._skip_pending(
                keys=[k.meta, k.status, k.records, k.events, self.keys.metrics], args=args
            )
        return int(out[1]), [str(g) for g in out[2:]]

    def mark_dispatched(
        self,
        run_id: str,
        entries: Mapping[str, str],
        ttl_s: int,
        before: Callable[[Batch], None] | None = None,
        then: Callable[[Batch], None] | None = None,
    ) -> None:
        """Record the message ids sent for checks ("gate/check" -> JSON {task_id, at_ms}) in one
        transaction with the commands ``before`` adds (the events that led to the dispatch) and
        those ``then`` adds (the messages themselves, when the broker is this Redis)."""
        key = self.k(run_id).dispatched
        batch = Batch(self.redis, transaction=then is not None)
        if before is not None:
            before(batch)
        if entries:
            batch.add("HSET", key, *(v for item in entries.items() for v in item))
            batch.add("EXPIRE", key, ttl_s, "NX")
        if then is not None:
            then(batch)
        with wrap_errors():
            batch.execute()

    def claim_finished_at(self, run_id: str, now: str) -> str:
        """The run's finish time, fixed by the first finalizer so re-renders are identical."""
        key = self.k(run_id).meta
        with wrap_errors():
            self.redis.hsetnx(key, "finished_at_claim", now)
            value: str = self.redis.hget(key, "finished_at_claim") or now
        return value


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


def settle_result(out: list[Any]) -> Settle:
    """Decode the reply of a settling script."""
    if out[0] == "conflict":
        return Settle(ok=False, current=str(out[1]) or None)
    return Settle(ok=True, unsettled=int(out[1]), ready=tuple(str(g) for g in out[2:]))
