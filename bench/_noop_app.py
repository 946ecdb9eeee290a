"""The raw-Celery baseline of bench/throughput.py: a plain Celery app, no prp_tasks code.

Started as its own worker process: ``celery -A _noop_app worker ...`` with ``bench/`` on
PYTHONPATH and ``BENCH_REDIS_URL`` (redis-py form, e.g. ``unix:///tmp/x/redis.sock``) set.
Broker options mirror ``prp_tasks.celeryapp.app.celery_config`` where they matter for throughput:
JSON, late acks, reject on worker lost, prefetch multiplier 1, no result backend, no task events,
the same visibility/restore transport options, one queue behind its own direct exchange.

Each task counts its completion with one ``INCR`` of ``BENCH_COUNTER`` (a result backend would
add a write per task that prp-tasks does not have; one INCR is the cheapest honest "done" signal).
"""

from __future__ import annotations

import os
import subprocess

import redis
from celery import Celery
from kombu import Exchange, Queue

URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
COUNTER = os.environ.get("BENCH_COUNTER", "bench:noop:done")
QUEUE = "bench.noop"


def kombu_url(url: str) -> str:
    return "redis+socket://" + url[len("unix://") :] if url.startswith("unix://") else url


app = Celery("bench_noop", broker=kombu_url(URL), set_as_current=True)
app.conf.update(
    task_serializer="json",
    accept_content=["json"],
    result_serializer="json",
    task_ignore_result=True,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_queues=[Queue(QUEUE, Exchange(QUEUE, type="direct"), routing_key=QUEUE)],
    task_default_queue=QUEUE,
    task_default_exchange=QUEUE,
    task_default_routing_key=QUEUE,
    broker_transport_options={
        "visibility_timeout": 3600,
        "unacked_restore_interval": 10,
        "unacked_restore_throttle": 1,
    },
    broker_connection_retry_on_startup=True,
    worker_send_task_events=False,
    task_send_sent_event=False,
    worker_hijack_root_logger=False,
    worker_redirect_stdouts=False,
    enable_utc=True,
)

_client: dict[int, redis.Redis] = {}


def _redis() -> redis.Redis:
    """One client per process (prefork children must not share the parent's sockets)."""
    pid = os.getpid()
    if pid not in _client:
        _client[pid] = redis.Redis.from_url(URL)
    return _client[pid]


@app.task(name="bench.noop_command", ignore_result=True, acks_late=True)
def noop_command() -> None:
    """What one `run: ["true"]` check does at its core: spawn `true` and wait for it."""
    subprocess.run(["true"], check=True)
    _redis().incr(COUNTER)


@app.task(name="bench.noop", ignore_result=True, acks_late=True)
def noop() -> None:
    """No work at all: the price of one Celery task round trip plus the completion count."""
    _redis().incr(COUNTER)
