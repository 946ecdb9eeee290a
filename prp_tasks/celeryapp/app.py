"""The Celery app: its configuration and routing, built from :class:`Settings`.

The app carries no services of its own: the composition root (:mod:`.runtime`) registers the
tasks with the services they call (:func:`prp_tasks.celeryapp.tasks.register_tasks`) and keeps
them on the app (:func:`services_of`) for the worker-side hooks Celery gives only the app to
(bootsteps, remote-control commands).
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.worker.control import control_command
from kombu.entity import Exchange, Queue

import prp_tasks.celeryapp.transport  # noqa: F401  (our Redis and Sentinel transports, by URL scheme)
from prp_tasks.celeryapp.publish import RELEASE_COMMAND
from prp_tasks.celeryapp.tasks import Services
from prp_tasks.routing import CONTROL, DEFAULT_QUEUE_CLASS, QUEUE_CLASSES, TASK_QUEUE_CLASS, queue_name
from prp_tasks.settings import Settings


def route_task(
    name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **kw: Any
) -> dict[str, str] | None:
    """Celery router over :data:`prp_tasks.routing.TASK_QUEUE_CLASS`."""
    if name not in TASK_QUEUE_CLASS:
        return None
    queue_class = TASK_QUEUE_CLASS[name] or (kwargs or {}).get("queue", DEFAULT_QUEUE_CLASS)
    return {"queue": queue_name(queue_class)}


def _queue(queue_class: str, quorum: bool = False) -> Queue:
    """One direct exchange per queue class, so a message reaches exactly one queue.

    ``quorum``: a replicated RabbitMQ quorum queue (Celery then uses per-consumer prefetch).
    """
    name = queue_name(queue_class)
    arguments = {"x-queue-type": "quorum"} if quorum else None
    # RabbitMQ's native delayed delivery (retries with a countdown on quorum queues) needs a topic
    # exchange; with the queue name as routing key it routes exactly like a direct one
    exchange = Exchange(name, type="topic" if quorum else "direct")  # type: ignore[no-untyped-call]
    return Queue(  # type: ignore[no-untyped-call]
        name, exchange, routing_key=name, queue_arguments=arguments, durable=True
    )


def celery_config(settings: Settings) -> dict[str, Any]:
    """Celery settings derived from ours: JSON only, late acks, no result backend."""
    return {
        "task_serializer": "json",
        "accept_content": ["json"],
        "result_serializer": "json",
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        # a task that ends in a failure state (a failed check, a refused submission) is acked, not
        # redelivered: its work is recorded already (Celery's default, stated because we rely on it)
        "task_acks_on_failure_or_timeout": True,
        "worker_prefetch_multiplier": 1,
        "task_queues": [_queue(c, settings.broker_quorum_queues) for c in QUEUE_CLASSES],
        "task_default_queue": queue_name(CONTROL),
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


def services_of(app: Celery) -> Services:
    """The services the composition root attached to ``app`` (:mod:`.runtime`)."""
    services: Services = app.prp_services
    return services


@control_command(name=RELEASE_COMMAND, args=[("run_id", str)], signature="<run_id>")  # type: ignore[untyped-decorator]
def release_workspace(state: Any, run_id: str) -> dict[str, Any]:
    """Worker remote control: remove this worker's worktree of a finished run."""
    services: Services | None = getattr(state.consumer.app, "prp_services", None)
    if services is None:
        return {"ok": False}
    try:
        return {"ok": services.executor.release(run_id)}
    except Exception as exc:  # a remote-control handler must never take the worker down
        return {"error": str(exc)}


def create_celery(settings: Settings) -> Celery:
    """A configured Celery app without tasks (the composition root registers them)."""
    app = Celery("prp_tasks", broker=settings.broker, set_as_current=False)
    app.conf.update(celery_config(settings))
    return app
