"""Workflow files: every validation rule yields a precise error naming file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from prp_tasks.core.models import GateStatus
from prp_tasks.errors import WorkflowError
from prp_tasks.intake.workflow_files import load_workflow, parse_workflow

VALID = """\
name: my-workflow
gates:
  - id: build
    name: Build
    depends_on: []
    queue: automated
    timeout_s: 600
    checks:
      - name: compile
        run: ["python", "-m", "compileall", "src"]
      - name: blueprint
        builtin: blueprint-validation
    approval:
      role: code-reviewer
  - id: test
    depends_on: [build]
    checks:
      - name: unit
        run: ["pytest", "-q"]
"""


def error_of(text: str) -> str:
    with pytest.raises(WorkflowError) as info:
        parse_workflow(text, source="wf.yaml")
    return info.value.message


def test_the_documented_contract_parses() -> None:
    wf = parse_workflow(VALID)
    build = wf.gate("build")
    assert build.display_name == "Build"
    assert build.checks[0].run == ("python", "-m", "compileall", "src")
    assert build.checks[1].builtin == "blueprint-validation"
    assert build.approval is not None and build.approval.role == "code-reviewer"
    assert wf.gate("test").depends_on == ("build",)
    assert wf.gate("test").queue == "automated"
    assert GateStatus.AWAITING_APPROVAL.value == "awaiting_approval"


def test_a_typo_in_a_key_is_named_with_its_line_and_a_suggestion() -> None:
    message = error_of(VALID.replace("    depends_on: [build]", "    depend_on: [build]"))
    assert message == "wf.yaml:16: gates[1].depend_on: unknown key 'depend_on' (did you mean 'depends_on'?)"


def test_an_unknown_key_inside_a_check_is_an_error() -> None:
    message = error_of(
        VALID.replace('        run: ["pytest", "-q"]', '        run: ["pytest"]\n        shel: x')
    )
    assert "gates[1].checks[0].shel: unknown key 'shel'" in message
    assert message.startswith("wf.yaml:20:")


def test_a_shell_string_instead_of_argv_is_refused() -> None:
    message = error_of(VALID.replace('run: ["pytest", "-q"]', 'run: "pytest -q && rm -rf /"'))
    assert "wf.yaml:19: gates[1].checks[0].run: must be an argv list" in message


def test_a_cycle_is_reported_as_its_path() -> None:
    text = """\
name: cyc
gates:
  - id: G1
    checks: [{name: a, builtin: blueprint-validation}]
  - id: G2
    depends_on: [G1, G4]
  - id: G4
    depends_on: [G2]
"""
    assert "dependency cycle: G2 -> G4 -> G2" in error_of(text)


def test_a_self_dependency_is_a_cycle() -> None:
    assert "dependency cycle: A -> A" in error_of("name: s\ngates:\n  - id: A\n    depends_on: [A]\n")


def test_an_unknown_dependency_names_both_gates() -> None:
    message = error_of(VALID.replace("depends_on: [build]", "depends_on: [biuld]"))
    assert "wf.yaml:16: gates[1].depends_on: gate 'test' depends on unknown gate 'biuld'" in message


def test_duplicate_gate_ids_are_refused() -> None:
    message = error_of(VALID.replace("  - id: test", "  - id: build"))
    assert "gates[1].id: duplicate gate id 'build' (first defined at gates[0])" in message


def test_an_empty_workflow_is_refused() -> None:
    assert error_of("name: empty\ngates: []\n") == "wf.yaml:2: gates: a workflow needs at least one gate"


def test_an_unknown_builtin_check_kind_is_refused() -> None:
    message = error_of(VALID.replace("builtin: blueprint-validation", "builtin: blueprint-validaton"))
    assert "gates[0].checks[1].builtin: unknown built-in check 'blueprint-validaton'" in message


def test_a_check_needs_exactly_one_kind() -> None:
    message = error_of(VALID.replace("        builtin: blueprint-validation", "        description: nothing"))
    assert "a check needs exactly one of 'run' (argv list) or 'builtin'" in message


def test_an_unknown_queue_class_is_refused() -> None:
    assert "unknown queue class 'gpu'" in error_of(VALID.replace("queue: automated", "queue: gpu"))


def test_a_duplicated_yaml_key_is_not_silently_dropped() -> None:
    message = error_of(VALID.replace("    timeout_s: 600", "    timeout_s: 600\n    timeout_s: 5"))
    assert "wf.yaml:8: gates[0]: duplicate key 'timeout_s'" in message


def test_invalid_yaml_reports_its_line() -> None:
    assert error_of("name: x\ngates:\n  - id: [unclosed\n").startswith("wf.yaml:4: invalid YAML")


def test_a_top_level_that_is_not_a_mapping_is_refused() -> None:
    assert "top level must be a mapping" in error_of("- just\n- a list\n")


def test_ids_must_be_plain_identifiers() -> None:
    assert "gates[0].id: String should match pattern" in error_of("name: x\ngates:\n  - id: 'a b'\n")


def test_every_problem_is_reported_at_once() -> None:
    message = error_of(
        VALID.replace("depends_on: [build]", "depends_on: [nope]").replace("  - id: test", "  - id: build")
    )
    assert "duplicate gate id" in message and "unknown gate 'nope'" in message


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(WorkflowError, match="cannot read workflow file"):
        load_workflow(tmp_path / "nope.yaml")


def test_binary_garbage_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "bin.yaml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(WorkflowError, match="not UTF-8"):
        load_workflow(path)
