"""What the Redis broker transport holds: the ids of messages queued or reserved.

kombu's Redis transport keeps a queue as a list of JSON messages and a worker's reserved
(unacknowledged) messages in the ``unacked`` hash; the repair loop asks which dispatched check
messages are still there (:mod:`prp_tasks.housekeeping.reconciler`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import redis

from prp_tasks.state.connection import connect, wrap_errors


class BrokerLists:
    """Message ids in a Redis broker (the state Redis, or a Redis broker of its own)."""

    def __init__(self, client: redis.Redis, queues: Sequence[str]) -> None:
        self.redis = client
        self.queues = list(queues)

    @classmethod
    def connect(cls, url: str, queues: Sequence[str]) -> BrokerLists:
        """The lists on a Redis broker of its own (``PRP_BROKER_URL``)."""
        return cls(connect(url), queues)

    def message_ids(self) -> set[str]:
        """Ids queued in the queues or reserved (``unacked``), read in one transaction (a
        consistent snapshot of the lists and the hash)."""
        with wrap_errors(), self.redis.pipeline(transaction=True) as pipe:
            for queue in self.queues:
                pipe.lrange(queue, 0, -1)
            pipe.hvals("unacked")
            *queued, unacked = pipe.execute()
        ids = {_message_id(json.loads(raw)) for batch in queued for raw in batch}
        return ids | {_message_id(json.loads(raw)[0]) for raw in unacked}

    def waiting_tasks(self, limit: int = 100) -> dict[str, list[str]]:
        """Per queue, the task names of up to ``limit`` messages waiting in it (oldest last)."""
        with wrap_errors(), self.redis.pipeline(transaction=False) as pipe:
            for queue in self.queues:
                pipe.lrange(queue, 0, limit - 1)
            found = pipe.execute()
        return {
            queue: [str((json.loads(raw).get("headers") or {}).get("task")) for raw in batch]
            for queue, batch in zip(self.queues, found, strict=True)
            if batch
        }


def _message_id(message: dict[str, Any]) -> str:
    return str(
        (message.get("headers") or {}).get("id") or (message.get("properties") or {}).get("correlation_id")
    )
