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

import base64
import json
import os
import subprocess
import time
import uuid

import redis
from _shape import SHAPE
from celery import Celery, Task
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


# The floor (bench/floor.py) ---------------------------------------------------------------------
#
# What any redelivery-safe gate engine must add to a task, at the least, with no engine at all:
# one script that takes the gate's lease (a redelivery of a settled gate does nothing), the same
# `true`, then one script that records the result, settles the gate once, appends an event, counts
# the dependents' remaining dependencies and pushes the message of each that became ready onto the
# queue. No workspace, environment, evidence, budgets, metrics, spans or finalization.

DEPENDENTS = {gate: [d for d, deps in SHAPE.items() if gate in deps] for gate in SHAPE}
FLOOR_TASK = "bench.floor_gate"

ACQUIRE = """
if redis.call('HGET', KEYS[2], ARGV[3]) == 'done' then return 0 end
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return -1 end
return 1
"""
SETTLE = """
if redis.call('HSETNX', KEYS[1], ARGV[1], 'done') == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('XADD', KEYS[4], 'MAXLEN', '~', 10000, '*', 'type', 'gate.settled', 'gate', ARGV[1])
for i = 0, tonumber(ARGV[3]) - 1 do
  if redis.call('HINCRBY', KEYS[3], ARGV[4 + 2 * i], -1) == 0 then
    redis.call('LPUSH', KEYS[5], ARGV[5 + 2 * i])
  end
end
redis.call('DEL', KEYS[6])
redis.call('INCR', KEYS[7])
return 1
"""
_scripts: dict[int, tuple[object, object]] = {}


def floor_keys(run: str) -> dict[str, str]:
    return {name: f"floor:{run}:{name}" for name in ("gates", "records", "pending", "events")}


def floor_pending() -> dict[str, int]:
    """What a run's gates wait for when it is submitted (the producer writes it)."""
    return {gate: len(deps) for gate, deps in SHAPE.items() if deps}


def _floor_scripts() -> tuple[object, object]:
    pid = os.getpid()
    if pid not in _scripts:
        _scripts[pid] = (_redis().register_script(ACQUIRE), _redis().register_script(SETTLE))
    return _scripts[pid]


def floor_message(run: str, gate: str) -> str:
    """The dependent's task message as kombu's Redis transport stores it (Celery builds it)."""
    task_id = str(uuid.uuid4())
    headers, properties, body, _ = app.amqp.as_task_v2(task_id, FLOOR_TASK, args=(run, gate))
    properties.update(
        delivery_mode=2,
        delivery_info={"exchange": QUEUE, "routing_key": QUEUE},
        priority=0,
        body_encoding="base64",
        delivery_tag=str(uuid.uuid4()),
    )
    encoded = base64.b64encode(json.dumps(body).encode()).decode()
    message = {"body": encoded, "content-encoding": "utf-8", "content-type": "application/json"}
    return json.dumps(message | {"headers": headers, "properties": properties})


@app.task(name=FLOOR_TASK, bind=True, ignore_result=True, acks_late=True)
def floor_gate(self: Task, run: str, gate: str) -> str:
    """One gate at the floor: lease, `true`, then record + settle + event + dependents' messages."""
    acquire, settle = _floor_scripts()
    keys = floor_keys(run)
    lease = f"floor:{run}:lease:{gate}"
    if acquire(keys=[lease, keys["gates"]], args=[self.request.id, 600_000, gate]) != 1:  # type: ignore[operator]
        return "stale"
    started = time.time()
    code = subprocess.run(["true"]).returncode
    record = {"gate": gate, "check": "c", "status": "pass" if code == 0 else "fail", "exit_code": code}
    record |= {"started": started, "finished": time.time(), "worker": self.request.hostname}
    ready = [part for dep in DEPENDENTS[gate] for part in (dep, floor_message(run, dep))]
    keys_out = [keys["gates"], keys["records"], keys["pending"], keys["events"], QUEUE]
    settle(keys=[*keys_out, lease, COUNTER], args=[gate, json.dumps(record), len(ready) // 2, *ready])  # type: ignore[operator]
    return "done"
