"""The run graph (``run_graph``) and its terminal drawing (``dag_view``), on hand-built snapshots."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from prp_tasks.cli.tables import dag_levels, dag_view
from prp_tasks.core.models import ApprovalSpec, GateStatus, Role, Workflow
from prp_tasks.core.run import RunStatus
from prp_tasks.core.snapshot import GateView, RunSnapshot
from prp_tasks.service.graph import edge_state, run_graph
from prp_tasks.service.views import run_view
from tests.unit.render_builders import (
    all_passed,
    approval,
    at,
    custom_gate,
    make_spec,
    pending,
    run_gate,
    skipped,
    snap,
)

NOW = "2026-03-01T10:30:00.000Z"


def diamond() -> Workflow:
    """lint -> (unit, docs) -> release, with unit waiting for a QA lead."""
    return Workflow(
        name="diamond",
        gates=(
            custom_gate("lint", ["ruff", "mypy"], name="Lint"),
            custom_gate("unit", ["pytest"], depends_on=("lint",), approval=ApprovalSpec(role=Role.QA_LEAD)),
            custom_gate("docs", ["mkdocs"], depends_on=("lint",)),
            custom_gate("release", ["build"], depends_on=("unit", "docs")),
        ),
    )


def diamond_midway() -> RunSnapshot:
    """lint passed, unit parked for approval, docs failed, release pending."""
    spec = make_spec(diamond())
    wf = spec.workflow
    views = {
        "lint": started(run_gate(wf.gate("lint"), 1), 1),
        "unit": started(run_gate(wf.gate("unit"), 2), 2),
        "docs": started(run_gate(wf.gate("docs"), 3, fail=["mkdocs"]), 3),
        "release": pending(wf.gate("release")),
    }
    return snap(spec, views, RunStatus.RUNNING, finished_at=None)


def started(view: GateView, minute: int) -> GateView:
    return view.model_copy(update={"started_at": at(minute)})


def render(view: dict[str, Any]) -> str:
    console = Console(record=True, width=120)
    console.print(dag_view(view))
    return console.export_text()


def test_nodes_keep_declaration_order_and_get_their_depth_in_the_graph() -> None:
    graph = run_graph(diamond_midway(), now=NOW)
    assert [(n.id, n.level) for n in graph.nodes] == [("lint", 0), ("unit", 1), ("docs", 1), ("release", 2)]
    assert (graph.run_id, graph.workflow) == ("run-test-1", "diamond")


def test_edges_go_from_dependency_to_dependent_with_the_dependencys_state() -> None:
    graph = run_graph(diamond_midway(), now=NOW)
    assert [(e.source, e.target, e.state) for e in graph.edges] == [
        ("lint", "unit", "satisfied"),
        ("lint", "docs", "satisfied"),
        ("unit", "release", "waiting"),
        ("docs", "release", "blocked"),
    ]


def test_a_parked_gate_shows_its_role_and_since_when_it_waits_and_the_run_awaits_approval() -> None:
    graph = run_graph(diamond_midway(), now=NOW)
    unit = next(n for n in graph.nodes if n.id == "unit")
    assert unit.status == "awaiting_approval" and unit.approval_role == "qa-lead"
    assert unit.waiting_since == at(2, 20) and unit.finished_at is None
    assert unit.duration_ms == 28 * 60 * 1000  # a parked gate's time counts until now
    assert graph.status == "awaiting_approval"


def test_node_fields_come_from_the_gate_view() -> None:
    graph = run_graph(diamond_midway(), now=NOW)
    lint, docs, release = (next(n for n in graph.nodes if n.id == g) for g in ("lint", "docs", "release"))
    assert (lint.name, lint.queue, lint.checks_passed, lint.checks_total) == ("Lint", "automated", 2, 2)
    assert (lint.started_at, lint.finished_at, lint.duration_ms) == (at(1), at(1, 20), 20_000)
    assert (docs.status, docs.checks_passed, docs.checks_total) == ("failed", 0, 1)
    assert docs.reason
    assert (release.status, release.started_at, release.duration_ms, release.reason) == (
        "pending",
        None,
        None,
        None,
    )


def test_skipped_dependencies_block_and_a_running_one_keeps_its_dependents_waiting() -> None:
    spec = make_spec(diamond())
    wf = spec.workflow
    views = {
        "lint": GateView(gate_id="lint", status=GateStatus.RUNNING, started_at=at(1)),
        "unit": skipped(wf.gate("unit"), 2),
        "docs": pending(wf.gate("docs")),
        "release": pending(wf.gate("release")),
    }
    graph = run_graph(snap(spec, views, RunStatus.RUNNING, finished_at=None), now=NOW)
    assert {(e.source, e.target): e.state for e in graph.edges} == {
        ("lint", "unit"): "waiting",
        ("lint", "docs"): "waiting",
        ("unit", "release"): "blocked",
        ("docs", "release"): "waiting",
    }
    assert graph.status == "running"
    assert next(n for n in graph.nodes if n.id == "lint").duration_ms == 29 * 60 * 1000


def test_edge_state_covers_every_gate_status() -> None:
    assert {s.value: edge_state(s) for s in GateStatus} == {
        "pending": "waiting",
        "running": "waiting",
        "awaiting_approval": "waiting",
        "passed": "satisfied",
        "failed": "blocked",
        "skipped": "blocked",
    }


def test_the_builtin_workflow_graph_matches_its_documented_shape() -> None:
    graph = run_graph(all_passed())
    assert {n.id: n.level for n in graph.nodes} == {
        "G0": 0,
        "G1": 1,
        "G2": 1,
        "G3": 2,
        "G4": 3,
        "G5": 4,
        "G6": 5,
        "G7": 6,
    }
    assert graph.status == "passed"
    assert {e.state for e in graph.edges} == {"satisfied"}
    assert ("G2", "G4") in {(e.source, e.target) for e in graph.edges}


def test_the_graph_is_json_ready_for_the_api() -> None:
    dumped = run_graph(diamond_midway(), now=NOW).model_dump(mode="json")
    assert {"run_id", "status", "workflow", "nodes", "edges"} <= set(dumped)  # keys are only added
    assert set(dumped["edges"][0]) == {"source", "target", "state"}
    layout = dumped["layout"]
    assert [n["id"] for n in layout["nodes"]] == [n["id"] for n in dumped["nodes"]]
    assert {(e["source"], e["target"]) for e in layout["edges"]} == {
        (e["source"], e["target"]) for e in dumped["edges"]
    }
    unit = next(n for n in dumped["nodes"] if n["id"] == "unit")
    assert {"checks_failed", "checks_skipped", "approval", "waited_ms"} <= set(unit)


def test_dag_view_shows_every_gate_its_status_and_dependencies_by_level() -> None:
    text = render(run_view(diamond_midway(), now=NOW).model_dump(mode="json"))
    lines = text.splitlines()
    assert "run-test-1" in lines[0] and "awaiting_approval" in lines[0]
    assert lines[1].startswith("L0") and "✔ lint" in lines[1] and "passed" in lines[1] and "⇐" not in lines[1]
    assert lines[2].startswith("L1") and "⏸ unit" in lines[2]
    assert "awaiting_approval (qa-lead)" in lines[2] and lines[2].endswith("⇐ lint")
    assert "✘ docs" in lines[3] and "failed" in lines[3] and lines[3].endswith("⇐ lint")
    assert lines[4].startswith("L2") and "· release" in lines[4] and "pending" in lines[4]
    assert lines[4].endswith("⇐ unit, docs")
    assert len(lines) == 5


def test_dag_view_reads_the_same_without_colors() -> None:
    view = run_view(diamond_midway(), now=NOW).model_dump(mode="json")
    plain = Console(record=True, width=120, no_color=True, force_terminal=False)
    plain.print(dag_view(view))
    assert plain.export_text() == render(view)
    assert "\x1b[" not in plain.export_text(styles=False)


def test_dag_view_names_gates_and_shows_a_rejection() -> None:
    spec = make_spec(diamond())
    wf = spec.workflow
    rejected = approval("unit", 2, decision="rejected", role="qa-lead", actor="bob")  # type: ignore[arg-type]
    views = {
        "lint": run_gate(wf.gate("lint"), 1),
        "unit": run_gate(wf.gate("unit"), 2, decide=rejected),
        "docs": run_gate(wf.gate("docs"), 3),
        "release": skipped(wf.gate("release"), 4),
    }
    text = render(run_view(snap(spec, views, RunStatus.FAILED)).model_dump(mode="json"))
    assert "✔ lint     Lint  passed" in text
    assert "✘ unit" in text and "↷ release" in text and "skipped" in text
    assert "[failed]" in text.splitlines()[0]


def test_dag_levels_handle_unknown_dependencies_and_cycles_without_looping() -> None:
    gates = [
        {"id": "a", "depends_on": ["ghost"]},
        {"id": "b", "depends_on": ["a"]},
        {"id": "c", "depends_on": ["d"]},
        {"id": "d", "depends_on": ["c"]},
    ]
    assert dag_levels(gates) == {"a": 0, "b": 1, "c": 2, "d": 2}
