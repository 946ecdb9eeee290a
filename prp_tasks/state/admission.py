"""Admission, gate slots and the token budget in Redis (the policy is :mod:`prp_tasks.engine.limits`).

Every transition is one Lua call (``lua/``), idempotent per (run, gate), so a redelivered task never
charges twice or takes two slots.
"""

from __future__ import annotations

import redis

from prp_tasks.state.connection import wrap_errors
from prp_tasks.state.keys import Keys
from prp_tasks.state.lua import Lua


class AdmissionStore:
    """Runs in flight (``P:admission:*``), a run's gate slots and its token ledger."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.redis = client
        self.keys = keys
        self._reserve = Lua(client, "reserve_tokens")
        self._take = Lua(client, "take_slot")
        self._admit = Lua(client, "admit")
        self._release = Lua(client, "release_run")

    def _admission(self) -> dict[str, str]:
        return {"active": self.keys.admission("active"), "queue": self.keys.admission("queue")}

    def admit(self, run_id: str, limit: int, created_ms: int) -> bool:
        """Take a place among ``limit`` runs in flight, else join the queue (oldest first)."""
        with wrap_errors():
            return bool(self._admit(keys=self._admission(), args=[run_id, limit, created_ms]))

    def release(self, run_id: str, limit: int) -> list[str]:
        """Give up ``run_id``'s place (``""``: none); the queued runs admitted now, oldest first."""
        with wrap_errors():
            out = self._release(keys=self._admission(), args=[run_id, limit])
        return [str(r) for r in out]

    def active(self) -> list[str]:
        with wrap_errors():
            return sorted(self.redis.smembers(self.keys.admission("active")))

    def reserve_tokens(self, run_id: str, gate_id: str, estimate: int, budget: int) -> bool:
        """Charge the gate's estimate once (True), unless it exceeds what is left."""
        k = self.keys.run(run_id)
        with wrap_errors():
            ok, _ = self._reserve(keys={"tokens": k.tokens, "meta": k.meta}, args=[gate_id, estimate, budget])
        return bool(ok)

    def take_slot(self, run_id: str, gate_id: str, limit: int) -> bool:
        """One of the run's ``limit`` gate slots for the gate, else it waits in line."""
        k = self.keys.run(run_id)
        keys = {"slots": k.slots, "waiting": k.waiting, "status": k.status, "meta": k.meta}
        with wrap_errors():
            return bool(self._take(keys=keys, args=[gate_id, limit]))

    def waiting(self, run_id: str) -> list[str]:
        with wrap_errors():
            return list(self.redis.lrange(self.keys.run(run_id).waiting, 0, -1))

    def tokens_used(self, run_id: str) -> int:
        with wrap_errors():
            return int(self.redis.hget(self.keys.run(run_id).tokens, "#used") or 0)
