"""The ``prp`` command line (typer + rich). Parses and formats only; the work is in the service
layer (:class:`prp_tasks.service.control.Control`, from the composition root
:mod:`prp_tasks.celeryapp.runtime`).

Every error a user sees is one line ``error: MESSAGE`` on stderr: ours (:func:`.common.fail`) and
click's usage errors alike (:func:`run`), the latter with the usage and ``prp COMMAND --help``.

May import: the composition root and the worker/embedded-server launchers of
:mod:`prp_tasks.celeryapp`, service, intake (reading a user's files), http and mcp (to serve
them), telemetry (logging, metrics), core, errors, settings, routing. Never state, engine,
approvals or housekeeping directly.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence
from typing import Annotated

import typer
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError

from prp_tasks import __version__
from prp_tasks.cli import (  # noqa: F401 - register the commands
    approvals,
    doctor,
    init,
    inspection,
    observe,
    profile,
    runs,
    serve,
    workers,
)
from prp_tasks.cli.common import app, err, error_line, out

#: exit code of a command line that does not parse (unknown option, missing argument)
EXIT_USAGE = 2


def _print_version(value: bool) -> None:
    if value:
        out.print(__version__, highlight=False)
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", help="Print the version and exit.", callback=_print_version, is_eager=True),
    ] = False,
) -> None:
    """Run PRP quality-gate workflows on Celery + Redis."""


@app.command()
def version() -> None:
    """Print the version."""
    out.print(__version__, highlight=False)


def run(args: Sequence[str] | None = None) -> int:
    """Run ``prp`` with ``args`` (default ``sys.argv[1:]``) and return its exit code."""
    try:
        result = app(args=args, prog_name="prp", standalone_mode=False)
    except NoArgsIsHelpError as exc:  # `prp` alone: the help (rich printed it already)
        if exc.format_message().strip():
            sys.stdout.write(exc.format_message() + "\n")
        return EXIT_USAGE
    except UsageError as exc:
        usage_error(exc)
        return exc.exit_code
    except ClickException as exc:
        err.print(error_line(sentence(exc.format_message())), highlight=False)
        return exc.exit_code
    except typer.Abort:
        err.print(error_line("aborted"), highlight=False)
        return 1
    except Exception as exc:  # a bug of prp's own: one line saying what and where, not a traceback
        err.print(error_line(internal_error(exc)), highlight=False, soft_wrap=True)
        return EXIT_INTERNAL
    return result if isinstance(result, int) else 0


#: a failure of prp itself (sysexits' EX_SOFTWARE)
EXIT_INTERNAL = 70


def internal_error(exc: BaseException) -> str:
    """What a bug of prp's own says: the exception and the place in prp that raised it (ftfy's
    folded CI step had ended ``prp init`` in a traceback: IndexError in ``_split``)."""
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if "/prp_tasks/" in f.filename.replace("\\", "/")] or frames
    where = ""
    if own:
        path = own[-1].filename.replace("\\", "/")
        where = f" at {path[path.rfind('prp_tasks/') :]}:{own[-1].lineno} in {own[-1].name}"
    said = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return f"internal error ({said}{where}): a bug of prp-tasks, please report it with this line"


def usage_error(exc: UsageError) -> None:
    """``error: MESSAGE``, then the command's usage and where its help is."""
    err.print(error_line(sentence(exc.format_message())), highlight=False)
    ctx = exc.ctx
    path = ctx.command_path if ctx is not None else "prp"
    if ctx is not None:
        usage = ctx.get_usage().strip().removeprefix("Usage:").strip()
        err.print(f"  usage: {usage}", highlight=False, markup=False)
    err.print(f"  see: {path} --help", highlight=False, markup=False)


def sentence(message: str) -> str:
    """Click's ``Missing argument 'RUN_ID'.`` as ``missing argument 'RUN_ID'`` (``PRP_X`` stays)."""
    message = message.strip().removesuffix(".")
    if len(message) > 1 and message[0].isupper() and message[1].islower():
        return message[0].lower() + message[1:]
    return message


def main() -> None:
    sys.exit(run())


__all__ = ["app", "main", "run"]
