"""Passing check results kept by input digest (``P:reuse:SHA``), shared by every worker.

What qualifies and how an entry becomes an outcome again is :mod:`prp_tasks.engine.reuse`'s.
"""

from __future__ import annotations

import json
from typing import Any

import redis

from prp_tasks.state.connection import wrap_errors
from prp_tasks.state.keys import Keys


class ReuseStore:
    """Reusable results (JSON entries) for ``ttl_s``."""

    def __init__(self, client: redis.Redis, keys: Keys, ttl_s: int) -> None:
        self.redis = client
        self.keys = keys
        self.ttl_s = ttl_s

    def get(self, digest: str) -> dict[str, Any] | None:
        with wrap_errors():
            raw = self.redis.get(self.keys.reuse(digest))
        return json.loads(raw) if raw else None

    def put(self, digest: str, entry: dict[str, Any]) -> None:
        with wrap_errors():
            self.redis.set(self.keys.reuse(digest), json.dumps(entry, default=str), ex=self.ttl_s)
