"""Soak: N runs (default 1,000) of the built-in G0–G7 workflow with no-op checks, through the
Procfile's process set; lost / duplicated / unexpected counts, gate dispatch latency, Redis memory
after retention expiry.

Processes (all real, each in its own process group, every group SIGKILLed at the end, also on an
error or Ctrl-C): a private ``redis-server`` on a unix socket with ``appendonly yes`` /
``appendfsync everysec`` (EmbeddedRedis(appendonly=True)) and the Procfile entries ``api``,
``worker-automated``, ``worker-approval``, ``worker-control`` and ``sweeper`` started from the
Procfile's own command lines by the acceptance helper (tests/acceptance/procfile.py), configured
by environment only: ``PRP_RETENTION_S=60`` (the minimum), ``PRP_EVENTS_MAXLEN=2000``,
``PRP_TASK_EVENTS=false``, ``PRP_SPOOL_CONCURRENCY=2`` / ``PRP_SPOOL_MAX_CONCURRENCY=4``,
``PRP_API__RATE_LIMIT_PER_MIN=0`` (one client submits 1,000 runs), ``PRP_RECONCILE_INTERVAL_S=5``
(housekeeping, which also prunes the run index, runs often enough to be seen after expiry) and a
submit-only API token.

Workload: ``POST /v1/runs {"repo": REPO, "auto_approve": true, "idempotency_key": "soak-I"}``
over HTTP to the ``api`` process (the Procfile path a service would use; the idempotency key makes
a retried POST safe). No workflow is given, so it is the built-in G0–G7 (8 gates, 15 checks). REPO
is a tiny repository written by this script whose ``initial.md`` has no ``governance.commands``:
every check is a built-in that reads a few small files (no subprocess), i.e. a no-op check, and
every gate passes and is auto-approved.

At most ``--window`` (50) runs are in flight: a run is submitted when another became final. A
closed loop keeps the system in a steady state — the broker queue holds only the ready checks of
about 50 runs — so dispatch latency measures what one gate's dispatch costs at full load, not how
long a 1,000-run (15,000-check) backlog takes to drain; with all runs submitted at once the p99
would just be the backlog's drain time.

Per run, as soon as it is final (within ~0.1 s, long before its 60 s retention expires), its
``Control.snapshot`` is classified:
  * lost: a run not final before the timeout, a gate without a record, a check of a gate without
    a recorded result;
  * duplicated: a gate with more than one settle event in the run's event list, or a gate settle /
    check result claimed twice on the lifecycle stream. ``PRP_TASK_EVENTS=false`` only switches
    off Celery's task events (Flower); the lifecycle stream ``P:events`` is always written, but it
    is capped at 2,000 entries, so a reader thread follows it live (XREAD) and counts
    ``prp_runner.task.executed`` per (run, taskId) for kind=check and kind=gate. It also compares
    what it read with the workers' ``events_emitted_total`` counter: equal means no event was
    trimmed before it was read, so the claim counts are complete;
  * unexpected: a final status other than ``passed``.
Dispatch latency: per gate, its first check's ``started_at`` minus the gate's ``started_at``
(dispatch), both ISO ms timestamps of the snapshot. Run duration: spec ``created_at`` to
``finished_at``. runs/s: runs final / seconds from the first submission to the last final run.

Memory (``INFO memory`` used_memory): baseline once the processes are up (before submitting),
peak (sampled every 0.25 s while runs execute, and Redis' own ``used_memory_peak``), and after
expiry: once every run is final this script waits retention + 10 s, then reads used_memory,
``DBSIZE``, the number of ``P:run:*`` keys left (must be 0) and what remains, grouped by key
pattern with ``MEMORY USAGE``.

Usage: python bench/soak.py [--runs 1000] [--window 50] [--timeout S] [--expiry-wait S] [--smoke]
``--smoke``: 5 runs, window 5, and a 2 s wait instead of retention + 10 s (about 15 s: every phase
runs, but retention cannot be set below 60 s, so nothing has expired yet when the "after expiry"
figures are read: run_keys_left is then the runs' keys, not 0).

The last line of output is one JSON object with the keys (``JSON_KEYS``):
  runs, runs_final, runs_never_submitted     runs asked for, final, never submitted (timeout)
  lost, duplicated, unexpected               counts of the items above (0 expected)
  gates_measured                             gates with a dispatch latency
  p50_dispatch_ms, p99_dispatch_ms, max_dispatch_ms   gate dispatch -> first check start (ms)
  p50_run_s, p99_run_s                       run duration (s)
  runs_per_s, elapsed_s                      runs final per second, first submit -> last final (s)
  window, max_in_flight                      the window, and the most runs in flight
  p50_submit_ms, p99_submit_ms               POST /v1/runs latency (ms)
  redis_used_memory_before_bytes, redis_used_memory_peak_bytes, redis_used_memory_peak_info_bytes,
  redis_used_memory_after_expiry_bytes, redis_used_memory_growth_bytes   used_memory (bytes)
  redis_bytes_per_finished_run_after_retention   growth ÷ final runs: what a finished run leaves
                                             behind once its state expired (capped streams, audit)
  dbsize_before, dbsize_peak, dbsize_after_expiry     DBSIZE
  run_keys_left, runs_index_entries_after_expiry     P:run:* keys and run-index entries left
  events_emitted, events_failed, events_stream_len, audit_stream_len, events_read, events_maxlen
                                             the lifecycle stream: written, failed, length, read
  retention_s                                PRP_RETENTION_S
  after_expiry_keys, after_expiry_bytes      {key pattern: keys / bytes} left after the wait
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import redis
from _soak_checker import MemorySampler, RunOutcome, StreamCounter, classify, finalized, key_groups, memory
from _soak_report import Measured, report_table, summarize
from _soak_services import (
    PREFIX,
    RETENTION_S,
    TOKEN,
    ServiceError,
    check_alive,
    console,
    free_port,
    make_repo,
    progress,
    service_env,
    start_services,
)
from _ui import bars, parse_args
from rich.progress import BarColumn, TextColumn

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # for tests.acceptance.procfile (run as `python bench/soak.py`)
    sys.path.insert(0, str(ROOT))

from prp_tasks.celeryapp.embedded import EmbeddedRedis  # noqa: E402
from prp_tasks.celeryapp.runtime import Runtime  # noqa: E402
from prp_tasks.service.control import Control  # noqa: E402
from prp_tasks.settings import load_settings  # noqa: E402
from prp_tasks.state.keys import Keys  # noqa: E402
from tests.acceptance.procfile import ProcfileProcesses  # noqa: E402

JSON_KEYS = (
    "runs",
    "runs_final",
    "runs_never_submitted",
    "lost",
    "duplicated",
    "unexpected",
    "gates_measured",
    "p50_dispatch_ms",
    "p99_dispatch_ms",
    "max_dispatch_ms",
    "p50_run_s",
    "p99_run_s",
    "runs_per_s",
    "elapsed_s",
    "window",
    "max_in_flight",
    "p50_submit_ms",
    "p99_submit_ms",
    "redis_used_memory_before_bytes",
    "redis_used_memory_peak_bytes",
    "redis_used_memory_peak_info_bytes",
    "redis_used_memory_after_expiry_bytes",
    "redis_used_memory_growth_bytes",
    "redis_bytes_per_finished_run_after_retention",
    "dbsize_before",
    "dbsize_peak",
    "dbsize_after_expiry",
    "run_keys_left",
    "runs_index_entries_after_expiry",
    "events_emitted",
    "events_failed",
    "events_stream_len",
    "audit_stream_len",
    "events_read",
    "events_maxlen",
    "retention_s",
    "after_expiry_keys",
    "after_expiry_bytes",
)
SMOKE = {"runs": 5, "window": 5, "expiry_wait": 2.0}

# the soak ---------------------------------------------------------------------------------------


@dataclass
class Soak:
    runs: int
    window: int
    timeout_s: float
    http: httpx.Client
    control: Control
    procs: ProcfileProcesses
    repo: Path
    outcomes: dict[str, RunOutcome] = field(default_factory=dict)
    not_final: list[str] = field(default_factory=list)
    submit_ms: list[float] = field(default_factory=list)
    max_in_flight: int = 0

    def submit(self, index: int) -> str:
        body = {"repo": str(self.repo), "auto_approve": True, "idempotency_key": f"soak-{index}"}
        for attempt in range(3):
            began = time.perf_counter()
            try:
                response = self.http.post("/v1/runs", json=body)
            except httpx.TransportError:
                if attempt == 2:
                    raise
                time.sleep(0.5)
                continue
            self.submit_ms.append((time.perf_counter() - began) * 1000)
            if response.status_code not in (200, 201):
                raise ServiceError(f"POST /v1/runs: {response.status_code} {response.text[:500]}")
            run_id: str = response.json()["run_id"]
            return run_id
        raise AssertionError("unreachable")

    def execute(self) -> tuple[float, float]:
        """Submit every run through a window of ``self.window``; (first submit, last final) times."""
        client = self.control.store.redis
        in_flight: list[str] = []
        submitted = 0
        first = last_final = time.monotonic()
        deadline = first + self.timeout_s
        last_progress = first
        bad = 0
        with progress() as bar:
            sub_task = bar.add_task("submitted", total=self.runs, info="")
            fin_task = bar.add_task("final", total=self.runs, info="")
            while submitted < self.runs or in_flight:
                while submitted < self.runs and len(in_flight) < self.window:
                    in_flight.append(self.submit(submitted))
                    submitted += 1
                self.max_in_flight = max(self.max_in_flight, len(in_flight))
                done = finalized(client, self.control, in_flight) if in_flight else []
                for run_id in done:
                    in_flight.remove(run_id)
                    outcome = self.outcomes[run_id] = classify(self.control.snapshot(run_id))
                    bad += outcome.status != "passed" or bool(outcome.lost or outcome.duplicated)
                now = time.monotonic()
                if done:
                    last_final = last_progress = now
                bar.update(sub_task, completed=submitted, info=f"in flight {len(in_flight)}")
                bar.update(fin_task, completed=len(self.outcomes), info=f"not clean {bad}")
                check_alive(self.procs)
                if now > deadline or now - last_progress > 180:
                    self.give_up("timeout" if now > deadline else "no run became final for 180 s", in_flight)
                    console.print(f"[red]... {self.runs - submitted} never submitted")
                    break
                if not done:
                    time.sleep(0.05)
        return first, last_final

    def give_up(self, why: str, in_flight: list[str]) -> None:
        """Stop waiting: the runs still in flight are classified as they are (not final, they
        cannot expire)."""
        console.print(f"[red]{why}: {len(in_flight)} run(s) in flight")
        self.not_final = in_flight
        for run_id in in_flight:
            self.outcomes[run_id] = classify(self.control.snapshot(run_id))


def countdown(seconds: float, label: str) -> None:
    with bars(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[left]} s left")) as bar:
        task = bar.add_task(label, total=seconds, left=int(seconds))
        began = time.monotonic()
        while (elapsed := time.monotonic() - began) < seconds:
            bar.update(task, completed=elapsed, left=int(seconds - elapsed + 0.999))
            time.sleep(0.25)
        bar.update(task, completed=seconds, left=0)


def watch(url: str, client: redis.Redis, events_key: str) -> tuple[StreamCounter, MemorySampler]:
    """Start following the lifecycle stream (from its current end) and sampling memory."""
    start_id = "0-0"
    if client.exists(events_key):
        start_id = client.xinfo_stream(events_key)["last-generated-id"]
    stream, sampler = StreamCounter(url, events_key, start_id), MemorySampler(url)
    stream.start()
    sampler.start()
    return stream, sampler


def measure(args: argparse.Namespace, tmp: Path) -> Measured:
    """Private Redis + Procfile services; the soak; the retention wait; all stopped at the end."""
    server = EmbeddedRedis(tmp / "redis", label="soak", appendonly=True)
    port = free_port()
    procs: ProcfileProcesses | None = None
    http = httpx.Client(
        base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
    )
    watchers: list[StreamCounter | MemorySampler] = []
    try:
        server.start()
        procs = ProcfileProcesses(service_env(server.url, tmp, port), tmp / "logs")
        startup_s = start_services(procs, http)
        return soak_and_expire(args, tmp, server.url, procs, http, startup_s, watchers)
    finally:
        for watcher in watchers:
            watcher.stop.set()
        http.close()
        if procs is not None:
            procs.stop()
        server.stop()


def soak_and_expire(
    args: argparse.Namespace,
    tmp: Path,
    url: str,
    procs: ProcfileProcesses,
    http: httpx.Client,
    startup_s: float,
    watchers: list[StreamCounter | MemorySampler],
) -> Measured:
    """The runs (with the stream and memory watched), then the retention wait and what is left."""
    settings = load_settings(redis_url=url, key_prefix=PREFIX, task_events=False)
    control = Runtime(settings).control
    client, keys = control.store.redis, control.store.keys
    repo = make_repo(tmp / "repo")
    time.sleep(2.0)  # first worker beats, bindings, metrics refresh: let start-up settle
    memory_before, groups_before = memory(client), key_groups(client)
    emitted_before = int(client.hget(keys.metrics, "events_emitted_total") or 0)
    stream, sampler = watch(url, client, keys.events)
    watchers += [stream, sampler]
    console.print(
        f"services up in {startup_s:.1f}s; baseline used_memory {memory_before[0]} B,"
        f" dbsize {memory_before[1]}; {args.runs} runs, window {args.window}"
    )
    soak = Soak(args.runs, args.window, args.timeout, http, control, procs, repo)
    first, last_final = soak.execute()
    peak_info, counters = after_runs(client, keys, stream, sampler, emitted_before)
    if args.expiry_wait < RETENTION_S + 10:
        console.print(
            f"[yellow]waiting {args.expiry_wait:g} s, less than retention ({RETENTION_S} s) + 10 s:"
            " the runs have not expired when the 'after expiry' figures are read"
        )
    countdown(args.expiry_wait, f"waiting {args.expiry_wait:g} s (retention {RETENTION_S} s) for expiry")
    check_alive(procs)
    before = (memory_before, groups_before)
    return Measured(
        soak, stream, sampler, last_final - first, *before, peak_info, counters, *left(client, keys)
    )


def left(client: redis.Redis, keys: Keys) -> tuple[tuple[int, int], dict[str, dict[str, int]], int, int]:
    """After expiry: memory and keys, keys by pattern, run keys left, run-index entries left."""
    run_keys = sum(1 for _ in client.scan_iter(match=f"{PREFIX}:run:*", count=1000))
    return memory(client), key_groups(client), run_keys, int(client.zcard(keys.runs))


def after_runs(
    client: redis.Redis, keys: Keys, stream: StreamCounter, sampler: MemorySampler, emitted_before: int
) -> tuple[int, dict[str, int]]:
    """Redis' peak memory and the event counters, once every run is final (the stream drained)."""
    sampler.sample()
    sampler.stop.set()
    peak_info = int(client.info("memory")["used_memory_peak"])
    time.sleep(0.5)  # the last events of the last run
    stream.drain()
    if stream.error is not None:
        raise stream.error
    counters = {
        "events_emitted": int(client.hget(keys.metrics, "events_emitted_total") or 0) - emitted_before,
        "events_failed": int(client.hget(keys.metrics, "events_failed_total") or 0),
        "events_stream_len": int(client.xlen(keys.events)),
        "audit_stream_len": int(client.xlen(keys.audit)),
    }
    return peak_info, counters


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--window", type=int, default=50, help="runs in flight at most")
    parser.add_argument("--timeout", type=float, default=None, help="seconds for every run to be final")
    parser.add_argument(
        "--expiry-wait",
        type=float,
        default=RETENTION_S + 10,
        help="seconds to wait after the last run before reading what is left (default: retention + 10 s)",
    )
    args = parse_args(parser, SMOKE)
    if args.timeout is None:
        args.timeout = 300 + 2.0 * args.runs

    def interrupted(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    cache_dir = os.environ.get("XDG_CACHE_HOME")  # tests.conftest (imported above) points it at /tmp
    try:
        with tempfile.TemporaryDirectory(prefix="prp-soak-") as tmp:
            measured = measure(args, Path(tmp))
    finally:
        if cache_dir and Path(cache_dir).name == f"prp-tests-{os.getpid()}":
            shutil.rmtree(cache_dir, ignore_errors=True)
    result, items = summarize(args, measured)
    report_table(result, measured.groups_before, measured.groups_after)
    for label, found in items.items():
        for item in found[:20]:
            console.print(f"[red]{label}: {item}")
    if measured.stream.read != result["events_emitted"]:
        console.print(
            f"[yellow]read {measured.stream.read} of {result['events_emitted']} lifecycle events:"
            " the stream's claim counts are incomplete"
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
