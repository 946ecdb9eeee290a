"""What bench/throughput.py's measurements cost and how they are summed up.

Child processes each lead their own process group, so a worker's prefork children are stopped and
counted with it; CPU is read from ``/proc`` (user + system, plus reaped children such as the
checks' ``true`` processes) and reported per gate by process role. Check, queue-wait and gate
times come from the metrics hash in Redis; repeats are summarized by medians.
"""

from __future__ import annotations

import contextlib
import os
import signal
import statistics
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import redis

from prp_tasks.state.keys import Keys

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Procs:
    """Child processes, each the leader of its own process group (killed as a group)."""

    logdir: Path
    procs: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        """Start ``argv``; its temporary files go beside the logs (a killed prefork pool leaves its
        ``pymp-*`` directory behind: removed with the bench's own temporary directory)."""
        log = (self.logdir / f"{name}.log").open("ab")
        scratch = self.logdir / "tmp"
        scratch.mkdir(exist_ok=True)
        proc = subprocess.Popen(
            argv,
            env={**env, "TMPDIR": str(scratch)},
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.procs.append((name, proc))
        return proc

    def stop(self, *, graceful: bool = False) -> None:
        """SIGKILL each leader's whole group; ``graceful``: SIGTERM first (a warm shutdown, which the
        instrumented passes need: their workers write what they measured on the way out).

        A phase stops once it is measured, with nothing in flight; a Celery prefork pool's
        shutdown, warm or cold, spends ~1.7 s joining its idle children, more than a smoke run's
        phase itself (the shutdowns are tested elsewhere)."""
        if graceful:
            for _, proc in self.procs:
                if proc.poll() is None:
                    proc.terminate()
            deadline = time.monotonic() + 15
            for _, proc in self.procs:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(max(0.1, deadline - time.monotonic()))
        for _, proc in self.procs:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        for _, proc in self.procs:
            proc.wait()
        self.procs.clear()

    def check_alive(self) -> None:
        for name, proc in self.procs:
            if proc.poll() is not None:
                tail = (self.logdir / f"{name}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail}")

    @contextlib.contextmanager
    def running(self, *, graceful: bool = False) -> Iterator[Procs]:
        try:
            yield self
        finally:
            self.stop(graceful=graceful)


CLK_TCK = os.sysconf("SC_CLK_TCK")


def group_cpu(pgids: dict[str, int]) -> dict[str, float]:
    """CPU seconds (user+system, plus reaped children such as the `true` processes) of every
    process in each process group, split into the group leader (``<name>.main``) and the rest
    (``<name>.pool``: prefork children)."""
    out = {f"{name}.{part}": 0.0 for name in pgids for part in ("main", "pool")}
    names = {pgid: name for name, pgid in pgids.items()}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pgid = int(fields[2])
        if pgid in names:
            ticks = sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
            part = "main" if int(entry.name) == pgid else "pool"
            out[f"{names[pgid]}.{part}"] += ticks / CLK_TCK
    return out


def pid_cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / CLK_TCK


def context_switches(pid: int) -> int:
    """Context switches (voluntary and forced) of every thread of ``pid`` so far: in a threads
    worker, mostly hand-overs of the GIL."""
    total = 0
    for task in os.scandir(f"/proc/{pid}/task"):
        try:
            with open(f"{task.path}/status") as f:
                total += sum(int(line.split(":")[1]) for line in f if "ctxt_switches" in line)
        except OSError:
            continue  # the thread ended meanwhile
    return total


def cpu_sample(procs: Procs, redis_pid: int) -> dict[str, float]:
    sample = group_cpu({name: proc.pid for name, proc in procs.procs})
    for name, proc in procs.procs:  # the worker's main process (a threads pool's threads)
        role = name.rsplit("-", 1)[-1]
        if role in ("auto", "celery"):
            sample[f"switches:{role}"] = context_switches(proc.pid)
    sample["redis.main"] = pid_cpu(redis_pid)  # started by EmbeddedRedis in our own group
    own = os.times()
    sample["client.main"] = own.user + own.system
    with open("/proc/stat") as f:  # the whole machine: user nice system idle iowait irq softirq steal
        ticks = [int(x) for x in f.readline().split()[1:9]]
    sample["machine"] = (sum(ticks) - ticks[3] - ticks[4]) / CLK_TCK
    return sample


def cpu_per_gate(
    before: dict[str, float], after: dict[str, float], gates: int, wall: float
) -> dict[str, float]:
    """CPU milliseconds per gate by process role, and how busy the machine's cores were."""
    roles: dict[str, float] = {}
    switches: dict[str, float] = {}
    for key, value in after.items():
        if key.startswith("switches:"):
            switches[f"ctx_switches_per_gate_{key.split(':')[1]}_main"] = value - before.get(key, 0.0)
            continue
        if key == "machine":
            continue
        name, part = key.rsplit(".", 1)
        role = name.split("-")[-1]  # auto / control / celery / redis / client
        role = f"{role}_{part}" if role in ("auto", "celery") else role
        roles[role] = roles.get(role, 0.0) + value - before.get(key, 0.0)
    out = {f"cpu_ms_per_gate_{k}": round(1000 * v / gates, 2) for k, v in sorted(roles.items()) if v > 0}
    total = sum(roles.values())
    out |= {k: round(v / gates, 1) for k, v in switches.items()}
    out["cpu_ms_per_gate_total"] = round(1000 * total / gates, 2)
    out["cpu_busy_of_cores"] = round(total / (wall * (os.cpu_count() or 1)), 2)
    if "machine" in after:  # CPU used meanwhile by processes that are not part of the measurement
        foreign = after["machine"] - before["machine"] - total
        out["foreign_busy_of_cores"] = round(max(0.0, foreign) / (wall * (os.cpu_count() or 1)), 2)
    return out


def metric_sums(client: redis.Redis, keys: Keys) -> dict[str, float]:
    """Sum/count of the histograms used for diagnostics, summed over labels."""
    out: dict[str, float] = {}
    for name, value in client.hgetall(keys.metrics).items():
        base = str(name).split("|", 1)[0]
        if base.endswith(("_sum", "_count")) and base.startswith(
            ("prp_check_duration", "prp_queue_wait", "prp_gate_duration")
        ):
            out[base] = out.get(base, 0.0) + float(value)
    return out


def diagnostics(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    def mean_ms(name: str) -> float:
        count = after.get(f"{name}_count", 0) - before.get(f"{name}_count", 0)
        total = after.get(f"{name}_sum", 0) - before.get(f"{name}_sum", 0)
        return round(1000 * total / count, 2) if count else 0.0

    return {
        "mean_check_ms": mean_ms("prp_check_duration_seconds"),
        "mean_queue_wait_ms": mean_ms("prp_queue_wait_seconds"),
        "mean_gate_ms": mean_ms("prp_gate_duration_seconds"),
    }


def median_diag(diags: list[dict[str, float]]) -> dict[str, float]:
    keys = sorted({k for d in diags for k in d})
    return {k: round(statistics.median(d.get(k, 0.0) for d in diags), 2) for k in keys}


def paired_ratio(samples: dict[str, list[float]], base: str, ours: str) -> float:
    """Median over repeats of (baseline seconds / our seconds), each pair measured back to back:
    on a shared machine, load drifts between repeats more than within one."""
    return round(statistics.median(b / o for b, o in zip(samples[base], samples[ours], strict=True)), 3)
