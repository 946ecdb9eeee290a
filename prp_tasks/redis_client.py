"""Redis clients that reconnect on their own, Lua scripts run over a connection per thread, and Redis
errors mapped to :class:`StoreError`."""

from __future__ import annotations

import hashlib
import os
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import redis
from redis.backoff import ExponentialBackoff
from redis.connection import AbstractConnection, ConnectionPool
from redis.exceptions import NoScriptError
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


class Script:
    """A Lua script run with ``EVALSHA`` over a connection of its own per thread and process.

    redis-py's client path (pool checkout and return, its retry wrapper, observability hooks and
    argument checks) costs about twice a plain round trip's CPU, more than most of these scripts
    take in Redis, and the engine runs three of them per gate. This keeps redis-py's
    :class:`~redis.connection.Connection` (the client's URL options, retry policy and health
    checks) and only skips the pool. A script Redis does not know (restarted, flushed) is loaded
    and run again. Called like redis-py's ``register_script`` result: ``script(keys=, args=)``.
    """

    def __init__(self, client: redis.Redis, text: str) -> None:
        self.client = client
        self.text = text
        self.sha = hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()
        self._lanes = _lanes(client)

    def __call__(self, keys: Sequence[Any] = (), args: Sequence[Any] = ()) -> Any:
        conn = self._lanes.connection()
        command = ("EVALSHA", self.sha, len(keys), *keys, *args)
        try:
            return _round_trip(conn, command)
        except NoScriptError:
            self.client.script_load(self.text)
            return _round_trip(conn, command)


class _Lanes(threading.local):
    """One connection per thread, made again in a forked child (which must not share the socket)."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool
        self.pid = -1
        self.conn: AbstractConnection | None = None

    def connection(self) -> AbstractConnection:
        if self.conn is None or self.pid != os.getpid():
            self.conn, self.pid = self.pool.make_connection(), os.getpid()
        return self.conn


_LANES: weakref.WeakKeyDictionary[redis.Redis, _Lanes] = weakref.WeakKeyDictionary()
_LANES_LOCK = threading.Lock()


def _lanes(client: redis.Redis) -> _Lanes:
    with _LANES_LOCK:
        lanes = _LANES.get(client)
        if lanes is None:
            lanes = _LANES[client] = _Lanes(client.connection_pool)
        return lanes


def _round_trip(conn: AbstractConnection, command: tuple[Any, ...]) -> Any:
    """Send and read one command, retried (after reconnecting) as the client's policy says."""

    def call() -> Any:
        conn.send_command(*command)
        return conn.read_response()

    return conn.retry.call_with_retry(call, lambda _error: conn.disconnect())
