"""Starting Celery workers for queue classes: one code path for ``prp worker``, Procfile and units."""

from __future__ import annotations

import contextvars
import socket
from typing import Any

from celery.signals import setup_logging as celery_setup_logging
from celery.signals import task_postrun, task_prerun

from prp_tasks.celeryapp.bootsteps import install_housekeeping
from prp_tasks.celeryapp.health import install_beat
from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.celeryapp.tracing import install_tracing
from prp_tasks.errors import ConfigError
from prp_tasks.routing import QUEUE_CLASSES, queue_name
from prp_tasks.settings import QueueSettings, Settings
from prp_tasks.telemetry.logs import bind, setup_logging, unbind


def worker_argv(
    settings: Settings,
    classes: tuple[str, ...],
    *,
    concurrency: int | None = None,
    pool: str | None = None,
    loglevel: str = "INFO",
    hostname: str | None = None,
) -> list[str]:
    """``celery worker`` arguments for ``classes``, from their (effective) queue settings.

    A process consuming several classes uses the first class's pool, prefetch and limits and the
    sum of their concurrency. A prefork pool whose class has a ``max_concurrency`` above its
    concurrency autoscales between the two (:mod:`prp_tasks.celeryapp.autoscale`), unless ``concurrency``
    is given explicitly; other pools cannot resize and run at the upper bound.
    """
    _check_classes(classes)
    queues = [settings.queue(c) for c in classes]
    first = queues[0]
    chosen_pool = pool or first.pool
    upper = sum(q.upper for q in queues)
    # only prefork pools can grow and shrink: any other pool runs at the upper bound
    base = concurrency or (sum(q.concurrency for q in queues) if chosen_pool == "prefork" else upper)
    options = {
        "--queues": ",".join(queue_name(c) for c in classes),
        "--concurrency": str(base),
        "--pool": chosen_pool,
        "--prefetch-multiplier": str(first.prefetch_multiplier),
        "--loglevel": loglevel,
        "--hostname": hostname or f"{'+'.join(classes)}@{socket.gethostname()}",
    }
    if concurrency is None and chosen_pool == "prefork" and upper > base:
        options["--autoscale"] = f"{upper},{base}"
    options.update(_limits(first))
    flags = ["--without-mingle", *(["--task-events"] if settings.task_events else [])]
    return ["worker", *[part for pair in options.items() for part in pair], *flags]


def _limits(queue: QueueSettings) -> dict[str, str]:
    limits = {
        "--max-tasks-per-child": queue.max_tasks_per_child,
        "--time-limit": queue.time_limit_s,
        "--soft-time-limit": queue.soft_time_limit_s,
    }
    return {flag: f"{v:g}" if isinstance(v, float) else str(v) for flag, v in limits.items() if v}


def _check_classes(classes: tuple[str, ...]) -> None:
    if not classes:
        raise ConfigError("no queue class given")
    unknown = [c for c in classes if c not in QUEUE_CLASSES]
    if unknown:
        known = ", ".join(QUEUE_CLASSES)
        raise ConfigError(f"unknown queue class(es): {', '.join(unknown)} (known: {known})")


def run_worker(settings: Settings, classes: tuple[str, ...], **options: object) -> None:
    """Run a worker in this process until it is told to stop (blocks)."""
    if settings.redis_url is None:
        raise ConfigError("PRP_REDIS_URL must be set to start a worker (it names the shared Redis)")
    argv = worker_argv(settings, classes, **options)  # type: ignore[arg-type]
    runtime = Runtime(settings)
    runtime.check_server()
    setup_logging(settings, level=str(options.get("loglevel") or settings.log_level))
    bind_task_context()
    app = runtime.app
    install_housekeeping(app)
    install_tracing(runtime.tracing)
    node = argv[argv.index("--hostname") + 1]
    slots = (
        int(argv[argv.index("--autoscale") + 1].split(",")[0])
        if "--autoscale" in argv
        else int(argv[argv.index("--concurrency") + 1])
    )
    install_beat(runtime.state.workers, node, [queue_name(c) for c in classes], slots)
    app.worker_main(argv)


def bind_task_context() -> None:
    """Bind the task context around every task (Celery's own lines included), and keep Celery from
    replacing this logging setup."""
    tokens: dict[str, contextvars.Token[dict[str, Any] | None]] = {}

    def prerun(task_id: str = "", kwargs: dict[str, Any] | None = None, **_: Any) -> None:
        kwargs = kwargs or {}
        tokens[task_id] = bind(
            task_id=task_id,
            run_id=kwargs.get("run_id"),
            gate_id=kwargs.get("gate_id"),
            check=kwargs.get("check"),
        )

    def postrun(task_id: str = "", **_: Any) -> None:
        token = tokens.pop(task_id, None)
        if token is not None:
            unbind(token)

    task_prerun.connect(prerun, weak=False)
    task_postrun.connect(postrun, weak=False)
    celery_setup_logging.connect(lambda **_: None, weak=False)
