"""Redis clients that reconnect on their own, Lua scripts and command batches run over a connection
per thread, and Redis errors mapped to :class:`StoreError`."""

from __future__ import annotations

import hashlib
import os
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import hiredis
import redis
from redis.backoff import ExponentialBackoff
from redis.connection import AbstractConnection, ConnectionPool
from redis.exceptions import NoScriptError
from redis.retry import Retry

from prp_tasks.errors import StoreError
from prp_tasks.servers import check_connection


def connect(url: str) -> redis.Redis:
    """A Redis client that retries and reconnects on its own (``unix://`` paths work too); its
    first connection to a server in this process checks the server against the supported floor
    (:func:`prp_tasks.servers.check_connection`: :class:`~prp_tasks.errors.UnsupportedServer`)."""
    return redis.Redis.from_url(
        url,
        decode_responses=True,
        redis_connect_func=check_connection,
        health_check_interval=10,
        retry=Retry(ExponentialBackoff(cap=2.0, base=0.05), 8),
        retry_on_error=[redis.ConnectionError, redis.TimeoutError],
    )


def check_server(url: str, timeout_s: float = 5.0) -> None:
    """Connect once, now: a server below the supported floor is refused at a service's start
    (:class:`~prp_tasks.errors.UnsupportedServer`) instead of by its first task. A server that
    cannot be reached is no error here: services wait for it as they always did."""
    client = redis.Redis.from_url(
        url, redis_connect_func=check_connection, socket_connect_timeout=timeout_s, socket_timeout=timeout_s
    )
    try:
        client.ping()
    except (redis.ConnectionError, redis.TimeoutError):
        return
    finally:
        client.close()


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
            return _round_trip(conn, [command])[0]
        except NoScriptError:
            self.client.script_load(self.text)
            return _round_trip(conn, [command])[0]


class Batch:
    """Commands written at once and read back in order over the same connection as :class:`Script`
    (in ``MULTI``/``EXEC`` when ``transaction``): the engine's per-gate pipelines without redis-py's
    pipeline machinery, which costs more CPU than the few commands it sends. Commands are added as
    Redis spells them (``batch.add("HSET", key, field, value)``); ``execute`` raises the first
    error Redis reports and otherwise returns the replies."""

    def __init__(self, client: redis.Redis, *, transaction: bool) -> None:
        self._lanes = _lanes(client)
        self.transaction = transaction
        self.commands: list[tuple[Any, ...]] = []

    def add(self, *command: Any) -> None:
        self.commands.append(command)

    def execute(self) -> list[Any]:
        if not self.commands:
            return []
        commands = self.commands
        if self.transaction:
            commands = [("MULTI",), *commands, ("EXEC",)]
        replies = _round_trip(self._lanes.connection(), commands)
        if not self.transaction:
            return replies
        executed: list[Any] = replies[-1]
        for reply in executed:
            if isinstance(reply, redis.ResponseError):  # a command that failed inside EXEC
                raise reply
        return list(executed)


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


def _pack(command: tuple[Any, ...]) -> bytes:
    """One command in Redis's protocol (str, bytes, int and float arguments, as redis-py takes)."""
    try:
        return bytes(hiredis.pack_command(command))
    except TypeError as exc:
        raise redis.DataError(f"cannot send {command[0]!r}: {exc}") from None


def _round_trip(conn: AbstractConnection, commands: Sequence[tuple[Any, ...]]) -> list[Any]:
    """Send commands in one write and read every reply (an error reply does not leave the others
    unread on the connection), retried (after reconnecting) as the client's policy says; the first
    error Redis reports is raised."""

    def call() -> list[Any]:
        conn.send_packed_command([b"".join(map(_pack, commands))])
        replies: list[Any] = []
        for _ in commands:
            try:
                replies.append(conn.read_response())
            except redis.ResponseError as exc:
                replies.append(exc)
        error = next((r for r in replies if isinstance(r, redis.ResponseError)), None)
        if error is not None:
            raise error
        return replies

    return conn.retry.call_with_retry(call, lambda _error: conn.disconnect())
