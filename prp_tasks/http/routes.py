"""The ``/v1`` routes: each parses, calls the service layer (:class:`Control`) and formats."""

from __future__ import annotations

import base64
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import PlainTextResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator

from prp_tasks.core.models import Role
from prp_tasks.core.run import RunStatus
from prp_tasks.http.contract import FILE_PATH, OUTPUT_NAME_SCHEMA, known_query_after, rfc3339
from prp_tasks.http.models import (
    AuditOut,
    BatchDecisionBody,
    BatchDecisionOut,
    CancelOut,
    DecisionBody,
    DecisionOut,
    PendingOut,
    Problem,
    RerunBody,
    RerunOut,
    RunCreated,
    RunList,
    RunRow,
)
from prp_tasks.http.security import ApiError
from prp_tasks.intake.submission import IDEMPOTENCY_KEY, SubmitRequest
from prp_tasks.service.control import Control
from prp_tasks.service.identity import Principal, current_principal
from prp_tasks.service.views import RunView

#: every error an operation can answer, as ``application/problem+json`` (:mod:`.contract`)
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": title}
    for status, title in [
        (
            400,
            "invalid input (a value the schema allows but the server refuses, e.g. a repository "
            "outside the allowed roots or a workflow whose gates form a cycle)",
        ),
        (401, "missing or unknown token"),
        (403, "the token lacks a right or role"),
        (404, "no such run, gate or output"),
        (409, "conflicts with the run's state"),
        (413, "body too large"),
        (422, "invalid request body or parameters"),
        (429, "rate limited (see Retry-After)"),
        (503, "the state store does not answer"),
    ]
}
LOCATION = {"Location": {"description": "the run's URL", "schema": {"type": "string"}}}


def control(request: Request) -> Control:
    ctl: Control = request.app.state.control
    return ctl


bearer = HTTPBearer(auto_error=False, description="an API token (see PRP_API__TOKENS)")


def principal(
    request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    """The caller, from its bearer token (401 without a valid one, 429 over the rate limit)."""
    found: Principal = request.app.state.authenticator.authenticate(request.headers.get("authorization"))
    current_principal.set(found)
    return found


def submitter(caller: Annotated[Principal, Depends(principal)]) -> Principal:
    if not caller.submit:
        raise ApiError(403, "Forbidden", f"{caller.identity} may not create, cancel or re-run runs")
    return caller


Ctl = Annotated[Control, Depends(control)]
Caller = Annotated[Principal, Depends(principal)]
Submitter = Annotated[Principal, Depends(submitter)]
router = APIRouter(prefix="/v1", responses=ERRORS, dependencies=[known_query_after(principal)])


@router.post(
    "/runs",
    status_code=201,
    response_model=RunCreated,
    tags=["runs"],
    responses={
        201: {"description": "the run was created", "headers": LOCATION},
        200: {
            "model": RunCreated,
            "description": "an earlier request with the same idempotency_key (and the same body) "
            "created the run: its id, with created=false",
            "headers": LOCATION,
        },
    },
)
def create_run(
    body: SubmitRequest,
    ctl: Ctl,
    caller: Submitter,
    response: Response,
    traceparent: Annotated[
        str | None,
        Header(description="W3C trace context of the caller's span: the run's trace links to it"),
    ] = None,
) -> RunCreated:
    """Submit a run (idempotent with ``idempotency_key``); the actor is the token's identity.

    201 with ``Location`` when this request created the run; 200 (same body, ``created: false``)
    when an earlier request with the same key did. A W3C ``traceparent`` header: the run's trace
    links to the caller's span."""
    submitted = ctl.submit_request(
        body.model_copy(update={"actor": caller.identity}), actor=caller.identity, traceparent=traceparent
    )
    url = f"/v1/runs/{submitted.run_id}"
    response.headers["Location"] = url
    if not submitted.created:
        response.status_code = 200
    return RunCreated(run_id=submitted.run_id, created=submitted.created, status_url=url)


@router.get("/runs", response_model=RunList, tags=["runs"])
def list_runs(
    ctl: Ctl,
    caller: Caller,
    status: Annotated[RunStatus | None, Query(description="the status the run's own view shows")] = None,
    repository: Annotated[str | None, Query(max_length=400, description="owner/name")] = None,
    since: Annotated[
        str | None,
        Query(
            max_length=64,
            description="creation time lower bound (RFC 3339)",
            json_schema_extra={"format": "date-time"},
        ),
        AfterValidator(rfc3339),
    ] = None,
    idempotency_key: Annotated[
        str | None,
        Query(pattern=IDEMPOTENCY_KEY, description="the run a submission with this key created"),
    ] = None,
    cursor: Annotated[int, Query(ge=0, le=10**9)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> RunList:
    """Runs newest first, filtered by status, repository (owner/name), creation time, or the
    idempotency key of the submission that created one (then at most one row)."""
    rows, next_cursor = ctl.list_runs(
        status=status.value if status is not None else None,
        repository=repository,
        since=since,
        cursor=cursor,
        limit=limit,
        idempotency_key=idempotency_key,
    )
    return RunList(items=[RunRow.of(r) for r in rows], next_cursor=next_cursor)


@router.get("/runs/{run_id}", response_model=RunView, tags=["runs"])
def get_run(run_id: str, ctl: Ctl, caller: Caller) -> RunView:
    """A run's gates, statuses and ``active_gates`` (running or awaiting approval, since when)."""
    return ctl.get_run(run_id)


@router.delete("/runs/{run_id}", response_model=CancelOut, tags=["runs"])
def cancel_run(run_id: str, ctl: Ctl, caller: Submitter) -> CancelOut:
    """Cancel: gates not finished are skipped (reason ``cancelled``); nothing starts afterwards."""
    return CancelOut(run_id=run_id, cancelled=ctl.cancel(run_id, caller.identity))


@router.post("/runs/{run_id}/gates/{gate_id}/decision", response_model=DecisionOut, tags=["approvals"])
def decide(run_id: str, gate_id: str, body: DecisionBody, ctl: Ctl, caller: Caller) -> DecisionOut:
    """Approve or reject as the token's identity and roles (a gate not parked yet: pre-decide)."""
    result = ctl.decide(
        run_id,
        gate_id,
        actor=caller.identity,
        approve=body.decision == "approve",
        rationale=body.rationale,
        channel="http",
        commit_sha=body.commit_sha,
        authorizer=caller.authorizer(),
    )
    return DecisionOut.of(result)


@router.post("/runs/{run_id}/gates/{gate_id}/rerun", response_model=RerunOut, tags=["runs"])
def rerun(run_id: str, gate_id: str, body: RerunBody, ctl: Ctl, caller: Submitter) -> RerunOut:
    """Re-execute a settled gate and every gate depending on it (needs ``force: true``)."""
    return RerunOut(
        run_id=run_id, reopened=ctl.rerun(run_id, gate_id, force=body.force, actor=caller.identity)
    )


@router.post("/approvals/batch", response_model=BatchDecisionOut, tags=["approvals"])
def decide_batch(body: BatchDecisionBody, ctl: Ctl, caller: Caller) -> BatchDecisionOut:
    """Decide every parked (and optionally upcoming) gate of the runs that the token's roles cover."""
    results = ctl.decide_all(
        body.runs,
        actor=caller.identity,
        approve=body.decision == "approve",
        rationale=body.rationale,
        channel="http",
        include_upcoming=body.include_upcoming,
        authorizer=caller.authorizer(),
    )
    return BatchDecisionOut(results=[DecisionOut.of(r) for r in results])


@router.get("/approvals", response_model=list[PendingOut], tags=["approvals"])
def pending(
    ctl: Ctl,
    caller: Caller,
    role: Annotated[Role | None, Query(description="only gates this role may decide")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="most gates in the answer")] = 100,
    offset: Annotated[int, Query(ge=0, description="gates of the list to skip (paging)")] = 0,
) -> list[PendingOut]:
    """Parked gates across runs, oldest first, with age and deadline: a page of ``limit`` after
    ``offset`` (a page shorter than ``limit`` is the last)."""
    rows = ctl.pending_approvals(role.value if role is not None else None, limit, offset)
    return [PendingOut.of(p) for p in rows]


@router.get("/runs/{run_id}/audit", response_model=AuditOut, tags=["runs"])
def audit(run_id: str, ctl: Ctl, caller: Caller) -> AuditOut:
    """The run's append-only audit trail."""
    events = [e.model_dump(mode="json", exclude_none=True) for e in ctl.audit(run_id)]
    return AuditOut(run_id=run_id, events=events)


@router.get(
    "/runs/{run_id}/outputs/files/{gate_id}/{path:path}",
    response_class=Response,
    tags=["runs"],
    responses={
        200: {
            "description": "the file's bytes, verified against its recorded sha256",
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            "headers": {
                "Repr-Digest": {
                    "description": "sha-256 of the file (RFC 9530)",
                    "schema": {"type": "string"},
                },
                "ETag": {"description": "the file's sha256", "schema": {"type": "string"}},
            },
        }
    },
)
def produced_file(
    run_id: str,
    gate_id: str,
    path: Annotated[str, Path(description="the file's name relative to the workspace", **FILE_PATH)],
    ctl: Ctl,
    caller: Caller,
) -> Response:
    """A file a check of the gate produced (``files`` in the run's view; what ``prp outputs --to
    DIR`` writes as ``files/GATE/NAME``). Absolute names and ``..`` segments are refused (400)."""
    meta, data = ctl.produced_file(run_id, gate_id, path)
    digest = base64.b64encode(bytes.fromhex(meta.sha256)).decode()
    filename = meta.name.rsplit("/", 1)[-1]
    headers = {
        "Repr-Digest": f"sha-256=:{digest}:",
        "ETag": f'"{meta.sha256}"',
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(data, media_type="application/octet-stream", headers=headers)


@router.get(
    "/runs/{run_id}/outputs/{name:path}",
    response_class=PlainTextResponse,
    tags=["runs"],
    responses={
        200: {
            "content": {
                "text/markdown": {"schema": {"type": "string"}},
                "application/json": {"schema": {"description": "any JSON document"}},
                "text/plain": {"schema": {"type": "string"}},
            }
        }
    },
)
def output(
    run_id: str,
    name: Annotated[str, Path(description="a plain file name", **OUTPUT_NAME_SCHEMA)],
    ctl: Ctl,
    caller: Caller,
) -> PlainTextResponse:
    """``prp.md``, ``review.json``, ``run-manifest.json`` or a gate artifact (plain names only)."""
    content = ctl.output(run_id, name)
    media = (
        "application/json"
        if name.endswith(".json")
        else "text/markdown"
        if name.endswith(".md")
        else "text/plain"
    )
    return PlainTextResponse(content, media_type=f"{media}; charset=utf-8")
