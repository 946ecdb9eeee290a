"""The shared metric values in Redis, read in one round trip for the Prometheus aggregate.

The metric hash (``P:metrics``) is written by the state scripts and by
:mod:`prp_tasks.telemetry.observe`; its size depends on label cardinality only. The reads here are
a fixed, small set (the hash, pending approvals, the oldest pending one, profile-cache counters,
queue lengths when the broker is this Redis), so an aggregate costs the same whatever the history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import redis

from prp_tasks.state.connection import wrap_errors
from prp_tasks.state.keys import Keys


@dataclass(frozen=True)
class MetricValues:
    """One read of the shared values."""

    metrics: dict[str, str]  #: the metric hash (``name|label=value...`` -> number)
    pending: int  #: parked gates
    oldest: list[tuple[str, float]]  #: the oldest parked gate and when it parked (ms), if any
    profile: dict[str, str]  #: profile-cache counters
    queue_lengths: list[int]  #: the lengths of the lists asked for, in order


class MetricStore:
    """Reads the shared metric values."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.redis = client
        self.keys = keys

    def read(self, queue_lists: Sequence[str] = ()) -> MetricValues:
        """The values, plus the lengths of ``queue_lists`` (broker queues on this Redis)."""
        pending_key = self.keys.approvals("pending")
        with wrap_errors(), self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(self.keys.metrics)
            pipe.zcard(pending_key)
            pipe.zrange(pending_key, 0, 0, withscores=True)
            pipe.hgetall(self.keys.profile_stats)
            for queue in queue_lists:
                pipe.llen(queue)
            raw, pending, oldest, profile, *lengths = pipe.execute()
        return MetricValues(raw, int(pending), list(oldest), profile, [int(n) for n in lengths])
