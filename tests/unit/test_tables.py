"""The terminal's gate table (``prp_tasks.cli.tables``): durations in human units, a gate's own
time beside the time it waited for a decision, and an 80-column terminal."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console

from prp_tasks.cli.tables import gate_table, human_duration
from prp_tasks.service.views import run_view
from tests.unit.test_progress import decided_run, parked_run


def test_durations_read_in_human_units() -> None:
    cases = {
        None: "",
        -5: "0 ms",
        0: "0 ms",
        45: "45 ms",
        999: "999 ms",
        1000: "1.0 s",
        1234: "1.2 s",
        59_949: "59.9 s",
        59_950: "1 min 00 s",
        184_000: "3 min 04 s",
        3_599_499: "59 min 59 s",
        3_600_000: "1 h 00 min",
        7_500_000: "2 h 05 min",
    }
    assert {ms: human_duration(ms) for ms in cases} == cases


def table_text(view: dict[str, Any]) -> str:
    console = Console(record=True, width=200, file=io.StringIO())
    console.print(gate_table(view))
    return console.export_text()


def test_the_table_shows_a_gates_own_duration_and_its_wait_in_human_units() -> None:
    text = table_text(run_view(decided_run()).model_dump(mode="json"))
    header = next(line for line in text.splitlines() if "gate" in line and "state" in line)
    assert [c.strip() for c in header.strip("┃ ").split("┃")][:6] == [
        "gate",
        "state",
        "after",
        "duration",
        "waited",
        "checks",
    ]
    review = next(line for line in text.splitlines() if "review" in line)
    assert "20.0 s" in review and "10.0 s" in review and "approved by alice" in review
    lint = next(line for line in text.splitlines() if "lint Lint" in line)
    assert "20.0 s" in lint and "10.0 s" not in lint
    never = run_view(parked_run()).model_dump(mode="json")  # no gate waited yet: no such column
    assert "waited" not in table_text(never) and "duration" in table_text(never)


def test_an_80_column_terminal_gets_whole_gate_names_and_every_column() -> None:
    """At 80 columns the gates' names were cut ("G1 Architectu…") and a long ``after`` too
    ("G0,G1,G2,G…"): the compact table wraps them between words and keeps its right edge (with
    a waited column too the names stay whole)."""
    view = run_view(decided_run()).model_dump(mode="json")
    for gate in view["gates"]:
        gate["name"] = "Architecture & Specification of everything"
        gate["depends_on"] = ["G0", "G1", "G2", "G3", "G4", "G5"]
    for waits in (True, False):  # False: auto-approved, the usual run on a laptop
        if not waits:
            for gate in view["gates"]:
                gate["waited_ms"] = None
        lines = narrow_table(view).splitlines()
        assert "…" not in "\n".join(lines) and lines[-1].endswith("┘") and all(len(li) <= 80 for li in lines)
        assert ("waited" in lines[2]) is waits and any("│ G0, G1, │" in line for line in lines)
        assert "│ Specification │" in "\n".join(lines) or "Specification of" in "\n".join(lines)


def narrow_table(view: dict[str, Any]) -> str:
    console = Console(record=True, width=80, file=io.StringIO())
    console.print(gate_table(view, console.width))
    return console.export_text()
