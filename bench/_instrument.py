"""Instrumented prp workers for bench/throughput.py ``--profile`` / ``--cprofile``.

``bench/throughput.py --as-worker DIR -- <prp args>`` runs ``prp <args>`` with the task bodies and
the engine steps in SECTIONS timed (wall and thread CPU; totals go to the ``bench:sections`` hash
of the benchmark's Redis when a process stops), or, with ``BENCH_MODE=cprofile``, the prefork
children cProfiled to DIR. Not part of the headline numbers.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import redis

#: (module, attribute) timed in the instrumented workers; ``Class.method`` or a module function
#: (patched where it is looked up). Times are inclusive: nested sections are also in their parent.
SECTIONS = (
    ("prp_tasks.engine.engine", "Engine.run_check"),
    ("prp_tasks.state.checks", "CheckStore.acquire"),
    ("prp_tasks.state.runs", "RunStore.spec"),
    ("prp_tasks.engine.execution", "CheckExecutor.execute"),
    ("prp_tasks.engine.execution", "CheckExecutor._run"),
    ("prp_tasks.checks", "run_command"),
    ("subprocess", "Popen.__init__"),
    ("prp_tasks.checks.command", "wait"),
    ("prp_tasks.checks.command", "_redacted_ends"),
    ("prp_tasks.checks", "stamp"),
    ("prp_tasks.state.checks", "CheckStore.record_check"),
    ("prp_tasks.engine.engine", "Engine._claim_and_settle"),
    ("prp_tasks.state.checks", "CheckStore.record_and_settle"),
    ("prp_tasks.engine.engine", "Engine.complete_gate"),
    ("prp_tasks.state.runs", "RunStore.check_results"),
    ("prp_tasks.state.runs", "RunStore.gate_inputs"),
    ("prp_tasks.engine.gates", "evaluate_gate"),
    ("prp_tasks.state.runs", "RunStore.settle"),
    ("prp_tasks.engine.followups", "Followups.drain"),
    ("prp_tasks.engine.followups", "Followups.dispatch"),
    ("prp_tasks.engine.followups", "Followups.outgoing"),
    ("prp_tasks.engine.followups", "Followups.plan"),
    ("prp_tasks.celeryapp.publish", "CeleryEnqueuer.check"),
    ("prp_tasks.celeryapp.publish", "CeleryEnqueuer.finalize"),
    ("prp_tasks.celeryapp.publish", "CeleryEnqueuer.release_workspaces"),
    ("prp_tasks.state.events", "EventSink.emit_many"),
    ("prp_tasks.engine.engine", "Engine.finalize"),
    ("prp_tasks.engine.breakers", "Breakers.allow"),
    ("prp_tasks.engine.breakers", "Breakers.record"),
    ("prp_tasks.engine.execution", "CheckExecutor._in_workspace"),
    ("prp_tasks.telemetry.lifecycle", "Lifecycle.check_executed"),
    ("prp_tasks.telemetry.lifecycle", "Lifecycle.gates_settled"),
    ("prp_tasks.telemetry.lifecycle", "Lifecycle.gates_started"),
    ("prp_tasks.state.runs", "RunStore.dispatch"),
    ("prp_tasks.state.finish", "FinishStore.send_finalize"),
    ("prp_tasks.engine.limits", "RunLimits.screen"),
    ("prp_tasks.state.runs", "RunStore.snapshot"),
    ("prp_tasks.engine.finalization", "render_outputs"),
    ("prp_tasks.state.finish", "FinishStore.finalize"),
)
SECTIONS_KEY = "bench:sections"


def _install_sections(inst: _Instrument) -> None:
    import functools

    for module_name, attr in SECTIONS:
        owner: object = importlib.import_module(module_name)
        *path, name = attr.split(".")
        for part in path:
            owner = getattr(owner, part)

        def wrap(fn: Callable[..., object], label: str) -> Callable[..., object]:
            @functools.wraps(fn)
            def timed(*a: object, **kw: object) -> object:
                wall, cpu = time.perf_counter(), time.thread_time()
                try:
                    return fn(*a, **kw)
                finally:
                    inst.add(label, time.perf_counter() - wall, time.thread_time() - cpu)

            return timed

        setattr(owner, name, wrap(getattr(owner, name), f"{module_name.rsplit('.', 1)[-1]}.{attr}"))


class _Instrument:
    """Per-process totals of task bodies and SECTIONS (count, wall s, thread CPU s)."""

    def __init__(self, profile_dir: Path, mode: str) -> None:
        import threading

        self.profile_dir = profile_dir
        self.use_cprofile = mode == "cprofile"
        self.acc: dict[str, list[float]] = {}
        self.lock = threading.Lock()
        self.started: dict[str, tuple[float, float]] = {}
        self.profiler: object = None

    def add(self, label: str, wall: float, cpu: float) -> None:
        with self.lock:
            entry = self.acc.setdefault(label, [0, 0.0, 0.0])
            entry[0] += 1
            entry[1] += wall
            entry[2] += cpu

    def prerun(self, task_id: str, task: object, **_: object) -> None:
        self.started[task_id] = (time.perf_counter(), time.thread_time())

    def postrun(self, task_id: str, task: object, **_: object) -> None:
        if task_id in self.started:
            wall, cpu = self.started.pop(task_id)
            label = f"task {getattr(task, 'name', '?')}"
            self.add(label, time.perf_counter() - wall, time.thread_time() - cpu)

    def child_init(self, **_: object) -> None:
        self.acc.clear()
        if self.use_cprofile:
            import cProfile

            self.profiler = cProfile.Profile()
            self.profiler.enable()

    def flush(self, **_: object) -> None:
        """Called when a process stops: add its totals to the Redis hash (and dump a profile)."""
        if self.profiler is not None:
            self.profiler.disable()  # type: ignore[attr-defined]
            self.profiler.dump_stats(str(self.profile_dir / f"child-{os.getpid()}.prof"))  # type: ignore[attr-defined]
        with self.lock:
            items = list(self.acc.items())
            self.acc.clear()
        if not items:
            return
        client = redis.Redis.from_url(os.environ["PRP_REDIS_URL"])
        with client.pipeline(transaction=False) as pipe:
            for label, (n, wall, cpu) in items:
                pipe.hincrby(SECTIONS_KEY, f"{label}|n", int(n))
                pipe.hincrbyfloat(SECTIONS_KEY, f"{label}|wall", wall)
                pipe.hincrbyfloat(SECTIONS_KEY, f"{label}|cpu", cpu)
            pipe.execute()


def as_worker(profile_dir: Path, argv: list[str]) -> None:
    """``prp <argv>`` in a worker launched by this script. BENCH_MODE: ``sections`` (task bodies
    and SECTIONS timed, wall and thread CPU, totals written to Redis when a process stops),
    ``cprofile`` (prefork children cProfiled to profile_dir)."""
    from celery import signals

    mode = os.environ.get("BENCH_MODE", "sections")
    inst = _Instrument(profile_dir, mode)
    if mode == "sections":
        _install_sections(inst)
    signals.task_prerun.connect(inst.prerun, weak=False)
    signals.task_postrun.connect(inst.postrun, weak=False)
    signals.worker_process_init.connect(inst.child_init, weak=False)
    signals.worker_process_shutdown.connect(inst.flush, weak=False)
    signals.worker_shutdown.connect(inst.flush, weak=False)
    from prp_tasks.cli import main as prp_main

    sys.argv = ["prp", *argv]
    prp_main()


def section_table(client: redis.Redis) -> dict[str, dict[str, float]]:
    """The instrumented workers' totals (taken out of Redis), per gate and slowest first."""
    raw = client.hgetall(SECTIONS_KEY)
    client.delete(SECTIONS_KEY)
    sections: dict[str, dict[str, float]] = {}
    for field_name, value in raw.items():
        label, what = str(field_name).rsplit("|", 1)
        sections.setdefault(label, {})[what] = float(value)
    gates = int(sections.get("task prp.run_check", {}).get("n", 0)) or 1  # warm-up included
    return {
        label: {
            "calls": int(v.get("n", 0)),
            "wall_ms_per_gate": round(1000 * v.get("wall", 0) / gates, 3),
            "cpu_ms_per_gate": round(1000 * v.get("cpu", 0) / gates, 3),
        }
        for label, v in sorted(sections.items(), key=lambda kv: -kv[1].get("wall", 0))
    }
