"""Waiting for a run's finalization without polling: its Pub/Sub notice.

The finalization publishes the run's status on the run's channel
(:attr:`prp_tasks.state.keys.RunKeys.final_channel`) once it has committed the outputs and done
what a waiter may look at next (the run off the live set, its admission slot handed on, the
finished event sent); workspaces are released after it. Without an admission queue or a wait for
replicas, the commit script itself publishes it (``finalize.lua``: nothing is left to do first).

A waiter subscribes first and then reads whether the run is final, so a notice sent between the
two is not missed (it then returns at the commit already, before that notice). A notice is only
ever sent after the commit, so the waiter returns on it without reading the run's state again (a
round trip less on every wait); it still looks every ``slice_s`` (a lost connection, or a
finalization by an older worker that does not publish, costs at most that much delay, never a
hang).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Sequence

import redis

from prp_tasks.core.run import RunStatus
from prp_tasks.state.keys import Keys

log = logging.getLogger("prp_tasks.state.notices")


class Notices:
    """One subscription; :meth:`wait` returns when a notice arrives or ``seconds`` pass."""

    def __init__(self, pubsub: redis.client.PubSub | None) -> None:
        self._pubsub = pubsub

    def wait(self, seconds: float) -> bool:
        """True when a notice arrived (False: the time passed, or the subscription is gone)."""
        if self._pubsub is not None:
            try:
                return self._notice(self._pubsub, seconds)
            except (redis.RedisError, OSError) as exc:
                log.debug("final notices lost, looking every %.1fs: %s", seconds, exc)
                self._close()
        time.sleep(seconds)
        return False

    @staticmethod
    def _notice(pubsub: redis.client.PubSub, seconds: float) -> bool:
        """Whether a notice came within ``seconds`` (the subscription's own confirmation, read on
        the way, does not end the wait)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if pubsub.get_message(ignore_subscribe_messages=True, timeout=left) is not None:
                return True
        return False

    def _close(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with contextlib.suppress(redis.RedisError, OSError):
                pubsub.close()


@contextlib.contextmanager
def subscribed(client: redis.Redis, channel: str) -> Iterator[Notices]:
    """Subscribed to ``channel`` for the block (polling only, when the subscription fails)."""
    pubsub: redis.client.PubSub | None = client.pubsub(ignore_subscribe_messages=True)
    try:
        pubsub.subscribe(channel)  # type: ignore[union-attr]
    except (redis.RedisError, OSError) as exc:
        log.debug("cannot subscribe to %s, polling: %s", channel, exc)
        with contextlib.suppress(redis.RedisError, OSError):
            pubsub.close()  # type: ignore[union-attr]
        pubsub = None
    notices = Notices(pubsub)
    try:
        yield notices
    finally:
        notices._close()


def wait_until(done: Callable[[], bool], notices: Notices, timeout_s: float | None, slice_s: float) -> bool:
    """Until ``done()`` or a notice (True), or until ``timeout_s`` passes (False); ``done`` is asked
    first and at least every ``slice_s``."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while not done():
        left = slice_s if deadline is None else min(slice_s, deadline - time.monotonic())
        if left <= 0:
            return False
        if notices.wait(left):
            return True
    return True


class FinalNotices:
    """The runs' final notices: sent by the finalization, awaited by :meth:`Control.wait_final
    <prp_tasks.service.control.Control.wait_final>`; and the finalization's broadcast to the
    workers, published after the notice."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.redis = client
        self.keys = keys

    def announce(self, run_id: str, status: RunStatus) -> None:
        """Wake the run's waiters; best effort (they look again anyway)."""
        with contextlib.suppress(redis.RedisError, OSError):
            self.redis.publish(self.keys.run(run_id).final_channel, status.value)

    def broadcast(self, topics: Sequence[str], message: str) -> None:
        """Publish a message the broker's subscribers take (a remote-control broadcast, built by
        the broker's side); best effort, as :meth:`announce` (a Redis user without channels)."""
        with contextlib.suppress(redis.RedisError, OSError):
            for topic in topics:
                self.redis.publish(topic, message)

    def wait(self, run_id: str, done: Callable[[], bool], timeout_s: float | None, slice_s: float) -> bool:
        """Until ``done()`` (True) or ``timeout_s`` passes (False), woken by the run's notice."""
        with subscribed(self.redis, self.keys.run(run_id).final_channel) as notices:
            return wait_until(done, notices, timeout_s, slice_s)
