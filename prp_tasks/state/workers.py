"""Worker beats (``P:worker:NODE``): each worker's last sign of life, for health checks."""

from __future__ import annotations

import json
from typing import Any

import redis

from prp_tasks.state.connection import wrap_errors
from prp_tasks.state.keys import Keys


class WorkerBeats:
    """Write, read and remove worker beats (JSON, expiring when a worker stops beating)."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.redis = client
        self.keys = keys

    def beat(self, node: str, value: dict[str, Any], ttl_s: int) -> None:
        with wrap_errors():
            self.redis.set(self.keys.worker(node), json.dumps(value), ex=ttl_s)

    def read(self, node: str) -> dict[str, Any] | None:
        with wrap_errors():
            raw = self.redis.get(self.keys.worker(node))
        return json.loads(raw) if raw else None

    def remove(self, node: str) -> None:
        with wrap_errors():
            self.redis.delete(self.keys.worker(node))
