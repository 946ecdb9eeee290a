"""The throughput benchmark's phases (bench/throughput.py): starting our workers or the baseline
Celery worker as processes, and timing one phase (runs submitted until all are final, or baseline
tasks sent until all are done)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import redis
from _accounting import Procs
from _ui import PlainProgress, progress
from rich.progress import Progress, TaskID

from prp_tasks.core.run import RunSpec
from prp_tasks.service.control import Control
from prp_tasks.state.keys import Keys

BENCH = Path(__file__).resolve().parent
PREFIX = "bench"
CONTROL_WORKER = ["--queues", "control", "--pool", "threads", "--concurrency", "4"]


# processes -------------------------------------------------------------------------------------


def base_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRP_", "BENCH_"))}
    env["BENCH_MODE"] = os.environ.get("BENCH_MODE", "sections")  # for the --as-worker launcher
    env.update(
        {
            "PRP_REDIS_URL": url,
            "PRP_KEY_PREFIX": PREFIX,
            "PRP_TASK_EVENTS": "false",
            "PRP_LOG_LEVEL": "WARNING",
            "BENCH_REDIS_URL": url,
        }
    )
    return env


def prp_worker_argv(args: list[str], tag: str, profile_dir: Path | None) -> list[str]:
    head = [sys.executable, "-m", "prp_tasks.cli"]
    if profile_dir is not None:  # the instrumented launcher (see as_worker)
        head = [sys.executable, str(BENCH / "throughput.py"), "--as-worker", str(profile_dir), "--"]
    return [*head, "worker", *args, "--loglevel", "WARNING", "--hostname", f"{tag}@bench"]


def start_ours(
    procs: Procs, url: str, pool: str, conc: int, tag: str, shared: bool, profile_dir: Path | None = None
) -> list[str]:
    env = base_env(url)
    queues = "automated,control" if shared else "automated"
    auto = ["--queues", queues, "--pool", pool, "--concurrency", str(conc)]
    procs.start(f"{tag}-auto", prp_worker_argv(auto, f"auto-{tag}", profile_dir), env)
    described = [f"prp worker {' '.join(auto)}"]
    if not shared:
        procs.start(f"{tag}-control", prp_worker_argv(CONTROL_WORKER, f"control-{tag}", profile_dir), env)
        described.append(f"prp worker {' '.join(CONTROL_WORKER)}")
    return described


def start_baseline(procs: Procs, url: str, pool: str, conc: int, tag: str) -> str:
    env = base_env(url) | {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(BENCH), os.environ.get("PYTHONPATH")]))
    }
    args = ["--pool", pool, "--concurrency", str(conc), "--prefetch-multiplier", "1", "--without-mingle"]
    argv = [sys.executable, "-m", "celery", "-A", "_noop_app", "worker", *args]
    procs.start(f"{tag}-celery", [*argv, "--loglevel", "WARNING", "--hostname", f"noop-{tag}@bench"], env)
    return f"celery -A _noop_app worker {' '.join(args)}"


# measuring -------------------------------------------------------------------------------------


CpuProbe = Callable[[], dict[str, float]] | None


Phase = tuple[float, dict[str, float]]  # seconds, diagnostics


@dataclass(frozen=True)
class Timed:
    seconds: float
    cpu_before: dict[str, float]
    cpu_after: dict[str, float]


def finished_runs(client: redis.Redis, keys: Keys) -> int:
    passed, failed = client.hmget(keys.metrics, "runs|state=passed", "runs|state=failed")
    return int(passed or 0) + int(failed or 0)


def run_ours(
    control: Control, specs: list[RunSpec], label: str, procs: Procs, timeout_s: float, cpu: CpuProbe = None
) -> Timed:
    """Submit every spec, wait until all are final; seconds from first submit to the last final."""
    client, keys = control.store.redis, control.store.keys
    before = finished_runs(client, keys)
    with progress() as bar:
        task = bar.add_task(f"{label}: runs final", total=len(specs))
        cpu_before = cpu() if cpu else {}
        started = time.monotonic()
        for spec in specs:
            control.submit(spec)
        final = (label, f"runs final after {timeout_s}s")
        wait_for(lambda: finished_runs(client, keys) - before, len(specs), final, bar, task, procs, timeout_s)
        elapsed = time.monotonic() - started
        cpu_after = cpu() if cpu else {}
    with client.pipeline(transaction=False) as pipe:  # the same test as Control.is_final, batched
        for spec in specs:
            pipe.hget(keys.run(spec.run_id).meta, "finalized")
            pipe.hget(keys.run(spec.run_id).meta, "status")
        replies = pipe.execute()
    statuses = {replies[i + 1] for i in range(0, len(replies), 2) if replies[i] == "1"}
    if statuses != {"passed"} or sum(r == "1" for r in replies[::2]) != len(specs):
        raise RuntimeError(f"{label}: runs did not all pass: {statuses}")
    return Timed(elapsed, cpu_before, cpu_after)


def run_baseline(
    sender: object, client: redis.Redis, task: str, n: int, label: str, procs: Procs, cpu: CpuProbe = None
) -> Timed:
    counter = os.environ["BENCH_COUNTER"]
    client.delete(counter)
    with progress() as bar:
        bar_task = bar.add_task(f"{label}: tasks done", total=n)
        cpu_before = cpu() if cpu else {}
        started = time.monotonic()
        for _ in range(n):
            sender.send_task(task)  # type: ignore[attr-defined]
        wait_for(lambda: int(client.get(counter) or 0), n, (label, "tasks done"), bar, bar_task, procs, 600)
        elapsed = time.monotonic() - started
        return Timed(elapsed, cpu_before, cpu() if cpu else {})


def wait_for(
    count: Callable[[], int],
    n: int,
    what: tuple[str, str],
    bar: Progress | PlainProgress,
    task: TaskID,
    procs: Procs,
    timeout_s: float,
) -> None:
    """Until ``count()`` reaches ``n``: the bar follows, a worker that exits or the timeout fails."""
    deadline = time.monotonic() + timeout_s
    while (done := count()) < n:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what[0]}: only {done}/{n} {what[1]}")
        bar.update(task, completed=done)
        procs.check_alive()
        time.sleep(0.01)
    bar.update(task, completed=done)
