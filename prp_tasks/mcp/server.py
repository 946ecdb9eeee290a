"""MCP tools for agents (official ``mcp`` SDK, 2.x API) over the same service layer.

Transports: stdio (``prp mcp``; the caller is the local user) and streamable HTTP mounted in the
API at ``/mcp`` behind the same bearer tokens (the caller is the token's identity). Tool errors
come back as tool results with ``is_error`` so the agent can read them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Annotated, Any, ParamSpec, TypeVar

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase
from mcp.types import ToolAnnotations
from pydantic import ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from prp_tasks import __version__
from prp_tasks.errors import PrpError
from prp_tasks.intake.submission import IDEMPOTENCY_KEY, SubmitRequest
from prp_tasks.mcp.schema import (
    AuditList,
    BlueprintArg,
    CommitSha,
    Distributed,
    GitUrl,
    IdempotencyKey,
    OutputFile,
    OutputsOut,
    ProducedFile,
    ProfilePath,
    Repository,
    RunStatusName,
    RunStatusOut,
    StepDecisionOut,
    StepName,
    StrictFlag,
    WorkflowArg,
    WorkflowId,
    WorkflowList,
    WorkflowRow,
    status_out,
)
from prp_tasks.service.control import Control
from prp_tasks.service.identity import Principal, current_principal
from prp_tasks.service.views import a2a_state

P = ParamSpec("P")
R = TypeVar("R")

#: submission fields (what the service layer's messages name) -> this tool's parameters
_SUBMIT_NAMES = {
    "repo": "repository",
    "git_url": "gitUrl",
    "commit_sha": "commitSha",
    "auto_approve": "autoApprove",
    "idempotency_key": "idempotencyKey",
    "profile_path": "profilePath",
}
_FIELD = re.compile(r"(?<![\w/.~-])(" + "|".join(_SUBMIT_NAMES) + r")(?![\w/.~-])")


def tool_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Project errors become tool errors the agent reads (not protocol errors), naming the
    tool's own parameters (``repository``, not the service's ``repo``)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except PrpError as exc:
            raise ToolError(f"{type(exc).__name__}: {in_tool_terms(exc.message)}") from None
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
            raise ToolError(f"InputError: {in_tool_terms(problems)}") from None

    return wrapper


def in_tool_terms(message: str) -> str:
    """A service-layer message with submission field names as the tools spell them."""
    return _FIELD.sub(lambda m: _SUBMIT_NAMES[m.group(1)], message)


class PrpTools:
    """The tools, bound to one control plane. ``local`` calls when no bearer token is involved."""

    def __init__(self, control: Control, local: Principal) -> None:
        self.control = control
        self.local = local

    def _caller(self, *, submit: str | None = None) -> Principal:
        who = current_principal.get() or self.local
        if submit and not who.submit:
            raise ToolError(f"{who.identity} may not {submit}")
        return who

    def _authorizer(self, who: Principal) -> Any:
        return None if who is self.local else who.authorizer()

    @tool_errors
    def create_prp_workflow(
        self,
        repository: Repository = None,
        workflow: WorkflowArg = None,
        blueprint: BlueprintArg = None,
        profilePath: ProfilePath = None,
        commitSha: CommitSha = None,
        gitUrl: GitUrl = None,
        distributed: Distributed = False,
        strict: StrictFlag = False,
        autoApprove: StrictFlag = False,
        idempotencyKey: IdempotencyKey = None,
    ) -> RunStatusOut:
        """Start a PRP workflow run on a repository; returns its status (workflowId = run id)."""
        who = self._caller(submit="create runs")
        request = SubmitRequest(
            repo=repository,
            git_url=gitUrl,
            distributed=distributed,
            workflow=workflow,
            blueprint=blueprint,
            profile_path=profilePath,
            commit_sha=commitSha,
            strict=strict,
            auto_approve=autoApprove,
            idempotency_key=idempotencyKey,
            actor=who.identity,
        )
        submitted = self.control.submit_request(request, actor=who.identity)
        return status_out(self.control.get_run(submitted.run_id))

    @tool_errors
    def get_prp_status(
        self,
        workflowId: WorkflowId,
        includeDetails: Annotated[bool, Field(description="also every gate with its checks")] = False,
    ) -> RunStatusOut:
        """Status of a run, with activeGates (running or awaiting approval, and since when)."""
        self._caller()
        return status_out(self.control.get_run(workflowId), includeDetails)

    @tool_errors
    def list_prp_workflows(
        self,
        status: Annotated[
            RunStatusName | None,
            Field(description="the status get_prp_status shows (the same as HTTP and the CLI)"),
        ] = None,
        repository: Annotated[str | None, Field(description="owner/name", max_length=400)] = None,
        idempotencyKey: Annotated[
            str | None,
            Field(pattern=IDEMPOTENCY_KEY, description="the run a submission with this key created"),
        ] = None,
        limit: Annotated[int, Field(ge=1, le=100)] = 20,
    ) -> WorkflowList:
        """Recent runs, newest first, each with the status get_prp_status shows."""
        self._caller()
        rows, _ = self.control.list_runs(
            status=status, repository=repository, limit=limit, idempotency_key=idempotencyKey
        )
        return WorkflowList(
            workflows=[
                WorkflowRow(
                    workflowId=r["run_id"],
                    status=r["status"],
                    a2aState=a2a_state(r["status"]),
                    repository=r["repo"],
                    createdAt=r["created_at"],
                )
                for r in rows
            ]
        )

    @tool_errors
    def approve_prp_step(
        self,
        workflowId: WorkflowId,
        stepName: StepName,
        approved: Annotated[bool, Field(description="true approves, false rejects")],
        comments: Annotated[str, Field(max_length=4000, description="the rationale, audited")] = "",
    ) -> StepDecisionOut:
        """Approve (approved=true) or reject a gate awaiting a human; a gate not parked yet is pre-decided."""
        who = self._caller()
        result = self.control.decide(
            workflowId,
            stepName,
            actor=who.identity,
            approve=approved,
            rationale=comments,
            channel="mcp",
            authorizer=self._authorizer(who),
        )
        return StepDecisionOut(
            workflowId=workflowId,
            stepName=stepName,
            outcome=result.outcome,
            stepStatus=result.gate_status,
            votes=result.votes,
            quorum=result.quorum,
            message=result.describe(),
        )

    @tool_errors
    def run_prp_step(
        self,
        workflowId: WorkflowId,
        stepName: StepName,
        force: Annotated[bool, Field(description="required: re-running re-executes dependents")] = False,
    ) -> RunStatusOut:
        """Re-execute a settled gate and its dependents; requires force=true."""
        who = self._caller(submit="re-run gates")
        self.control.rerun(workflowId, stepName, force=force, actor=who.identity)
        return status_out(self.control.get_run(workflowId), True)

    @tool_errors
    def cancel_prp_workflow(self, workflowId: WorkflowId) -> RunStatusOut:
        """Cancel a run: unfinished gates are skipped and nothing starts afterwards."""
        who = self._caller(submit="cancel runs")
        self.control.cancel(workflowId, who.identity)
        return status_out(self.control.get_run(workflowId))

    @tool_errors
    def get_prp_outputs(
        self,
        workflowId: WorkflowId,
        name: Annotated[
            str | None,
            Field(
                description="one output to read (prp.md, review.json, run-manifest.json or a gate "
                "report such as test-plan.md); omit to list them",
                max_length=200,
            ),
        ] = None,
    ) -> OutputsOut:
        """A run's outputs (names and sizes; with ``name``, that output's text) and the files its
        checks produced (gate, name, size, sha256, HTTP route)."""
        self._caller()
        stored = self.control.outputs(workflowId)
        listing = [OutputFile(name=n, bytes=len(t.encode())) for n, t in sorted(stored.items())]
        content = self.control.output(workflowId, name) if name is not None else None
        files = [
            ProducedFile(gate=f.gate, name=f.name, bytes=f.size, sha256=f.sha256, url=f.url)
            for f in self.control.files(workflowId)
        ]
        return OutputsOut(workflowId=workflowId, outputs=listing, files=files, name=name, content=content)

    @tool_errors
    def get_prp_audit(self, workflowId: WorkflowId) -> AuditList:
        """The run's audit trail: approval requests, batches, decisions, refusals, expiries."""
        self._caller()
        events = [e.model_dump(mode="json", exclude_none=True) for e in self.control.audit(workflowId)]
        return AuditList(workflowId=workflowId, events=events)


#: tool name -> annotations (read-only, destructive, idempotent hints)
ANNOTATIONS = {
    "create_prp_workflow": ToolAnnotations(destructive_hint=False),
    "get_prp_status": ToolAnnotations(read_only_hint=True),
    "list_prp_workflows": ToolAnnotations(read_only_hint=True),
    "approve_prp_step": ToolAnnotations(destructive_hint=False, idempotent_hint=True),
    "run_prp_step": ToolAnnotations(destructive_hint=True),
    "cancel_prp_workflow": ToolAnnotations(destructive_hint=True, idempotent_hint=True),
    "get_prp_audit": ToolAnnotations(read_only_hint=True),
    "get_prp_outputs": ToolAnnotations(read_only_hint=True),
}


def build_mcp(control: Control, local: Principal) -> MCPServer:
    """The MCP server with every PRP tool registered; each refuses arguments it does not have."""
    bound = PrpTools(control, local)
    tools = [
        refuse_unknown_arguments(Tool.from_function(getattr(bound, name), name=name, annotations=hints))
        for name, hints in ANNOTATIONS.items()
    ]
    return MCPServer(
        "prp-tasks",
        version=__version__,
        instructions="Run and steer PRP quality-gate workflows (gates G0-G7).",
        tools=tools,
    )


def refuse_unknown_arguments(tool: Tool) -> Tool:
    """Make the tool's arguments model refuse names it lacks (``additionalProperties: false`` in
    its input schema), with an error listing the accepted ones: an ignored argument misleads.
    Values are strict as well: ``approved: "no"`` is an error, never a coerced ``True``."""
    base: type[ArgModelBase] = tool.fn_metadata.arg_model
    name, accepted = tool.name, [f.alias or n for n, f in base.model_fields.items()]

    class Strict(base):  # type: ignore[valid-type,misc]
        model_config = ConfigDict(**{**base.model_config, "extra": "forbid", "strict": True})

        @model_validator(mode="before")
        @classmethod
        def _known(cls, data: Any) -> Any:
            unknown = sorted(set(data) - set(accepted)) if isinstance(data, dict) else []
            if unknown:
                raise PydanticCustomError(
                    "unknown_argument",
                    "unknown argument {unknown}; {tool} accepts: {accepted}",
                    {"unknown": ", ".join(unknown), "tool": name, "accepted": ", ".join(accepted)},
                )
            return data

    Strict.__name__ = Strict.__qualname__ = base.__name__
    tool.fn_metadata.arg_model = Strict
    tool.parameters = Strict.model_json_schema(by_alias=True)
    return tool
