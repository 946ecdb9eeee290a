"""One object that owns the state Redis: the client and one store per concept over it.

Built once per process by the composition root (:mod:`prp_tasks.celeryapp.runtime`); everything
above this package reaches Redis only through these stores, never through a client.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property

import redis

from prp_tasks.settings import Settings
from prp_tasks.state.admission import AdmissionStore
from prp_tasks.state.approvals import ApprovalStore
from prp_tasks.state.artifacts import ArtifactStore
from prp_tasks.state.breakers import BreakerStore
from prp_tasks.state.broker import BrokerLists
from prp_tasks.state.checks import CheckStore
from prp_tasks.state.codec import ProfileResolver
from prp_tasks.state.connection import Replicas, connect, target_of, wrap_errors
from prp_tasks.state.counters import RateWindows
from prp_tasks.state.deadlines import DeadlineStore
from prp_tasks.state.events import EventSink, EventStream
from prp_tasks.state.finish import FinishStore
from prp_tasks.state.idempotency import IdempotencyStore
from prp_tasks.state.keys import Keys
from prp_tasks.state.live_runs import LiveRuns
from prp_tasks.state.metrics import MetricStore
from prp_tasks.state.notices import FinalNotices
from prp_tasks.state.profile_store import ProfileStore
from prp_tasks.state.repair import Leases, RepairStore
from prp_tasks.state.reuse import ReuseStore
from prp_tasks.state.runs import RunStore
from prp_tasks.state.workers import WorkerBeats


class State:
    """The state Redis of one deployment (``PRP_REDIS_URL``, ``PRP_KEY_PREFIX``).

    ``resolver`` makes the parser of stored profiles from the profile cache's Redis tier
    (:class:`prp_tasks.intake.profiles.cache.ProfileCache`); stores are built on first use.
    """

    def __init__(
        self,
        client: redis.Redis,
        settings: Settings,
        resolver: Callable[[ProfileStore], ProfileResolver],
    ) -> None:
        self.client = client
        self.settings = settings
        self.keys = Keys(settings.key_prefix)
        self.replicas = Replicas(settings.redis_wait_replicas, settings.redis_wait_timeout_ms)
        self._resolver = resolver

    @classmethod
    def connect(cls, settings: Settings, resolver: Callable[[ProfileStore], ProfileResolver]) -> State:
        """The state Redis of ``settings`` (which must name one)."""
        return cls(connect(target_of(settings)), settings, resolver)

    def broker_lists(self, queues: Sequence[str]) -> BrokerLists:
        """The Redis transport's lists of ``queues`` when this Redis is the broker too."""
        return BrokerLists(self.client, queues)

    def ping(self) -> bool:
        with wrap_errors():
            return bool(self.client.ping())

    @cached_property
    def profile_store(self) -> ProfileStore:
        return ProfileStore(self.client, self.keys, self.settings.profile_cache)

    @cached_property
    def profiles(self) -> ProfileResolver:
        return self._resolver(self.profile_store)

    @cached_property
    def runs(self) -> RunStore:
        return RunStore(self.client, self.keys, self.profiles, self.replicas)

    @cached_property
    def finish(self) -> FinishStore:
        return FinishStore(self.client, self.keys, self.runs.replicas)

    @cached_property
    def live(self) -> LiveRuns:
        return LiveRuns(self.client, self.keys)

    @cached_property
    def notices(self) -> FinalNotices:
        return FinalNotices(self.client, self.keys)

    @cached_property
    def checks(self) -> CheckStore:
        return CheckStore(self.client, self.keys, self.runs.replicas)

    @cached_property
    def approvals(self) -> ApprovalStore:
        return ApprovalStore(self.runs)

    @cached_property
    def admission(self) -> AdmissionStore:
        return AdmissionStore(self.client, self.keys)

    @cached_property
    def deadlines(self) -> DeadlineStore:
        return DeadlineStore(self.client, self.keys)

    @cached_property
    def idempotency(self) -> IdempotencyStore:
        return IdempotencyStore(self.client, self.keys, self.settings.retention_s)

    @cached_property
    def reuse(self) -> ReuseStore:
        return ReuseStore(self.client, self.keys, self.settings.retention_s)

    @cached_property
    def breakers(self) -> BreakerStore:
        return BreakerStore(self.client, self.keys)

    @cached_property
    def events(self) -> EventSink:
        return EventSink(self.client, self.keys, self.settings.events_maxlen)

    @cached_property
    def stream(self) -> EventStream:
        return EventStream(self.client, self.keys)

    @cached_property
    def artifacts(self) -> ArtifactStore:
        return ArtifactStore(self.client, self.keys, self.settings)

    @cached_property
    def repairs(self) -> RepairStore:
        return RepairStore(self.client, self.keys)

    @cached_property
    def leases(self) -> Leases:
        return Leases(self.client, self.keys)

    @cached_property
    def workers(self) -> WorkerBeats:
        return WorkerBeats(self.client, self.keys)

    @cached_property
    def metrics(self) -> MetricStore:
        return MetricStore(self.client, self.keys)

    @cached_property
    def rate_windows(self) -> RateWindows:
        return RateWindows(self.client, self.keys)
