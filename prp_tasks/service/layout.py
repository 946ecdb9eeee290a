"""A layered (Sugiyama) drawing of a gate DAG, computed with grandalf, for the run page.

Layers run left to right (a gate's column is its depth); within a column grandalf orders the
gates and the dummy points of long edges to keep crossings few, so an edge that skips columns
runs between the gates, never through one. Coordinates are pixels, top-left at (0, 0).
"""

from __future__ import annotations

from collections.abc import Sequence

from grandalf.graphs import Edge, Graph, Vertex
from grandalf.layouts import SugiyamaLayout
from pydantic import BaseModel, ConfigDict

#: a gate's box, the gap between columns and between boxes of a column, the margin
NODE_W, NODE_H, COLUMN_GAP, ROW_GAP, MARGIN = 140, 84, 38, 16, 8
#: the size of an edge's bend point where it crosses a column; the gap between edge ends on a side
DUMMY, PORT_GAP = 8, 10


class _Layout(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NodeBox(_Layout):
    id: str
    x: float
    y: float


class EdgeRoute(_Layout):
    """From the right side of ``source`` to the left side of ``target``, through ``points``."""

    source: str
    target: str
    points: list[tuple[float, float]]


class GraphLayout(_Layout):
    width: float
    height: float
    node_width: int
    node_height: int
    nodes: list[NodeBox]
    edges: list[EdgeRoute]


class _View:
    """grandalf's view of a vertex: its size (axes swapped: grandalf layers top-down) and place."""

    def __init__(self, w: float, h: float) -> None:
        self.w, self.h = w, h
        self.xy = (0.0, 0.0)


class _Path:
    def __init__(self) -> None:
        self.pts: list[tuple[float, float]] = []

    def setpath(self, pts: list[tuple[float, float]]) -> None:
        self.pts = list(pts)


def _sugiyama(component: object) -> None:
    layout = SugiyamaLayout(component)
    layout.xspace, layout.yspace = ROW_GAP, COLUMN_GAP
    layout.dw = layout.dh = DUMMY
    layout.init_all()
    layout.draw(4)  # a few sweeps of crossing reduction


def layered_layout(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> GraphLayout:
    """Place ``nodes`` (in order) and route ``edges`` (dependency -> dependent)."""
    vertices = {n: Vertex(n) for n in nodes}
    for vertex in vertices.values():
        vertex.view = _View(NODE_H, NODE_W)  # swapped: grandalf's layers are our columns
    links = [Edge(vertices[s], vertices[t]) for s, t in edges if s in vertices and t in vertices]
    for link in links:
        link.view = _Path()
    graph = Graph(list(vertices.values()), links)
    offset = 0.0
    centres: dict[str, tuple[float, float]] = {}
    bends: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for component in graph.C:  # unconnected parts one below the other
        _sugiyama(component)
        placed = {v.data: (v.view.xy[1], v.view.xy[0]) for v in component.sV}
        top = min(y for _, y in placed.values()) - NODE_H / 2
        for name, (x, y) in placed.items():
            centres[name] = (x, y - top + offset)
        for link in component.sE:
            inner = link.view.pts[1:-1] if len(link.view.pts) > 2 else []
            bends[(link.v[0].data, link.v[1].data)] = [(py, px - top + offset) for px, py in inner]
        offset = max(y for _, y in centres.values()) + NODE_H / 2 + ROW_GAP * 2
    return _framed(list(nodes), centres, [(s, t) for s, t in edges if (s, t) in bends], bends)


def _ports(
    edges: list[tuple[str, str]], order: dict[tuple[str, str], float], end: int
) -> dict[tuple[str, str], float]:
    """Where each edge meets a gate's side: spread over the middle of the side, in the order of
    the edges' other ends, so edges converging on one gate (G6 has six) stay apart."""
    by_gate: dict[str, list[tuple[str, str]]] = {}
    for edge in edges:
        by_gate.setdefault(edge[end], []).append(edge)
    offsets: dict[tuple[str, str], float] = {}
    for group in by_gate.values():
        group.sort(key=lambda e: order[e])
        span = min(NODE_H * 0.6, PORT_GAP * (len(group) - 1))
        for i, edge in enumerate(group):
            offsets[edge] = -span / 2 + (span * i / (len(group) - 1) if len(group) > 1 else 0.0)
    return offsets


def _routes(
    centres: dict[str, tuple[float, float]],
    edges: list[tuple[str, str]],
    bends: dict[tuple[str, str], list[tuple[float, float]]],
) -> dict[tuple[str, str], list[tuple[float, float]]]:
    """Each edge's points: out of its source's right side, level through each column it skips
    (a bend point becomes that column's left and right edge), into its target's left side."""
    first = {e: (bends[e][0][1] if bends[e] else centres[e[1]][1]) for e in edges}
    last = {e: (bends[e][-1][1] if bends[e] else centres[e[0]][1]) for e in edges}
    out_port, in_port = _ports(edges, first, 0), _ports(edges, last, 1)
    raw = {}
    for s, t in edges:
        (sx, sy), (tx, ty) = centres[s], centres[t]
        inner = [p for x, y in bends[(s, t)] for p in ((x - NODE_W / 2, y), (x + NODE_W / 2, y))]
        start, end = (sx + NODE_W / 2, sy + out_port[(s, t)]), (tx - NODE_W / 2, ty + in_port[(s, t)])
        raw[(s, t)] = [start, *inner, end]
    return raw


def _framed(
    nodes: list[str],
    centres: dict[str, tuple[float, float]],
    edges: list[tuple[str, str]],
    bends: dict[tuple[str, str], list[tuple[float, float]]],
) -> GraphLayout:
    """Shift everything so the drawing starts at the margin; an edge leaves its source's right
    side, runs level through each column it skips, and enters its target's left side."""
    raw = _routes(centres, edges, bends)
    xs = [x for x, _ in centres.values()]
    ys = [y for _, y in centres.values()] + [y for pts in raw.values() for _, y in pts]
    left = min(xs, default=0.0) - NODE_W / 2 - MARGIN
    top = min(ys, default=0.0) - NODE_H / 2 - MARGIN
    boxes = [
        NodeBox(
            id=n, x=round(centres[n][0] - NODE_W / 2 - left, 1), y=round(centres[n][1] - NODE_H / 2 - top, 1)
        )
        for n in nodes
    ]
    routes = [
        EdgeRoute(
            source=s, target=t, points=[(round(x - left, 1), round(y - top, 1)) for x, y in raw[(s, t)]]
        )
        for s, t in edges
    ]
    width = max(xs, default=0.0) + NODE_W / 2 + MARGIN - left
    height = max(ys, default=0.0) + NODE_H / 2 + MARGIN - top
    return GraphLayout(
        width=round(width, 1),
        height=round(height, 1),
        node_width=NODE_W,
        node_height=NODE_H,
        nodes=boxes,
        edges=routes,
    )
