"""Housekeeping: what happens on a clock rather than on a message.

Wall-clock budgets (:mod:`.deadlines`), the repair loop that finishes work a crash left half done
(:mod:`.reconciler`), and the sweeper pass every worker runs under a shared lease (:mod:`.sweeper`:
approval deadlines, reminders, escalations, batches, budgets, admission, repair).

May import: engine, approvals, state, telemetry, core, errors, ids, settings, routing. Never
Celery/kombu, redis, the service layer or a front end.
"""
