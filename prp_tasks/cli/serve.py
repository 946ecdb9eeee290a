"""``prp api`` (HTTP API + MCP over HTTP) and ``prp mcp`` (MCP over stdio)."""

from __future__ import annotations

import contextlib
import getpass
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from prp_tasks.cli.common import app, errors, out, settings
from prp_tasks.settings import Settings

if TYPE_CHECKING:
    from prp_tasks.celeryapp.runtime import Runtime

api_app = typer.Typer(help="The HTTP API (FastAPI) with MCP mounted at /mcp.", invoke_without_command=True)
app.add_typer(api_app, name="api")


StateDirOption = Annotated[
    Path | None,
    typer.Option(
        "--state-dir",
        metavar="DIR",
        help="embedded mode (no PRP_REDIS_URL): where the private server keeps its state "
        "[default: PRP_STATE_DIR, else prp-tasks/state in the user's cache directory]",
    ),
]


@api_app.callback()
def api(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option(metavar="ADDRESS", help="bind address (default PRP_API__HOST)")
    ] = None,
    port: Annotated[int | None, typer.Option(metavar="PORT", help="port (default PRP_API__PORT)")] = None,
    state_dir: StateDirOption = None,
) -> None:
    """Serve the HTTP API with uvicorn: on PRP_REDIS_URL, or without it in embedded mode (a
    private server and in-process workers that live as long as this command)."""
    if ctx.invoked_subcommand is not None:
        return
    with errors():
        current = settings()
        from prp_tasks.telemetry.logs import setup_logging

        setup_logging(current)
        with _services(current, state_dir, "prp api") as runtime:
            _serve_api(runtime, host or runtime.settings.api.host, port or runtime.settings.api.port)


def _serve_api(runtime: Runtime, host: str, port: int) -> None:
    import uvicorn

    from prp_tasks.http.app import create_app

    # open event streams (the pages) end within 5 s of a shutdown instead of holding it up
    uvicorn.run(create_app(runtime), host=host, port=port, log_config=None, timeout_graceful_shutdown=5)


@contextlib.contextmanager
def _services(current: Settings, state_dir: Path | None, label: str) -> Iterator[Runtime]:
    """PRP_REDIS_URL's runtime (its server checked against the floor), or embedded mode's."""
    from prp_tasks.celeryapp.embedded import standalone
    from prp_tasks.celeryapp.runtime import Runtime

    if current.redis_url is not None:
        runtime = Runtime(current)
        runtime.check_server()
        yield runtime
        return
    with standalone(current, state_dir, label) as runtime:
        yield runtime


@api_app.command("hash-token")
def hash_token(
    token: Annotated[str, typer.Argument(help="the secret token (read from stdin if '-')")],
) -> None:
    """Print the sha256 to put in PRP_API__TOKENS for TOKEN (the token itself is never stored)."""
    from prp_tasks.service.identity import hash_token as digest

    value = sys.stdin.readline().strip() if token == "-" else token
    out.print(digest(value))


@api_app.command("openapi")
def openapi() -> None:
    """Print the OpenAPI document (docs/openapi.json is this output)."""
    from prp_tasks.celeryapp.runtime import Runtime
    from prp_tasks.http.app import create_app
    from prp_tasks.settings import load_settings

    with errors():  # nothing connects: the document is built from the routes alone
        runtime = Runtime(load_settings(redis_url="redis://localhost:6379/0"))
        application = create_app(runtime, mount_mcp=False)
    sys.stdout.write(json.dumps(application.openapi(), indent=2, sort_keys=True) + "\n")


@app.command()
def mcp(
    actor: Annotated[
        str, typer.Option("--as", metavar="NAME", help="who decides (default PRP_MCP_ACTOR or the OS user)")
    ] = "",
    state_dir: StateDirOption = None,
) -> None:
    """Serve the MCP tools over stdio (for an agent host that spawns this process): on
    PRP_REDIS_URL, or without it in embedded mode (a private server and in-process workers that
    live as long as this command; its state persists in --state-dir)."""
    with errors():
        current = settings()
        from prp_tasks.mcp.server import build_mcp
        from prp_tasks.service.identity import Principal

        with _services(current, state_dir, "prp mcp") as runtime:
            name = actor or runtime.settings.mcp_actor or getpass.getuser()
            build_mcp(runtime.control, Principal(name, submit=True, channel="mcp")).run()
