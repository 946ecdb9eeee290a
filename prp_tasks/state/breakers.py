"""Circuit breaker state in Redis (``P:breaker:NAME``); the policy is :mod:`prp_tasks.engine.breakers`.

Each transition is one Lua call that also moves the breaker metrics, so every worker sees the same
breaker and a state change is counted once.
"""

from __future__ import annotations

import redis

from prp_tasks.state.connection import wrap_errors
from prp_tasks.state.keys import Keys
from prp_tasks.state.lua import Lua


class BreakerStore:
    """Allow and record calls against the shared breakers."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.redis = client
        self.keys = keys
        self._allow = Lua(client, "breaker_allow")
        self._record = Lua(client, "breaker_record")

    def key(self, name: str) -> str:
        return self.keys.breaker(name)

    def _keys(self, name: str) -> dict[str, str]:
        return {"breaker": self.keys.breaker(name), "metrics": self.keys.metrics}

    def allow(
        self, name: str, label: str, now_ms: int, open_ms: int, token: str
    ) -> tuple[bool, str, float, bool]:
        """(allowed, state, seconds to wait, state changed) for one call now."""
        with wrap_errors():
            allowed, state, wait_ms, changed = self._allow(
                keys=self._keys(name), args=[label, now_ms, open_ms, token]
            )
        return bool(int(allowed)), str(state), int(wait_ms) / 1000, bool(int(changed))

    def record(
        self, name: str, label: str, now_ms: int, ok: bool, token: str, threshold: int
    ) -> tuple[str, bool]:
        """(state, state changed) after the call's outcome."""
        args = [label, now_ms, "1" if ok else "0", token, threshold]
        with wrap_errors():
            state, changed = self._record(keys=self._keys(name), args=args)
        return str(state), bool(int(changed))

    def state(self, name: str) -> dict[str, str]:
        with wrap_errors():
            return dict(self.redis.hgetall(self.keys.breaker(name)))
