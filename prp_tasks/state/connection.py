"""Redis clients that reconnect on their own, Lua scripts and command batches run over a connection
per thread, and Redis errors mapped to :class:`StoreError`."""

from __future__ import annotations

import hashlib
import os
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import hiredis
import redis
from redis.backoff import ExponentialBackoff
from redis.connection import AbstractConnection, ConnectionPool
from redis.exceptions import NoScriptError
from redis.retry import Retry
from redis.sentinel import Sentinel, SentinelConnectionPool

from prp_tasks.errors import NotReplicated, StoreError
from prp_tasks.state.servers import check_connection

if TYPE_CHECKING:
    from prp_tasks.settings import Settings


@dataclass(frozen=True)
class Target:
    """Where a Redis is: a URL (``redis://``, ``rediss://``, ``unix://``), or Sentinels in Celery's
    syntax (``sentinel://[:PASSWORD@]HOST:PORT[/DB];sentinel://HOST:PORT;…``, the password and db
    being the master's) with the master's name and the Sentinels' own password."""

    url: str
    sentinel_master: str | None = None
    sentinel_password: str | None = None

    @property
    def sentinel(self) -> bool:
        return is_sentinel(self.url)


def is_sentinel(url: str) -> bool:
    return url.startswith("sentinel://")


def target_of(settings: Settings) -> Target:
    """The state Redis of ``settings`` (``PRP_REDIS_URL`` must be set)."""
    if settings.redis_url is None:
        raise StoreError("PRP_REDIS_URL is not set")
    return Target(settings.redis_url, settings.redis_sentinel_master, settings.redis_sentinel_password)


def sentinel_hosts(url: str) -> tuple[list[tuple[str, int]], str | None, int]:
    """The Sentinels of a ``sentinel://`` URL, and the master's password and db."""
    hosts, password, db = [], None, 0
    for part in url.split(";"):
        parsed = urlsplit(part.strip())
        if parsed.scheme != "sentinel" or not parsed.hostname:
            raise StoreError(f"not a Sentinel address: {part!r} (sentinel://HOST:PORT;sentinel://HOST:PORT)")
        hosts.append((parsed.hostname, parsed.port or 26379))
        password = password or (unquote(parsed.password) if parsed.password else None)
        if parsed.path.strip("/"):
            db = int(parsed.path.strip("/"))
    return hosts, password, db


_OPTIONS: dict[str, Any] = {
    "decode_responses": True,
    "redis_connect_func": check_connection,
    "health_check_interval": 10,
}


def connect(target: str | Target) -> redis.Redis:
    """A Redis client that retries and reconnects on its own (``unix://`` paths work too); its
    first connection to a server in this process checks the server against the supported floor
    (:func:`prp_tasks.state.servers.check_connection`: :class:`~prp_tasks.errors.UnsupportedServer`).

    With Sentinels every connection asks them for the current master, so a client follows a
    failover by itself (a connection to a demoted master fails and reconnects)."""
    target = target if isinstance(target, Target) else Target(target)
    retry = Retry(ExponentialBackoff(cap=2.0, base=0.05), 8)
    options = {**_OPTIONS, "retry": retry, "retry_on_error": [redis.ConnectionError, redis.TimeoutError]}
    if not target.sentinel:
        return redis.Redis.from_url(target.url, **options)
    return _sentinel_master(target, options)


def _sentinel_master(target: Target, options: dict[str, Any]) -> redis.Redis:
    if not target.sentinel_master:
        raise StoreError("a Sentinel PRP_REDIS_URL needs PRP_REDIS_SENTINEL_MASTER (the master's name)")
    hosts, password, db = sentinel_hosts(target.url)
    sentinel_kwargs: dict[str, Any] = {"socket_timeout": 1.0, "socket_connect_timeout": 1.0}
    if target.sentinel_password:
        sentinel_kwargs["password"] = target.sentinel_password
    sentinel = Sentinel(hosts, sentinel_kwargs=sentinel_kwargs, socket_timeout=30, socket_connect_timeout=5)
    client: redis.Redis = sentinel.master_for(target.sentinel_master, password=password, db=db, **options)
    return client


def binary_twin(client: redis.Redis) -> redis.Redis:
    """A client for the same server (or Sentinel-watched master) that leaves replies as bytes."""
    pool = client.connection_pool
    kwargs = dict(pool.connection_kwargs, decode_responses=False)
    if isinstance(pool, SentinelConnectionPool):
        twin = SentinelConnectionPool(pool.service_name, pool.sentinel_manager, **kwargs)
    else:
        twin = pool.__class__(connection_class=pool.connection_class, **kwargs)
    return client.__class__(connection_pool=twin)


def check_server(target: str | Target, timeout_s: float = 5.0) -> None:
    """Connect once, now: a server below the supported floor is refused at a service's start
    (:class:`~prp_tasks.errors.UnsupportedServer`) instead of by its first task. A server that
    cannot be reached is no error here: services wait for it as they always did."""
    target = target if isinstance(target, Target) else Target(target)
    if target.sentinel:
        client = connect(target)
    else:
        client = redis.Redis.from_url(
            target.url,
            redis_connect_func=check_connection,
            socket_connect_timeout=timeout_s,
            socket_timeout=timeout_s,
        )
    try:
        client.ping()
    except (redis.ConnectionError, redis.TimeoutError, StoreError):
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

    def __init__(self, client: redis.Redis, text: str, replicas: Replicas | None = None) -> None:
        self.client = client
        self.text = text
        self.sha = hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()
        self._lanes = _lanes(client)
        self.replicas = replicas if replicas is not None and replicas.count > 0 else None

    def __call__(self, keys: Sequence[Any] = (), args: Sequence[Any] = ()) -> Any:
        return self.then(keys, args)[0]

    def then(
        self, keys: Sequence[Any] = (), args: Sequence[Any] = (), reads: Sequence[tuple[Any, ...]] = ()
    ) -> list[Any]:
        """The script's reply, then the replies of ``reads`` (commands as Redis spells them),
        sent after it in the same round trip: they see what the script wrote."""
        conn = self._lanes.connection()
        commands: list[tuple[Any, ...]] = [("EVALSHA", self.sha, len(keys), *keys, *args), *reads]
        if self.replicas is not None:
            commands.append(self.replicas.command())
        try:
            replies = _round_trip(conn, commands)
        except NoScriptError:
            # loaded over this very connection: after a Sentinel failover the client's pooled
            # connections may still point at the old primary, back as a replica, which takes a
            # SCRIPT LOAD as readily as the new primary; the script would never reach the latter
            _round_trip(conn, [("SCRIPT", "LOAD", self.text)])
            replies = _round_trip(conn, commands)
        if self.replicas is not None:
            self.replicas.confirm(replies.pop())
        return replies


@dataclass(frozen=True)
class Replicas:
    """Transitions that matter wait until ``count`` replicas have them (``WAIT``, sent with the
    script in the same round trip), for at most ``timeout_ms``; fewer is an error
    (:class:`~prp_tasks.errors.NotReplicated`): the transition happened on the primary, but a
    failover right now could lose it, so the caller retries it (every transition is idempotent)."""

    count: int
    timeout_ms: int

    def command(self) -> tuple[Any, ...]:
        return ("WAIT", self.count, self.timeout_ms)

    def confirm(self, acknowledged: Any) -> None:
        if int(acknowledged) < self.count:
            raise NotReplicated(
                f"written on the primary but acknowledged by {acknowledged} of {self.count} replica(s) "
                f"within {self.timeout_ms} ms (PRP_REDIS_WAIT_REPLICAS): retry"
            )


class Batch:
    """Commands written at once and read back in order over the same connection as :class:`Script`
    (in ``MULTI``/``EXEC`` when ``transaction``): the engine's per-gate pipelines without redis-py's
    pipeline machinery, which costs more CPU than the few commands it sends. Commands are added as
    Redis spells them (``batch.add("HSET", key, field, value)``); ``execute`` raises the first
    error Redis reports and otherwise returns the replies."""

    def __init__(self, client: redis.Redis, *, transaction: bool, replicas: Replicas | None = None) -> None:
        self._lanes = _lanes(client)
        self.transaction = transaction
        self.commands: list[tuple[Any, ...]] = []
        #: wait for replicas after the batch (``WAIT`` cannot wait inside ``MULTI``: it follows EXEC)
        self.replicas = replicas if replicas is not None and replicas.count > 0 else None

    def add(self, *command: Any) -> None:
        self.commands.append(command)

    def execute(self) -> list[Any]:
        if not self.commands:
            return []
        commands = self.commands
        if self.transaction:
            commands = [("MULTI",), *commands, ("EXEC",)]
        if self.replicas is not None:
            commands = [*commands, self.replicas.command()]
        replies = _round_trip(self._lanes.connection(), commands)
        if self.replicas is not None:
            self.replicas.confirm(replies.pop())
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
        if not conn.is_connected:  # connect() is the one a Sentinel-managed connection overrides
            conn.connect()
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

    replies: list[Any] = conn.retry.call_with_retry(call, lambda _error: conn.disconnect())
    return replies
