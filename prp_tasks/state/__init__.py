"""State: everything kept in Redis, and the only package that sends Redis commands.

Owns the connection (:mod:`.connection`: clients, Sentinel, replica waits, error mapping), the
server floor check (:mod:`.servers`), the key layout (:mod:`.keys`, every key built there), the Lua
scripts (:mod:`.lua`: ``.lua`` files with a shared prelude) and one small store per concept: runs
and their check/gate transitions, approvals, admission, deadlines, idempotency, result reuse,
breakers, the run index, the events stream, artifacts, profiles, repair, worker beats, metric
reads. :class:`.manager.State` builds them all over one client. Every Redis failure leaves this
package as :class:`prp_tasks.errors.StoreError`.

May import: :mod:`prp_tasks.core`, :mod:`prp_tasks.workspaces` (file helpers), errors, ids,
settings, routing; redis. Never the engine, Celery or a front end.
"""
