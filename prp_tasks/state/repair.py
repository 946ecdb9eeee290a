"""The repair loop's view of Redis: the indexes it walks and what it reads about a dispatched check.

``P:outbox`` (runs with follow-up work, by when to look) and ``P:dispatch:index`` (check messages
whose result is not in, by when to look) are written by the state scripts themselves (``lua/``);
this module only reads them, postpones entries and drops the ones that need nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import redis

from prp_tasks.state.connection import wrap_errors
from prp_tasks.state.keys import Keys
from prp_tasks.state.lua import Lua


@dataclass(frozen=True)
class DispatchState:
    """A dispatched check message as the repair loop sees it."""

    member: str  #: its ``P:dispatch:index`` member
    run_id: str
    gate_id: str
    check: str
    #: nothing left to watch: the result is in, the gate is no longer running, the run is done
    resolved: bool
    leased: bool  #: an execution holds the check's lease
    task_id: str
    at_ms: float  #: when the message was sent


class RepairStore:
    """Reads and maintains the repair indexes."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.redis = client
        self.keys = keys

    def postpone_outbox(self, run_id: str, at_ms: float) -> None:
        with wrap_errors():
            self.redis.zadd(self.keys.outbox_index, {run_id: at_ms}, xx=True)

    def due_dispatches(self, now_ms: float, limit: int) -> list[DispatchState]:
        """Check messages due for a look, with what decides their fate (one round trip each way)."""
        with wrap_errors():
            members: list[str] = self.redis.zrangebyscore(self.keys.dispatch_index, "-inf", now_ms, 0, limit)
        if not members:
            return []
        parsed = [(m, *json.loads(m)) for m in members]
        with wrap_errors(), self.redis.pipeline(transaction=False) as pipe:
            for _, run_id, field in parsed:
                gate_id, _, check = field.partition("/")
                k = self.keys.run(run_id)
                pipe.hget(k.meta, "finalized")
                pipe.hget(k.status, gate_id)
                pipe.hexists(k.checks, field)
                pipe.exists(k.lease(gate_id, check))
                pipe.hget(k.dispatched, field)
            replies = pipe.execute()
        return [_state(entry, replies[5 * i : 5 * i + 5]) for i, entry in enumerate(parsed)]

    def forget_dispatch(self, member: str) -> None:
        with wrap_errors():
            self.redis.zrem(self.keys.dispatch_index, member)

    def postpone_dispatch(self, member: str, at_ms: float) -> None:
        with wrap_errors():
            self.redis.zadd(self.keys.dispatch_index, {member: at_ms}, xx=True)

    def index_dispatch(self, member: str, at_ms: float) -> None:
        """Watch a dispatched message the index lost (kept as is when it is there)."""
        with wrap_errors():
            self.redis.zadd(self.keys.dispatch_index, {member: at_ms}, nx=True)

    def take_interval(self, name: str, interval_ms: int) -> bool:
        """True for the one process that may do ``name`` in this interval."""
        with wrap_errors():
            return bool(self.redis.set(self.keys.lock(name), "1", nx=True, px=interval_ms))

    def round_cursor(self) -> int | None:
        """Where the safety net's round over the live runs stands (None: no round in progress)."""
        with wrap_errors():
            raw = self.redis.get(self.keys.repair_cursor)
        return int(raw) if raw else None

    def set_round_cursor(self, cursor: int | None, ttl_s: int) -> None:
        """Remember the round's cursor (a round nobody continues for ``ttl_s`` is dropped)."""
        with wrap_errors():
            if cursor:
                self.redis.set(self.keys.repair_cursor, cursor, ex=ttl_s)
            else:
                self.redis.delete(self.keys.repair_cursor)

    def mark_repaired(self, now_ms: float) -> None:
        with wrap_errors():
            self.redis.set(self.keys.repair_last, int(now_ms), ex=86400)

    def last_repair_ms(self) -> int | None:
        """When the last repair pass ran anywhere (None: not in the last day, or never)."""
        with wrap_errors():
            raw = self.redis.get(self.keys.repair_last)
        return int(raw) if raw else None


def _state(entry: tuple[str, str, str], replies: list[object]) -> DispatchState:
    member, run_id, field = entry
    finalized, status, has_result, leased, sent = replies
    gate_id, _, check = field.partition("/")
    resolved = finalized == "1" or status != "running" or bool(has_result)
    message = json.loads(str(sent)) if sent else {}
    return DispatchState(
        member=member,
        run_id=run_id,
        gate_id=gate_id,
        check=check,
        resolved=resolved,
        leased=bool(leased),
        task_id=str(message.get("task_id", "")),
        at_ms=float(message.get("at_ms", 0)),
    )


class Leases:
    """Named leases (``P:lock:NAME``) one process at a time holds, e.g. the sweeper's."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.keys = keys
        self._take = Lua(client, "take_lease")
        self._release = Lua(client, "release_lease")

    def take(self, name: str, token: str, ms: int) -> bool:
        """Take (or renew) the lease ``name`` for ``token``; False while another token holds it."""
        with wrap_errors():
            return bool(self._take(keys={"lease": self.keys.lock(name)}, args=[token, ms]))

    def release(self, name: str, token: str) -> None:
        with wrap_errors():
            self._release(keys={"lease": self.keys.lock(name)}, args=[token])
