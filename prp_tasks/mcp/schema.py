"""The MCP tools' parameter types and results: what agents see in the tools' schemas."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from prp_tasks.intake.submission import IDEMPOTENCY_KEY
from prp_tasks.service.views import RunView

#: the run statuses every surface shows (HTTP, CLI, events): the ``status`` filter takes them
RunStatusName = Literal[
    "queued", "running", "awaiting_approval", "finalizing", "passed", "failed", "cancelled"
]


class ActiveGateOut(BaseModel):
    id: str
    status: str
    since: str | None


class GateOut(BaseModel):
    id: str
    name: str
    status: str
    checksPassed: int
    checksTotal: int
    reason: str | None
    approvalRole: str | None


Repository = Annotated[
    str | None, Field(description="repository path as the workers see it", max_length=4096)
]
CommitSha = Annotated[
    str | None,
    Field(
        pattern=r"^[0-9a-fA-F]{7,64}$",
        description="refuse unless the repository is at this commit; with gitUrl the full commit",
    ),
]
GitUrl = Annotated[
    str | None, Field(description="git remote to fetch commitSha from (not repository)", max_length=2048)
]
Distributed = Annotated[bool, Field(description="run on the repository's origin at HEAD (clean tree)")]
WorkflowArg = Annotated[
    str | dict[str, Any] | None,
    Field(
        description="a workflow file path as the workers see it, or the workflow itself "
        "({name, gates: [...]}, the schema of a workflow file); default: the built-in G0-G7"
    ),
]
BlueprintArg = Annotated[
    str | dict[str, Any] | None,
    Field(description="a blueprint file path, or {title, description, requirements, metadata}"),
]
ProfilePath = Annotated[
    str | None, Field(description="an initial.md to use instead of the repository's", max_length=4096)
]
StrictFlag = Annotated[bool, Field(strict=True)]
IdempotencyKey = Annotated[
    str | None, Field(pattern=IDEMPOTENCY_KEY, description="the same key returns the same run")
]
WorkflowId = Annotated[str, Field(description="the run id (create_prp_workflow answers it as workflowId)")]
StepName = Annotated[str, Field(description="a gate id of the run's workflow, such as G0")]


class RunStatusOut(BaseModel):
    workflowId: str
    status: str = Field(
        description="queued, running, awaiting_approval, finalizing, passed, failed or cancelled "
        "(what HTTP and the CLI say)"
    )
    a2aState: str = Field(
        description="the A2A task state beside status: submitted, working, input-required, "
        "completed, failed or canceled"
    )
    repository: str
    activeGates: list[ActiveGateOut]
    finishedAt: str | None
    gates: list[GateOut] | None = None


class WorkflowRow(BaseModel):
    workflowId: str
    status: str
    #: the A2A task state beside ``status``
    a2aState: str
    repository: str | None
    createdAt: str | None


class WorkflowList(BaseModel):
    workflows: list[WorkflowRow]


class StepDecisionOut(BaseModel):
    workflowId: str
    stepName: str
    outcome: str
    stepStatus: str
    votes: int
    quorum: int
    message: str


class AuditList(BaseModel):
    workflowId: str
    events: list[dict[str, Any]]


class OutputFile(BaseModel):
    name: str
    bytes: int


class ProducedFile(BaseModel):
    gate: str
    name: str
    bytes: int
    sha256: str
    #: the HTTP route that serves it (with a token)
    url: str


class OutputsOut(BaseModel):
    workflowId: str
    #: every output stored so far: prp.md, review.json, run-manifest.json and gate reports
    outputs: list[OutputFile]
    #: files the checks produced (``files/GATE/NAME`` in ``prp outputs --to DIR``)
    files: list[ProducedFile] = []
    #: the text of the output asked for by name (None when only listing)
    name: str | None = None
    content: str | None = None


def status_out(view: RunView, details: bool = False) -> RunStatusOut:
    return RunStatusOut(
        workflowId=view.run_id,
        status=view.status,
        a2aState=view.a2a_state,
        repository=f"{view.repo.get('owner')}/{view.repo.get('repo')}",
        activeGates=[ActiveGateOut(id=g.id, status=g.status, since=g.since) for g in view.active_gates],
        finishedAt=view.finished_at,
        gates=[
            GateOut(
                id=g.id,
                name=g.name,
                status=g.status,
                checksPassed=g.checks_passed,
                checksTotal=g.checks_total,
                reason=g.reason,
                approvalRole=g.approval_role,
            )
            for g in view.gates
        ]
        if details
        else None,
    )
