"""kombu's Redis transport, with one ``redis.Redis`` object per channel instead of one per call,
and the unacked-message bookkeeping written as packed commands.

kombu builds a new client object for every ack, every unacked-message record and every publish of
a channel; with redis-py 8 each construction copies ~170 response callbacks. In a threads worker
that was ~10% of the time spent holding the GIL (``py-spy --gil``), twice per task. A redis-py
client over a connection pool is thread-safe, so one per channel (and pool) does the same work.
The asynchronous client (BRPOP, pub/sub) is left as kombu makes it.

Every delivered message is recorded as unacked (``ZADD`` + ``HSET`` in a transaction) and its ack
removes it (``ZREM`` + ``HDEL``). kombu sends each pair through a redis-py pipeline, ~110 µs of CPU
per message for the two; :class:`QoS` writes the same commands, keys and values as one packed
``MULTI``/``EXEC`` (:class:`prp_tasks.redis_client.Batch`) over one connection of the channel's
pool, ~35 µs. Restoring unacked messages (a lost worker, the visibility timeout) reads them as
kombu does.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import kombu.transport as kombu_transport
from kombu.transport import redis as kombu_redis
from kombu.transport import virtual
from kombu.utils.json import dumps

from prp_tasks.redis_client import Batch


class QoS(kombu_redis.QoS):  # type: ignore[misc]
    """kombu's unacked-message records, each written in one packed transaction (kombu's own way
    when the channel has a ``global_keyprefix``: its client prefixes every key it sends)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held_lock = threading.Lock()
        self._held: tuple[Any, Any, int] | None = None  # (pool, connection, pid)

    def append(self, message: Any, delivery_tag: str) -> None:
        if self.channel.global_keyprefix:
            super().append(message, delivery_tag)
            return
        delivery = message.delivery_info
        record = dumps([message._raw, delivery["exchange"], delivery["routing_key"]])
        self._transaction(
            ("ZADD", self.unacked_index_key, time.time(), delivery_tag),
            ("HSET", self.unacked_key, delivery_tag, record),
        )
        virtual.QoS.append(self, message, delivery_tag)

    def ack(self, delivery_tag: str) -> None:
        if self.channel.global_keyprefix:
            super().ack(delivery_tag)
            return
        self._transaction(
            ("ZREM", self.unacked_index_key, delivery_tag), ("HDEL", self.unacked_key, delivery_tag)
        )
        virtual.QoS.ack(self, delivery_tag)

    def _transaction(self, *commands: tuple[Any, ...]) -> None:
        """The commands in one packed MULTI/EXEC over the connection this QoS holds: one of the
        channel's pool, checked out once (it counts against the pool's limit, and the pool closes
        it when the channel closes or reconnects), taken again from a new pool after a reconnect
        or in a forked child; one transaction at a time."""
        client = self.channel._create_client()
        batch = Batch(client, transaction=True)
        for command in commands:
            batch.add(*command)
        pool = client.connection_pool
        with self._held_lock:
            if self._held is None or self._held[0] is not pool or self._held[2] != os.getpid():
                self._held = (pool, pool.get_connection(), os.getpid())
            batch.execute(self._held[1])


class Channel(kombu_redis.Channel):  # type: ignore[misc]
    QoS = QoS
    _shared_client: Any = None

    def _create_client(self, asynchronous: bool = False) -> Any:
        if asynchronous:
            return super()._create_client(asynchronous=True)
        client = self._shared_client
        if client is None or client.connection_pool is not self.pool:  # a new pool after reconnect
            client = self._shared_client = super()._create_client()
        return client


class Transport(kombu_redis.Transport):  # type: ignore[misc]
    Channel = Channel


#: the URL scheme that selects this transport (``prp-redis://``, ``prp-redis+socket://``)
SCHEME = "prp-redis"
kombu_transport.TRANSPORT_ALIASES.setdefault(SCHEME, f"{__name__}:Transport")


def broker_url(kombu_url: str) -> str:
    """A kombu broker URL using this transport where kombu would use its plain Redis one
    (``redis://`` and ``redis+socket://``; TLS, Sentinel and other brokers stay as they are)."""
    for plain in ("redis://", "redis+socket://"):
        if kombu_url.startswith(plain):
            return SCHEME + kombu_url[len("redis") :]
    return kombu_url
