"""The HTTP front end (FastAPI): the API, the run pages, security and rate limits.

May import: the composition root, service, intake (request models), mcp (mounted at ``/mcp``),
telemetry (the ``/metrics`` aggregate), core, errors, settings.
"""
