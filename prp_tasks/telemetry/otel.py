"""Optional OpenTelemetry export (OTLP/HTTP) of the same aggregate ``/metrics`` serves.

Enabled with ``PRP_OTLP_ENDPOINT`` (needs the ``otel`` extra; nothing of OpenTelemetry is imported
otherwise). The aggregate is already summed over every worker in Redis, so it is exported as it is,
without the SDK's instruments: counters as cumulative monotonic sums, gauges as gauges, and
histograms as explicit-bucket histograms with the same bounds as ``/metrics`` (OpenTelemetry has
no asynchronous histogram instrument, which is why instruments are not used). The resource's
``service.name`` is ``PRP_SERVICE_NAME``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from prometheus_client.core import Metric as Family

from prp_tasks.telemetry.collector import MetricsReader

log = logging.getLogger("prp_tasks.telemetry")

Labels = tuple[tuple[str, str], ...]


def resource_for(service_name: str) -> Any:
    from opentelemetry.sdk.resources import Resource

    return Resource.create({"service.name": service_name})


def to_metrics_data(families: Iterable[Family], resource: Any, start_ns: int, now_ns: int) -> Any:
    """The aggregate's families as one OTLP ``MetricsData`` (cumulative since ``start_ns``)."""
    from opentelemetry.sdk.metrics.export import MetricsData, ResourceMetrics, ScopeMetrics
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope

    metrics = [m for family in families for m in _metrics_of(family, start_ns, now_ns)]
    scope = ScopeMetrics(scope=InstrumentationScope("prp_tasks"), metrics=metrics, schema_url="")
    return MetricsData(
        resource_metrics=[ResourceMetrics(resource=resource, scope_metrics=[scope], schema_url="")]
    )


def _metrics_of(family: Family, start_ns: int, now_ns: int) -> list[Any]:
    from opentelemetry.sdk.metrics.export import AggregationTemporality, Gauge, Metric, NumberDataPoint, Sum

    if family.type == "histogram":
        return [_histogram(family, start_ns, now_ns)]
    points = [
        NumberDataPoint(dict(s.labels), start_ns, now_ns, s.value)
        for s in family.samples
        if not s.name.endswith("_created")
    ]
    if family.type == "counter":
        data: Any = Sum(points, AggregationTemporality.CUMULATIVE, is_monotonic=True)
        return [Metric(f"{family.name}_total", family.documentation, None, data)]
    return [Metric(family.name, family.documentation, None, Gauge(points))]


def _histogram(family: Family, start_ns: int, now_ns: int) -> Any:
    """Prometheus' cumulative ``le`` buckets become OTLP's per-bucket counts and explicit bounds."""
    from opentelemetry.sdk.metrics.export import AggregationTemporality, Histogram, HistogramDataPoint, Metric

    series: dict[Labels, dict[str, Any]] = defaultdict(lambda: {"le": [], "sum": 0.0, "count": 0})
    for sample in family.samples:
        labels = tuple(sorted((k, v) for k, v in sample.labels.items() if k != "le"))
        kind = sample.name[len(family.name) + 1 :]
        if kind == "bucket":
            series[labels]["le"].append((float(sample.labels["le"]), sample.value))
        elif kind in ("sum", "count"):
            series[labels][kind] = sample.value
    points = []
    for labels, data in sorted(series.items()):
        cumulative = sorted(data["le"])
        bounds = [le for le, _ in cumulative if le != float("inf")]
        counts, before = [], 0.0
        for _, value in cumulative:
            counts.append(int(value - before))
            before = value
        count = int(data["count"] or before)
        points.append(
            HistogramDataPoint(dict(labels), start_ns, now_ns, count, data["sum"], counts, bounds, None, None)  # type: ignore[arg-type]
        )
    return Metric(
        family.name, family.documentation, "s", Histogram(points, AggregationTemporality.CUMULATIVE)
    )


class OtlpPush:
    """Exports the reader's latest aggregate every ``interval_s`` from a daemon thread."""

    def __init__(self, reader: MetricsReader, exporter: Any, interval_s: float, service_name: str) -> None:
        self.reader, self.exporter, self.interval_s = reader, exporter, interval_s
        self.resource = resource_for(service_name)
        self.start_ns = time.time_ns()
        self._stop = threading.Event()

    def export_once(self) -> bool:
        if not self.reader.families:
            return False
        data = to_metrics_data(self.reader.families, self.resource, self.start_ns, time.time_ns())
        return bool(self.exporter.export(data).name == "SUCCESS")

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.export_once()
            except Exception as exc:
                log.warning("OTLP metrics export failed: %s", exc)

    def start(self) -> OtlpPush:
        threading.Thread(target=self._loop, name="prp-otlp-metrics", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.exporter.shutdown()


def start_otlp(reader: MetricsReader, endpoint: str, interval_s: float, service_name: str) -> OtlpPush:
    """Export periodically to an OTLP/HTTP metrics endpoint."""
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

    return OtlpPush(reader, OTLPMetricExporter(endpoint=endpoint), interval_s, service_name).start()
