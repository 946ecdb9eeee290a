"""What the benchmarks show while they run: one console on stderr (stdout carries the JSON line)
and progress bars."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

console = Console(stderr=True, soft_wrap=True)


def progress(*extra: ProgressColumn) -> Progress:
    """A transient bar: description, bar, done/total, elapsed, then ``extra`` columns."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        *extra,
        console=console,
        transient=True,
    )
