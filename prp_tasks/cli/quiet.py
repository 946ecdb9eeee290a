"""What a plain follower (``prp run`` into a pipe or a file) says when a run has printed nothing
for a while: the gates still running, for how long, and their checks not finished. mongoengine's
test check ran ten minutes until its limit with no line after the lint's: a reader could not tell a
working run from a stuck one."""

from __future__ import annotations

from typing import Any

from prp_tasks.cli.tables import gate_label, human_duration
from prp_tasks.core.evaluate import elapsed_ms
from prp_tasks.core.snapshot import RunSnapshot

#: a plain follower quiet this long (seconds) says what is still running
QUIET_S = 60
#: of a gate's checks not finished, how many are named
NAMED = 3


def still_running(view: dict[str, Any], snapshot: RunSnapshot, now: str) -> list[str]:
    """``G3 Code Review: still running after 5 min 00 s (run-test not finished)``, per gate running."""
    lines = []
    for gate in view["gates"]:
        if gate["status"] != "running" or not gate.get("started_at"):
            continue
        done = {c["name"] for c in gate.get("checks") or ()}
        try:
            names = [c.name for c in snapshot.spec.workflow.gate(gate["id"]).checks]
        except LookupError:
            names = []
        left = [n for n in names if n not in done]
        running = human_duration(elapsed_ms(gate["started_at"], now))
        line = f"{gate_label(gate)}: still running after {running}"
        if left:
            more = f" and {len(left) - NAMED} more" if len(left) > NAMED else ""
            line += f" ({', '.join(left[:NAMED])}{more} not finished)"
        lines.append(line)
    return lines
