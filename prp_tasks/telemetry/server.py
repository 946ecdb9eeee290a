"""Serving metrics: ``/metrics`` of the API process, or ``prp metrics serve`` standalone.

The aggregate itself is read in the background (:class:`prp_tasks.telemetry.collector.MetricsReader`,
made by the composition root: :meth:`prp_tasks.celeryapp.runtime.Runtime.metrics_reader`).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from prp_tasks.telemetry.collector import MetricsReader, PrpCollector


def registry_for(reader: MetricsReader) -> CollectorRegistry:
    """A registry holding only the project's aggregate (no per-process metrics to double count)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PrpCollector(reader))
    return registry


def render(registry: CollectorRegistry) -> tuple[bytes, str]:
    return generate_latest(registry), CONTENT_TYPE_LATEST
