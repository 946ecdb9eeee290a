"""Start a Celery worker for one or more queue classes: ``python workers/worker.py automated``.

Procfile, systemd units and compose all use this one launcher; every knob comes from ``PRP_*``
settings (``PRP_QUEUES__AUTOMATED__CONCURRENCY`` …), never from the command line of a unit file.
"""

from __future__ import annotations

import sys

from prp_tasks.cli import app

if __name__ == "__main__":
    classes = sys.argv[1] if len(sys.argv) > 1 else "automated"
    sys.exit(app(["worker", "--queues", classes, *sys.argv[2:]], standalone_mode=True))
