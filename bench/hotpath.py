"""CPU per gate of the engine's check path, in one process, without a Celery worker.

A development tool beside ``bench/throughput.py``: that benchmark says how many gates per second
the real worker processes reach; this one says where one process's CPU goes per gate, with less
noise (one thread, no pool, no other process competing). Runs of the throughput benchmark's shape
(8 gates of one ``run: ["true"]`` check) are submitted to the real engine on a private
redis-server; the check messages are really published (``CeleryEnqueuer``, kombu over Redis) and
this script takes them off the queue itself (``LPOP`` + JSON decode, far less than a Celery
worker's handling) and calls ``Engine.run_check`` with their arguments (the check task that settles
a run's last gate finalizes it; a ``prp.finalize_run`` message is run the same way). CPU is
``time.process_time`` of this process (the check's own processes are reported apart, from
``RUSAGE_CHILDREN``).

Usage: ``.venv/bin/python bench/hotpath.py [--runs 200] [--check command|builtin] [--cprofile FILE]
[--top 40] [--redis-stats] [--smoke]`` (``builtin``: the throughput benchmark's second pair, no subprocess;
``--smoke``: 4 runs, seconds, the same passes)
The last line of output is one JSON object with the keys (``JSON_KEYS``):
  runs, check, gates                the measured pass: runs, --check, runs × 8 gates
  cpu_ms_per_gate                   this process's CPU (ms) per gate (engine, Redis client, kombu)
  wall_ms_per_gate                  wall time (ms) per gate of the measured pass
  check_processes_cpu_ms_per_gate   CPU (ms) per gate of the checks' own processes (RUSAGE_CHILDREN)
  finalize_cpu_ms_per_run           of cpu_ms_per_gate, the finalizations' CPU (ms) per run
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import json
import pstats
import resource
import sys
import tempfile
import time
from pathlib import Path

import redis

from prp_tasks.celeryapp.embedded import EmbeddedRedis
from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.engine.engine import Engine
from prp_tasks.intake.submission import prepare_run
from prp_tasks.intake.workflow_files import parse_workflow
from prp_tasks.routing import queue_name
from prp_tasks.settings import load_settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _ui import parse_args, status
from throughput import GATES_PER_RUN, workflow_text

JSON_KEYS = (
    "runs",
    "check",
    "gates",
    "cpu_ms_per_gate",
    "wall_ms_per_gate",
    "check_processes_cpu_ms_per_gate",
    "finalize_cpu_ms_per_run",
)
SMOKE = {"runs": 4}
QUEUES = (queue_name("automated"), queue_name("control"))


def take(client: redis.Redis, queue: str) -> tuple[str, dict[str, object]] | None:
    """One message off a kombu Redis queue: (task name, kwargs)."""
    raw = client.rpop(queue)
    if raw is None:
        return None
    message = json.loads(raw)
    _args, kwargs, _ = json.loads(base64.b64decode(message["body"]))
    return str(message["headers"]["task"]), kwargs


def drain(engine: Engine, client: redis.Redis) -> tuple[int, float]:
    """Execute queued checks and finalizations until both queues are empty: (checks executed,
    CPU seconds spent finalizing, inside the check task that settled a run's last gate or from a
    ``prp.finalize_run`` message)."""
    done, spent = 0, [0.0]
    finalize = engine.finalize

    def timed(run_id: str) -> bool:
        started = time.process_time()
        try:
            return finalize(run_id)
        finally:
            spent[0] += time.process_time() - started

    engine.finalize = timed  # type: ignore[method-assign]
    try:
        while (item := take(client, QUEUES[0]) or take(client, QUEUES[1])) is not None:
            name, kwargs = item
            if name == "prp.run_check":
                outcome = engine.run_check(**kwargs)  # type: ignore[arg-type]
                if outcome.state != "done":
                    raise RuntimeError(f"check not done: {outcome}")
                done += 1
            elif name == "prp.finalize_run":
                engine.finalize(str(kwargs["run_id"]))
    finally:
        del engine.finalize
    return done, spent[0]


def measure(
    engine: Engine, client: redis.Redis, runs: int, profiler: cProfile.Profile | None, kind: str = "command"
) -> dict[str, float]:
    workflow = parse_workflow(workflow_text(kind))
    with tempfile.TemporaryDirectory(prefix="prp-hotpath-repo-") as repo:  # plain: no git worktree per run
        for _ in range(runs):
            engine.submit(prepare_run(Path(repo), workflow=workflow))
        return _timed(engine, client, runs, profiler)


def _timed(
    engine: Engine, client: redis.Redis, runs: int, profiler: cProfile.Profile | None
) -> dict[str, float]:
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if profiler is not None:
        profiler.enable()
    done, finalizing = drain(engine, client)
    if profiler is not None:
        profiler.disable()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    child_cpu = (children.ru_utime + children.ru_stime) - (children0.ru_utime + children0.ru_stime)
    gates = runs * GATES_PER_RUN
    if done != gates:
        raise RuntimeError(f"{done} checks executed, expected {gates}")
    return {
        "cpu_ms_per_gate": round(1000 * cpu / gates, 3),
        "wall_ms_per_gate": round(1000 * wall / gates, 3),
        "check_processes_cpu_ms_per_gate": round(1000 * child_cpu / gates, 3),
        "finalize_cpu_ms_per_run": round(1000 * finalizing / runs, 3),
    }


def print_redis_stats(client: redis.Redis, gates: int) -> None:
    """Redis's own CPU (``INFO commandstats``) per gate by command, the costliest first."""
    stats = client.info("commandstats")
    rows = sorted(
        ((v["usec"], k.removeprefix("cmdstat_"), v["calls"]) for k, v in stats.items()), reverse=True
    )
    print(f"Redis CPU per gate: {sum(r[0] for r in rows) / gates / 1000:.3f} ms", file=sys.stderr)
    for usec, name, calls in rows[:12]:
        print(f"  {name:<12} {usec / gates:8.1f} us/gate  {calls / gates:5.2f} calls/gate", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument(
        "--check", choices=("command", "builtin"), default="command", help="each gate's check"
    )
    parser.add_argument("--cprofile", metavar="FILE", help="profile the measured pass (CPU time) to FILE")
    parser.add_argument("--top", type=int, default=0, help="print the top N functions by own CPU time")
    parser.add_argument(
        "--redis-stats", action="store_true", help="print Redis's CPU per command (and script) per gate"
    )
    args = parse_args(parser, SMOKE)
    with tempfile.TemporaryDirectory(prefix="prp-hotpath-") as tmp, EmbeddedRedis(Path(tmp) / "r") as server:
        settings = load_settings(redis_url=server.url, key_prefix="hotpath", task_events=False)
        engine = Runtime(settings).engine
        client = redis.Redis.from_url(server.url)
        with status(f"{args.runs} runs × {GATES_PER_RUN} gates through the engine"):
            measure(engine, client, max(4, args.runs // 10), None, args.check)  # warm-up: imports, caches
            profiler = cProfile.Profile(time.process_time) if (args.cprofile or args.top) else None
            client.config_resetstat()
            result = measure(engine, client, args.runs, profiler, args.check)
            if args.redis_stats:
                print_redis_stats(client, args.runs * GATES_PER_RUN)
    if profiler is not None:
        if args.cprofile:
            profiler.dump_stats(args.cprofile)
        if args.top:
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(args.top)
    print(json.dumps({"runs": args.runs, "check": args.check, "gates": args.runs * GATES_PER_RUN, **result}))


if __name__ == "__main__":
    main()
