"""The event stream's resume (``prp_tasks.http.sse``): the replay, the hub's batches and the gap
between them give every event once, in order, whatever the hub delivered before or after."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from prp_tasks.errors import InputError
from prp_tasks.http.live import Entry, Subscriber
from prp_tasks.http.sse import Stream, last_event_id


def entry(n: int) -> Entry:
    return (f"{n}-0", {"type": "t", "subject": f"run-{n}", "event": "{}"})


class Stored:
    """The stream in Redis: entries 1..n."""

    def __init__(self, n: int) -> None:
        self.entries = [entry(i) for i in range(1, n + 1)]

    def events_since(self, cursor: str, count: int) -> list[Entry]:
        after = int(cursor.split("-")[0])
        return [e for e in self.entries if int(e[0].split("-")[0]) > after][:count]

    def recent_events(self, count: int) -> list[Entry]:
        return self.entries[-count:]


class Hub:
    """Hands the test's batches to the stream's subscriber."""

    def __init__(self) -> None:
        self.subscriber: Subscriber | None = None

    def subscribe(self, loop: asyncio.AbstractEventLoop) -> Subscriber:
        self.subscriber = Subscriber(loop)
        return self.subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        pass


class Connected:
    async def is_disconnected(self) -> bool:
        return False


def ids(stored: Stored, last: str | None, batches: list[list[int]], wanted: int) -> list[str]:
    """The ids the stream sends, the hub handing over ``batches`` once it is live."""

    async def run() -> list[str]:
        hub = Hub()
        stream = Stream(stored, hub, Connected(), last)  # type: ignore[arg-type]
        frames = stream.frames()
        sent: list[str] = []
        assert await frames.__anext__() == "retry: 1000\n\n"
        for batch in batches:
            assert hub.subscriber is not None
            hub.subscriber.queue.put_nowait([entry(n) for n in batch])
        while len(sent) < wanted:
            text = await asyncio.wait_for(frames.__anext__(), 5)
            sent += [line[4:] for line in text.splitlines() if line.startswith("id: ")]
        await frames.aclose()
        return sent

    return asyncio.run(run())


def test_a_resumed_stream_sends_the_missed_events_then_the_live_ones_each_once() -> None:
    # the hub's first batch overlaps the replay (it read while the replay did)
    assert ids(Stored(4), "1-0", [[3, 4], [5]], 4) == ["2-0", "3-0", "4-0", "5-0"]


def test_what_lies_between_the_replay_and_the_hubs_first_batch_is_read_from_the_store() -> None:
    class Growing(Stored):
        """The replay sees 2 and 3; 4 and 5 happen before the hub starts reading; it hands over 6."""

        def events_since(self, cursor: str, count: int) -> list[Entry]:
            if cursor == "3-0":  # the stream looks again once the hub's first batch arrived
                self.entries = [entry(i) for i in range(1, 7)]
            return super().events_since(cursor, count)

    assert ids(Growing(3), "1-0", [[6]], 5) == ["2-0", "3-0", "4-0", "5-0", "6-0"]


def test_an_id_the_stream_never_gave_out_counts_as_the_last_one() -> None:
    assert ids(Stored(5), "99-0", [[6]], 1) == ["6-0"]


def test_a_fresh_stream_sends_the_live_events() -> None:
    assert ids(Stored(5), None, [[6, 7], [7, 8]], 3) == ["6-0", "7-0", "8-0"]


@pytest.mark.parametrize("value", ["yesterday", "1-", "18446744073709551616-0", "1-2-3"])
def test_a_malformed_last_event_id_is_refused_naming_the_header(value: Any) -> None:
    with pytest.raises(InputError, match="Last-Event-ID"):
        last_event_id(value)
    assert last_event_id(" 18446744073709551615-0 ") == "18446744073709551615-0"
    assert last_event_id("") is None and last_event_id(None) is None
