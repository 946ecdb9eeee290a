"""A run's gate DAG with live states, as the run page (``/runs/{id}``) draws it.

Nodes are the gates (with their depth in the graph, for drawing only); edges go from a
dependency to its dependent and say whether that dependency is satisfied, blocked or still
awaited.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from prp_tasks.core.dag import levels
from prp_tasks.core.models import GateStatus
from prp_tasks.core.snapshot import RunSnapshot
from prp_tasks.service.views import GateStateView, gate_view, live_status

EdgeState = Literal["satisfied", "blocked", "waiting"]

#: a dependency in one of these states never lets its dependents run
_BLOCKING = frozenset({GateStatus.FAILED, GateStatus.SKIPPED})


class _Graph(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class GraphNode(_Graph):
    """One gate: its state now and its depth (roots are level 0)."""

    id: str
    name: str
    status: str
    level: int
    queue: str
    started_at: str | None
    finished_at: str | None
    duration_ms: int | None
    checks_passed: int
    checks_total: int
    reason: str | None
    approval_role: str | None
    waiting_since: str | None


class GraphEdge(_Graph):
    """``source`` is the dependency, ``target`` the gate that depends on it."""

    source: str
    target: str
    state: EdgeState


class RunGraph(_Graph):
    run_id: str
    status: str
    workflow: str
    nodes: list[GraphNode]
    edges: list[GraphEdge]


def edge_state(status: GateStatus) -> EdgeState:
    """How a dependency in ``status`` affects its dependents."""
    if status == GateStatus.PASSED:
        return "satisfied"
    if status in _BLOCKING:
        return "blocked"
    return "waiting"


def _node(view: GateStateView, level: int) -> GraphNode:
    return GraphNode(
        id=view.id,
        name=view.name,
        status=view.status,
        level=level,
        queue=view.queue,
        started_at=view.started_at,
        finished_at=view.finished_at,
        duration_ms=view.duration_ms,
        checks_passed=view.checks_passed,
        checks_total=view.checks_total,
        reason=view.reason,
        approval_role=view.approval_role,
        waiting_since=view.waiting_since,
    )


def run_graph(snapshot: RunSnapshot, *, now: str | None = None) -> RunGraph:
    """The run's gates (declaration order) and dependency edges, with their states now."""
    workflow = snapshot.spec.workflow
    depth = levels(workflow)
    nodes: list[GraphNode] = []
    edges: list[GraphEdge] = []
    for gate in workflow.gates:
        view = gate_view(snapshot, snapshot.gates[gate.id], now=now)
        nodes.append(_node(view, depth[gate.id]))
        edges.extend(
            GraphEdge(source=dep, target=gate.id, state=edge_state(snapshot.gate_status(dep)))
            for dep in gate.depends_on
        )
    return RunGraph(
        run_id=snapshot.run_id,
        status=live_status(snapshot).value,
        workflow=workflow.name,
        nodes=nodes,
        edges=edges,
    )
