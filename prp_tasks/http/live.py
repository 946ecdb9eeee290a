"""Live events for the pages: one reader thread per API process follows the lifecycle stream and
fans each entry out to every open ``/v1/events/stream`` response.

However many tabs are open, the process holds one blocking ``XREAD`` (in its own thread, so the
request thread pool stays free); a tab too slow to keep up is dropped and reconnects.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

from prp_tasks.errors import PrpError

log = logging.getLogger("prp_tasks.http.live")

#: a stream entry: its id and fields (``type``, ``subject``, ``event``)
Entry = tuple[str, dict[str, str]]

#: how long one read waits for an entry; also how soon the thread notices it has no subscriber
READ_BLOCK_MS = 1000
#: entries a subscriber may have waiting before it is dropped
BACKLOG = 1000


class Subscriber:
    """One open stream: entries arrive on ``queue`` (``None``: the stream ends)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[list[Entry] | None] = asyncio.Queue(maxsize=BACKLOG)

    def offer(self, entries: list[Entry] | None) -> bool:
        """Hand ``entries`` over from the reader thread; False when the loop is gone."""
        try:
            self.loop.call_soon_threadsafe(self._put, entries)
            return True
        except RuntimeError:  # the event loop closed
            return False

    def _put(self, entries: list[Entry] | None) -> None:
        try:
            self.queue.put_nowait(entries)
        except asyncio.QueueFull:  # too slow: end its stream; the page reconnects and refreshes
            self.queue = asyncio.Queue(maxsize=1)
            self.queue.put_nowait(None)


class EventHub:
    """Fans the lifecycle stream out to subscribers; the reader runs while any is subscribed."""

    def __init__(self, read: Callable[[str, int], list[Entry]], latest: Callable[[], str]) -> None:
        self.read, self.latest = read, latest
        self._subscribers: set[Subscriber] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def subscribe(self, loop: asyncio.AbstractEventLoop) -> Subscriber:
        subscriber = Subscriber(loop)
        with self._lock:
            self._subscribers.add(subscriber)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="prp-event-hub", daemon=True)
                self._thread.start()
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        with self._lock:
            self._subscribers.discard(subscriber)

    def _listeners(self) -> list[Subscriber]:
        with self._lock:
            if not self._subscribers:
                self._thread = None  # the thread ends; the next subscriber starts another
            return list(self._subscribers)

    def _run(self) -> None:
        cursor: str | None = None
        while self._listeners():
            try:
                cursor = cursor or self.latest()
                entries = self.read(cursor, READ_BLOCK_MS)
            except PrpError as exc:
                log.warning("cannot read the event stream: %s", exc)
                threading.Event().wait(1.0)
                continue
            if entries:
                cursor = entries[-1][0]
            # the subscribers as they are now: one that subscribed during the read gets its entries
            with self._lock:
                current = list(self._subscribers)
            for subscriber in current:
                if not subscriber.offer(entries):
                    self.unsubscribe(subscriber)
