"""The wall-clock deadlines of runs with ``budget.wall_s`` (``P:budget:deadlines``, by deadline)."""

from __future__ import annotations

import redis

from prp_tasks.state.connection import wrap_errors
from prp_tasks.state.keys import Keys


class DeadlineStore:
    """Runs by wall-clock deadline, for the sweeper to find the ones past it."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.redis = client
        self.key = keys.budget_deadlines

    def watch(self, run_id: str, deadline_ms: float) -> None:
        with wrap_errors():
            self.redis.zadd(self.key, {run_id: deadline_ms})

    def due(self, now_ms: float) -> list[str]:
        """Runs whose deadline passed."""
        with wrap_errors():
            return list(self.redis.zrangebyscore(self.key, 0, now_ms))

    def forget(self, run_id: str) -> None:
        with wrap_errors():
            self.redis.zrem(self.key, run_id)
