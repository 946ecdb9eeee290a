"""The HTTP API (FastAPI): ``/v1`` routes, ``/healthz``, MCP at ``/mcp``, the browser pages (the
approvers' inbox at ``/``, run pages, live events), served by ``prp api``.

The API process only reads and writes Redis and enqueues; gate work runs in workers, so requests
are never queued behind checks.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from mcp.server.transport_security import TransportSecuritySettings

from prp_tasks import __version__
from prp_tasks.http.contract import Methods, contract_openapi
from prp_tasks.http.models import Health
from prp_tasks.http.pages import pages_router
from prp_tasks.http.routes import router
from prp_tasks.http.security import Authenticator, BodyLimit, RateLimiter, install_error_handlers, mcp_auth
from prp_tasks.http.web import web_router
from prp_tasks.service.control import Control
from prp_tasks.service.identity import Principal, TokenBook
from prp_tasks.settings import Settings
from prp_tasks.telemetry.server import registry_for, render

if TYPE_CHECKING:
    from prp_tasks.celeryapp.runtime import Runtime

DESCRIPTION = """Submit and steer PRP quality-gate runs.

Authenticate with `Authorization: Bearer <token>`; tokens are configured as sha256 hashes with an
identity, approval roles and the right to submit (`PRP_API__TOKENS` / `PRP_API__TOKENS_FILE`).
Errors are `application/problem+json`.
"""


def create_app(runtime: Runtime, *, mount_mcp: bool = True) -> FastAPI:
    """The API over ``runtime``'s service layer (its Redis is not touched until a request comes)."""
    settings, control = runtime.settings, runtime.control
    authenticator = _authenticator(settings, control)
    mcp = _mcp(control) if mount_mcp else None
    reader = runtime.metrics_reader()

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        reader.start()
        try:
            if mcp is None:
                yield
            else:
                async with mcp.session_manager.run():
                    yield
        finally:
            reader.stop()

    app = FastAPI(title="prp-tasks", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.control = control
    app.state.authenticator = authenticator
    app.state.metrics = registry_for(reader)
    install_error_handlers(app)
    _add_routes(app)
    if mcp is not None:
        _mount_mcp(app, mcp, authenticator)
    app.openapi = lambda: contract_openapi(app)  # type: ignore[method-assign]
    _add_middleware(app, settings)
    return app


def _add_routes(app: FastAPI) -> None:
    """The API's routers, its pages and the health and metrics endpoints."""
    app.include_router(router)
    app.include_router(pages_router)
    app.include_router(web_router)
    app.add_api_route(
        "/healthz",
        _health,
        methods=["GET"],
        response_model=Health,
        tags=["health"],
        responses={503: {"model": Health, "description": "Redis does not answer"}},
    )
    app.add_api_route(
        "/metrics",
        _metrics,
        methods=["GET"],
        response_class=Response,
        tags=["health"],
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    )
    # HEAD answered like GET (without the body); not a separate operation of the OpenAPI document
    app.add_api_route(
        "/metrics", _metrics, methods=["HEAD"], response_class=Response, include_in_schema=False
    )


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(Methods, routers=[app.router, router, pages_router, web_router])
    if settings.api.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.api.cors_origins),
            allow_methods=["*"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(BodyLimit, limit=settings.api.max_body_bytes)


def _authenticator(settings: Settings, control: Control) -> Authenticator:
    limiter = None
    if settings.api.rate_limit_per_min:
        limiter = RateLimiter(control.count_request, settings.api.rate_limit_per_min)
    return Authenticator(TokenBook.from_settings(settings), limiter)


def _mount_mcp(app: FastAPI, mcp: Any, authenticator: Authenticator) -> None:
    """MCP over streamable HTTP at /mcp/. Every request carries a bearer token, so the SDK's
    DNS-rebinding guard (meant for unauthenticated local servers) is off."""
    http_app = mcp.streamable_http_app(
        streamable_http_path="/",
        json_response=True,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    app.mount("/mcp", mcp_auth(http_app, authenticator))


def _mcp(control: Control) -> Any:
    from prp_tasks.mcp.server import build_mcp

    # over HTTP every call carries a token, so there is no local caller with rights
    return build_mcp(control, Principal("anonymous", channel="mcp"))


async def _metrics(request: Request) -> Response:
    """Prometheus metrics: the last background aggregate, so a scrape costs the same whatever the history."""
    body, content_type = render(request.app.state.metrics)
    return Response(body, media_type=content_type)


async def _health(request: Request) -> JSONResponse:
    """Liveness and readiness: 200 when Redis answers, 503 otherwise (no authentication)."""
    try:
        ok = request.app.state.control.ping()
        detail = None
    except Exception as exc:
        ok, detail = False, type(exc).__name__
    body = Health(status="ok" if ok else "unavailable", redis=ok, detail=detail)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)
