"""The soak's report (bench/soak.py): what was measured while the services ran, the lost,
duplicated and unexpected items, the summary line and the tables printed beside it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from _soak_checker import MemorySampler, StreamCounter
from _soak_services import EVENTS_MAXLEN, RETENTION_S, console
from rich.table import Table

if TYPE_CHECKING:
    import argparse

    from soak import Soak


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


@dataclass
class Measured:
    """Everything read while the services ran."""

    soak: Soak
    stream: StreamCounter
    sampler: MemorySampler
    elapsed_s: float
    memory_before: tuple[int, int]
    groups_before: dict[str, dict[str, int]]
    peak_info: int
    counters: dict[str, int]
    memory_after: tuple[int, int]
    groups_after: dict[str, dict[str, int]]
    run_keys_left: int
    runs_index: int


def stream_claims(m: Measured) -> tuple[list[str], list[str]]:
    """(duplicated, lost) from the lifecycle stream: one claim per check, one settle per gate."""
    duplicated: list[str] = []
    lost: list[str] = []
    complete = m.stream.read == m.counters["events_emitted"]
    for run_id, outcome in m.soak.outcomes.items():
        if run_id in m.soak.not_final:
            continue
        for gate_id, names in outcome.checks.items():
            settled = m.stream.gate_settles[(run_id, gate_id)]
            if settled > 1:
                duplicated.append(f"{run_id}/{gate_id}: {settled} gate task.executed events")
            for name in names:
                claimed = m.stream.check_claims[(run_id, f"{gate_id}/{name}")]
                if claimed > 1:
                    duplicated.append(f"{run_id}/{gate_id}/{name}: result claimed {claimed}x")
                elif claimed == 0 and complete:
                    lost.append(f"{run_id}/{gate_id}/{name}: no claim event")
    return duplicated, lost


def problems(m: Measured) -> dict[str, list[str]]:
    """Every lost, duplicated and unexpected item, from the snapshots and the lifecycle stream."""
    outcomes = list(m.soak.outcomes.values())
    not_final = set(m.soak.not_final)
    dup_claims, lost_claims = stream_claims(m)
    return {
        "lost": [f"{r}: not final" for r in m.soak.not_final]
        + [f"{o.run_id}/{item}" for o in outcomes for item in o.lost]
        + lost_claims,
        "duplicated": [f"{o.run_id}/{item}" for o in outcomes for item in o.duplicated] + dup_claims,
        "unexpected": [
            f"{o.run_id}: {o.status}" for o in outcomes if o.status != "passed" and o.run_id not in not_final
        ],
    }


def summarize(args: argparse.Namespace, m: Measured) -> tuple[dict[str, Any], dict[str, list[str]]]:
    outcomes = list(m.soak.outcomes.values())
    items = problems(m)
    dispatch = [ms for o in outcomes for ms in o.dispatch_ms]
    durations = [o.duration_s for o in outcomes if o.duration_s is not None]
    finals = len(outcomes) - len(m.soak.not_final)
    result: dict[str, Any] = {
        "runs": args.runs,
        "runs_final": finals,
        "runs_never_submitted": args.runs - len(outcomes),
        **{label: len(found) for label, found in items.items()},
        "gates_measured": len(dispatch),
        "p50_dispatch_ms": pct(dispatch, 0.5),
        "p99_dispatch_ms": pct(dispatch, 0.99),
        "max_dispatch_ms": round(max(dispatch), 1) if dispatch else None,
        "p50_run_s": pct(durations, 0.5),
        "p99_run_s": pct(durations, 0.99),
        "runs_per_s": round(finals / m.elapsed_s, 2) if m.elapsed_s > 0 else None,
        "elapsed_s": round(m.elapsed_s, 1),
        "window": args.window,
        "max_in_flight": m.soak.max_in_flight,
        "p50_submit_ms": pct(m.soak.submit_ms, 0.5),
        "p99_submit_ms": pct(m.soak.submit_ms, 0.99),
        **memory_summary(m, finals),
    }
    return result, items


def memory_summary(m: Measured, finals: int) -> dict[str, Any]:
    (used_before, dbsize_before), (used_after, dbsize_after) = m.memory_before, m.memory_after
    return {
        "redis_used_memory_before_bytes": used_before,
        "redis_used_memory_peak_bytes": m.sampler.peak_used,
        "redis_used_memory_peak_info_bytes": m.peak_info,
        "redis_used_memory_after_expiry_bytes": used_after,
        "redis_used_memory_growth_bytes": used_after - used_before,
        "redis_bytes_per_finished_run_after_retention": round((used_after - used_before) / max(1, finals)),
        "dbsize_before": dbsize_before,
        "dbsize_peak": m.sampler.peak_dbsize,
        "dbsize_after_expiry": dbsize_after,
        "run_keys_left": m.run_keys_left,
        "runs_index_entries_after_expiry": m.runs_index,
        **m.counters,
        "events_read": m.stream.read,
        "events_maxlen": EVENTS_MAXLEN,
        "retention_s": RETENTION_S,
        "after_expiry_keys": {p: g["keys"] for p, g in m.groups_after.items()},
        "after_expiry_bytes": {p: g["bytes"] for p, g in m.groups_after.items()},
    }


def report_table(result: dict[str, Any], groups_before: dict[str, Any], groups_after: dict[str, Any]) -> None:
    table = Table(title="what Redis holds (MEMORY USAGE, bytes)")
    for column in (
        "key pattern",
        "keys before",
        "bytes before",
        "keys after expiry",
        "bytes after",
        "no TTL",
    ):
        table.add_column(column, justify="left" if column == "key pattern" else "right")
    for pattern in sorted(
        set(groups_before) | set(groups_after), key=lambda p: -groups_after.get(p, {}).get("bytes", 0)
    ):
        b, a = groups_before.get(pattern, {}), groups_after.get(pattern, {})
        table.add_row(
            pattern,
            str(b.get("keys", 0)),
            str(b.get("bytes", 0)),
            str(a.get("keys", 0)),
            str(a.get("bytes", 0)),
            str(a.get("no_ttl", 0)),
        )
    console.print(table)
    summary = Table(title="soak")
    summary.add_column("metric")
    summary.add_column("value", justify="right")
    for key, value in result.items():
        if not isinstance(value, (dict, list)):
            summary.add_row(key, str(value))
    console.print(summary)
