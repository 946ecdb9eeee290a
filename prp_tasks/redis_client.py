"""Redis clients that reconnect on their own, and Redis errors mapped to :class:`StoreError`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from prp_tasks.errors import StoreError


def connect(url: str) -> redis.Redis:
    """A Redis client that retries and reconnects on its own (``unix://`` paths work too)."""
    return redis.Redis.from_url(
        url,
        decode_responses=True,
        health_check_interval=10,
        retry=Retry(ExponentialBackoff(cap=2.0, base=0.05), 8),
        retry_on_error=[redis.ConnectionError, redis.TimeoutError],
    )


@contextmanager
def wrap_errors() -> Iterator[None]:
    try:
        yield
    except redis.RedisError as exc:
        raise StoreError(f"Redis error: {exc}") from exc
