"""An in-process harness that dies at a chosen step between a settle and its follow-up work.

The engine runs on a private Redis without workers: the harness takes the messages off the queue
lists itself and runs them (``prp.run_check``, ``prp.finalize_run``; a check that settles its run's
last gate finalizes the run in the same task), so it can make the process
"die" right after any atomic step. A :class:`Crash` (a BaseException, so nothing in the product
catches it) is raised from a wrapped store method, once, before or after the real call; what the
real call wrote to Redis stays, the Python work after it never happens, and the message being
handled is either delivered again (a worker killed before acknowledging it) or lost.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import redis

from prp_tasks.core.models import GateStatus
from prp_tasks.errors import StoreError
from prp_tasks.housekeeping.reconciler import Reconciler
from prp_tasks.service.control import Control

QUEUES = ("prp.automated", "prp.approval", "prp.control")


class Crash(BaseException):
    """The process died here."""


@dataclass
class Injection:
    """Die once, ``when`` ("before" or "after") the ``index``-th call of ``owner.method`` that
    ``only`` accepts (given the call's arguments and, after the call, its reply)."""

    owner: Any
    method: str
    when: str = "after"
    index: int = 0
    only: Callable[..., bool] = lambda *a, reply=None, **kw: True
    fired: bool = False
    calls: int = 0

    def install(self, monkeypatch: Any) -> None:
        original = getattr(self.owner, self.method)

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if self.fired:
                return original(*args, **kwargs)
            if self.when == "before":
                self._maybe_die(args, kwargs, None)
                return original(*args, **kwargs)
            reply = original(*args, **kwargs)
            self._maybe_die(args, kwargs, reply)
            return reply

        monkeypatch.setattr(self.owner, self.method, wrapped)

    def _maybe_die(self, args: Any, kwargs: Any, reply: Any) -> None:
        if not self.only(*args, reply=reply, **kwargs):
            return
        if self.calls == self.index:
            self.fired = True
            raise Crash(f"died {self.when} {self.method}")
        self.calls += 1


@dataclass
class Harness:
    control: Control
    client: redis.Redis
    reconciler: Reconciler
    redeliver: bool = True
    crashes: list[str] = field(default_factory=list)
    finalized: int = 0
    #: how far the repair loop's clock is ahead: a minute more at every pass (each is "later")
    skew_ms: float = 0.0

    def __post_init__(self) -> None:
        """Count the finalizations that commit, from a ``prp.finalize_run`` or inside a check task."""
        engine = self.control.engine
        finalize = engine.finalize

        def counted(run_id: str) -> bool:
            done = finalize(run_id)
            self.finalized += int(done)
            return done

        engine.finalize = counted  # type: ignore[method-assign]

    def pending(self) -> list[tuple[str, str]]:
        out = []
        for queue in QUEUES:
            while (raw := self.client.rpop(queue)) is not None:
                out.append((queue, raw))
        return out

    def deliver(self, queue: str, raw: str) -> None:
        message = json.loads(raw)
        task = message["headers"]["task"]
        _args, kwargs, _ = json.loads(base64.b64decode(message["body"]))
        engine = self.control.engine
        try:
            if task == "prp.run_check":
                engine.run_check(**kwargs)
            elif task == "prp.finalize_run":
                engine.finalize(kwargs["run_id"])
        except Crash as crash:
            self.crashes.append(str(crash))
            if self.redeliver:  # killed before acknowledging: the broker hands it out again
                self.client.lpush(queue, raw)
        except StoreError:  # Redis failed: the task retries (prp_tasks.celeryapp.tasks.run_check)
            self.client.lpush(queue, raw)

    def step(self, repair: bool) -> None:
        for queue, raw in self.pending():
            self.deliver(queue, raw)
        if repair:  # the repair loop, after its grace period
            # a finalization claimed by a check task that died is queued again once the claim is
            # older than the grace by the wall clock (the runtime's grace is short in these tests)
            time.sleep(self.reconciler.grace_ms / 1000)
            self.skew_ms += 60_000
            try:
                self.reconciler.repair(now_ms=time.time() * 1000 + self.skew_ms)
            except Crash as crash:
                self.crashes.append(str(crash))
            except StoreError:  # the sweeper logs it and tries again at its next tick
                pass

    def approve_parked(self, run_id: str, gate_id: str) -> None:
        if self.control.store.gate_status(run_id, gate_id) == GateStatus.AWAITING_APPROVAL:
            try:
                self.control.decide(run_id, gate_id, actor="alice", approve=True)
            except Crash as crash:
                self.crashes.append(str(crash))

    def finish(self, run_id: str, approve: tuple[str, ...] = (), rounds: int = 30) -> None:
        """Deliver, approve and (once nothing is queued) repair until the run is final."""
        for _ in range(rounds):
            if self.control.is_final(run_id):
                return
            quiet = all(self.client.llen(q) == 0 for q in QUEUES)
            self.step(repair=quiet)
            for gate_id in approve:
                self.approve_parked(run_id, gate_id)
        raise AssertionError(f"{run_id} is stuck: {self.control.snapshot(run_id).status}")
