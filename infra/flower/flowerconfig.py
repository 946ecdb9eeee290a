"""Flower configuration for prp-tasks.

Used as ``celery -A prp_tasks.celeryapp.main flower --conf=infra/flower/flowerconfig.py``.

- Authentication: HTTP basic auth from ``FLOWER_BASIC_AUTH`` (``user:password``, comma-separated
  for several). Flower refuses its API (401) without it; ``/metrics`` and ``/healthcheck`` stay
  open for Prometheus and probes.
- State survives restarts: ``persistent`` with a shelve file (``FLOWER_DB``), saved every minute.
- Bounded memory: at most ``FLOWER_MAX_TASKS`` tasks are kept (default 10 000), offline workers
  are purged after an hour.
- The Tasks page shows the kwargs (run, gate, check) and the exception: a failed, timed-out or
  cancelled check is ``FAILURE`` with its reason (docs/how-to/observability.md, "Flower").
"""

import os

port = int(os.environ.get("FLOWER_PORT", "5555"))
address = os.environ.get("FLOWER_ADDRESS", "127.0.0.1")
basic_auth = [u for u in os.environ.get("FLOWER_BASIC_AUTH", "").split(",") if u]
persistent = True
db = os.environ.get("FLOWER_DB", "flower.db")
state_save_interval = 60_000  # ms
max_tasks = int(os.environ.get("FLOWER_MAX_TASKS", "10000"))
max_workers = 200
purge_offline_workers = 3600
enable_events = True
natural_time = False
tasks_columns = "name,uuid,state,args,kwargs,result,exception,received,started,runtime,worker"
