"""Worker health: a beat each worker writes to Redis, and the check probes run against it.

A worker is healthy when (1) it answers a remote-control ping through the broker, (2) its beat in
``P:worker:NODE`` is fresh (the process is not hung), and (3) it is consuming: none of its queues
has messages waiting while the worker has free slots and received nothing for ``stale_s``. The
third catches a worker that silently stopped consuming (e.g. after a Redis reconnect) while it
still answers pings.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from celery import Celery
from celery.signals import task_received, worker_ready, worker_shutdown
from celery.worker import state as worker_state
from kombu.exceptions import ChannelError

from prp_tasks.housekeeping.reconciler import repair_problems
from prp_tasks.state.manager import State
from prp_tasks.state.workers import WorkerBeats

log = logging.getLogger("prp_tasks.celeryapp.health")

BEAT_INTERVAL_S = 5.0


@dataclass
class WorkerBeat:
    """Writes ``P:worker:NODE`` every few seconds from the worker's main process."""

    beats: WorkerBeats
    node: str
    queues: list[str]
    concurrency: int
    interval_s: float = BEAT_INTERVAL_S
    last_received_ms: int = 0
    started_ms: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        self.started_ms = int(time.time() * 1000)
        threading.Thread(target=self._loop, name="prp-worker-beat", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        try:
            self.beats.remove(self.node)
        except Exception:
            log.debug("could not remove the worker beat", exc_info=True)

    def received(self, **_: object) -> None:
        self.last_received_ms = int(time.time() * 1000)

    def _loop(self) -> None:
        while True:
            try:
                self.beat()
            except Exception:
                log.warning("worker beat failed (Redis down?)", exc_info=True)
            if self._stop.wait(self.interval_s):
                return

    def beat(self) -> None:
        value = {
            "node": self.node,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "queues": self.queues,
            "concurrency": self.concurrency,
            "reserved": len(worker_state.reserved_requests),
            "beat_ms": int(time.time() * 1000),
            "received_ms": self.last_received_ms,
            "started_ms": self.started_ms,
        }
        self.beats.beat(self.node, value, ttl_s=int(self.interval_s * 6))


def install_beat(beats: WorkerBeats, node: str, queues: list[str], concurrency: int) -> WorkerBeat:
    """Start the beat when the worker is ready; note every task the consumer receives."""
    beat = WorkerBeat(beats, node, queues, concurrency)
    worker_ready.connect(lambda **_: beat.start(), weak=False)
    worker_shutdown.connect(lambda **_: beat.stop(), weak=False)
    task_received.connect(beat.received, weak=False)
    return beat


@dataclass(frozen=True)
class Health:
    ok: bool
    problems: list[str]
    beat: dict[str, Any] | None


def check_worker(app: Celery, state: State, node: str, stale_s: float) -> Health:
    """Ping ``node`` through the broker and judge its beat and its queues."""
    problems = []
    replies = app.control.ping(destination=[node], timeout=min(5.0, stale_s))
    if not any(node in reply for reply in replies):
        problems.append(f"{node} does not answer a ping through the broker")
    beat = state.workers.read(node)
    if beat is None:
        problems.append(f"{node} has no beat in Redis (not running, or hung for {BEAT_INTERVAL_S * 6:g}s)")
        return Health(False, problems, None)
    now_ms = time.time() * 1000
    age_s = (now_ms - beat["beat_ms"]) / 1000
    if age_s > max(stale_s, 3 * BEAT_INTERVAL_S):
        problems.append(f"{node}'s last beat is {age_s:.0f}s old")
    problems += _stalled_queues(app, beat, now_ms, stale_s)
    problems += repair_problems(state.repairs.last_repair_ms(), now_ms, stale_s)
    return Health(not problems, problems, beat)


def waiting_messages(app: Celery, queue: str) -> int:
    """Messages ready in a broker queue (Redis or AMQP), via a passive declare."""
    with app.connection_for_write() as conn:
        try:
            _, count, _ = conn.default_channel.queue_declare(queue=queue, passive=True)
        except ChannelError:  # the Redis transport has no list for an empty queue
            return 0
    return int(count)


def _stalled_queues(app: Celery, beat: dict[str, Any], now_ms: float, stale_s: float) -> list[str]:
    """Queues with messages waiting while the worker has free slots and receives nothing."""
    if beat["reserved"] >= beat["concurrency"]:
        return []  # busy: not receiving is expected
    idle_s = (now_ms - max(beat["received_ms"], beat["started_ms"])) / 1000
    if idle_s <= stale_s:
        return []
    problems = []
    for queue in beat["queues"]:
        waiting = waiting_messages(app, queue)
        if waiting:
            problems.append(
                f"{queue} has {waiting} waiting message(s) but {beat['node']} has free slots and "
                f"received nothing for {idle_s:.0f}s: not consuming"
            )
    return problems
