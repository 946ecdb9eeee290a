"""The composition root: every long-lived object of a process, built from one :class:`Settings`.

``Runtime(settings)`` wires, on first use and once per process, the state stores
(:class:`prp_tasks.state.manager.State`), the parsed-profile cache, the engine and its parts,
approvals, housekeeping (deadlines, the repair loop, the sweeper), the service layer's
:class:`prp_tasks.service.control.Control` and the Celery app whose tasks call into them. Nothing
else constructs these or reaches them through another object: front ends ask the runtime for a
``control``, workers for the ``app``.

Object graph (arrows: "is handed")::

    State ──► Lifecycle, RunLimits ──► Followups ──► Approvals ─┐
      │                                  ▲                      ▼
      ├──► CheckExecutor ──► Finalizer ──┴──────────────────► Engine ──► Deadlines, Reconciler ──► Sweeper
      │                                                         │
      └────────────────────────────────────────────────────────┴──► Control ◄── front ends

Followups and the engine refer to each other (draining an outbox completes gates, completing a
gate fills the outbox); the runtime binds the engine once both exist (:meth:`Followups.answer_to`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property

from celery import Celery

from prp_tasks.approvals.authz import Authorizer
from prp_tasks.approvals.service import Approvals
from prp_tasks.celeryapp.app import create_celery
from prp_tasks.celeryapp.health import waiting_messages
from prp_tasks.celeryapp.publish import CeleryEnqueuer
from prp_tasks.celeryapp.tasks import register_tasks
from prp_tasks.engine.engine import Engine
from prp_tasks.engine.execution import CheckExecutor
from prp_tasks.engine.finalization import Finalizer
from prp_tasks.engine.followups import Followups
from prp_tasks.engine.limits import RunLimits
from prp_tasks.engine.ports import Enqueuer
from prp_tasks.errors import ConfigError, InputError, RunNotFound
from prp_tasks.housekeeping.deadlines import Deadlines
from prp_tasks.housekeeping.reconciler import Reconciler
from prp_tasks.housekeeping.sweeper import Sweeper
from prp_tasks.intake.profiles.cache import ProfileCache
from prp_tasks.routing import QUEUE_CLASSES, all_queue_names, queue_name
from prp_tasks.service.control import Control
from prp_tasks.settings import Settings
from prp_tasks.state.broker import BrokerLists
from prp_tasks.state.connection import check_server, target_of
from prp_tasks.state.manager import State
from prp_tasks.telemetry.collector import MetricsReader
from prp_tasks.telemetry.lifecycle import Lifecycle
from prp_tasks.telemetry.tracing import Tracing


@dataclass(frozen=True)
class _Engine:
    """The engine and the parts it shares with approvals and housekeeping, wired together."""

    engine: Engine
    approvals: Approvals
    followups: Followups
    executor: CheckExecutor
    limits: RunLimits


class Runtime:
    """One deployment's objects in this process (see the module doc); all built lazily."""

    def __init__(self, settings: Settings, *, enqueuer: Enqueuer | None = None) -> None:
        self.settings = settings
        #: how the engine hands out work; Celery messages unless given (benchmarks without a broker)
        self._enqueuer = enqueuer

    def check_server(self) -> None:
        """Refuse a state Redis below the supported floor (UnsupportedServer), or one that does
        not answer (StoreError), before a long-lived process starts on it."""
        check_server(target_of(self.settings))

    # state --------------------------------------------------------------------------------------

    @cached_property
    def state(self) -> State:
        if self.settings.redis_url is None:
            raise ConfigError("PRP_REDIS_URL is not set (it names the shared Redis)")
        return State.connect(self.settings, lambda _store: self.profiles)

    @cached_property
    def profiles(self) -> ProfileCache:
        return ProfileCache(self.state.profile_store, self.settings.profile_cache)

    # the Celery side ----------------------------------------------------------------------------

    @cached_property
    def app(self) -> Celery:
        """The Celery app, its tasks calling into this runtime."""
        app = create_celery(self.settings)
        register_tasks(app, self)
        app.prp_services = self  # for worker hooks (services_of)
        return app

    @cached_property
    def enqueuer(self) -> Enqueuer:
        return self._enqueuer or CeleryEnqueuer(self.app, self.settings, self.tracing)

    @cached_property
    def tracing(self) -> Tracing:
        """This process's traces (a no-op unless an exporter is configured)."""
        return Tracing(self.settings)

    # the engine ---------------------------------------------------------------------------------

    @cached_property
    def _engine(self) -> _Engine:
        settings, state = self.settings, self.state
        lifecycle = Lifecycle(state.events, self.tracing)
        limits = RunLimits(settings, state.admission)
        followups = Followups(settings, state, self.enqueuer, lifecycle, limits)
        authorizer = Authorizer.from_sources(settings.roles, settings.roles_file)
        approvals = Approvals(settings, state, authorizer, lifecycle, followups)
        executor = CheckExecutor(settings, state)
        finalizer = Finalizer(settings, state, self.enqueuer, executor, limits, lifecycle)
        engine = Engine(
            settings,
            state,
            followups=followups,
            approvals=approvals,
            executor=executor,
            finalizer=finalizer,
            limits=limits,
            lifecycle=lifecycle,
        )
        followups.answer_to(engine)
        return _Engine(engine, approvals, followups, executor, limits)

    @property
    def engine(self) -> Engine:
        return self._engine.engine

    @property
    def approvals(self) -> Approvals:
        return self._engine.approvals

    @property
    def executor(self) -> CheckExecutor:
        return self._engine.executor

    @property
    def limits(self) -> RunLimits:
        return self._engine.limits

    # housekeeping -------------------------------------------------------------------------------

    @cached_property
    def deadlines(self) -> Deadlines:
        return Deadlines(self.settings, self.state, self.engine, self.limits)

    @cached_property
    def reconciler(self) -> Reconciler:
        wired = self._engine
        broker = self._broker_lists()
        return Reconciler(self.settings, self.state, wired.engine, wired.followups, wired.limits, broker)

    def _broker_lists(self) -> BrokerLists | None:
        """How the repair loop lists live message ids: the Redis transport's lists (on the state
        Redis, Sentinel included, or on a Redis broker of its own); None for other brokers."""
        broker_url, queues = self.settings.broker_url, all_queue_names()
        if broker_url in (None, self.settings.redis_url):
            return self.state.broker_lists(queues)
        if broker_url.startswith(("redis://", "rediss://", "unix://")):
            return BrokerLists.connect(broker_url, queues)
        return None

    @cached_property
    def sweeper(self) -> Sweeper:
        return Sweeper(
            self.approvals, self.state.leases, self.settings.sweep_interval_s, self.deadlines, self.reconciler
        )

    # the service layer and telemetry --------------------------------------------------------------

    @cached_property
    def control(self) -> Control:
        return Control(self.settings, self.state, self.engine, self.approvals, self.profiles)

    def metrics_reader(self) -> MetricsReader:
        """The background aggregate; queue lengths come from the broker when it is not the state
        Redis (e.g. RabbitMQ)."""
        settings = self.settings
        depth = None
        if settings.broker_url is not None and settings.broker_url != settings.redis_url:
            app = self.app
            depth = lambda queue: waiting_messages(app, queue_name(queue))  # noqa: E731
        return MetricsReader(self.state.metrics, QUEUE_CLASSES, settings.metrics_interval_s, depth)


def runtime_for(settings: Settings, redis_url: str) -> Runtime:
    """A runtime for ``settings`` on another Redis (an embedded server's)."""
    return Runtime(settings.model_copy(update={"redis_url": redis_url}))


def find_run(settings: Settings, run_id: str, urls: list[str]) -> Runtime:
    """The runtime of the first of ``urls`` (embedded servers' Redis URLs) holding ``run_id``."""
    for url in urls:
        runtime = runtime_for(settings, url)
        try:
            if runtime.control.exists(run_id):
                return runtime
        except Exception:
            continue
    raise RunNotFound(f"no such run: {run_id} (checked {len(urls)} embedded server(s))")


@contextmanager
def connected(settings: Settings) -> Iterator[Runtime]:
    """``PRP_REDIS_URL``'s runtime, its server checked against the floor, for a long-lived command."""
    if settings.redis_url is None:
        raise InputError("PRP_REDIS_URL is not set")
    runtime = Runtime(settings)
    runtime.check_server()
    yield runtime
