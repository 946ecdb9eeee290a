"""Bearer authentication, per-token rate limits, body-size limits and problem+json errors."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from prp_tasks.errors import (
    ConflictError,
    GateNotFound,
    InputError,
    NotAuthorized,
    PrpError,
    RunNotFound,
    StoreError,
)
from prp_tasks.service.identity import Principal, TokenBook, current_principal

PROBLEM = "application/problem+json"


class ApiError(Exception):
    """An HTTP-level refusal with a status code (rendered as problem+json)."""

    def __init__(self, status: int, title: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.headers = status, title, detail, headers or {}


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


_STATUS: list[tuple[type[PrpError], int, str]] = [
    (RunNotFound, 404, "Not Found"),
    (GateNotFound, 404, "Not Found"),
    (InputError, 400, "Bad Request"),
    (ConflictError, 409, "Conflict"),
    (NotAuthorized, 403, "Forbidden"),
    (StoreError, 503, "Service Unavailable"),
]


def install_error_handlers(app: FastAPI) -> None:
    """Every error becomes problem+json; project errors map to 4xx (503 if Redis is down)."""

    @app.exception_handler(PrpError)
    async def prp_error(_: Request, exc: PrpError) -> JSONResponse:
        for kind, status, title in _STATUS:
            if isinstance(exc, kind):
                return problem(status, title, exc.message)
        return problem(500, "Internal Server Error", exc.message)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        response = problem(exc.status, exc.title, exc.detail)
        response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "loc": [str(p) for p in e.get("loc", ())],
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in exc.errors()
        ]
        detail = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors)
        return problem(422, "Unprocessable Content", detail, errors=errors)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        response = problem(exc.status_code, str(exc.detail), str(exc.detail))
        response.headers.update(exc.headers or {})
        return response


class Authenticator:
    """Resolves ``Authorization: Bearer`` to a Principal and enforces the per-token rate limit."""

    def __init__(self, tokens: TokenBook, limiter: RateLimiter | None) -> None:
        self.tokens = tokens
        self.limiter = limiter

    def authenticate(self, authorization: str | None, channel: str = "http") -> Principal:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise ApiError(401, "Unauthorized", "a bearer token is required", {"WWW-Authenticate": "Bearer"})
        principal = self.tokens.principal(authorization[7:].strip(), channel)
        if principal is None:
            raise ApiError(401, "Unauthorized", "unknown or revoked token", {"WWW-Authenticate": "Bearer"})
        if self.limiter is not None:
            self.limiter.check(principal.identity)
        return principal


class RateLimiter:
    """Fixed one-minute windows per identity, counted in Redis (shared by every API process)."""

    def __init__(self, hit: Callable[[str, int], int], per_minute: int) -> None:
        #: counts a request of an identity in a window (minutes since the epoch), returns the count
        self.hit, self.per_minute = hit, per_minute

    def check(self, identity: str) -> None:
        count = self.hit(identity, int(time.time() // 60))
        if count > self.per_minute:
            retry = 60 - int(time.time() % 60)
            raise ApiError(
                429,
                "Too Many Requests",
                f"more than {self.per_minute} requests per minute",
                {"Retry-After": str(retry)},
            )


class BodyLimit:
    """Refuse request bodies larger than ``limit`` bytes (413), declared or streamed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _too_large(self.limit, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await _too_large(self.limit, send)


class _TooLarge(Exception):
    pass


async def _too_large(limit: int, send: Send) -> None:
    response = problem(413, "Content Too Large", f"request body larger than {limit} bytes")
    await response({"type": "http"}, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


def mcp_auth(app: ASGIApp, authenticator: Authenticator) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """Bearer auth in front of the mounted MCP app; the principal reaches tools via a contextvar."""

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers") or []}
        try:
            principal = authenticator.authenticate(headers.get("authorization"), channel="mcp")
        except ApiError as exc:
            response = problem(exc.status, exc.title, exc.detail)
            response.headers.update(exc.headers)
            await response(scope, receive, send)
            return
        token = current_principal.set(principal)
        try:
            await app(scope, receive, send)
        finally:
            current_principal.reset(token)

    return guarded
