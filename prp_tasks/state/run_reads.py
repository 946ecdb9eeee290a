"""Run state in Redis, read: the spec (cached per process), statuses, records, check results,
outputs, the audit trail and whole snapshots in one round trip.

The base of :class:`prp_tasks.state.runs.RunStore`, which adds the writes: creation, the atomic
transitions and the outbox. Nothing here changes a run.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import redis

from prp_tasks.core.approvals import AuditEvent
from prp_tasks.core.models import GateStatus
from prp_tasks.core.results import CheckResult, GateRecord
from prp_tasks.core.run import RunSpec
from prp_tasks.core.snapshot import RunSnapshot
from prp_tasks.errors import RunNotFound
from prp_tasks.state.checks import GateInputs
from prp_tasks.state.codec import OUTPUT_FILES, ProfileResolver, audit_event, build_snapshot, load_spec, pairs
from prp_tasks.state.connection import wrap_errors
from prp_tasks.state.keys import Keys, RunKeys, check_field

#: specs kept per process. Runs of one workflow and profile share those objects (a spec's own part
#: is its ids, blueprint and source: about 4 KB), so this covers thousands of runs in flight; past
#: it, every check would load and validate its run's spec again.
SPEC_CACHE_SIZE = 2048


class RunReads:
    """Reads of a run's state (:class:`~prp_tasks.state.runs.RunStore` adds the writes)."""

    def __init__(self, client: redis.Redis, keys: Keys, profiles: ProfileResolver) -> None:
        self.redis = client
        self.keys = keys
        self.profiles = profiles
        self._spec = lru_cache(maxsize=SPEC_CACHE_SIZE)(self._load_spec)

    def k(self, run_id: str) -> RunKeys:
        return self.keys.run(run_id)

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

    def audit(self, run_id: str) -> list[AuditEvent]:
        """The run's audit trail, oldest first."""
        with wrap_errors():
            entries = self.redis.xrange(self.k(run_id).audit)
        return [audit_event(entry_id, fields) for entry_id, fields in entries]
