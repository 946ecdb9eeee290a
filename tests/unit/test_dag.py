"""The gate graph (``prp_tasks.core.dag``): validation, ready sets, dependents and orderings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prp_tasks.core import dag
from prp_tasks.core.builtin_workflow import builtin_workflow
from prp_tasks.core.models import TERMINAL, CheckSpec, GateSpec, GateStatus, Workflow
from prp_tasks.errors import WorkflowError

P, R, A = GateStatus.PASSED, GateStatus.RUNNING, GateStatus.AWAITING_APPROVAL
F, S, W = GateStatus.FAILED, GateStatus.SKIPPED, GateStatus.PENDING


def graph(edges: Mapping[str, Sequence[str]]) -> Workflow:
    """A workflow with one gate per key (in order), each depending on the listed gates."""
    return Workflow(name="wf", gates=tuple(GateSpec(id=g, depends_on=tuple(d)) for g, d in edges.items()))


DIAMOND = graph({"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]})
#: a -> b -> d and a -> c; d does not wait for c (no level barrier)
UNEVEN = graph({"a": [], "b": ["a"], "c": ["a"], "d": ["b"]})


# structural validation ------------------------------------------------------------------------


def test_a_well_formed_graph_has_no_structural_problems() -> None:
    assert dag.structural_problems(DIAMOND) == []
    assert dag.validate(DIAMOND) is DIAMOND


def test_a_duplicate_gate_id_is_reported_with_its_first_definition() -> None:
    wf = Workflow(name="wf", gates=(GateSpec(id="a"), GateSpec(id="b"), GateSpec(id="a")))
    problems = dag.structural_problems(wf)
    assert [(p.loc, p.message) for p in problems] == [
        (("gates", 2, "id"), "duplicate gate id 'a' (first defined at gates[0])")
    ]


def test_an_unknown_dependency_is_reported_at_the_depending_gate() -> None:
    problems = dag.structural_problems(graph({"a": [], "b": ["a", "zz"]}))
    assert [(p.loc, p.message) for p in problems] == [
        (("gates", 1, "depends_on"), "gate 'b' depends on unknown gate 'zz'")
    ]


def test_a_cycle_is_reported_as_a_closed_path() -> None:
    wf = graph({"a": ["c"], "b": ["a"], "c": ["b"], "d": []})
    cycle = dag.find_cycle(wf)
    assert cycle is not None
    assert cycle[0] == cycle[-1]
    assert set(cycle) == {"a", "b", "c"}
    [problem] = dag.structural_problems(wf)
    assert problem.message == "dependency cycle: " + " -> ".join(cycle)
    assert problem.loc == ("gates", wf.gate_ids.index(cycle[0]), "depends_on")


def test_a_gate_depending_on_itself_is_a_cycle() -> None:
    assert dag.find_cycle(graph({"a": ["a"]})) == ["a", "a"]


def test_an_acyclic_graph_has_no_cycle() -> None:
    assert dag.find_cycle(DIAMOND) is None


def test_a_deep_chain_declared_dependents_first_is_checked_without_crashing() -> None:
    n = 1200
    wf = graph({f"g{i}": [f"g{i + 1}"] if i < n - 1 else [] for i in range(n)})
    assert dag.structural_problems(wf) == []


def test_validate_raises_listing_every_problem() -> None:
    wf = graph({"a": ["x"], "b": ["y"]})
    with pytest.raises(WorkflowError) as info:
        dag.validate(wf)
    assert len(info.value.problems) == 2
    assert "unknown gate 'x'" in info.value.message
    assert "unknown gate 'y'" in info.value.message


def test_topological_order_refuses_a_cycle() -> None:
    with pytest.raises(WorkflowError, match="cycle"):
        dag.topological_order(graph({"a": ["b"], "b": ["a"]}))


def test_unknown_builtins_queues_and_reports_are_problems() -> None:
    gate = GateSpec(
        id="a", queue="gpu", report="nope", checks=(CheckSpec(name="c", builtin="no-such-check"),)
    )
    wf = Workflow(name="wf", gates=(gate,))
    problems = dag.structural_problems(
        wf, known_builtins=("blueprint-validation",), queue_classes=("automated", "approval")
    )
    assert [p.loc for p in problems] == [
        ("gates", 0, "queue"),
        ("gates", 0, "report"),
        ("gates", 0, "checks", 0, "builtin"),
    ]
    assert "unknown queue class 'gpu' (known: approval, automated)" in problems[0].message
    assert problems[2].message == "unknown built-in check 'no-such-check' (known: blueprint-validation)"


def test_queue_classes_are_not_checked_when_none_are_given() -> None:
    wf = Workflow(name="wf", gates=(GateSpec(id="a", queue="gpu"),))
    assert dag.structural_problems(wf) == []


# dependents, roots, orderings -------------------------------------------------------------------


def test_dependents_lists_direct_dependents_in_declaration_order() -> None:
    assert dag.dependents(DIAMOND) == {"a": ("b", "c"), "b": ("d",), "c": ("d",), "d": ()}


def test_transitive_dependents_follow_every_path() -> None:
    assert dag.transitive_dependents(DIAMOND, "a") == ("b", "c", "d")
    assert dag.transitive_dependents(DIAMOND, "c") == ("d",)
    assert dag.transitive_dependents(DIAMOND, "d") == ()


def test_roots_are_the_gates_without_dependencies() -> None:
    assert dag.roots(graph({"a": [], "b": ["a"], "c": []})) == ("a", "c")


def test_topological_order_keeps_declaration_order_where_dependencies_allow() -> None:
    wf = graph({"d": ["b", "c"], "a": [], "c": ["a"], "b": ["a"]})
    assert dag.topological_order(wf) == ("a", "c", "b", "d")
    assert dag.topological_order(DIAMOND) == ("a", "b", "c", "d")


def test_levels_are_the_longest_distance_from_a_root() -> None:
    wf = graph({"a": [], "b": ["a"], "c": ["b"], "d": ["a", "c"], "e": []})
    assert dag.levels(wf) == {"a": 0, "b": 1, "c": 2, "d": 3, "e": 0}


# ready and blocked ----------------------------------------------------------------------------


def test_only_roots_are_ready_at_the_start() -> None:
    assert dag.ready(DIAMOND, {}) == ("a",)


def test_a_gate_is_ready_as_soon_as_its_own_dependencies_passed() -> None:
    # c (same level as b) is still running: d only needs b, so there is no level barrier
    assert dag.ready(UNEVEN, {"a": P, "b": P, "c": R}) == ("d",)


def test_the_builtin_g3_does_not_wait_for_g2() -> None:
    assert dag.ready(builtin_workflow(), {"G0": P, "G1": P, "G2": R}) == ("G3",)


@pytest.mark.parametrize("dep_status", [R, A, W, F, S])
def test_a_gate_is_not_ready_until_every_dependency_passed(dep_status: GateStatus) -> None:
    assert "d" not in dag.ready(DIAMOND, {"a": P, "b": P, "c": dep_status})


def test_gates_that_left_pending_are_never_ready() -> None:
    assert dag.ready(DIAMOND, {"a": P, "b": R, "c": P}) == ()


def test_plain_string_statuses_are_understood() -> None:
    assert dag.ready(DIAMOND, {"a": "passed", "b": "passed", "c": "passed"}) == ("d",)
    assert dag.blocked(DIAMOND, {"a": "passed", "b": "failed"}) == ("d",)


def test_a_gate_is_blocked_when_a_dependency_ended_without_passing() -> None:
    assert dag.blocked(DIAMOND, {"a": P, "b": F, "c": R}) == ("d",)
    assert dag.blocked(DIAMOND, {"a": S}) == ("b", "c")


def test_a_gate_waiting_on_a_running_or_parked_dependency_is_not_blocked() -> None:
    assert dag.blocked(DIAMOND, {"a": P, "b": A, "c": R}) == ()


# properties over random DAGs ------------------------------------------------------------------


@st.composite
def dags(draw: st.DrawFn) -> Workflow:
    """Acyclic by construction: gate i may only depend on gates < i (ids shuffled for order)."""
    n = draw(st.integers(min_value=1, max_value=10))
    ids = draw(st.permutations([f"g{i}" for i in range(n)]))
    deps = [draw(st.sets(st.sampled_from(ids[:i]))) if i else set() for i in range(n)]
    order = draw(st.permutations(range(n)))  # declaration order independent of the edges
    return graph({ids[i]: sorted(deps[i]) for i in order})


@st.composite
def dags_with_statuses(draw: st.DrawFn) -> tuple[Workflow, dict[str, GateStatus]]:
    wf = draw(dags())
    statuses = {g: draw(st.sampled_from(list(GateStatus))) for g in wf.gate_ids}
    return wf, statuses


def ancestors(wf: Workflow, gate_id: str) -> set[str]:
    """Brute force: every gate ``gate_id`` depends on, directly or not."""
    found: set[str] = set()
    stack = list(wf.gate(gate_id).depends_on)
    while stack:
        dep = stack.pop()
        if dep not in found:
            found.add(dep)
            stack.extend(wf.gate(dep).depends_on)
    return found


PROPERTY = settings(max_examples=40, deadline=None)


@PROPERTY
@given(dags())
def test_topological_order_puts_every_gate_after_its_dependencies(wf: Workflow) -> None:
    assert dag.structural_problems(wf) == []
    assert dag.find_cycle(wf) is None
    order = dag.topological_order(wf)
    assert sorted(order) == sorted(wf.gate_ids)
    position = {g: i for i, g in enumerate(order)}
    for gate in wf.gates:
        assert all(position[dep] < position[gate.id] for dep in gate.depends_on)


@PROPERTY
@given(dags())
def test_levels_are_one_more_than_the_deepest_dependency(wf: Workflow) -> None:
    depth = dag.levels(wf)
    for gate in wf.gates:
        assert depth[gate.id] == 1 + max((depth[d] for d in gate.depends_on), default=-1)
    assert {g for g, d in depth.items() if d == 0} == set(dag.roots(wf))


@PROPERTY
@given(dags_with_statuses())
def test_ready_is_exactly_the_pending_gates_whose_own_dependencies_passed(
    case: tuple[Workflow, dict[str, GateStatus]],
) -> None:
    wf, statuses = case
    expected = {g.id for g in wf.gates if statuses[g.id] == W and all(statuses[d] == P for d in g.depends_on)}
    ready = dag.ready(wf, statuses)
    assert set(ready) == expected
    assert list(ready) == [g for g in wf.gate_ids if g in expected]


@PROPERTY
@given(dags_with_statuses())
def test_blocked_gates_are_pending_with_a_dependency_that_ended_without_passing(
    case: tuple[Workflow, dict[str, GateStatus]],
) -> None:
    wf, statuses = case
    blocked = set(dag.blocked(wf, statuses))
    for gate in wf.gates:
        dead = any(statuses[d] in TERMINAL and statuses[d] != P for d in gate.depends_on)
        assert (gate.id in blocked) == (statuses[gate.id] == W and dead)
    assert not blocked & set(dag.ready(wf, statuses))


@PROPERTY
@given(dags())
def test_transitive_dependents_is_the_closure_of_dependents(wf: Workflow) -> None:
    direct = dag.dependents(wf)
    for gate_id in wf.gate_ids:
        closure = set(dag.transitive_dependents(wf, gate_id))
        assert set(direct[gate_id]) <= closure
        assert all(set(direct[g]) <= closure for g in closure)  # closed under dependents
        assert closure == {g for g in wf.gate_ids if gate_id in ancestors(wf, g)}
