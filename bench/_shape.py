"""The eight-gate DAG the throughput benchmarks run (the built-in G0–G7 shape without G6's extra
edges): gate -> its dependencies. Shared by ``throughput.py``, ``hotpath.py``, ``floor.py`` and the
raw-Celery floor tasks of ``_noop_app.py`` (which imports nothing of prp_tasks)."""

from __future__ import annotations

SHAPE = {
    "G0": [],
    "G1": ["G0"],
    "G2": ["G0"],
    "G3": ["G1"],
    "G4": ["G2", "G3"],
    "G5": ["G4"],
    "G6": ["G5"],
    "G7": ["G6"],
}
