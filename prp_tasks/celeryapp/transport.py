"""kombu's Redis and Sentinel transports, with two changes, used for ``redis://``, ``rediss://``,
``redis+socket://`` and ``sentinel://`` broker URLs in prp-tasks' processes.

* **One ``redis.Redis`` object per channel.** kombu builds a new client object for every ack,
  every unacked-message record and every publish of a channel; with redis-py 8 each construction
  copies ~170 response callbacks. In a threads worker that was ~10% of the time spent holding the
  GIL (``py-spy --gil``), twice per task. A redis-py client over a connection pool is thread-safe,
  so one per channel (and pool) does the same work. The asynchronous client (BRPOP, pub/sub) is
  left as kombu makes it.
* **A channel closed after its connection was released can still reach the server.** When the
  broker's connection breaks (a Sentinel failover, a restart), Celery releases the connection and
  then closes its channels; closing a channel puts its unacknowledged messages back, which needs a
  fresh pool, whose parameters kombu reads from the connection it has just dropped (``'NoneType'
  object has no attribute 'hostname'``: the worker stopped with an "Unrecoverable error"). The
  transports here keep the last connection they were given.

They replace kombu's under its own URL schemes (kombu's transport aliases), so the broker URL
stays what was configured (Flower and ``celery inspect`` see a ``redis://`` or ``sentinel://``
broker) and a failover switch to another Sentinel address (kombu re-resolves the transport from the
URL's scheme) keeps them.
"""

from __future__ import annotations

from typing import Any

import kombu.transport as kombu_transport
from kombu.transport import redis as kombu_redis


class _SharedClient:
    """Mixed into the channels: one synchronous client per channel and pool."""

    _shared_client: Any = None

    def _create_client(self, asynchronous: bool = False) -> Any:
        if asynchronous:
            return super()._create_client(asynchronous=True)  # type: ignore[misc]
        client = self._shared_client
        if client is None or client.connection_pool is not self.pool:  # type: ignore[attr-defined]
            client = self._shared_client = super()._create_client()  # type: ignore[misc]
        return client


class Channel(_SharedClient, kombu_redis.Channel):
    pass


class SentinelChannel(_SharedClient, kombu_redis.SentinelChannel):
    pass


class _KeepsClient:
    """kombu sets ``transport.client`` to None on release; channels closing afterwards still need
    its parameters, so the last connection given is kept."""

    _client: Any = None

    @property
    def client(self) -> Any:
        return self._client

    @client.setter
    def client(self, value: Any) -> None:
        if value is not None:
            self._client = value


class Transport(_KeepsClient, kombu_redis.Transport):
    Channel = Channel


class SentinelTransport(_KeepsClient, kombu_redis.SentinelTransport):
    Channel = SentinelChannel


for _scheme in ("redis", "rediss"):
    kombu_transport.TRANSPORT_ALIASES[_scheme] = f"{__name__}:Transport"
kombu_transport.TRANSPORT_ALIASES["sentinel"] = f"{__name__}:SentinelTransport"
