"""Celery adapter: the app, its configuration and routing, built from :class:`Settings`.

Only this module and :mod:`prp_tasks.celeryapp.tasks` import Celery.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

import redis
from celery import Celery
from celery.worker.control import control_command
from kombu import Exchange, Queue

import prp_tasks.celeryapp.transport  # noqa: F401  (our Redis and Sentinel transports, by URL scheme)
from prp_tasks.celeryapp.publish import (
    FINALIZE_RUN,
    RUN_CHECK,
    Queued,
    RedisQueueWriter,
    direct_publish_possible,
    finalize_options,
    task_options,
)
from prp_tasks.engine.engine import Engine
from prp_tasks.engine.ports import CheckMessage
from prp_tasks.intake.profiles.cache import ProfileCache
from prp_tasks.settings import QUEUE_CLASSES, Settings
from prp_tasks.state.connection import Replicas, connect, target_of
from prp_tasks.state.keys import Keys
from prp_tasks.state.runs import RunStore

#: The routing table: task name -> queue class. ``prp.run_check`` follows its gate's ``queue``.
TASK_QUEUE_CLASS: dict[str, str | None] = {
    RUN_CHECK: None,
    FINALIZE_RUN: "control",
    "prp.submit_run": "control",
}


def queue_name(queue_class: str) -> str:
    """Broker queue of a queue class (``automated`` -> ``prp.automated``)."""
    return f"prp.{queue_class}"


def route_task(
    name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **kw: Any
) -> dict[str, str] | None:
    """Celery router over :data:`TASK_QUEUE_CLASS`."""
    if name not in TASK_QUEUE_CLASS:
        return None
    queue_class = TASK_QUEUE_CLASS[name] or (kwargs or {}).get("queue", "automated")
    return {"queue": queue_name(queue_class)}


def _queue(queue_class: str, quorum: bool = False) -> Queue:
    """One direct exchange per queue class, so a message reaches exactly one queue.

    ``quorum``: a replicated RabbitMQ quorum queue (Celery then uses per-consumer prefetch).
    """
    name = queue_name(queue_class)
    arguments = {"x-queue-type": "quorum"} if quorum else None
    # RabbitMQ's native delayed delivery (retries with a countdown on quorum queues) needs a topic
    # exchange; with the queue name as routing key it routes exactly like a direct one
    exchange = Exchange(name, type="topic" if quorum else "direct")
    return Queue(name, exchange, routing_key=name, queue_arguments=arguments, durable=True)


def celery_config(settings: Settings) -> dict[str, Any]:
    """Celery settings derived from ours: JSON only, late acks, no result backend."""
    return {
        "task_serializer": "json",
        "accept_content": ["json"],
        "result_serializer": "json",
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_queues": [_queue(c, settings.broker_quorum_queues) for c in QUEUE_CLASSES],
        "task_default_queue": queue_name("control"),
        "task_routes": (route_task,),
        "task_create_missing_queues": False,
        "broker_transport_options": {
            **_sentinel_options(settings),
            "visibility_timeout": settings.visibility_timeout_s,
            "unacked_restore_interval": settings.restore_interval_s,
            "unacked_restore_throttle": 1,
            "unacked_mutex_expire": restore_lock_s(settings),
            **settings.broker_transport_options,
        },
        "broker_connection_retry_on_startup": True,
        "broker_connection_max_retries": None,
        "worker_send_task_events": settings.task_events,
        "task_send_sent_event": settings.task_events,
        "worker_hijack_root_logger": False,
        "worker_autoscaler": "prp_tasks.celeryapp.autoscale:LoadAwareAutoscaler",
        "worker_redirect_stdouts": False,
        "enable_utc": True,
    }


def _sentinel_options(settings: Settings) -> dict[str, Any]:
    """kombu's Sentinel transport takes the master's name (and the Sentinels' password) as
    transport options, when the broker is the Sentinel-watched state Redis."""
    url = settings.broker_url or settings.redis_url or ""
    if not url.startswith("sentinel://") or settings.broker_url not in (None, settings.redis_url):
        return {}
    options: dict[str, Any] = {"master_name": settings.redis_sentinel_master}
    if settings.redis_sentinel_password:
        options["sentinel_kwargs"] = {"password": settings.redis_sentinel_password}
    return options


def restore_lock_s(settings: Settings) -> int:
    """How long the Redis transport's restore lock lives: a worker that dies holding it (it is
    taken while messages past the visibility timeout are put back) stops every worker's restores
    until it expires. kombu's 300 s, but never longer than the visibility timeout (at least 5 s):
    a restore that overlaps another at worst delivers a message twice, which every task tolerates."""
    return int(min(300, max(5, settings.visibility_timeout_s)))


class Runtime:
    """What tasks need at run time: settings, the store and the engine (built lazily, per process)."""

    def __init__(self, settings: Settings, app: Celery) -> None:
        self.settings = settings
        self.app = app

    @cached_property
    def redis(self) -> redis.Redis:
        if self.settings.redis_url is None:
            raise RuntimeError("PRP_REDIS_URL is not set")
        return connect(target_of(self.settings))

    @cached_property
    def profiles(self) -> ProfileCache:
        return ProfileCache(self.redis, self.keys, self.settings.profile_cache)

    @cached_property
    def keys(self) -> Keys:
        return Keys(self.settings.key_prefix)

    @cached_property
    def store(self) -> RunStore:
        replicas = Replicas(self.settings.redis_wait_replicas, self.settings.redis_wait_timeout_ms)
        return RunStore(self.redis, self.keys, self.profiles, replicas)

    @cached_property
    def engine(self) -> Engine:
        return Engine(self.settings, self.store, CeleryEnqueuer(self.app, self.settings))


class CeleryEnqueuer:
    """:class:`prp_tasks.engine.ports.Enqueuer` over Celery messages."""

    def __init__(self, app: Celery, settings: Settings | None = None) -> None:
        self.app = app
        self.direct = settings is not None and direct_publish_possible(settings)
        self.writer = RedisQueueWriter(app, queue_name) if self.direct else None

    def check(self, message: CheckMessage) -> None:
        self.app.send_task(
            RUN_CHECK, queue=queue_name(message.queue), task_id=message.task_id, **task_options(message)
        )

    def in_transaction(self, messages: Sequence[CheckMessage]) -> Queued | None:
        return self.writer.commands(messages) if self.writer is not None else None

    def finalize(self, run_id: str) -> None:
        self.app.send_task(FINALIZE_RUN, queue=queue_name("control"), **finalize_options(run_id))

    def finalize_message(self, run_id: str) -> tuple[str, str] | None:
        return self.writer.finalize(run_id) if self.writer is not None else None

    def release_workspaces(self, run_id: str) -> None:
        """Broadcast to every worker (remote control, no reply awaited); a missed one is GC'd later."""
        self.app.control.broadcast(RELEASE_COMMAND, arguments={"run_id": run_id})


RELEASE_COMMAND = "prp_release_workspace"


@control_command(args=[("run_id", str)], signature="<run_id>")  # type: ignore[untyped-decorator]
def prp_release_workspace(state: Any, run_id: str) -> dict[str, Any]:
    """Worker remote control: remove this worker's worktree of a finished run."""
    runtime: Runtime | None = getattr(state.consumer.app, "runtime", None)
    if runtime is None:
        return {"ok": False}
    try:
        return {"ok": runtime.engine.executor.release(run_id)}
    except Exception as exc:  # a remote-control handler must never take the worker down
        return {"error": str(exc)}


def create_celery(settings: Settings) -> Celery:
    """A configured Celery app with the ``prp.*`` tasks registered; ``app.runtime`` holds services."""
    from prp_tasks.celeryapp.tasks import register_tasks

    app = Celery("prp_tasks", broker=settings.broker, set_as_current=False)
    app.conf.update(celery_config(settings))
    runtime = Runtime(settings, app)
    app.runtime = runtime  # type: ignore[attr-defined]
    register_tasks(app, runtime)
    return app
