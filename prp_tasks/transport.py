"""kombu's Redis transport, with one ``redis.Redis`` object per channel instead of one per call.

kombu builds a new client object for every ack, every unacked-message record and every publish of
a channel; with redis-py 8 each construction copies ~170 response callbacks. In a threads worker
that was ~10% of the time spent holding the GIL (``py-spy --gil``), twice per task. A redis-py
client over a connection pool is thread-safe, so one per channel (and pool) does the same work.
The asynchronous client (BRPOP, pub/sub) is left as kombu makes it.
"""

from __future__ import annotations

from typing import Any

import kombu.transport as kombu_transport
from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):  # type: ignore[misc]
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
