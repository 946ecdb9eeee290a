"""A run's gate DAG with live states, as the run page (``/runs/{id}``) draws it.

Nodes are the gates (with their depth in the graph, for drawing only); edges go from a
dependency to its dependent and say whether that dependency is satisfied, blocked or still
awaited. ``layout`` places them (a layered drawing, :mod:`prp_tasks.service.layout`); ``outputs``
and ``files`` list what the run produced so far, for download links.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

from prp_tasks.core.dag import levels
from prp_tasks.core.models import GateStatus
from prp_tasks.core.snapshot import RunSnapshot
from prp_tasks.service.layout import GraphLayout, layered_layout
from prp_tasks.service.views import ApprovalView, GateStateView, gate_view, live_status

if TYPE_CHECKING:
    from prp_tasks.service.control import Control

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
    #: of ``checks_total``: failed and skipped (the rest not run yet)
    checks_failed: int = 0
    checks_skipped: int = 0
    reason: str | None
    approval_role: str | None
    waiting_since: str | None
    #: of ``duration_ms``, the wait for a decision
    waited_ms: int | None = None
    #: who decided the gate, how and when
    approval: ApprovalView | None = None


class GraphEdge(_Graph):
    """``source`` is the dependency, ``target`` the gate that depends on it."""

    source: str
    target: str
    state: EdgeState


class ProducedFile(_Graph):
    """A file a check produced (``GET /v1/runs/{id}/outputs/files/{gate}/{name}``)."""

    gate: str
    name: str
    size: int


class RunGraph(_Graph):
    run_id: str
    status: str
    workflow: str
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    repository: str = ""
    commit_sha: str = ""
    actor: str = ""
    created_at: str = ""
    finished_at: str | None = None
    layout: GraphLayout | None = None
    #: output and gate artifact names (``GET /v1/runs/{id}/outputs/{name}``)
    outputs: list[str] = []
    files: list[ProducedFile] = []


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
        checks_failed=sum(1 for c in view.checks if c.status == "fail"),
        checks_skipped=sum(1 for c in view.checks if c.status == "skip"),
        reason=view.reason,
        approval_role=view.approval_role,
        waiting_since=view.waiting_since,
        waited_ms=view.waited_ms,
        approval=view.approval,
    )


def run_graph(
    snapshot: RunSnapshot,
    *,
    now: str | None = None,
    outputs: list[str] | None = None,
    files: list[ProducedFile] | None = None,
) -> RunGraph:
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
    spec = snapshot.spec
    return RunGraph(
        run_id=snapshot.run_id,
        status=live_status(snapshot).value,
        workflow=workflow.name,
        nodes=nodes,
        edges=edges,
        repository=spec.repo.full_name or "",
        commit_sha=spec.repo.commit_sha or "",
        actor=spec.actor,
        created_at=spec.created_at,
        finished_at=snapshot.finished_at,
        layout=layered_layout([n.id for n in nodes], [(e.source, e.target) for e in edges]),
        outputs=sorted(outputs or []),
        files=files or [],
    )


def graph_of(ctl: Control, run_id: str, *, now: str | None = None) -> RunGraph:
    """The run's graph with the outputs and produced files stored so far."""
    snapshot = ctl.snapshot(run_id)
    files = [
        ProducedFile(gate=meta.gate, name=meta.name, size=meta.size)
        for _, meta in sorted(ctl.state.artifacts.index(run_id).items())
    ]
    return run_graph(snapshot, now=now, outputs=list(ctl.outputs(run_id)), files=files)
