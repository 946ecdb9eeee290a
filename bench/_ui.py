"""What the benchmarks show while they run, and the command line they share.

One console on stderr (stdout carries the JSON line, always the last line of output) and progress
bars. On a terminal (stdout is a tty) these are rich's live bars and colours; otherwise (a pipe,
a file, the test suite) plain lines without escape codes: a line when a bar starts, at most one
every ``PLAIN_EVERY_S`` while it runs and one when it ends.

``parse_args`` adds ``--smoke`` to a benchmark's parser: the benchmark's smoke size, which runs the
same phases with tiny counts in seconds (``tests/acceptance/test_bench_smoke.py`` runs every
benchmark so); options given explicitly still win.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

#: rich's live display and colours only when stdout is a terminal
TERMINAL = sys.stdout.isatty()
PLAIN_EVERY_S = 10.0

console = (
    Console(stderr=True, soft_wrap=True)
    if TERMINAL
    else Console(stderr=True, soft_wrap=True, force_terminal=False, no_color=True, highlight=False)
)


class PlainProgress:
    """The part of rich's ``Progress`` the benchmarks use, as plain lines on the console."""

    def __init__(self, every_s: float = PLAIN_EVERY_S) -> None:
        self.every_s = every_s
        self.tasks: list[dict[str, Any]] = []

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for task in self.tasks:
            if not task["ended"]:
                self._line(task, "ended" if kind is None else f"stopped by {kind.__name__}")

    def add_task(self, description: str, total: float | None = 100.0, **fields: Any) -> TaskID:
        now = time.monotonic()
        task = {"description": description, "total": total, "completed": 0.0, "fields": fields}
        self.tasks.append(task | {"started": now, "said": now, "ended": False})
        console.print(f"{description}: started" + (f" (of {total:g})" if total else ""))
        return TaskID(len(self.tasks) - 1)

    def update(
        self,
        task_id: TaskID,
        *,
        completed: float | None = None,
        description: str | None = None,
        **fields: Any,
    ) -> None:
        task = self.tasks[task_id]
        if completed is not None:
            task["completed"] = completed
        if description is not None:
            task["description"] = description
        task["fields"].update(fields)
        self._maybe_say(task)

    def advance(self, task_id: TaskID, advance: float = 1) -> None:
        self.update(task_id, completed=self.tasks[task_id]["completed"] + advance)

    def _maybe_say(self, task: dict[str, Any]) -> None:
        if task["ended"]:
            return
        total = task["total"]
        if total is not None and task["completed"] >= total:
            self._line(task, "done")
        elif time.monotonic() - task["said"] >= self.every_s:
            self._line(task, "running")

    def _line(self, task: dict[str, Any], state: str) -> None:
        now = time.monotonic()
        task["said"], task["ended"] = now, state != "running"
        total = f"/{task['total']:g}" if task["total"] else ""
        info = " ".join(str(v) for v in task["fields"].values())
        console.print(
            f"{task['description']}: {state} {task['completed']:.6g}{total}"
            f" after {now - task['started']:.1f} s" + (f" ({info})" if info else "")
        )


def bars(*columns: ProgressColumn) -> Progress | PlainProgress:
    """A transient live display of ``columns`` on a terminal, plain lines otherwise."""
    if not TERMINAL:
        return PlainProgress()
    return Progress(*columns, console=console, transient=True)


def progress(*extra: ProgressColumn) -> Progress | PlainProgress:
    """A transient bar: description, bar, done/total, elapsed, then ``extra`` columns."""
    return bars(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), *extra
    )


@contextlib.contextmanager
def status(message: str) -> Iterator[None]:
    """A spinner with ``message`` on a terminal; otherwise the message and the time it took."""
    if TERMINAL:
        with console.status(message):
            yield
        return
    began = time.monotonic()
    console.print(f"{message} ...")
    yield
    console.print(f"{message}: done after {time.monotonic() - began:.1f} s")


def parse_args(
    parser: argparse.ArgumentParser, smoke: dict[str, Any], argv: Sequence[str] | None = None
) -> argparse.Namespace:
    """Parse with ``--smoke`` added: it makes ``smoke`` (option dest -> value) the defaults."""
    sizes = ", ".join(f"{dest}={value}" for dest, value in smoke.items())
    parser.add_argument(
        "--smoke", action="store_true", help=f"smoke size, seconds instead of minutes ({sizes})"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        parser.set_defaults(**smoke)
        args = parser.parse_args(argv)
    return args
