"""Webhook notifications waiting to be delivered (``P:notify:*``).

Park and flush scripts add a published batch to ``announced`` in the same transaction that
publishes it, so a notification is never lost to a crash; the sweeper turns each into one delivery
per matching webhook (``items`` + ``due``) and delivers those whose time came, retrying with
backoff. Only the sender holding the ``notifier`` lease sends and settles deliveries; a retry is
written only while its delivery is still pending.
"""

from __future__ import annotations

import json
from typing import Any

import redis

from prp_tasks.state.connection import wrap_errors
from prp_tasks.state.keys import Keys


class NotificationOutbox:
    """Announced batches and pending deliveries."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.redis = client
        self.announced = keys.notify("announced")
        self.due_key = keys.notify("due")
        self.items = keys.notify("items")

    def announce(self, batch_id: str, at_ms: float) -> None:
        """A batch published outside a script (tests, repairs)."""
        with wrap_errors():
            self.redis.zadd(self.announced, {batch_id: at_ms})

    def announced_batches(self, limit: int = 100) -> list[str]:
        with wrap_errors():
            return [str(b) for b in self.redis.zrange(self.announced, 0, limit - 1)]

    def handled(self, batch_ids: list[str]) -> None:
        """Announced batches nobody is to be told about (no webhook is configured)."""
        if batch_ids:
            with wrap_errors():
                self.redis.zrem(self.announced, *batch_ids)

    def add(self, deliveries: list[dict[str, Any]], at_ms: float, batch_id: str | None = None) -> None:
        """Queue deliveries (ids are stable: adding again keeps the first) and, with ``batch_id``,
        mark the batch as handled, in one transaction."""
        with wrap_errors(), self.redis.pipeline(transaction=True) as pipe:
            for delivery in deliveries:
                pipe.hsetnx(self.items, delivery["id"], json.dumps(delivery))
                pipe.zadd(self.due_key, {delivery["id"]: at_ms}, nx=True)
            if batch_id is not None:
                pipe.zrem(self.announced, batch_id)
            pipe.execute()

    def due(self, now_ms: float, limit: int) -> list[dict[str, Any]]:
        """Deliveries whose next attempt is due, oldest first."""
        with wrap_errors():
            ids = [str(i) for i in self.redis.zrangebyscore(self.due_key, "-inf", now_ms, start=0, num=limit)]
            raw = self.redis.hmget(self.items, ids) if ids else []
        out = []
        for delivery_id, text in zip(ids, raw, strict=True):
            if text is None:  # delivered meanwhile: a stale index entry
                self.done(str(delivery_id))
                continue
            out.append(json.loads(text))
        return out

    def retry(self, delivery: dict[str, Any], at_ms: float) -> bool:
        """Schedule the delivery's next attempt at ``at_ms`` unless it was settled meanwhile (a
        sender whose lease lapsed during a slow attempt must not bring back what another sender
        delivered or gave up); whether it was scheduled."""
        with wrap_errors(), self.redis.pipeline(transaction=True) as pipe:
            for _ in range(5):
                try:
                    pipe.watch(self.items)
                    if not pipe.hexists(self.items, delivery["id"]):
                        return False
                    pipe.multi()
                    pipe.hset(self.items, delivery["id"], json.dumps(delivery))
                    pipe.zadd(self.due_key, {delivery["id"]: at_ms})
                    pipe.execute()
                    return True
                except redis.WatchError:  # another delivery changed meanwhile: look again
                    continue
        return False

    def done(self, delivery_id: str) -> None:
        with wrap_errors(), self.redis.pipeline(transaction=True) as pipe:
            pipe.hdel(self.items, delivery_id)
            pipe.zrem(self.due_key, delivery_id)
            pipe.execute()

    def pending(self) -> int:
        with wrap_errors():
            return int(self.redis.zcard(self.due_key))
