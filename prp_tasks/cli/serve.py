"""``prp api`` (HTTP API + MCP over HTTP) and ``prp mcp`` (MCP over stdio)."""

from __future__ import annotations

import getpass
import json
import sys
from typing import Annotated

import typer

from prp_tasks.cli.common import app, errors, out, settings
from prp_tasks.errors import ConfigError

api_app = typer.Typer(help="The HTTP API (FastAPI) with MCP mounted at /mcp.", invoke_without_command=True)
app.add_typer(api_app, name="api")


@api_app.callback()
def api(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="bind address (default PRP_API__HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default PRP_API__PORT)")] = None,
) -> None:
    """Serve the HTTP API with uvicorn (needs PRP_REDIS_URL)."""
    if ctx.invoked_subcommand is not None:
        return
    with errors():
        current = settings()
        if current.redis_url is None:
            raise ConfigError("PRP_REDIS_URL must be set to serve the API")
        import uvicorn

        from prp_tasks.http.app import create_app
        from prp_tasks.logs import setup_logging

        setup_logging(current)
        application = create_app(current)
    uvicorn.run(application, host=host or current.api.host, port=port or current.api.port, log_config=None)


@api_app.command("hash-token")
def hash_token(
    token: Annotated[str, typer.Argument(help="the secret token (read from stdin if '-')")],
) -> None:
    """Print the sha256 to put in PRP_API__TOKENS for TOKEN (the token itself is never stored)."""
    from prp_tasks.identity import hash_token as digest

    value = sys.stdin.readline().strip() if token == "-" else token
    out.print(digest(value))


@api_app.command("openapi")
def openapi() -> None:
    """Print the OpenAPI document (docs/openapi.json is this output)."""
    from prp_tasks.http.app import create_app
    from prp_tasks.settings import load_settings

    with errors():
        application = create_app(load_settings(redis_url="redis://localhost:6379/0"), mount_mcp=False)
    sys.stdout.write(json.dumps(application.openapi(), indent=2, sort_keys=True) + "\n")


@app.command()
def mcp(
    actor: Annotated[
        str, typer.Option("--as", help="who decides (default PRP_MCP_ACTOR or the OS user)")
    ] = "",
) -> None:
    """Serve the MCP tools over stdio (for an agent host that spawns this process)."""
    with errors():
        current = settings()
        from prp_tasks.control import connect_control
        from prp_tasks.identity import Principal
        from prp_tasks.mcp_server import build_mcp

        control = connect_control(current)
        local = Principal(actor or current.mcp_actor or getpass.getuser(), submit=True, channel="mcp")
        server = build_mcp(control, local)
    server.run()
