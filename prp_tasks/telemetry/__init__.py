"""Telemetry: structured logs, metrics and traces.

JSON/console logging with redaction and run context (:mod:`.logs`), the metric schema and the
in-process recording of durations and counts (:mod:`.schema`, :mod:`.observe`), the Prometheus
aggregate read in the background (:mod:`.collector`, :mod:`.server`) and OpenTelemetry set-up
(:mod:`.otel`).

May import: state (metric reads), core, errors, settings, routing. Never the engine, Celery or a
front end.
"""
