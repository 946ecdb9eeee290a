"""The HTTP front end (FastAPI): the API, the pages (the approvers' inbox, run pages, their static
files and live events), security and rate limits.

May import: the composition root, service, intake (request models), mcp (mounted at ``/mcp``),
telemetry (the ``/metrics`` aggregate), core, errors, settings.
"""
