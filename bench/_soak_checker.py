"""The soak's queue checker: a live reader of the lifecycle stream, a Redis memory sampler, and
the classification of each final run as ok, lost, duplicated or unexpected, and what Redis
holds, by key pattern (bench/soak.py).
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections import Counter
from dataclasses import dataclass, field

import redis

from prp_tasks.core.evaluate import parse_ts
from prp_tasks.core.snapshot import GateEventType, RunSnapshot
from prp_tasks.service.control import Control

# watchers ---------------------------------------------------------------------------------------


class StreamCounter(threading.Thread):
    """Follows ``P:events`` from a given id and counts result claims per (run, taskId)."""

    def __init__(self, url: str, key: str, start_id: str) -> None:
        super().__init__(name="soak-stream", daemon=True)
        self.client = redis.Redis.from_url(url, decode_responses=True)
        self.key = key
        self.last_id = start_id
        self.read = 0
        self.check_claims: Counter[tuple[str, str]] = Counter()
        self.gate_settles: Counter[tuple[str, str]] = Counter()
        self.types: Counter[str] = Counter()
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                self.poll(block_ms=200)
        except BaseException as exc:  # reported by the main thread
            self.error = exc

    def poll(self, block_ms: int | None = None) -> int:
        got = 0
        replies = self.client.xread({self.key: self.last_id}, count=2000, block=block_ms)
        for _, entries in replies or []:
            for entry_id, fields in entries:
                self.last_id = entry_id
                got += 1
                self.types[fields["type"]] += 1
                if fields["type"].endswith("task.executed"):
                    data = json.loads(fields["event"])["data"]
                    bucket = self.check_claims if data.get("kind") == "check" else self.gate_settles
                    bucket[(fields["subject"], data["taskId"])] += 1
        self.read += got
        return got

    def drain(self) -> None:
        """Stop following, then read whatever is left."""
        self.stop.set()
        self.join(5)
        while self.poll() > 0:
            pass


class MemorySampler(threading.Thread):
    """``INFO memory`` used_memory and ``DBSIZE`` every ``interval`` seconds; keeps the maxima."""

    def __init__(self, url: str, interval: float = 0.25) -> None:
        super().__init__(name="soak-memory", daemon=True)
        self.client = redis.Redis.from_url(url, decode_responses=True)
        self.interval = interval
        self.peak_used = 0
        self.peak_dbsize = 0
        self.stop = threading.Event()

    def sample(self) -> None:
        self.peak_used = max(self.peak_used, int(self.client.info("memory")["used_memory"]))
        self.peak_dbsize = max(self.peak_dbsize, int(self.client.dbsize()))

    def run(self) -> None:
        while not self.stop.wait(self.interval):
            with contextlib.suppress(redis.RedisError):
                self.sample()


# classification ---------------------------------------------------------------------------------


@dataclass
class RunOutcome:
    run_id: str
    status: str
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    dispatch_ms: list[float] = field(default_factory=list)
    duration_s: float | None = None
    #: gate -> check names, to compare with the stream's claims
    checks: dict[str, list[str]] = field(default_factory=dict)


def classify(snapshot: RunSnapshot) -> RunOutcome:
    """One final run: gates without record, checks without result, double settles, latencies."""
    out = RunOutcome(snapshot.run_id, snapshot.status.value)
    settles = Counter(e.gate_id for e in snapshot.events if e.type == GateEventType.SETTLE)
    for gate in snapshot.spec.workflow.gates:
        view = snapshot.gates[gate.id]
        names = [c.name for c in gate.checks]
        out.checks[gate.id] = names
        if view.record is None:
            out.lost.append(f"{gate.id}: no record")
        for name in names:
            if name not in view.checks and view.status.value != "skipped":
                out.lost.append(f"{gate.id}/{name}: no result")
        if settles[gate.id] > 1:
            out.duplicated.append(f"{gate.id}: {settles[gate.id]} settle events")
        starts = [parse_ts(c.started_at) for c in view.checks.values() if c.started_at]
        if view.started_at and starts:
            delta = (min(starts) - parse_ts(view.started_at)).total_seconds()
            out.dispatch_ms.append(delta * 1000)
    if snapshot.finished_at:
        created = parse_ts(snapshot.spec.created_at)
        out.duration_s = (parse_ts(snapshot.finished_at) - created).total_seconds()
    return out


def finalized(client: redis.Redis, control: Control, run_ids: list[str]) -> list[str]:
    with client.pipeline(transaction=False) as pipe:
        for run_id in run_ids:
            pipe.hget(control.store.keys.run(run_id).meta, "finalized")
        flags = pipe.execute()
    return [r for r, flag in zip(run_ids, flags, strict=True) if flag == "1"]


# what Redis holds -------------------------------------------------------------------------------

RUN_ID = re.compile(r"run-[a-z0-9]+-[0-9a-f]+")
HEX = re.compile(r"\b[0-9a-f]{16,}\b")


def key_groups(client: redis.Redis) -> dict[str, dict[str, int]]:
    """Every key grouped by pattern (run ids -> RUN, hex digests -> SHA): count, bytes, without TTL."""
    groups: dict[str, dict[str, int]] = {}
    for key in client.scan_iter(count=1000):
        pattern = HEX.sub("SHA", RUN_ID.sub("RUN", key))
        group = groups.setdefault(pattern, {"keys": 0, "bytes": 0, "no_ttl": 0})
        group["keys"] += 1
        group["bytes"] += int(client.memory_usage(key, samples=0) or 0)
        group["no_ttl"] += int(client.ttl(key) == -1)
    return dict(sorted(groups.items(), key=lambda kv: -kv[1]["bytes"]))


def memory(client: redis.Redis) -> tuple[int, int]:
    return int(client.info("memory")["used_memory"]), int(client.dbsize())
