"""A module-level Celery app for tools that take ``-A`` (Flower, ``celery inspect``).

``celery -A prp_tasks.celeryapp.main flower`` / ``celery -A prp_tasks.celeryapp.main inspect active``.
Settings come from the ``PRP_*`` environment like everywhere else.
"""

from __future__ import annotations

from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.settings import load_settings

app = Runtime(load_settings()).app
