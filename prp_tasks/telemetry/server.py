"""Serving metrics: ``/metrics`` of the API process, or ``prp metrics serve`` standalone.

The aggregate itself is read in the background (:class:`prp_tasks.telemetry.collector.MetricsReader`,
made by the composition root: :meth:`prp_tasks.celeryapp.runtime.Runtime.metrics_reader`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIServer, make_server

from prometheus_client import CollectorRegistry, generate_latest, make_wsgi_app
from prometheus_client.exposition import CONTENT_TYPE_LATEST, ThreadingWSGIServer, _SilentHandler

from prp_tasks.telemetry.collector import MetricsReader, PrpCollector

Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def registry_for(reader: MetricsReader) -> CollectorRegistry:
    """A registry holding only the project's aggregate (no per-process metrics to double count)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PrpCollector(reader))
    return registry


def render(registry: CollectorRegistry) -> tuple[bytes, str]:
    return generate_latest(registry), CONTENT_TYPE_LATEST


def answering_head(app: Wsgi) -> Wsgi:
    """``HEAD`` answered as ``GET`` without the body (prometheus_client's app answers 405)."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "HEAD":
            return app(environ, start_response)
        body = app({**environ, "REQUEST_METHOD": "GET"}, start_response)
        close = getattr(body, "close", None)
        if close is not None:
            close()
        return [b""]

    return wrapped


def serve(registry: CollectorRegistry, host: str, port: int) -> WSGIServer:
    """Serve ``/metrics`` (``GET`` and ``HEAD``) from a daemon thread; returns the server."""
    app = answering_head(make_wsgi_app(registry))
    server = make_server(host, port, app, ThreadingWSGIServer, handler_class=_SilentHandler)
    threading.Thread(target=server.serve_forever, name="prp-metrics-http", daemon=True).start()
    return server
