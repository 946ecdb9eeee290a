"""Workflow files: user-defined gate DAGs in YAML, validated with file:line:field errors."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from prp_tasks.core import dag
from prp_tasks.core.catalog import BUILTIN_CHECKS
from prp_tasks.core.models import Workflow
from prp_tasks.core.validation import problems_from
from prp_tasks.errors import Problem, WorkflowError
from prp_tasks.intake.yamlsrc import parse_yaml
from prp_tasks.routing import QUEUE_CLASSES

MAX_WORKFLOW_BYTES = 1_000_000


def load_workflow(path: str | Path, *, queue_classes: Iterable[str] = QUEUE_CLASSES) -> Workflow:
    """Read and validate a workflow file; raise :class:`WorkflowError` naming file, line and field."""
    path = Path(path)
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise WorkflowError(f"cannot read workflow file: {exc.strerror or exc}", source=source) from None
    if len(raw) > MAX_WORKFLOW_BYTES:
        raise WorkflowError(f"file larger than {MAX_WORKFLOW_BYTES} bytes", source=source)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise WorkflowError("not UTF-8 text", source=source) from None
    return parse_workflow(text, source=source, queue_classes=queue_classes)


def workflow_from_data(
    data: object, *, source: str = "workflow", queue_classes: Iterable[str] = QUEUE_CLASSES
) -> Workflow:
    """Validate a workflow given as data (an API payload) with the same rules as a file."""
    if not isinstance(data, dict):
        raise WorkflowError(
            problems=[Problem((), "must be a mapping with 'name' and 'gates'")], source=source
        )
    try:
        workflow = Workflow.model_validate(data)
    except ValidationError as exc:
        raise WorkflowError(problems=problems_from(exc, Workflow), source=source) from None
    structural = dag.structural_problems(workflow, known_builtins=BUILTIN_CHECKS, queue_classes=queue_classes)
    if structural:
        raise WorkflowError(problems=structural, source=source)
    return workflow


def parse_workflow(
    text: str, *, source: str = "<workflow>", queue_classes: Iterable[str] = QUEUE_CLASSES
) -> Workflow:
    """Validate workflow YAML text (see :func:`load_workflow`)."""
    doc, problems = parse_yaml(text)
    if doc is None or problems:
        raise WorkflowError(problems=problems, source=source)
    if not isinstance(doc.data, dict):
        raise WorkflowError(
            problems=[Problem((), "the top level must be a mapping with 'name' and 'gates'", 1)],
            source=source,
        )
    try:
        workflow = Workflow.model_validate(doc.data)
    except ValidationError as exc:
        raise WorkflowError(problems=doc.with_lines(problems_from(exc, Workflow)), source=source) from None
    structural = dag.structural_problems(workflow, known_builtins=BUILTIN_CHECKS, queue_classes=queue_classes)
    if structural:
        raise WorkflowError(problems=doc.with_lines(structural), source=source)
    return workflow
