"""Artifact names and needs: refused when the workflow is loaded, with the field named."""

from __future__ import annotations

import pytest

from prp_tasks.core import dag
from prp_tasks.core.artifacts import check_artifact_name
from prp_tasks.core.builtin_workflow import builtin_workflow
from prp_tasks.core.catalog import BUILTIN_CHECKS
from prp_tasks.core.profile import EnforcementProfile
from prp_tasks.errors import WorkflowError
from prp_tasks.intake.workflow_files import parse_workflow


def flow(a_check: str, b_check: str, c_check: str = "{name: c, run: [x]}") -> str:
    return (
        "name: f\ngates:\n"
        f"  - {{id: A, checks: [{a_check}]}}\n"
        f"  - {{id: B, depends_on: [A], checks: [{b_check}]}}\n"
        f"  - {{id: C, checks: [{c_check}]}}\n"
    )


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("/etc/shadow", "absolute path"),
        ("../../etc/passwd", "not a plain relative path"),
        ("a/../b", "not a plain relative path"),
        ("./a", "not a plain relative path"),
        ("a//b", "not a plain relative path"),
        ("C:/x", "absolute path"),
        ("a\\b", "may only use"),
        ("", "1-255 characters"),
    ],
)
def test_bad_names_are_refused(name: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        check_artifact_name(name)


@pytest.mark.parametrize("name", ["coverage.xml", "reports/junit.xml", "out/a-b_c.1+2@3.json"])
def test_plain_relative_paths_are_fine(name: str) -> None:
    assert check_artifact_name(name) == name


def test_traversal_in_needs_and_produces_is_refused_at_load() -> None:
    text = flow(
        "{name: a, run: [x], produces: ['/etc/shadow']}", "{name: b, run: [x], needs: ['../../etc/passwd']}"
    )
    with pytest.raises(WorkflowError) as caught:
        parse_workflow(text, source="wf.yaml")
    message = str(caught.value)
    assert "wf.yaml:3: gates[0].checks[0].produces[0]: '/etc/shadow' is an absolute path" in message
    assert (
        "wf.yaml:4: gates[1].checks[0].needs[0]: '../../etc/passwd' is not a plain relative path" in message
    )


def test_needs_resolve_to_exactly_one_dependency() -> None:
    ok = parse_workflow(flow("{name: a, run: [x], produces: [r.xml]}", "{name: b, run: [x], needs: [r.xml]}"))
    assert ok.gate("B").check("b").needs == ("r.xml",)
    cases = {
        "no gate that B depends on produces it": flow(
            "{name: a, run: [x]}", "{name: b, run: [x], needs: [r.xml]}"
        ),
        "C: B does not depend on C": flow(
            "{name: a, run: [x]}",
            "{name: b, run: [x], needs_from: {C: [r.xml]}}",
            "{name: c, run: [x], produces: [r.xml]}",
        ),
        "no check of A produces 'q.xml'": flow(
            "{name: a, run: [x], produces: [r.xml]}", "{name: b, run: [x], needs_from: {A: [q.xml]}}"
        ),
    }
    for why, text in cases.items():
        with pytest.raises(WorkflowError, match=why):
            parse_workflow(text)


def test_one_gate_produces_a_name_once() -> None:
    text = (
        "name: f\ngates:\n  - {id: A, checks: [{name: a, run: [x], produces: [r]}, "
        "{name: b, run: [x], produces: [r]}]}\n"
    )
    with pytest.raises(WorkflowError, match="several checks produce 'r'"):
        parse_workflow(text)


def test_the_builtin_coverage_check_needs_the_report_the_tests_produce() -> None:
    profile = EnforcementProfile.model_validate(
        {"governance": {"commands": {"test": ["pytest"]}}, "reports": {"coverage": ["build/cov.xml"]}}
    )
    workflow = dag.validate(builtin_workflow(profile), known_builtins=BUILTIN_CHECKS)
    assert workflow.gate("G3").check("run-test").produces == ("build/cov.xml",)
    assert workflow.gate("G4").check("coverage-validation").needs_from == {"G3": ("build/cov.xml",)}
    plain = builtin_workflow(EnforcementProfile())
    assert plain.gate("G4").check("coverage-validation").needs_from == {}
