"""Human approvals: parking gates, decisions, roles, batches, pending lists.

:class:`.service.Approvals` parks a gate that needs a human, applies decisions and pre-approvals,
and closes parked gates of a run that can no longer pass; :mod:`.authz` maps actors to roles,
:mod:`.batch` decides many gates at once, :mod:`.pending` lists what waits for whom,
:mod:`.requests` builds what a decision is made of (request, approval record, skips, audit
records), :mod:`.notify` and :mod:`.webhooks` tell the roles' webhooks about published batches,
reminders and escalations (the sweeper sends). What happens
after a decision (settling, dispatching dependents) is asked of the engine through a port, so this
package never imports the engine.

May import: state, telemetry, core, errors, ids, settings.
"""
