"""Idempotency keys of submissions (``P:idem:SHA``): the same key returns the same run.

A claim holds the run id the first submitter will create, a fingerprint of its request and when it
was taken; what a claim means (same request? run created yet? claimant dead?) is the caller's
(:class:`prp_tasks.service.control.Control`).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import redis

from prp_tasks.state.connection import wrap_errors
from prp_tasks.state.keys import Keys


class IdempotencyStore:
    """Claims of idempotency keys, kept for the run retention."""

    def __init__(self, client: redis.Redis, keys: Keys, ttl_s: int) -> None:
        self.redis = client
        self.keys = keys
        self.ttl_s = ttl_s

    def _key(self, idempotency_key: str) -> str:
        return self.keys.idempotency(hashlib.sha256(idempotency_key.encode()).hexdigest())

    def claim(self, idempotency_key: str, claim: dict[str, Any]) -> dict[str, Any] | None:
        """Take the key with ``claim`` (None), or the earlier claim when it was taken already."""
        key = self._key(idempotency_key)
        with wrap_errors():
            if self.redis.set(key, json.dumps(claim), nx=True, ex=self.ttl_s):
                return None
            earlier: dict[str, Any] = json.loads(self.redis.get(key) or "{}")
        return earlier

    def lookup(self, idempotency_key: str) -> dict[str, Any] | None:
        """The claim of ``idempotency_key`` (run id, fingerprint, when), or None."""
        with wrap_errors():
            raw = self.redis.get(self._key(idempotency_key))
        found: dict[str, Any] | None = json.loads(raw) if raw else None
        return found

    def take_over(self, idempotency_key: str, claim: dict[str, Any]) -> None:
        """Replace a claim whose claimant died before creating its run."""
        with wrap_errors():
            self.redis.set(self._key(idempotency_key), json.dumps(claim), ex=self.ttl_s)

    def release(self, idempotency_key: str) -> None:
        """A refused request claims nothing."""
        with wrap_errors():
            self.redis.delete(self._key(idempotency_key))
