"""Where a DAG run's overhead goes: the engine's steps timed inside one in-process worker.

A development tool beside ``bench/dag_latency.py`` (same workflow: A sleep 1.0, B sleep 0.1,
C after B, D after A; critical path 1.1 s, automated concurrency 16, threads, a private
redis-server). That benchmark gives the overhead over the critical path; this one splits it. Each
step below is marked by wrapping the engine's own functions (``time.perf_counter``, per thread), so
the figures have sub-millisecond resolution where the run's records keep milliseconds.

Usage: ``.venv/bin/python bench/dag_timeline.py [--rounds 8] [--marks] [--smoke]``
(``--marks``: print the last round's marks; ``--smoke``: one round after the warm-up).
The last line of output is one JSON object with the keys (``JSON_KEYS``), each a median over the
rounds (over every check of every round for the per-check steps), in ms:
  rounds                  rounds measured
  overhead_ms             the run's wall time (submit to ``wait_final`` returning) minus 1.1 s
  submit_ms               ``Control.submit``
  first_task_ms           submit's start to the first check task's start
  lease_ms                the lease script (``CheckStore.acquire``)
  lease_to_spawn_ms       the lease taken to the command's spawn (workspace, files, environment)
  spawn_ms                the spawn (``Popen``)
  exit_to_settle_ms       the command's exit seen to the record-and-settle call
  settle_ms               record-and-settle (claim, settle, dependents' messages, events)
  settle_to_task_ms       a settle that queued a dependent to the dependent's task starting
  finalize_to_woken_ms    the finalization's start to the waiter woken
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _ui import parse_args
from dag_latency import CRITICAL

from prp_tasks.celeryapp.embedded import EmbeddedRedis, embedded_worker
from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.checks import command
from prp_tasks.engine.engine import Engine
from prp_tasks.engine.finalization import Finalizer
from prp_tasks.intake.submission import prepare_run
from prp_tasks.intake.workflow_files import parse_workflow
from prp_tasks.processes import spawn
from prp_tasks.service.control import Control
from prp_tasks.settings import load_settings
from prp_tasks.state.checks import CheckStore

JSON_KEYS = (
    "rounds",
    "overhead_ms",
    "submit_ms",
    "first_task_ms",
    "lease_ms",
    "lease_to_spawn_ms",
    "spawn_ms",
    "exit_to_settle_ms",
    "settle_ms",
    "settle_to_task_ms",
    "finalize_to_woken_ms",
)
SMOKE = {"rounds": 1}
#: (owner, function, label): the steps marked on entry (label>) and exit (label<)
STEPS: tuple[tuple[Any, str, str], ...] = (
    (Control, "submit", "submit"),
    (Control, "wait_final", "wait"),
    (Engine, "run_check", "task"),
    (CheckStore, "acquire", "lease"),
    (spawn, "_popen", "spawn"),
    (command, "wait", "exit"),  # spawn.wait, as the command check holds it
    (CheckStore, "record_and_settle", "settle"),
    (Finalizer, "finalize", "finalize"),
)
Mark = tuple[float, str, int]


def install(marks: list[Mark]) -> None:
    """Wrap every step so it appends (time, label + '>' or '<', thread) to ``marks``."""
    for owner, name, label in STEPS:
        setattr(owner, name, _marked(getattr(owner, name), label, marks))


def _marked(fn: Callable[..., Any], label: str, marks: list[Mark]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        marks.append((time.perf_counter(), label + ">", threading.get_ident()))
        try:
            return fn(*args, **kwargs)
        finally:
            marks.append((time.perf_counter(), label + "<", threading.get_ident()))

    return wrapper


def steps(marks: list[Mark]) -> dict[str, list[float]]:
    """One round's marks as the JSON keys' samples (ms)."""
    out: dict[str, list[float]] = {k: [] for k in JSON_KEYS[1:]}
    at = {label: [t for t, lb, _ in marks if lb == label] for label in {m[1] for m in marks}}
    out["overhead_ms"].append(_ms(at["wait<"][0] - at["submit>"][0]) - 1100)
    out["submit_ms"].append(_ms(at["submit<"][0] - at["submit>"][0]))
    out["first_task_ms"].append(_ms(at["task>"][0] - at["submit>"][0]))
    out["finalize_to_woken_ms"].append(_ms(at["wait<"][0] - at["finalize>"][0]))
    for first, then, key in (
        ("lease>", "lease<", "lease_ms"),
        ("lease<", "spawn>", "lease_to_spawn_ms"),
        ("spawn>", "spawn<", "spawn_ms"),
        ("exit<", "settle>", "exit_to_settle_ms"),
        ("settle>", "settle<", "settle_ms"),
    ):
        out[key] += _same_thread(marks, first, then)
    tasks = at["task>"]
    for end in at["settle<"]:  # the dependent a settle queued starts after it, on another thread
        later = [t for t in tasks if t > end]
        if later and later[0] - end < 0.05:
            out["settle_to_task_ms"].append(_ms(later[0] - end))
    return out


def _same_thread(marks: list[Mark], first: str, then: str) -> list[float]:
    """For each ``first`` mark, the time to the next ``then`` mark of the same thread."""
    samples = []
    for i, (t, label, thread) in enumerate(marks):
        if label == first:
            nxt = next((u for u, lb, th in marks[i + 1 :] if lb == then and th == thread), None)
            if nxt is not None:
                samples.append(_ms(nxt - t))
    return samples


def _ms(seconds: float) -> float:
    return seconds * 1000


def measure(rounds: int, show_marks: bool) -> dict[str, Any]:
    marks: list[Mark] = []
    install(marks)
    samples: dict[str, list[float]] = {k: [] for k in JSON_KEYS[1:]}
    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis(Path(tmp) / "redis") as server:
        repo = Path(tmp) / "repo"
        repo.mkdir()
        settings = load_settings(redis_url=server.url, key_prefix="bench", task_events=False)
        automated = settings.queues.automated.model_copy(update={"concurrency": 16})
        queues = settings.queues.model_copy(update={"automated": automated})
        settings = settings.model_copy(update={"queues": queues})
        runtime = Runtime(settings)
        with embedded_worker(runtime.app, settings):
            for n in range(rounds + 1):  # the first is the warm-up
                marks.clear()
                spec = prepare_run(repo, workflow=parse_workflow(CRITICAL))
                runtime.control.submit(spec)
                if not runtime.control.wait_final(spec.run_id, 60):
                    raise RuntimeError(f"run {spec.run_id} not final within 60 s")
                time.sleep(0.05)  # the finalizing task's last marks
                if n:
                    for key, values in steps(list(marks)).items():
                        samples[key] += values
    if show_marks:
        print_marks(list(marks))
    result: dict[str, Any] = {"rounds": rounds}
    result.update({k: round(statistics.median(v), 2) if v else None for k, v in samples.items()})
    return result


def print_marks(marks: list[Mark]) -> None:
    start, threads = marks[0][0], {}
    for t, label, thread in marks:
        print(f"{_ms(t - start):9.2f} ms  thread {threads.setdefault(thread, len(threads))}  {label}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--marks", action="store_true", help="print the last round's marks")
    args = parse_args(parser, SMOKE)
    result = measure(args.rounds, args.marks)
    for key in JSON_KEYS[1:]:
        print(f"{key:24s} {result[key]}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
