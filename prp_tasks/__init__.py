"""prp-tasks: PRP quality-gate workflows (G0–G7) as a dependency DAG on Celery + Redis."""

from __future__ import annotations

__version__ = "0.1.0"
