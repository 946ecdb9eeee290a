"""Aggregating metrics in the background; a scrape only renders the last aggregate.

:class:`MetricsReader` reads a fixed, small set of Redis values every ``interval_s``
(:class:`prp_tasks.state.metrics.MetricStore`: the metric hash, whose size depends on label
cardinality only, plus O(1) reads: pending approvals, oldest pending, queue lengths,
profile-cache counters) and turns them into Prometheus metric families.
A scrape of ``/metrics`` yields those precomputed families: its cost does not depend on how many
runs or gates are in history.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from prp_tasks.routing import queue_name
from prp_tasks.state.metrics import MetricStore
from prp_tasks.telemetry.schema import FINAL_GATE_STATES, HISTOGRAMS, LIVE_GATE_STATES, Histogram, parse_field

log = logging.getLogger("prp_tasks.telemetry")

_PROFILE_EVENTS = ("hits_local", "hits_redis", "misses", "parses", "parse_errors", "waits")


class MetricsReader:
    """Keeps the latest aggregate of the shared metrics (refreshed by a daemon thread)."""

    def __init__(
        self,
        store: MetricStore,
        queues: Iterable[str],
        interval_s: float = 5.0,
        depth: Callable[[str], int] | None = None,
    ) -> None:
        self.store, self.interval_s = store, interval_s
        #: queue classes
        self.queues = tuple(queues)
        #: queue length of a class when the broker is not the state Redis (e.g. RabbitMQ)
        self.depth = depth
        self.families: list[Metric] = []
        self.refreshed_at = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def refresh(self) -> list[Metric]:
        """Read the shared values once and rebuild the families (constant number of commands)."""
        lists = [queue_name(q) for q in self.queues] if self.depth is None else []
        values = self.store.read(lists)
        lengths = values.queue_lengths if self.depth is None else [self.depth(q) for q in self.queues]
        families = build_families(
            values.metrics,
            values.pending,
            values.oldest,
            values.profile,
            dict(zip(self.queues, lengths, strict=True)),
        )
        self.families, self.refreshed_at = families, time.time()
        return families

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.refresh()
            except Exception as exc:
                log.warning("metrics refresh failed: %s", exc)
            self._stop.wait(self.interval_s)

    def start(self) -> MetricsReader:
        self._thread = threading.Thread(target=self._loop, name="prp-metrics", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


class PrpCollector(Collector):
    """A prometheus_client collector that yields the reader's last aggregate."""

    def __init__(self, reader: MetricsReader) -> None:
        self.reader = reader

    def collect(self) -> Iterator[Metric]:
        yield from self.reader.families


def build_families(
    raw: dict[str, str],
    pending: int,
    oldest: list[tuple[str, float]],
    profile: dict[str, str],
    queue_lengths: dict[str, int],
) -> list[Metric]:
    values = {f: float(v) for f, v in raw.items()}
    families = _state_families(values) + [_histogram(h, values) for h in HISTOGRAMS]
    families += _approval_and_queue_families(pending, oldest, queue_lengths)
    cache = CounterMetricFamily("prp_profile_cache", "Parsed-profile cache events.", labels=["event"])
    for event in _PROFILE_EVENTS:
        cache.add_metric([event], float(profile.get(event, 0)))
    events = CounterMetricFamily("prp_events", "Lifecycle events.", labels=["outcome"])
    events.add_metric(["emitted"], values.get("events_emitted_total", 0.0))
    events.add_metric(["failed"], values.get("events_failed_total", 0.0))
    return [*families, cache, events, *_breaker_families(values)]


def _breaker_families(values: dict[str, float]) -> list[Metric]:
    state = GaugeMetricFamily(
        "prp_breaker_state", "Circuit breaker state (0 closed, 1 open, 2 half-open).", labels=["breaker"]
    )
    moves = CounterMetricFamily(
        "prp_breaker_transitions", "Circuit breaker state changes.", labels=["breaker", "to"]
    )
    for raw, value in sorted(values.items()):
        name, labels, _ = parse_field(raw)
        if name == "breaker_state":
            state.add_metric([labels.get("breaker", "")], value)
        elif name == "breaker_transitions":
            moves.add_metric([labels.get("breaker", ""), labels.get("to", "")], value)
    return [state, moves]


def _state_families(values: dict[str, float]) -> list[Metric]:
    gates = GaugeMetricFamily("prp_gates", "Gates now in each live state.", labels=["state"])
    for state in LIVE_GATE_STATES:
        gates.add_metric([state], max(0.0, values.get(f"gates|state={state}", 0.0)))
    settled = CounterMetricFamily(
        "prp_gates_settled", "Gates that reached each final state.", labels=["status"]
    )
    for state in FINAL_GATE_STATES:
        settled.add_metric([state], values.get(f"gates|state={state}", 0.0))
    runs = GaugeMetricFamily("prp_runs", "Runs now running or queued for admission.", labels=["state"])
    for state in ("running", "queued"):
        runs.add_metric([state], max(0.0, values.get(f"runs|state={state}", 0.0)))
    finished = CounterMetricFamily(
        "prp_runs_finished", "Runs that ended, by final status.", labels=["status"]
    )
    for status in ("passed", "failed", "cancelled"):
        finished.add_metric([status], values.get(f"runs|state={status}", 0.0))
    return [gates, settled, runs, finished]


def _histogram(hist: Histogram, values: dict[str, float]) -> Metric:
    series: dict[tuple[str, ...], dict[str, Any]] = defaultdict(lambda: {"buckets": defaultdict(float)})
    for raw, value in values.items():
        name, labels, le = parse_field(raw)
        if not name.startswith(hist.name + "_"):
            continue
        key = tuple(labels.get(label, "") for label in hist.labels)
        kind = name[len(hist.name) + 1 :]
        if kind == "bucket" and le is not None:
            series[key]["buckets"][le] += value
        elif kind in ("sum", "count"):
            series[key][kind] = value
    family = HistogramMetricFamily(hist.name, hist.help, labels=list(hist.labels))
    for key, data in sorted(series.items()):
        cumulative, buckets = 0.0, []
        for bound in hist.buckets:
            cumulative += data["buckets"].get(_le(bound), 0.0)
            buckets.append((_le(bound), cumulative))
        buckets.append(("+Inf", data.get("count", cumulative + data["buckets"].get("+Inf", 0.0))))
        family.add_metric(list(key), buckets, data.get("sum", 0.0))
    return family


def _le(bound: float) -> str:
    """The bucket label the recorder wrote for ``bound`` (``observe`` uses ``str`` of it)."""
    return str(bound)


def _approval_and_queue_families(
    pending: int, oldest: list[tuple[str, float]], queue_lengths: dict[str, int]
) -> list[Metric]:
    waiting = GaugeMetricFamily("prp_approvals_pending", "Gates parked waiting for a human decision.")
    waiting.add_metric([], float(pending))
    age = GaugeMetricFamily("prp_approvals_oldest_age_seconds", "Age of the oldest parked gate's request.")
    age.add_metric([], max(0.0, time.time() - oldest[0][1] / 1000) if oldest else 0.0)
    queues = GaugeMetricFamily("prp_queue_length", "Messages waiting in each queue class.", labels=["queue"])
    for queue, length in queue_lengths.items():
        queues.add_metric([queue], float(length))
    return [waiting, age, queues]
