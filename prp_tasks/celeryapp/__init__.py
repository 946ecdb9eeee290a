"""The Celery runtime: the only package that imports celery or kombu.

:mod:`.runtime` is the composition root: it builds the state stores, the engine, approvals,
housekeeping and :class:`prp_tasks.service.control.Control` for one set of settings, and the Celery
app whose tasks (:mod:`.tasks`) call into them. Also here: the app's configuration and routing
(:mod:`.app`), publishing messages (:mod:`.publish`), the Redis/Sentinel transports
(:mod:`.transport`), the worker entry (:mod:`.main`, :mod:`.workers`), autoscaling, worker health,
the housekeeping bootstep, and the bundled embedded server (:mod:`.embedded`).

May import anything below the front ends. Front ends import it only for the composition root and
to start workers or the embedded server.
"""
