"""Optional OpenTelemetry export (OTLP/HTTP) of the same aggregate ``/metrics`` serves.

Enabled with ``PRP_OTLP_ENDPOINT`` (needs the ``otel`` extra). Counters become observable
counters, gauges observable gauges; histograms are exported as their ``_sum`` and ``_count``
counters (OpenTelemetry has no asynchronous histogram).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from prp_tasks.telemetry.collector import MetricsReader

#: (sample name, instrument kind, description)
INSTRUMENTS: tuple[tuple[str, str, str], ...] = (
    ("prp_gates", "gauge", "Gates now in each live state."),
    ("prp_gates_settled_total", "counter", "Gates that reached each final state."),
    ("prp_runs", "gauge", "Runs now running."),
    ("prp_runs_finished_total", "counter", "Runs that ended, by final status."),
    ("prp_approvals_pending", "gauge", "Gates parked waiting for a human decision."),
    ("prp_approvals_oldest_age_seconds", "gauge", "Age of the oldest parked gate's request."),
    ("prp_queue_length", "gauge", "Messages waiting in each queue class."),
    ("prp_profile_cache_total", "counter", "Parsed-profile cache events."),
    ("prp_events_total", "counter", "Lifecycle events."),
    *(
        (f"{name}_{part}", "counter", f"{name} {part}")
        for name in (
            "prp_gate_duration_seconds",
            "prp_check_duration_seconds",
            "prp_queue_wait_seconds",
            "prp_approval_wait_seconds",
        )
        for part in ("sum", "count")
    ),
)


def samples(reader: MetricsReader, name: str) -> Iterator[tuple[dict[str, str], float]]:
    """(labels, value) of every sample called ``name`` in the reader's last aggregate."""
    for family in reader.families:
        for sample in family.samples:
            if sample.name == name:
                yield dict(sample.labels), float(sample.value)


def register_observables(meter: Any, reader: MetricsReader) -> None:
    """One observable instrument per exported sample name, read from ``reader`` at export time."""
    from opentelemetry.metrics import CallbackOptions, Observation

    def callback_for(name: str) -> Any:
        def observe(_: CallbackOptions) -> Iterable[Observation]:
            return [Observation(value, labels) for labels, value in samples(reader, name)]

        return observe

    for name, kind, description in INSTRUMENTS:
        make = meter.create_observable_counter if kind == "counter" else meter.create_observable_gauge
        make(name, callbacks=[callback_for(name)], description=description)


def start_otlp(reader: MetricsReader, endpoint: str, interval_s: float) -> Any:
    """Export periodically to an OTLP/HTTP metrics endpoint; returns the MeterProvider."""
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

    exporter = OTLPMetricExporter(endpoint=endpoint)
    periodic = PeriodicExportingMetricReader(exporter, export_interval_millis=int(interval_s * 1000))
    provider = MeterProvider(metric_readers=[periodic])
    register_observables(provider.get_meter("prp_tasks"), reader)
    return provider
