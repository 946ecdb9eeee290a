"""What ``prp run`` and ``prp status`` draw of a run for people: the per-gate table (compact on a
narrow terminal) and the gate graph, level by level. Colours only add to icons and words."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.table import Table
from rich.text import Text

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


def human_duration(ms: int | None) -> str:
    """``45 ms``, ``1.2 s``, ``3 min 04 s``, ``2 h 05 min``; empty for None."""
    if ms is None:
        return ""
    ms = max(0, ms)
    if ms < 1000:
        return f"{ms} ms"
    if ms < 59_950:
        return f"{ms / 1000:.1f} s"
    seconds = round(ms / 1000)
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def work_ms(gate: dict[str, Any]) -> int | None:
    """The gate's own time (its checks), without the time it waited for a decision."""
    duration: int | None = gate["duration_ms"]
    if duration is None:
        return None
    return max(0, duration - int(gate.get("waited_ms") or 0))


#: terminals narrower than this get the compact table (an 80-column one cut the gates' names)
NARROW = 100


def gate_label(gate: dict[str, Any]) -> str:
    return f"{gate['id']} {gate['name']}" if gate["name"] != gate["id"] else str(gate["id"])


def gate_table(view: dict[str, Any], width: int | None = None) -> Table:
    """Gates with state, dependencies, own duration, time waited for a decision (when a gate
    waited: the column takes room an 80-column terminal lacks), checks, note. On a terminal
    ``width`` columns wide below :data:`NARROW`, the gate's name keeps its words whole (not
    "Architectu…") and the columns after it wrap sooner."""
    table = Table(title=f"{view['run_id']}  [{view['status']}]", title_justify="left", expand=False)
    waits = any(g.get("waited_ms") for g in view["gates"])
    narrow = width is not None and width < NARROW
    notes = [gate_note(g)[:80] for g in view["gates"]]
    table.add_column(
        "gate", min_width=_longest_word(gate_label(g) for g in view["gates"]) if narrow else None
    )
    table.add_column("state")
    table.add_column("after", max_width=7 if narrow else None)  # "G0, G1," a line
    table.add_column("took" if narrow else "duration")  # (the header is the column's widest)
    if waits:
        table.add_column("waited")
    table.add_column("checks", max_width=8 if narrow else None)  # "1/3 (2" "skipped)"
    table.add_column("note", max_width=max(12, _longest_word(notes)) if narrow else None)
    shown = (lambda status: status.replace("_", " ")) if narrow else str  # "awaiting approval" wraps
    for gate, note in zip(view["gates"], notes, strict=True):
        status = gate["status"]
        table.add_row(
            gate_label(gate),
            Text(f"{ICONS.get(status, '?')} {shown(status)}", style=STYLES.get(status, "")),
            ", ".join(gate["depends_on"]),  # (wraps between gates on a narrow terminal)
            human_duration(work_ms(gate)),
            *((human_duration(gate.get("waited_ms") or None),) if waits else ()),  # auto-approved: 0
            checks_cell(gate),
            note,
        )
    return table


def gate_note(gate: dict[str, Any]) -> str:
    """Who it waits for, who decided it, else why it ended as it did."""
    if gate["status"] == "awaiting_approval":
        return f"needs {gate['approval_role']} approval"
    if gate["approval"]:
        return f"{gate['approval']['decision']} by {gate['approval']['actor']}"
    return str(gate["reason"] or "")


def _longest_word(texts: Iterable[str]) -> int:
    return max((len(word) for text in texts for word in text.split()), default=4)


def skipped_checks(gate: dict[str, Any]) -> int:
    """How many of the gate's checks were skipped (not failures)."""
    return sum(1 for c in gate.get("checks") or () if c.get("status") == "skip")


def checks_cell(gate: dict[str, Any]) -> str:
    """``1/3`` and, when some were skipped (not failures), ``1/3 (2 skipped)``; a gate that did not
    fail with checks that did (a cancel cut it short) says so: ``1/4 (2 failed, 1 skipped)`` (the
    table names a failed gate's failed checks; alive-progress' cancelled G3 read "1/4 (1 skipped)")."""
    skipped = skipped_checks(gate)
    failed = sum(1 for c in gate.get("checks") or () if c.get("status") == "fail")
    said = [f"{failed} failed"] if failed and gate.get("status") != "failed" else []
    said += [f"{skipped} skipped"] if skipped else []
    return f"{gate['checks_passed']}/{gate['checks_total']}" + (f" ({', '.join(said)})" if said else "")


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
