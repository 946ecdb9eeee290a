"""The end of a run in Redis: its finalization queued or claimed, its finish time fixed, its outputs
committed once (the ``send_finalize``, ``finish_claim`` and ``finalize`` scripts).

What to render and when is :mod:`prp_tasks.engine.finalization`'s; who finalizes (the check task
that settled the last gate, or ``prp.finalize_run``) is :mod:`prp_tasks.engine.followups`'.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import redis

from prp_tasks.core.run import RunStatus
from prp_tasks.state.connection import Replicas, wrap_errors
from prp_tasks.state.keys import Keys
from prp_tasks.state.lua import Args, Lua

if TYPE_CHECKING:
    from prp_tasks.state.events import Rendered


class FinishStore:
    """A run's finalization: queued (or claimed) from its outbox, its finish time, its commit."""

    def __init__(self, client: redis.Redis, keys: Keys, replicas: Replicas | None = None) -> None:
        self.keys = keys
        script = functools.partial(Lua, client, replicas=replicas)
        #: whether the commit may tell the run's waiters itself: not while it must first be
        #: confirmed by replicas (a waiter must never see a commit a failover could still lose)
        self.announces = replicas is None or replicas.count == 0
        self._send_finalize, self._finish_claim = script("send_finalize"), script("finish_claim")
        self._finalize = script("finalize")

    def send_finalize(self, run_id: str, now_ms: int, resend_ms: int, queue: str, payload: str) -> bool:
        """Queue (direct) or record as sent the run's finalization left in its outbox; with no
        ``queue`` and no message sent, this records it as under way in the calling process."""
        k = self.keys.run(run_id)
        args = [run_id, now_ms, resend_ms, queue, payload]
        keys = {"meta": k.meta, "outbox": k.outbox, "outbox_index": self.keys.outbox_index}
        with wrap_errors():
            return bool(self._send_finalize(keys=keys, args=args))

    def finish_claim(
        self, run_id: str, now: str, resend_ms: int, reads: Sequence[tuple[Any, ...]] = ()
    ) -> tuple[str | None, list[Any]]:
        """The run's finish time once every gate settled, fixed by the first finalizer so a
        finalization done again renders the same outputs (None when the run is finalized already
        or a gate is unsettled; else its finalization is recorded as under way, queued again
        after ``resend_ms`` without a commit), and the replies of ``reads`` made right after it
        in the same round trip (e.g. the run's snapshot, which the claim fixed)."""
        k = self.keys.run(run_id)
        keys = {"meta": k.meta, "outbox": k.outbox, "outbox_index": self.keys.outbox_index}
        args = [now, run_id, int(time.time() * 1000), resend_ms]
        with wrap_errors():
            claimed, *replies = self._finish_claim.then(keys, args, reads)
        return str(claimed) or None, replies

    def finalize(
        self,
        run_id: str,
        *,
        status: RunStatus,
        finished_at: str,
        outputs: Mapping[str, str],
        retention_s: int,
        events: Sequence[Rendered] = (),
        events_maxlen: int = 0,
        announce: bool = False,
    ) -> bool:
        """Commit final outputs once, the run leaving the live runs and its finish ``events``
        appended in the same step, and with ``announce`` (only when :attr:`announces`) its waiters
        told; True when this call committed them."""
        k = self.keys.run(run_id)
        first = {
            "meta": k.meta,
            "outputs": k.outputs,
            "metrics": self.keys.metrics,
            "outbox": k.outbox,
            "outbox_index": self.keys.outbox_index,
            "live_runs": self.keys.live_runs,
            "lifecycle": self.keys.events,
        }
        state = [key for key in k.all_state() if key not in first.values()]
        channel = k.final_channel if announce and self.announces else ""
        args = Args().one(run_id, status.value, finished_at, retention_s, events_maxlen, channel)
        args.rows(outputs.items(), 2).rows(events, 2).many(state)
        with wrap_errors():
            done = self._finalize(keys=first, args=args)
        return bool(done)
