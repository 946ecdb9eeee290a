"""The engine: scheduling a run's gates, executing checks, settling, finalizing.

:class:`.engine.Engine` starts roots, runs a check under a lease (:mod:`.execution`, :mod:`.leases`),
evaluates a gate with its report (:mod:`.gates`), settles gates and dispatches dependents
(:mod:`.followups`), screens ready gates against limits and budgets (:mod:`.limits`), guards
checks with breakers and result reuse (:mod:`.breakers`, :mod:`.reuse`), re-runs gates
(:mod:`.rerun`) and finishes runs (:mod:`.finalization`). It hands work to workers through the
:class:`.ports.Enqueuer` port, which the Celery runtime implements.

May import: approvals, state, checks, environments, workspaces, telemetry, core, errors, ids,
settings, routing. Never Celery/kombu, redis, housekeeping, the service layer or a front end.
"""
