"""Serving metrics: ``/metrics`` of the API process, or ``prp metrics serve`` standalone."""

from __future__ import annotations

from celery import Celery
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from prp_tasks.settings import QUEUE_CLASSES, Settings
from prp_tasks.state.connection import connect, target_of
from prp_tasks.state.keys import Keys
from prp_tasks.telemetry.collector import MetricsReader, PrpCollector


def reader_for(settings: Settings, app: Celery | None = None) -> MetricsReader:
    """The background aggregate; queue lengths come from the broker when it is not the state Redis."""
    if settings.redis_url is None:
        raise ValueError("PRP_REDIS_URL is not set")
    depth = None
    if settings.broker_url is not None and settings.broker_url != settings.redis_url:
        from prp_tasks.celeryapp.app import create_celery
        from prp_tasks.celeryapp.health import waiting_messages

        broker_app = app or create_celery(settings)
        depth = lambda queue: waiting_messages(broker_app, queue)  # noqa: E731
    client, keys = connect(target_of(settings)), Keys(settings.key_prefix)
    return MetricsReader(client, keys, QUEUE_CLASSES, settings.metrics_interval_s, depth)


def registry_for(reader: MetricsReader) -> CollectorRegistry:
    """A registry holding only the project's aggregate (no per-process metrics to double count)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PrpCollector(reader))
    return registry


def render(registry: CollectorRegistry) -> tuple[bytes, str]:
    return generate_latest(registry), CONTENT_TYPE_LATEST
