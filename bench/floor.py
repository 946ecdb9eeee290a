"""The floor under issue 24's throughput target: raw Celery plus the least a gate engine must do.

``bench/throughput.py`` compares a prp-tasks gate with a raw Celery task running the same ``true``
and asks for a ratio of 0.8. This benchmark measures, in the same run and on the same Redis and
worker options, a third side that has no engine at all: a plain Celery task
(``bench.floor_gate`` in ``bench/_noop_app.py``) doing only what any gate engine that keeps the
product's promises must add to the task, with the fewest round trips:

  1. one Lua script: the gate's lease (``SET NX PX``), nothing when the gate is already settled
     (a redelivered message must not run the check twice);
  2. the same ``subprocess.run(["true"])`` as the baseline;
  3. one Lua script: the result recorded, the gate settled once (``HSETNX``), one event appended,
     each dependent's remaining dependencies counted down and the message of each that became
     ready pushed onto the queue (built by Celery's ``as_task_v2``), the lease dropped.

The runs have throughput.py's eight-gate shape; the producer writes each run's counts and sends
its first gate. No workspace, environment, evidence, output tails, time limit, budgets, metrics,
spans, lease renewal or finalization: whatever a real engine does beyond this costs more, so
``ratio_floor_*`` (floor gates/s ÷ Celery tasks/s) bounds what any implementation of the issue's
design can reach on this machine. Each round also measures prp-tasks itself (throughput.py's
headline pair, its ``Bench.ours``: a real ``prp worker`` and control worker), so the three sit side
by side.

Usage: python bench/floor.py [--runs 200] [--repeat 3] [--config prefork2|threads8 ...]
                             [--smoke]
``--smoke``: 4 runs, one round, every side still run. The last line of output is one JSON object
with the keys (``JSON_KEYS``; a --config run has only its pool's keys):
  runs, gates, repeat                   sizes
  celery_noop_per_s_prefork2, floor_gates_per_s_prefork2, ratio_floor_prefork2,
  celery_noop_per_s_threads8, floor_gates_per_s_threads8, ratio_floor_threads8
                                        rates (medians over rounds) and the paired ratio's median
  ratio_ours_prefork2, ratio_ours_threads8   prp-tasks against Celery in the same rounds
  cpu_ms_per_gate_total                 {"prefork2": {"celery", "floor", "ours"}, ...}: CPU ms per
                                        gate of every process on each side (medians)
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import redis

from prp_tasks.celeryapp.embedded import EmbeddedRedis

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _accounting import Procs, cpu_per_gate, paired_ratio
from _phases import Timed, run_baseline, start_baseline, wait_for
from _ui import console, parse_args, progress
from throughput import CONFIGS, GATES_PER_RUN, Bench

JSON_KEYS = (
    "runs",
    "gates",
    "repeat",
    "celery_noop_per_s_prefork2",
    "floor_gates_per_s_prefork2",
    "ratio_floor_prefork2",
    "celery_noop_per_s_threads8",
    "floor_gates_per_s_threads8",
    "ratio_floor_threads8",
    "ratio_ours_prefork2",
    "ratio_ours_threads8",
    "cpu_ms_per_gate_total",
)
SMOKE = {"runs": 4, "repeat": 1}
Sample = tuple[float, float]  # seconds, CPU ms per gate of every process


def run_floor(app: object, client: redis.Redis, runs: int, label: str, bench: Bench, cpu: bool) -> Timed:
    """``runs`` floor runs: each run's counts written and its first gate sent; until every gate of
    every run settled (the settle script's INCR)."""
    noop = importlib.import_module("_noop_app")
    counter, pending, gates = os.environ["BENCH_COUNTER"], noop.floor_pending(), runs * GATES_PER_RUN
    client.delete(counter)
    with progress() as bar:
        task = bar.add_task(f"{label}: gates settled", total=gates)
        before = bench.cpu() if cpu else {}
        started = time.monotonic()
        for _ in range(runs):
            run = uuid.uuid4().hex
            client.hset(noop.floor_keys(run)["pending"], mapping=pending)
            app.send_task(noop.FLOOR_TASK, args=(run, "G0"))  # type: ignore[attr-defined]
        wait_for(
            lambda: int(client.get(counter) or 0),
            gates,
            (label, "gates settled"),
            bar,
            task,
            bench.procs,
            600,
        )
        elapsed = time.monotonic() - started
        return Timed(elapsed, before, bench.cpu() if cpu else {})


def celery_and_floor(bench: Bench, pool: str, conc: int, tag: str) -> dict[str, Sample]:
    """The baseline and the floor on one raw Celery worker, back to back."""
    app = importlib.import_module("_noop_app").app
    client = redis.Redis.from_url(bench.url)
    out: dict[str, Sample] = {}
    with bench.procs.running():
        start_baseline(bench.procs, bench.url, pool, conc, tag)
        run_baseline(app, client, "bench.noop_command", 4 * conc, f"{tag} warm-up", bench.procs)
        run_floor(app, client, max(1, conc // 2), f"{tag} floor warm-up", bench, False)
        timed = run_baseline(
            app, client, "bench.noop_command", bench.gates, f"celery {pool}×{conc}", bench.procs, bench.cpu
        )
        out["celery"] = _sample(bench, timed)
        timed = run_floor(app, client, bench.runs, f"floor {pool}×{conc}", bench, True)
        out["floor"] = _sample(bench, timed)
    return out


def _sample(bench: Bench, timed: Timed) -> Sample:
    cpu = cpu_per_gate(timed.cpu_before, timed.cpu_after, bench.gates, timed.seconds)
    return timed.seconds, cpu["cpu_ms_per_gate_total"]


def measure(bench: Bench, repeat: int) -> dict[str, list[Sample]]:
    samples: dict[str, list[Sample]] = {}
    for r in range(repeat):
        for pool, conc in bench.configs:
            tag = f"r{r}-{pool}{conc}"
            round_ = celery_and_floor(bench, pool, conc, tag)
            seconds, diag = bench.ours("command", pool, conc, f"{tag}-ours")
            round_["ours"] = (seconds, diag["cpu_ms_per_gate_total"])
            base = round_["celery"][0]
            for side, (seconds, cpu) in round_.items():
                samples.setdefault(f"{side}_{pool}{conc}", []).append((seconds, cpu))
                ratio = "" if side == "celery" else f", ratio {base / seconds:.3f}"
                console.print(
                    f"[{r + 1}/{repeat}] {pool}×{conc} {side:6}: {bench.gates / seconds:7.1f}/s "
                    f"({seconds:.2f} s{ratio}), CPU {cpu} ms per gate"
                )
    return samples


def summarize(bench: Bench, repeat: int, samples: dict[str, list[Sample]]) -> dict[str, object]:
    result: dict[str, object] = {"runs": bench.runs, "gates": bench.gates, "repeat": repeat}
    cpu: dict[str, dict[str, float]] = {}
    for pool, conc in bench.configs:
        cfg = f"{pool}{conc}"
        seconds = {k: [s for s, _ in v] for k, v in samples.items()}
        result[f"celery_noop_per_s_{cfg}"] = round(
            bench.gates / statistics.median(seconds[f"celery_{cfg}"]), 1
        )
        result[f"floor_gates_per_s_{cfg}"] = round(
            bench.gates / statistics.median(seconds[f"floor_{cfg}"]), 1
        )
        result[f"ratio_floor_{cfg}"] = paired_ratio(seconds, f"celery_{cfg}", f"floor_{cfg}")
        result[f"ratio_ours_{cfg}"] = paired_ratio(seconds, f"celery_{cfg}", f"ours_{cfg}")
        sides = ("celery", "floor", "ours")
        cpu[cfg] = {
            side: round(statistics.median(c for _, c in samples[f"{side}_{cfg}"]), 2) for side in sides
        }
    result["cpu_ms_per_gate_total"] = cpu
    return result


def command_line() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3, help="rounds; medians are reported")
    parser.add_argument("--config", action="append", choices=[f"{p}{c}" for p, c in CONFIGS])
    return parse_args(parser, SMOKE)


def main() -> None:
    args = command_line()

    def interrupted(signum: int, frame: object) -> None:  # a SIGTERM stops the workers too
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    with (
        tempfile.TemporaryDirectory(prefix="prp-floor-") as tmp,
        EmbeddedRedis(Path(tmp) / "redis") as server,
    ):
        (Path(tmp) / "repo").mkdir()
        (Path(tmp) / "logs").mkdir()
        os.environ["BENCH_REDIS_URL"] = server.url
        os.environ["BENCH_COUNTER"] = "bench:noop:done"
        assert server.proc is not None
        procs = Procs(Path(tmp) / "logs")
        bench = Bench(server.url, server.proc.pid, Path(tmp) / "repo", args.runs, False, procs)
        if args.config:
            bench.configs = tuple((p, c) for p, c in CONFIGS if f"{p}{c}" in args.config)
        try:
            result = summarize(bench, args.repeat, measure(bench, args.repeat))
        finally:
            procs.stop()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
