"""The browser pages: the approvers' inbox (``/``), the run page (``/runs/{id}``), their static
files (``/static/…``) and the ``/v1`` graph the run page draws.

The pages hold no data and need no authentication to load; their scripts take the API token from
the sign-in form (or a ``#token=…`` fragment, never sent to a server), keep it in
``sessionStorage`` and send it only in the ``Authorization`` header. Everything is served from
this app: the policy is ``default-src 'self'`` with no ``'unsafe-inline'`` and no other origin.
"""

from __future__ import annotations

import html
import re
from functools import cache
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from prp_tasks.core.evaluate import utc_now
from prp_tasks.errors import RunNotFound
from prp_tasks.http.routes import ERRORS, Caller, Ctl
from prp_tasks.service.graph import RunGraph, graph_of

RUN_ID = re.compile(r"[A-Za-z0-9_.-]{1,100}")

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
#: the static files (nothing else under /static is served)
STATIC = {
    "app.css": "text/css; charset=utf-8",
    "common.js": "text/javascript; charset=utf-8",
    "inbox.js": "text/javascript; charset=utf-8",
    "run.js": "text/javascript; charset=utf-8",
}

pages_router = APIRouter()


@cache
def _asset(name: str) -> str:
    return resources.files("prp_tasks.http").joinpath("static", name).read_text(encoding="utf-8")


@pages_router.get("/v1/runs/{run_id}/graph", response_model=RunGraph, tags=["runs"], responses=ERRORS)
def get_run_graph(run_id: str, ctl: Ctl, caller: Caller) -> RunGraph:
    """The run's gate DAG: gates with their level, state, checks and approval, dependency edges
    with theirs, a layered layout to draw them, and the outputs and files produced so far."""
    return graph_of(ctl, run_id, now=utc_now())


@pages_router.get("/", response_class=HTMLResponse, include_in_schema=False)
def inbox_page() -> HTMLResponse:
    """The approvers' inbox (its data comes from the authenticated ``/v1/inbox``)."""
    return HTMLResponse(_asset("inbox.html"), headers=PAGE_HEADERS)


@pages_router.get("/runs/{run_id}", response_class=HTMLResponse, include_in_schema=False)
def run_page(run_id: str) -> HTMLResponse:
    """The live run page (the data comes from the authenticated graph route)."""
    return HTMLResponse(render_page(run_id), headers=PAGE_HEADERS)


@pages_router.get("/static/{name}", include_in_schema=False)
def static_file(name: str) -> Response:
    """The pages' scripts and stylesheet (a fixed list)."""
    if name not in STATIC:
        raise RunNotFound(f"no such file: {name[:100]}")
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
    return Response(_asset(name), media_type=STATIC[name], headers=headers)


def render_page(run_id: str) -> str:
    """The page for ``run_id``; an id that cannot be a run's is :class:`RunNotFound`."""
    if not RUN_ID.fullmatch(run_id) or not run_id.strip("."):
        raise RunNotFound(f"no such run: {run_id[:100]}")
    # the id is checked above; escaping anyway keeps the page safe if the check ever widens
    return _asset("run.html").replace("__RUN_ID_HTML__", html.escape(run_id, quote=True))
