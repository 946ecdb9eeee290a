"""Shared pieces of the ``prp`` command line: consoles, error mapping, finding the Redis."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any, cast

import typer
from rich.console import Console
from rich.text import Text

from prp_tasks.cli.conventions import PrpGroup
from prp_tasks.errors import ConfigError, ConflictError, InputError, NotAuthorized, PrpError, RunNotFound
from prp_tasks.service.control import Control
from prp_tasks.service.views import EXIT_INPUT
from prp_tasks.settings import Settings, load_settings

if TYPE_CHECKING:
    from prp_tasks.celeryapp.runtime import Runtime

#: the width of output that is not a terminal (a file, a pipe, CI logs): wide enough that a table is
#: never squeezed; text is not wrapped at all (rich would wrap at 80 columns, not knowing better)
PLAIN_WIDTH = 10_000


def console(*, stderr: bool = False) -> Console:
    """Rich's console on a terminal; on anything else one that never wraps lines (and on stdout,
    one whose reader may go: :class:`ReaderMayGo`)."""
    detected = Console(stderr=stderr)
    if detected.is_terminal:
        return detected
    if stderr:
        return Console(stderr=True, soft_wrap=True, width=PLAIN_WIDTH)
    return Console(file=cast(IO[str], ReaderMayGo()), soft_wrap=True, width=PLAIN_WIDTH)


class ReaderMayGo(io.TextIOBase):
    """``sys.stdout`` (looked up at each write) that, once the reader of its pipe is gone
    (``prp run … | head -3``), takes what is written into nothing: the run goes on to its end and
    its outputs are written, where a BrokenPipeError had ended prp with a traceback and lost the
    run. The descriptor then points at /dev/null, so the interpreter's last flush is quiet too."""

    gone = False

    def write(self, text: str) -> int:
        if not ReaderMayGo.gone:
            try:
                return sys.stdout.write(text)
            except BrokenPipeError:
                self._reader_gone()
        return len(text)

    def flush(self) -> None:
        if not ReaderMayGo.gone:
            try:
                sys.stdout.flush()
            except BrokenPipeError:
                self._reader_gone()

    def isatty(self) -> bool:
        return False

    @staticmethod
    def _reader_gone() -> None:
        ReaderMayGo.gone = True
        with contextlib.suppress(OSError, ValueError):  # (a stdout without a descriptor: nothing to do)
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, sys.stdout.fileno())
            finally:
                os.close(devnull)


app = typer.Typer(
    name="prp",
    help="Run PRP quality-gate workflows on Celery + Redis.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=PrpGroup,
)
out = console()
err = console(stderr=True)

#: exit code of a refused or conflicting request (unknown runs and bad input exit 2)
EXIT_REFUSED = 1


def error_line(message: str) -> Text:
    """``error: MESSAGE``, the one shape of every error the CLI prints (to stderr)."""
    return Text.assemble(("error:", "red"), " ", message)


def fail(message: str, code: int) -> typer.Exit:
    err.print(error_line(message), highlight=False, soft_wrap=True)
    return typer.Exit(code)


@contextlib.contextmanager
def errors() -> Iterator[None]:
    """Map project errors to exit codes: 2 bad input / unknown run, 1 refused or failed."""
    try:
        yield
    except (InputError, RunNotFound) as exc:
        raise fail(exc.message, EXIT_INPUT) from None
    except (ConflictError, NotAuthorized) as exc:
        raise fail(exc.message, EXIT_REFUSED) from None
    except PrpError as exc:
        raise fail(exc.message, 1) from None


def settings() -> Settings:
    return load_settings()


def control_for(run_id: str) -> Control:
    """Control plane holding ``run_id``: PRP_REDIS_URL, else a live embedded ``prp run``."""
    from prp_tasks.celeryapp.embedded import live_embedded_urls
    from prp_tasks.celeryapp.runtime import Runtime, find_run

    current = settings()
    if current.redis_url is not None:
        return Runtime(current).control
    urls = live_embedded_urls()
    if not urls:
        raise InputError("PRP_REDIS_URL is not set and no embedded `prp run` is active")
    return find_run(current, run_id, urls).control


def all_controls() -> list[Control]:
    """PRP_REDIS_URL's control plane, or one per live embedded `prp run`."""
    from prp_tasks.celeryapp.embedded import live_embedded_urls
    from prp_tasks.celeryapp.runtime import Runtime, runtime_for

    current = settings()
    if current.redis_url is not None:
        return [Runtime(current).control]
    return [runtime_for(current, url).control for url in live_embedded_urls()]


def shared_runtime() -> Runtime:
    """PRP_REDIS_URL's runtime (for commands that need the shared Redis)."""
    from prp_tasks.celeryapp.runtime import Runtime

    current = settings()
    if current.redis_url is None:
        raise ConfigError("PRP_REDIS_URL must be set")
    return Runtime(current)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
