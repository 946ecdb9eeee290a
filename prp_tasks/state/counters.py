"""Small shared counters: per-identity request windows of the HTTP API (``P:ratelimit:*``)."""

from __future__ import annotations

import redis

from prp_tasks.state.connection import wrap_errors
from prp_tasks.state.keys import Keys


class RateWindows:
    """Fixed one-minute windows per identity, shared by every API process."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.redis = client
        self.keys = keys

    def hit(self, identity: str, window: int) -> int:
        """Count one request in ``window`` (minutes since the epoch); the window's count so far."""
        key = self.keys.rate_limit(identity, window)
        with wrap_errors(), self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, 120)
            count, _ = pipe.execute()
        return int(count)
