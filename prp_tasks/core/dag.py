"""The gate graph: structural validation, ready sets and dependents, all pure functions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from prp_tasks.core.artifacts import duplicate_products, needed
from prp_tasks.core.catalog import GATE_REPORTS
from prp_tasks.core.models import TERMINAL, GateStatus, Workflow
from prp_tasks.errors import Problem, WorkflowError


def structural_problems(
    workflow: Workflow,
    *,
    known_builtins: Iterable[str] = (),
    queue_classes: Iterable[str] = (),
) -> list[Problem]:
    """Everything wrong with the graph: duplicate ids, unknown dependencies, cycles, unknown kinds."""
    problems = _duplicate_ids(workflow) + _unknown_dependencies(workflow)
    problems += _unknown_kinds(workflow, set(known_builtins), set(queue_classes))
    if not problems:  # cycle search needs unique ids and resolvable edges
        cycle = find_cycle(workflow)
        if cycle:
            index = workflow.gate_ids.index(cycle[0])
            problems.append(
                Problem(("gates", index, "depends_on"), "dependency cycle: " + " -> ".join(cycle))
            )
        else:
            problems += _artifact_problems(workflow)
    return problems


def validate(
    workflow: Workflow,
    *,
    known_builtins: Iterable[str] = (),
    queue_classes: Iterable[str] = (),
) -> Workflow:
    """Return ``workflow`` unchanged, or raise :class:`WorkflowError` listing every problem."""
    problems = structural_problems(workflow, known_builtins=known_builtins, queue_classes=queue_classes)
    if problems:
        raise WorkflowError(problems=problems)
    return workflow


def _duplicate_ids(workflow: Workflow) -> list[Problem]:
    first: dict[str, int] = {}
    problems = []
    for index, gate in enumerate(workflow.gates):
        if gate.id in first:
            problems.append(
                Problem(
                    ("gates", index, "id"),
                    f"duplicate gate id {gate.id!r} (first defined at gates[{first[gate.id]}])",
                )
            )
        else:
            first[gate.id] = index
    return problems


def _unknown_dependencies(workflow: Workflow) -> list[Problem]:
    ids = set(workflow.gate_ids)
    problems = []
    for index, gate in enumerate(workflow.gates):
        for dep in gate.depends_on:
            if dep not in ids:
                problems.append(
                    Problem(
                        ("gates", index, "depends_on"),
                        f"gate {gate.id!r} depends on unknown gate {dep!r}",
                    )
                )
    return problems


def _unknown_kinds(workflow: Workflow, builtins: set[str], queues: set[str]) -> list[Problem]:
    problems = []
    for g_index, gate in enumerate(workflow.gates):
        if queues and gate.queue not in queues:
            known = ", ".join(sorted(queues))
            problems.append(
                Problem(
                    ("gates", g_index, "queue"),
                    f"unknown queue class {gate.queue!r} (known: {known})",
                )
            )
        if gate.report is not None and gate.report not in GATE_REPORTS:
            known = ", ".join(sorted(GATE_REPORTS))
            problems.append(
                Problem(("gates", g_index, "report"), f"unknown gate report {gate.report!r} (known: {known})")
            )
        for c_index, check in enumerate(gate.checks):
            if check.builtin is not None and check.builtin not in builtins:
                known = ", ".join(sorted(builtins)) or "none"
                problems.append(
                    Problem(
                        ("gates", g_index, "checks", c_index, "builtin"),
                        f"unknown built-in check {check.builtin!r} (known: {known})",
                    )
                )
    return problems


def _artifact_problems(workflow: Workflow) -> list[Problem]:
    """Every needed file must come from exactly one dependency; a gate produces a name once."""
    problems = []
    deps = ancestors(workflow)
    for g_index, gate in enumerate(workflow.gates):
        for name in duplicate_products(gate):
            problems.append(Problem(("gates", g_index, "checks"), f"several checks produce {name!r}"))
        for c_index, check in enumerate(gate.checks):
            try:
                needed(workflow, gate.id, check, deps[gate.id])
            except ValueError as exc:
                field = "needs" if str(exc).startswith("needs ") else "needs_from"
                problems.append(Problem(("gates", g_index, "checks", c_index, field), str(exc)))
    return problems


def ancestors(workflow: Workflow) -> dict[str, frozenset[str]]:
    """Each gate's transitive dependencies (acyclic workflows)."""
    out: dict[str, frozenset[str]] = {}
    for gate_id in topological_order(workflow):
        gate = workflow.gate(gate_id)
        out[gate_id] = frozenset(gate.depends_on).union(*(out[d] for d in gate.depends_on))
    return out


def find_cycle(workflow: Workflow) -> list[str] | None:
    """Return one dependency cycle as a closed path (``[a, b, a]``), or None.

    Iterative depth-first search, so a very deep graph cannot exhaust the call stack.
    """
    deps = {g.id: g.depends_on for g in workflow.gates}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for root in deps:
        if state.get(root):
            continue
        path: list[str] = [root]
        stack = [iter(deps[root])]
        state[root] = 1
        while stack:
            dep = next(stack[-1], None)
            if dep is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(dep) == 1:
                return [*path[path.index(dep) :], dep]
            elif dep in deps and not state.get(dep):
                state[dep] = 1
                path.append(dep)
                stack.append(iter(deps[dep]))
    return None


def dependents(workflow: Workflow) -> dict[str, tuple[str, ...]]:
    """Direct dependents of every gate, in declaration order."""
    out: dict[str, list[str]] = {g.id: [] for g in workflow.gates}
    for gate in workflow.gates:
        for dep in gate.depends_on:
            out[dep].append(gate.id)
    return {k: tuple(v) for k, v in out.items()}


def transitive_dependents(workflow: Workflow, gate_id: str) -> tuple[str, ...]:
    """Every gate that (directly or not) depends on ``gate_id``, in declaration order."""
    direct = dependents(workflow)
    seen: set[str] = set()
    stack = list(direct[gate_id])
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(direct[node])
    return tuple(g for g in workflow.gate_ids if g in seen)


def roots(workflow: Workflow) -> tuple[str, ...]:
    """Gates without dependencies: dispatched at submission."""
    return tuple(g.id for g in workflow.gates if not g.depends_on)


def ready(workflow: Workflow, statuses: Mapping[str, GateStatus | str]) -> tuple[str, ...]:
    """Pending gates whose dependencies have all passed (no level barrier: only their own deps)."""
    out = []
    for gate in workflow.gates:
        if statuses.get(gate.id, GateStatus.PENDING) != GateStatus.PENDING:
            continue
        if all(statuses.get(dep) == GateStatus.PASSED for dep in gate.depends_on):
            out.append(gate.id)
    return tuple(out)


def blocked(workflow: Workflow, statuses: Mapping[str, GateStatus | str]) -> tuple[str, ...]:
    """Pending gates that can never run because a dependency ended without passing."""
    out = []
    for gate in workflow.gates:
        if statuses.get(gate.id, GateStatus.PENDING) != GateStatus.PENDING:
            continue
        if any(
            statuses.get(dep) in TERMINAL and statuses.get(dep) != GateStatus.PASSED
            for dep in gate.depends_on
        ):
            out.append(gate.id)
    return tuple(out)


def topological_order(workflow: Workflow) -> tuple[str, ...]:
    """A stable topological order: declaration order, each gate after its dependencies."""
    placed: list[str] = []
    remaining = list(workflow.gates)
    while remaining:
        progress = False
        for gate in list(remaining):
            if all(dep in placed for dep in gate.depends_on):
                placed.append(gate.id)
                remaining.remove(gate)
                progress = True
        if not progress:
            raise WorkflowError("the workflow has a dependency cycle")
    return tuple(placed)


def levels(workflow: Workflow) -> dict[str, int]:
    """Depth of every gate (roots are 0); used only for drawing, never for scheduling."""
    depth: dict[str, int] = {}
    for gate_id in topological_order(workflow):
        gate = workflow.gate(gate_id)
        depth[gate_id] = 1 + max((depth[d] for d in gate.depends_on), default=-1)
    return depth
