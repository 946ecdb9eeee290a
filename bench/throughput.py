"""Throughput: gates per second of many small runs, against raw Celery doing the same work.

Workload: N runs (default 200) of an 8-gate workflow shaped like the built-in one,
    G0 ─┬─> G1 ──> G3 ─┐
        └─> G2 ────────┴─> G4 ──> G5 ──> G6 ──> G7
each gate one check ``run: ["true"]``, no approvals. The N specs are built before the clock starts;
the clock runs from the first ``Control.submit`` to the moment every run is final (its outputs are
committed by ``prp.finalize_run``). gates/s = 8 N / seconds.

Processes (all real, each in its own process group, all killed at the end, even on Ctrl-C):
  * a private ``redis-server`` on a unix socket (EmbeddedRedis), shared by every phase;
  * ours: ``prp worker --queues automated --pool P --concurrency C`` (the pool under test) plus
    ``prp worker --queues control --pool threads --concurrency 4`` for ``prp.finalize_run`` (the
    control class's defaults; the Procfile layout, one worker per class). Dependents are dispatched
    by the check task that settles their last dependency, inside the automated worker, so the
    control worker only renders and commits the 200 finalizations. ``--shared-worker`` instead
    runs one worker consuming automated+control with the pool under test;
  * baseline: ``celery -A _noop_app worker --pool P --concurrency C`` (bench/_noop_app.py, a plain
    Celery app: JSON, acks_late, reject_on_worker_lost, prefetch 1, no result backend, no task
    events, the same transport options as prp_tasks.celeryapp.app.celery_config). 8 N tasks are sent
    by this process; the clock stops when a Redis counter (one INCR per task) reaches 8 N.
Ours and the baseline never run at the same time (the CPU is shared), and each phase starts with
a warm-up so worker start-up and imports are not measured.

Fairness. The headline pair spends the same work per unit: one gate = one ``true`` process spawned
and waited for by a worker slot; one baseline task = ``subprocess.run(["true"])``. Everything
else prp-tasks does per gate is what is being measured: the lease (Lua), the check's subprocess
handling (scrubbed env, own session, listed with the watchdog that kills it with its worker,
output tails in temp files, exit through a pidfd), the lease renewal registry, recording the
result (Lua),
evaluating and settling the gate (Lua), dispatching dependents, lifecycle events, metrics, and
per run one finalize (render prp.md, review.json, run-manifest.json) on the control worker. The
baseline pays one INCR per task as its "done" signal and no time limit (prp sets one per check).
Second pair, no subprocess on either side: each gate's check is the builtin ``coverage-targets``
(two comparisons on the already-loaded profile: as close to a no-op check as a workflow can say;
a gate with zero checks settles without any task, so it is not comparable) vs a baseline task
that only does its INCR. That pair shows the per-gate orchestration cost without process spawn.

Reported: gates/s and celery tasks/s are medians over --repeat; each ratio (gates/s ÷ celery/s)
is the median of the per-repeat ratios, each pair measured back to back (on a shared machine the
load drifts between repeats more than within one). A pair during which other processes used
more than --max-foreign (0.2) of the cores is measured again (--attempts 3 in all, then kept and
counted in ``disturbed_pairs``).

Diagnostics per phase (``diag_*``): from the ``P:metrics`` hash (the workers' own observations)
mean check duration (the command itself), mean queue wait (enqueue -> check start) and mean gate
duration (dispatch -> settled); worker slot-ms per gate = C * seconds / gates; CPU ms per gate by
process (from /proc: each worker's main process and its pool children, reaped ``true``
processes included; the control worker; redis-server; this client), how busy the cores were, and
``foreign_busy_of_cores``: CPU used meanwhile by processes outside the measurement (other jobs on
a shared machine; when it is high, the phase was disturbed).

Where the time goes (not part of the headline numbers; workers are then started through this
script, ``--as-worker``, which wraps ``prp worker``):
  --profile   one instrumented pass per pool: task bodies and the engine's steps (SECTIONS) timed,
              wall and thread CPU per gate;
  --cprofile  a cProfiled prefork×2 pass (the pool children), .prof files to a directory;

Usage: python bench/throughput.py [--runs 200] [--repeat 1] [--no-builtin-pair] [--shared-worker]
                                  [--config prefork2|threads8 ...]
                                  [--max-foreign 0.2] [--attempts 3] [--profile]
                                  [--cprofile DIR] [--smoke]
``--smoke``: 4 runs, one attempt per pair; every pair of every pool still runs, each worker
started and stopped as in a full run (that start and stop is most of its ~30 s).
The last line of output is one JSON object with the keys (``JSON_KEYS``; a --config run has only
its own pool's keys, --no-builtin-pair drops the builtin ones):
  runs, gates, repeat, disturbed_pairs    sizes, and pairs kept although disturbed
  gates_per_s_prefork2, gates_per_s_threads8, celery_noop_per_s_prefork2, celery_noop_per_s_threads8,
  ratio_prefork2, ratio_threads8          the subprocess pair: rates (medians) and paired ratio
  builtin_gates_per_s_prefork2, builtin_gates_per_s_threads8, celery_empty_per_s_prefork2,
  celery_empty_per_s_threads8, ratio_builtin_prefork2, ratio_builtin_threads8   the builtin pair
  diag_command_prefork2, diag_command_threads8, diag_builtin_prefork2, diag_builtin_threads8
                                          {"seconds", "ours", "celery"}: diagnostics per phase
  cpu_ms_per_gate_total                   {"command_prefork2": {"ours", "celery"}, ...}: CPU ms per
                                          gate of all processes on each side (medians over repeats)
  processes                               the command lines of every process started
and only with --profile / --cprofile: profile_prefork2, profile_threads8, cprofile_prefork2.
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
from dataclasses import dataclass, field
from pathlib import Path

import redis

from prp_tasks.celeryapp.embedded import EmbeddedRedis
from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.core.run import RunSpec
from prp_tasks.intake.submission import prepare_run
from prp_tasks.intake.workflow_files import parse_workflow
from prp_tasks.settings import Settings, load_settings

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/ helpers (the baseline app, instruments)
from _accounting import Procs, cpu_per_gate, cpu_sample, diagnostics, median_diag, metric_sums, paired_ratio
from _instrument import SECTIONS_KEY, as_worker, section_table
from _phases import PREFIX, Phase, run_baseline, run_ours, start_baseline, start_ours
from _shape import SHAPE
from _ui import console, parse_args

GATES_PER_RUN = 8
CHECKS = {"command": '{name: c, run: ["true"]}', "builtin": "{name: c, builtin: coverage-targets}"}
BASELINE_TASK = {"command": "bench.noop_command", "builtin": "bench.noop"}
CONFIGS = (("prefork", 2), ("threads", 8))
JSON_KEYS = (
    "runs",
    "gates",
    "repeat",
    "disturbed_pairs",
    "gates_per_s_prefork2",
    "celery_noop_per_s_prefork2",
    "ratio_prefork2",
    "gates_per_s_threads8",
    "celery_noop_per_s_threads8",
    "ratio_threads8",
    "builtin_gates_per_s_prefork2",
    "celery_empty_per_s_prefork2",
    "ratio_builtin_prefork2",
    "builtin_gates_per_s_threads8",
    "celery_empty_per_s_threads8",
    "ratio_builtin_threads8",
    "diag_command_prefork2",
    "diag_command_threads8",
    "diag_builtin_prefork2",
    "diag_builtin_threads8",
    "cpu_ms_per_gate_total",
    "processes",
)
SMOKE = {"runs": 4, "repeat": 1, "attempts": 1}


def workflow_text(kind: str) -> str:
    lines = [f"name: throughput-{kind}", "gates:"]
    for gate, deps in SHAPE.items():
        lines.append(f"  - {{id: {gate}, depends_on: [{', '.join(deps)}], checks: [{CHECKS[kind]}]}}")
    return "\n".join(lines) + "\n"


@dataclass
class Bench:
    url: str
    redis_pid: int
    repo: Path
    runs: int
    shared: bool
    procs: Procs
    processes: dict[str, list[str]] = field(default_factory=dict)
    configs: tuple[tuple[str, int], ...] = CONFIGS

    @property
    def gates(self) -> int:
        return self.runs * GATES_PER_RUN

    def cpu(self) -> dict[str, float]:
        return cpu_sample(self.procs, self.redis_pid)

    def settings(self) -> Settings:
        return load_settings(redis_url=self.url, key_prefix=PREFIX, task_events=False)

    def specs(self, kind: str, n: int) -> list[RunSpec]:
        workflow = parse_workflow(workflow_text(kind))
        return [prepare_run(self.repo, workflow=workflow) for _ in range(n)]

    def ours(self, kind: str, pool: str, conc: int, tag: str) -> tuple[float, dict[str, float]]:
        settings = self.settings()
        control = Runtime(settings).control
        client, keys = control.store.redis, control.store.keys
        with self.procs.running():
            started = start_ours(self.procs, self.url, pool, conc, tag, self.shared)
            self.processes[f"ours_{pool}{conc}"] = started
            run_ours(control, self.specs(kind, max(4, conc)), f"{tag} warm-up", self.procs, 120)
            specs = self.specs(kind, self.runs)  # built before the clock starts
            before = metric_sums(client, keys)
            timed = run_ours(control, specs, f"ours {kind} {pool}×{conc}", self.procs, 900, self.cpu)
            diag = diagnostics(before, metric_sums(client, keys))
        diag["slot_ms_per_gate"] = round(1000 * conc * timed.seconds / self.gates, 2)
        diag |= cpu_per_gate(timed.cpu_before, timed.cpu_after, self.gates, timed.seconds)
        return timed.seconds, diag

    def baseline(self, kind: str, pool: str, conc: int, tag: str) -> tuple[float, dict[str, float]]:
        sender = importlib.import_module("_noop_app").app
        client = redis.Redis.from_url(self.url)
        with self.procs.running():
            self.processes[f"celery_{pool}{conc}"] = [start_baseline(self.procs, self.url, pool, conc, tag)]
            run_baseline(sender, client, BASELINE_TASK[kind], 4 * conc, f"{tag} warm-up", self.procs)
            label = f"celery {kind} {pool}×{conc}"
            timed = run_baseline(sender, client, BASELINE_TASK[kind], self.gates, label, self.procs, self.cpu)
        diag = {"slot_ms_per_task": round(1000 * conc * timed.seconds / self.gates, 2)}
        diag |= cpu_per_gate(timed.cpu_before, timed.cpu_after, self.gates, timed.seconds)
        return timed.seconds, diag


def measure_pair(bench: Bench, kind: str, pool: str, conc: int, tag: str) -> dict[str, Phase]:
    """Baseline and ours back to back: side -> (seconds, diagnostics)."""
    return {"celery": bench.baseline(kind, pool, conc, tag), "ours": bench.ours(kind, pool, conc, tag)}


def measure(
    bench: Bench, repeat: int, kinds: list[str], max_foreign: float, attempts: int
) -> dict[str, object]:
    samples: dict[str, list[float]] = {}
    diags: dict[str, list[dict[str, float]]] = {}
    disturbed = 0
    for r in range(repeat):
        for pool, conc in bench.configs:
            for kind in kinds:
                for attempt in range(1, attempts + 1):  # a pair disturbed by other jobs is measured again
                    phases = measure_pair(bench, kind, pool, conc, f"r{r}a{attempt}-{kind}-{pool}{conc}")
                    foreign = max(d.get("foreign_busy_of_cores", 0.0) for _, d in phases.values())
                    if foreign <= max_foreign:
                        break
                    console.print(
                        f"[{r + 1}/{repeat}] {kind} {pool}×{conc}: other processes used {foreign:.2f} of the "
                        f"cores (> {max_foreign}), " + ("measuring again" if attempt < attempts else "kept")
                    )
                else:
                    disturbed += 1
                for side, (seconds, d) in phases.items():
                    samples.setdefault(f"{side}_{kind}_{pool}{conc}", []).append(seconds)
                    diags.setdefault(f"{side}_{kind}_{pool}{conc}", []).append(d)
                base_s = phases["celery"][0]
                for side, (seconds, d) in phases.items():
                    rate = f"{bench.gates / seconds:7.1f} {'tasks' if side == 'celery' else 'gates'}/s"
                    ratio = "" if side == "celery" else f", ratio {base_s / seconds:.3f}"
                    console.print(
                        f"[{r + 1}/{repeat}] {kind:8} {pool}×{conc} {side:7}: {rate} ({seconds:.2f} s{ratio})"
                        f"\n    {d}"
                    )
    return {"samples": samples, "diags": diags, "disturbed": disturbed}


def summarize(bench: Bench, repeat: int, kinds: list[str], measured: dict[str, object]) -> dict[str, object]:
    samples: dict[str, list[float]] = measured["samples"]  # type: ignore[assignment]
    diags: dict[str, list[dict[str, float]]] = measured["diags"]  # type: ignore[assignment]
    result: dict[str, object] = {"runs": bench.runs, "gates": bench.gates, "repeat": repeat}
    result["disturbed_pairs"] = measured["disturbed"]
    names = {
        "command": ("gates_per_s", "celery_noop_per_s", "ratio"),
        "builtin": ("builtin_gates_per_s", "celery_empty_per_s", "ratio_builtin"),
    }
    for kind in kinds:
        ours_name, celery_name, ratio_name = names[kind]
        for pool, conc in bench.configs:
            cfg = f"{pool}{conc}"
            ours_s = statistics.median(samples[f"ours_{kind}_{cfg}"])
            base_s = statistics.median(samples[f"celery_{kind}_{cfg}"])
            result[f"{ours_name}_{cfg}"] = round(bench.gates / ours_s, 1)
            result[f"{celery_name}_{cfg}"] = round(bench.gates / base_s, 1)
            result[f"{ratio_name}_{cfg}"] = paired_ratio(
                samples, f"celery_{kind}_{cfg}", f"ours_{kind}_{cfg}"
            )
    for kind in kinds:
        for pool, conc in bench.configs:
            cfg = f"{pool}{conc}"
            result[f"diag_{kind}_{cfg}"] = {
                "seconds": {
                    "ours": round(statistics.median(samples[f"ours_{kind}_{cfg}"]), 3),
                    "celery": round(statistics.median(samples[f"celery_{kind}_{cfg}"]), 3),
                },
                "ours": median_diag(diags[f"ours_{kind}_{cfg}"]),
                "celery": median_diag(diags[f"celery_{kind}_{cfg}"]),
            }
    result["cpu_ms_per_gate_total"] = cpu_totals(result, kinds, bench.configs)
    result["processes"] = bench.processes | {
        "redis": ["redis-server (private, unix socket)"],
        "layout": ["shared automated+control worker" if bench.shared else "one worker per class (Procfile)"],
    }
    return result


def cpu_totals(
    result: dict[str, object], kinds: list[str], configs: tuple[tuple[str, int], ...]
) -> dict[str, dict[str, float | None]]:
    """CPU (ms) per gate of every process on each side, per pair: ours (workers, their pool
    children and checks, redis-server, this client) against raw Celery's for the same work."""
    totals: dict[str, dict[str, float | None]] = {}
    for kind in kinds:
        for pool, conc in configs:
            diag = result[f"diag_{kind}_{pool}{conc}"]
            assert isinstance(diag, dict)
            totals[f"{kind}_{pool}{conc}"] = {
                side: diag[side].get("cpu_ms_per_gate_total") for side in ("ours", "celery")
            }
    return totals


def profile_pass(bench: Bench, pool: str, conc: int, profile_dir: Path, cprofile: bool) -> dict[str, object]:
    """One instrumented pass of ours: where a gate's time goes, per gate (1 check + 1/8 finalize)."""
    import pstats

    settings = bench.settings()
    control = Runtime(settings).control
    client = control.store.redis
    os.environ["BENCH_MODE"] = "cprofile" if cprofile else "sections"
    tag = f"profile-{pool}{conc}"
    with bench.procs.running(graceful=True):  # the workers write what they measured on the way out
        start_ours(bench.procs, bench.url, pool, conc, tag, bench.shared, profile_dir)
        run_ours(control, bench.specs("command", max(4, conc)), f"{tag} warm-up", bench.procs, 120)
        client.delete(SECTIONS_KEY)
        timed = run_ours(
            control, bench.specs("command", bench.runs), f"instrumented {pool}×{conc}", bench.procs, 900
        )
    table = section_table(client)  # the warm shutdown made every process write it
    console.print(
        f"instrumented {pool}×{conc}: {bench.gates / timed.seconds:.1f} gates/s ({timed.seconds:.2f} s)"
    )
    for label, row in table.items():
        console.print(
            f"  {label:40} calls {row['calls']:6}  wall {row['wall_ms_per_gate']:8.3f} ms/gate"
            f"  cpu {row['cpu_ms_per_gate']:8.3f} ms/gate"
        )
    report: dict[str, object] = {"seconds": round(timed.seconds, 3), "sections": table}
    files = sorted(profile_dir.glob("child-*.prof"))
    if cprofile and files:
        stats = pstats.Stats(*map(str, files), stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(60)
        stats.sort_stats("tottime").print_stats(30)
        report["profiles"] = [str(f) for f in files]
    return report


# main ------------------------------------------------------------------------------------------


def command_line() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=1, help="repeat every phase; medians are reported")
    parser.add_argument("--no-builtin-pair", action="store_true", help="only the subprocess pair")
    parser.add_argument("--shared-worker", action="store_true", help="one worker for automated+control")
    parser.add_argument(
        "--config",
        action="append",
        choices=[f"{pool}{conc}" for pool, conc in CONFIGS],
        help="only this pool (repeatable; default: all; the JSON then lacks the others' keys)",
    )
    parser.add_argument(
        "--max-foreign",
        type=float,
        default=0.2,
        help="measure a pair again when other processes used more than this share of the cores",
    )
    parser.add_argument("--attempts", type=int, default=3, help="measurements of a disturbed pair at most")
    parser.add_argument(
        "--profile", action="store_true", help="also run instrumented passes (section timings, not headline)"
    )
    parser.add_argument(
        "--cprofile", metavar="DIR", help="also run a cProfiled prefork×2 pass, .prof files to DIR"
    )
    return parse_args(parser, SMOKE)


def run(args: argparse.Namespace, tmp: Path, server: EmbeddedRedis) -> dict[str, object]:
    """Every pair (and the instrumented passes asked for); the processes stopped at the end."""
    kinds = ["command"] if args.no_builtin_pair else ["command", "builtin"]
    (tmp / "repo").mkdir()
    (tmp / "logs").mkdir()
    os.environ["BENCH_REDIS_URL"] = server.url
    os.environ["BENCH_COUNTER"] = "bench:noop:done"
    assert server.proc is not None
    bench = Bench(
        server.url, server.proc.pid, tmp / "repo", args.runs, args.shared_worker, Procs(tmp / "logs")
    )
    if args.config:
        bench.configs = tuple((p, c) for p, c in CONFIGS if f"{p}{c}" in args.config)
    try:
        measured = measure(bench, args.repeat, kinds, args.max_foreign, args.attempts)
        result = summarize(bench, args.repeat, kinds, measured)
        if args.profile:
            for pool, conc in bench.configs:
                result[f"profile_{pool}{conc}"] = profile_pass(bench, pool, conc, tmp, False)
        if args.cprofile:
            profile_dir = Path(args.cprofile).resolve()
            profile_dir.mkdir(parents=True, exist_ok=True)
            for old in profile_dir.glob("child-*.prof"):
                old.unlink()
            result["cprofile_prefork2"] = profile_pass(bench, "prefork", 2, profile_dir, True)
        return result
    finally:
        bench.procs.stop()


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--as-worker":
        as_worker(Path(sys.argv[2]), sys.argv[4:])
        return
    args = command_line()

    def interrupted(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    with tempfile.TemporaryDirectory(prefix="prp-tp-") as tmp, EmbeddedRedis(Path(tmp) / "redis") as server:
        result = run(args, Path(tmp), server)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
