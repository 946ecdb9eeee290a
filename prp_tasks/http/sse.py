"""What one ``/v1/events/stream`` response sends: lifecycle events as server-sent events.

A fresh stream sends the events from now on, as the process's :class:`~prp_tasks.http.live.EventHub`
hands them over. A client that reconnects with ``Last-Event-ID`` (the id of the last event it got)
first gets what it missed: the stream reads the events after that id from Redis, page by page (at
most ``REPLAY_MAX``), then goes live. It subscribes to the hub *before* reading, and fills in from
Redis whatever lies between the replay and the hub's first batch (the hub may have started
reading after the replay did), so no event falls between the two; ids it has sent are never sent
again. An id the stream never gave out (beyond its last entry, after a reset) counts as none.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from typing import Protocol

from prp_tasks.errors import InputError
from prp_tasks.http.live import Entry, EventHub, Subscriber

#: how long one read of the event stream waits before the stream sends a keep-alive comment
STREAM_BLOCK_MS = 1000
#: a stream ends after this long; the page reconnects (from the last event id it saw)
STREAM_MAX_S = 300.0
#: at most this many missed events are sent again to a client that reconnects
REPLAY_MAX = 10_000
#: events read from Redis at a time while replaying
PAGE = 1000
#: a stream entry id (``Last-Event-ID``): two unsigned 64-bit numbers
EVENT_ID = re.compile(r"(\d{1,20})-(\d{1,20})")


class Events(Protocol):
    """What the stream reads directly (the service layer's event calls)."""

    def events_since(self, cursor: str, count: int) -> list[Entry]: ...

    def recent_events(self, count: int) -> list[Entry]: ...


class Disconnects(Protocol):
    async def is_disconnected(self) -> bool: ...


def last_event_id(value: str | None) -> str | None:
    """A ``Last-Event-ID`` header's stream entry id (None when absent); InputError when it is not one."""
    value = (value or "").strip()
    if not value:
        return None
    match = EVENT_ID.fullmatch(value)
    if match is None or any(int(part) >= 2**64 for part in match.groups()):
        raise InputError(
            f"header Last-Event-ID must be an event id such as 1764800000000-0, not {value[:40]!r}"
        )
    return value


def order(entry_id: str) -> tuple[int, ...]:
    return tuple(int(part) for part in entry_id.split("-"))


def frame(entry_id: str, fields: dict[str, str]) -> str:
    """One server-sent event: the lifecycle event's type, run, gate and time."""
    try:
        envelope = json.loads(fields.get("event", "{}"))
    except ValueError:
        envelope = {}
    data = envelope.get("data") or {}
    brief = {
        "type": fields.get("type", ""),
        "run_id": fields.get("subject", ""),
        "gate_id": data.get("gateId"),
        "time": envelope.get("time"),
        "status": data.get("gateStatus") or data.get("runStatus") or data.get("outcome"),
        "actor": data.get("actor"),
        "channel": data.get("channel"),
    }
    return f"id: {entry_id}\nevent: lifecycle\ndata: {json.dumps(brief, separators=(',', ':'))}\n\n"


class Stream:
    """One response: replay (when resuming), then the hub's batches, each event once."""

    def __init__(self, events: Events, hub: EventHub, request: Disconnects, last: str | None) -> None:
        self.events, self.hub, self.request = events, hub, request
        self.last = last
        self.seen: str | None = None  #: the last id sent (None: a fresh stream, nothing to resume)

    async def frames(self) -> AsyncIterator[str]:
        subscriber = self.hub.subscribe(asyncio.get_running_loop())  # first: nothing falls between
        try:
            yield "retry: 1000\n\n"
            if self.last is not None:
                self.seen = await asyncio.to_thread(self._start_at, self.last)
                async for text in self._read_after(None, REPLAY_MAX):
                    yield text
            async for text in self._live(subscriber):
                yield text
        finally:
            self.hub.unsubscribe(subscriber)

    def _start_at(self, last: str) -> str:
        """``last``, or the stream's last entry when ``last`` is beyond it (never given out)."""
        recent = self.events.recent_events(1)
        latest = recent[-1][0] if recent else "0-0"
        return last if order(last) <= order(latest) else latest

    async def _read_after(self, until: str | None, limit: int) -> AsyncIterator[str]:
        """Frames of the stored events after ``seen`` (up to ``until``, at most ``limit``)."""
        sent = 0
        while self.seen is not None and sent < limit:
            page = await asyncio.to_thread(self.events.events_since, self.seen, PAGE)
            page = [e for e in page if until is None or order(e[0]) <= order(until)][: limit - sent]
            for entry_id, fields in page:
                yield frame(entry_id, fields)
            if page:
                self.seen, sent = page[-1][0], sent + len(page)
            if len(page) < PAGE:
                return

    async def _live(self, subscriber: Subscriber) -> AsyncIterator[str]:
        ends, filled = time.monotonic() + STREAM_MAX_S, self.seen is None
        while time.monotonic() < ends and not await self.request.is_disconnected():
            try:
                entries = await asyncio.wait_for(subscriber.queue.get(), timeout=STREAM_BLOCK_MS / 1000 * 2)
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if entries is None:
                return
            if entries and not filled:  # what lies between the replay and the hub's first batch
                filled = True
                async for text in self._read_after(entries[-1][0], REPLAY_MAX):
                    yield text
            for entry_id, fields in entries:
                if self.seen is None or order(entry_id) > order(self.seen):
                    self.seen = entry_id
                    yield frame(entry_id, fields)
            if not entries:
                yield ": keep-alive\n\n"
