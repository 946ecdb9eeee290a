"""The service layer every front end goes through.

:class:`.control.Control` holds the use cases (submit, read, list, cancel, decide, re-run, audit,
outputs); :mod:`.views` and :mod:`.graph` shape runs for display, :mod:`.identity` names actors,
:mod:`.diagnostics` checks a deployment (``prp doctor``), :mod:`.records` keeps finished runs on
disk. It is constructed by the composition root (:mod:`prp_tasks.celeryapp.runtime`).

May import: housekeeping, engine, approvals, intake, state, telemetry, core, errors, ids,
settings, routing. Never Celery/kombu, redis, or a front end.
"""
