"""What makes the OpenAPI document the contract: the real media types of errors in the document,
methods answered by resource (``OPTIONS``, ``HEAD``, ``405`` with a complete ``Allow``), unknown
query parameters refused, and the parameter formats the handlers check (RFC 3339 times, names).

FastAPI documents error models as ``application/json`` and answers a method a path lacks from the
first route that matches it (so ``Allow`` names only that route's methods); both are fixed here,
once, for every route.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from starlette.routing import Match, Mount, Route, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from prp_tasks.core.evaluate import parse_ts
from prp_tasks.http.security import ApiError, problem

PROBLEM = "application/problem+json"
#: the methods every resource answers besides the ones its routes declare
IMPLICIT = ("HEAD", "OPTIONS")


def contract_openapi(app: FastAPI) -> dict[str, Any]:
    """The document FastAPI generates, with every 4xx/5xx declared as ``application/problem+json``
    (what :func:`prp_tasks.http.security.problem` sends) and FastAPI's own 422 model replaced."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    doc = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    for path in doc.get("paths", {}).values():
        for operation in path.values():
            for response in operation.get("responses", {}).values():
                if _is_error_model(response):
                    response["content"] = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    schemas = doc.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    app.openapi_schema = doc
    return doc


def _is_error_model(response: dict[str, Any]) -> bool:
    """A response documented with the Problem model or FastAPI's validation error model (under
    whatever media type FastAPI gave it: the route's own for a plain-text route)."""
    refs = [str(c.get("schema", {}).get("$ref", "")) for c in response.get("content", {}).values()]
    return any(ref.rsplit("/", 1)[-1] in ("Problem", "HTTPValidationError") for ref in refs)


def allowed_methods(routers: Sequence[Router], scope: Scope) -> list[str] | None:
    """The methods the resource at ``scope``'s path answers (None: no route of ours has it, or a
    mounted app owns it). ``routers``: the app's own and every router it includes."""
    methods: set[str] = set()
    probe = {**scope, "method": "GET"}
    for route in (r for router in routers for r in router.routes):
        if isinstance(route, Mount):
            if route.matches(probe)[0] != Match.NONE:
                return None
            continue
        if isinstance(route, Route) and route.matches(probe)[0] != Match.NONE:
            methods |= set(route.methods or ())
    if not methods:
        return None
    if "GET" in methods:
        methods.add("HEAD")
    methods.add("OPTIONS")
    return sorted(methods)


class Methods:
    """Answers ``OPTIONS`` (204 with ``Allow``), ``HEAD`` (the ``GET`` without its body) and a
    method the resource lacks (405, problem+json, ``Allow`` listing every method it has)."""

    def __init__(self, app: ASGIApp, routers: Sequence[Router]) -> None:
        self.app, self.routers = app, routers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        allowed = allowed_methods(self.routers, scope)
        method = scope["method"]
        if allowed is None or (method in allowed and method not in IMPLICIT):
            await self.app(scope, receive, send)
            return
        allow = {"allow": ", ".join(allowed)}
        if method == "OPTIONS":
            await _respond(send, 204, b"", allow)
        elif method == "HEAD":
            try:
                await self.app({**scope, "method": "GET"}, receive, _without_body(send))
            except _HeadersSent:
                pass
        else:
            detail = f"{method} is not allowed here; use {allow['allow']}"
            response = problem(405, "Method Not Allowed", detail)
            response.headers.update(allow)
            await response(scope, receive, send)


class _HeadersSent(Exception):
    """A HEAD answer is complete once its headers are out (stops a streaming GET at once)."""


def _without_body(send: Send) -> Send:
    async def headers_only(message: Message) -> None:
        if message["type"] != "http.response.body":
            await send(message)
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        raise _HeadersSent

    return headers_only


async def _respond(send: Send, status: int, body: bytes, headers: dict[str, str]) -> None:
    raw = [(k.encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def rfc3339(value: str | None) -> str | None:
    """An RFC 3339 date-time (what ``format: date-time`` means), else a validation error."""
    if value is None:
        return None
    if not RFC3339.match(value):
        raise ValueError("must be an RFC 3339 date-time such as 2026-12-04T17:55:00Z")
    try:
        parse_ts(re.sub(r":60(?=[.Zz+-])", ":59", value))  # a leap second is a valid time
    except ValueError:
        raise ValueError("must be an RFC 3339 date-time such as 2026-12-04T17:55:00Z") from None
    return value


#: documented only: the handlers refuse other names with 400, as they always have (a path
#: parameter validated by FastAPI would answer 422 and hide the traversal refusal)
OUTPUT_NAME_SCHEMA: dict[str, Any] = {
    "json_schema_extra": {"pattern": r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$"},
}
FILE_PATH: dict[str, Any] = {
    "json_schema_extra": {
        "pattern": r"^\.*[A-Za-z0-9_@+=,-][A-Za-z0-9_.@+=,-]*(/\.*[A-Za-z0-9_@+=,-][A-Za-z0-9_.@+=,-]*)*$",
        "maxLength": 255,
    },
}


def known_query(request: Request) -> None:
    """Refuse query parameters the operation does not declare (422 naming the accepted ones): a
    misspelt filter must not silently list everything."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    accepted = sorted({p.alias for p in _query_params(dependant)})
    unknown = sorted(set(request.query_params) - set(accepted))
    if unknown:
        raise ApiError(
            422,
            "Unprocessable Content",
            f"unknown query parameter {', '.join(unknown)}; accepted: {', '.join(accepted) or 'none'}",
        )


def known_query_after(auth: Callable[..., Any]) -> Any:
    """:func:`known_query` as a router dependency that runs after ``auth``: a request without a
    valid token gets its 401 first (and learns no parameter names)."""

    authenticated = Depends(auth)

    def checked(request: Request, _: Any = authenticated) -> None:
        known_query(request)

    return Depends(checked)


def _query_params(dependant: Any) -> list[Any]:
    found = list(dependant.query_params)
    for sub in dependant.dependencies:
        found += _query_params(sub)
    return found
