"""What the browser pages call: the inbox, decisions from the page, and the live event stream.

Every route takes the bearer token from the ``Authorization`` header (the pages keep it in
``sessionStorage`` and send it with ``fetch``), never from a cookie or the URL, so a state change
needs that header and there is no CSRF surface. Decisions go through the same service call as the
CLI, ``/v1`` and MCP, as channel ``web``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, ConfigDict, Field

from prp_tasks.errors import ConflictError, GateNotFound, InputError, NotAuthorized, PrpError, RunNotFound
from prp_tasks.http.contract import known_query_after
from prp_tasks.http.live import EventHub
from prp_tasks.http.routes import ERRORS, Ctl, bearer
from prp_tasks.http.sse import Stream, last_event_id
from prp_tasks.service.identity import Principal, current_principal
from prp_tasks.service.inbox import Inbox, inbox


def web_principal(
    request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    """The caller from its bearer token, as channel ``web``."""
    found: Principal = request.app.state.authenticator.authenticate(
        request.headers.get("authorization"), channel="web"
    )
    current_principal.set(found)
    return found


WebCaller = Annotated[Principal, Depends(web_principal)]
web_router = APIRouter(prefix="/v1", responses=ERRORS, dependencies=[known_query_after(web_principal)])


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Target(_Body):
    run_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    gate_id: str = Field(min_length=1, max_length=100)
    #: the commit the approver saw: refused if the run is at another one
    commit_sha: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{7,64}$")


class WebDecisionBody(_Body):
    decision: Literal["approve", "reject"]
    rationale: str = Field(default="", max_length=4000)
    #: one gate, or the rows selected for a batch action
    items: list[Target] = Field(min_length=1, max_length=100)


class WebDecision(_Body):
    run_id: str
    gate_id: str
    #: approved | rejected | counted | duplicate | preapproved | refused
    outcome: str
    gate_status: str
    votes: int
    quorum: int
    #: what the service said (for a refusal: its own message)
    message: str
    #: the HTTP status the same decision gets from ``/v1`` (403 role, 409 settled, ...)
    status: int


class WebDecisions(_Body):
    results: list[WebDecision]


_REFUSALS: list[tuple[type[PrpError], int]] = [
    (NotAuthorized, 403),
    (ConflictError, 409),
    (RunNotFound, 404),
    (GateNotFound, 404),
    (InputError, 400),
]


@web_router.get("/inbox", response_model=Inbox, tags=["approvals"])
def get_inbox(
    ctl: Ctl,
    caller: WebCaller,
    role: Annotated[str | None, Query(pattern=r"^[a-z-]{1,40}$")] = None,
    run: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_.-]{1,100}$")] = None,
    repository: Annotated[str | None, Query(max_length=400)] = None,
) -> Inbox:
    """Gates waiting for a decision the token's roles cover (oldest first), and the approval
    gates of the same runs that have not parked yet (to pre-approve)."""
    return inbox(ctl, caller.identity, caller.roles, role=role, run_id=run, repository=repository)


@web_router.post("/inbox/decisions", response_model=WebDecisions, tags=["approvals"])
def decide_from_page(body: WebDecisionBody, ctl: Ctl, caller: WebCaller) -> WebDecisions:
    """Approve or reject (pre-approve, for a gate not parked yet) each item, as channel ``web``;
    each refusal carries the service's own message."""
    return WebDecisions(results=[_decide_one(ctl, caller, body, item) for item in body.items])


def _decide_one(ctl: Ctl, caller: Principal, body: WebDecisionBody, item: Target) -> WebDecision:
    try:
        result = ctl.decide(
            item.run_id,
            item.gate_id,
            actor=caller.identity,
            approve=body.decision == "approve",
            rationale=body.rationale,
            channel="web",
            commit_sha=item.commit_sha,
            authorizer=caller.authorizer(),
        )
    except tuple(kind for kind, _ in _REFUSALS) as exc:
        status = next(code for kind, code in _REFUSALS if isinstance(exc, kind))
        return WebDecision(
            run_id=item.run_id,
            gate_id=item.gate_id,
            outcome="refused",
            gate_status="unchanged",
            votes=0,
            quorum=0,
            message=exc.message,
            status=status,
        )
    return WebDecision(
        run_id=result.run_id,
        gate_id=result.gate_id,
        outcome=result.outcome,
        gate_status=result.gate_status,
        votes=result.votes,
        quorum=result.quorum,
        message=result.describe(),
        status=200,
    )


@web_router.get("/events/stream", response_class=StreamingResponse, include_in_schema=False)
async def event_stream(request: Request, ctl: Ctl, caller: WebCaller) -> StreamingResponse:
    """Lifecycle events from now on as server-sent events (``text/event-stream``); a comment
    line every second keeps the connection open. A client that reconnects with ``Last-Event-ID``
    (a browser's EventSource does) first gets the events it missed (:mod:`prp_tasks.http.sse`).
    Not in the OpenAPI document (an endless stream is no request/response operation):
    docs/how-to/services-and-agents.md."""
    stream = Stream(ctl, _hub(request, ctl), request, last_event_id(request.headers.get("last-event-id")))
    return StreamingResponse(
        stream.frames(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _hub(request: Request, ctl: Ctl) -> EventHub:
    hub: EventHub | None = getattr(request.app.state, "event_hub", None)
    if hub is None:

        def latest() -> str:
            recent = ctl.recent_events(1)
            return recent[-1][0] if recent else "0-0"

        hub = request.app.state.event_hub = EventHub(ctl.events_after, latest)
    return hub
