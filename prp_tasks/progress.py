"""Live per-gate progress for the terminal (rich): state, duration, checks passed/total."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from prp_tasks.control import Control
from prp_tasks.core.evaluate import utc_now
from prp_tasks.views import run_view

STYLES = {
    "pending": "dim",
    "running": "cyan",
    "awaiting_approval": "yellow bold",
    "passed": "green",
    "failed": "red bold",
    "skipped": "magenta",
}
ICONS = {
    "pending": "·",
    "running": "▶",
    "awaiting_approval": "⏸",
    "passed": "✔",
    "failed": "✘",
    "skipped": "↷",
}


def gate_table(view: dict[str, Any]) -> Table:
    table = Table(title=f"{view['run_id']}  [{view['status']}]", title_justify="left", expand=False)
    for column in ("gate", "state", "after", "duration", "checks", "note"):
        table.add_column(column)
    for gate in view["gates"]:
        status = gate["status"]
        duration = "" if gate["duration_ms"] is None else f"{gate['duration_ms'] / 1000:.2f}s"
        note = gate["reason"] or ""
        if status == "awaiting_approval":
            note = f"needs {gate['approval_role']} approval"
        elif gate["approval"]:
            note = f"{gate['approval']['decision']} by {gate['approval']['actor']}"
        table.add_row(
            f"{gate['id']} {gate['name']}" if gate["name"] != gate["id"] else gate["id"],
            Text(f"{ICONS.get(status, '?')} {status}", style=STYLES.get(status, "")),
            ",".join(gate["depends_on"]),
            duration,
            f"{gate['checks_passed']}/{gate['checks_total']}",
            note[:80],
        )
    return table


def dag_levels(gates: list[dict[str, Any]]) -> dict[str, int]:
    """Depth of every gate from its ``depends_on`` (roots 0); a cycle, never valid, goes last."""
    deps = {g["id"]: [d for d in g["depends_on"] if d != g["id"]] for g in gates}
    depth: dict[str, int] = {}
    remaining = list(deps)
    while remaining:
        ready = [g for g in remaining if all(d in depth or d not in deps for d in deps[g])]
        if not ready:
            last = 1 + max(depth.values(), default=-1)
            depth.update(dict.fromkeys(remaining, last))
            break
        for gate_id in ready:
            depth[gate_id] = 1 + max((depth[d] for d in deps[gate_id] if d in depth), default=-1)
        remaining = [g for g in remaining if g not in depth]
    return depth


def dag_view(view: dict[str, Any]) -> Text:
    """The run's gate DAG as text: one block per level, each gate with icon, state and ``⇐ deps``.

    Colors only add to the icons and words, so the text reads the same without a terminal.
    """
    gates = view["gates"]
    depth = dag_levels(gates)
    width = max((len(g["id"]) for g in gates), default=0)
    names = {g["id"]: g["name"] if g["name"] != g["id"] else "" for g in gates}
    name_width = max((len(n) + 2 for n in names.values() if n), default=0)
    out = Text()
    out.append(f"gate graph of {view['run_id']}  [{view['status']}]\n", style="bold")
    for level in sorted(set(depth.values())):
        for index, gate in enumerate(g for g in gates if depth[g["id"]] == level):
            status = gate["status"]
            out.append(f"L{level:<3}" if index == 0 else " " * 4, style="dim")
            out.append(f"{ICONS.get(status, '?')} {gate['id']:<{width}}  ", style=STYLES.get(status, ""))
            out.append(f"{names[gate['id']]:<{name_width}}")
            out.append(status, style=STYLES.get(status, ""))
            if status == "awaiting_approval" and gate.get("approval_role"):
                out.append(f" ({gate['approval_role']})", style=STYLES[status])
            if gate["depends_on"]:
                out.append(f"  ⇐ {', '.join(gate['depends_on'])}", style="dim")
            out.append("\n")
    out.rstrip()
    return out


def approval_hint(view: dict[str, Any], redis_url: str | None) -> Text | None:
    waiting = [g for g in view["gates"] if g["status"] == "awaiting_approval"]
    if not waiting:
        return None
    env = f"PRP_REDIS_URL={redis_url} " if redis_url else ""
    lines = [
        f"{env}prp approve {view['run_id']} {g['id']} --as <you>   # {g['approval_role']}" for g in waiting
    ]
    return Text("Waiting for approval; in another terminal run:\n  " + "\n  ".join(lines), style="yellow")


def follow(
    control: Control,
    run_id: str,
    console: Console,
    *,
    live: bool,
    timeout_s: float | None = None,
    redis_url: str | None = None,
    on_tick: Callable[[], None] | None = None,
) -> bool:
    """Show progress until the run is final; False if ``timeout_s`` passed first."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s

    def render() -> Group:
        view = run_view(control.snapshot(run_id), now=utc_now()).model_dump(mode="json")
        hint = approval_hint(view, redis_url)
        return Group(gate_table(view), *([hint] if hint else []))

    with Live(
        render(), console=console, refresh_per_second=8, transient=False, auto_refresh=False
    ) as display:
        while not control.is_final(run_id):
            if deadline is not None and time.monotonic() >= deadline:
                return False
            if on_tick:
                on_tick()
            if live:
                display.update(render(), refresh=True)
            time.sleep(0.1)
        display.update(render(), refresh=True)
    return True
