"""The ``prp`` command line (typer + rich). Parses and formats only; the work is in :mod:`..control`."""

from __future__ import annotations

from prp_tasks import __version__
from prp_tasks.cli import approvals, observe, profile, runs, serve, workers  # noqa: F401 - register the commands
from prp_tasks.cli.common import app, out


@app.command()
def version() -> None:
    """Print the version."""
    out.print(__version__)


def main() -> None:
    app()


__all__ = ["app", "main"]
