"""Ctrl-C while ``prp run`` follows a run.

The first Ctrl-C raises :class:`KeyboardInterrupt` where the main thread is (``prp run`` then
cancels the run durably, waits for its outputs and exits 3). From then on, or once ``calm`` was
called, a Ctrl-C only sets :attr:`Interrupts.abandoned`: ``prp run`` stops waiting, but the clean-up
that follows (stopping the embedded workers and server) is never cut short by a traceback.

The embedded server, the checks and their watchdog run in sessions of their own, so the terminal's
SIGINT reaches this process only.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from types import FrameType, TracebackType

from prp_tasks.cli.common import err

#: SIGINTs closer together than this are one interrupt: ``timeout -s INT`` signals prp and then
#: its process group, two at once (rich-click's run then read "interrupted again: not waiting"
#: before "interrupted: cancelling", and no outputs were written); a person's second Ctrl-C
#: comes later
SAME_INTERRUPT_S = 0.1


class Interrupts:
    """SIGINT handling for the block (the previous handler comes back at its end)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.count = 0
        self.abandoned = threading.Event()
        self._calm = False
        self._previous: object = None
        self._clock = clock
        self._last = float("-inf")

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)  # type: ignore[arg-type]

    def calm(self) -> None:
        """From now on a Ctrl-C only means "stop waiting" (the run is being cancelled already)."""
        self._calm = True

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        now = self._clock()
        if now - self._last < SAME_INTERRUPT_S:  # one interrupt delivered twice, not a second Ctrl-C
            return
        self._last = now
        self.count += 1
        if not self._calm:
            self._calm = True
            raise KeyboardInterrupt
        if self.abandoned.is_set():
            return
        self.abandoned.set()
        if self.count == 1:  # calm since the run ended: its outputs are being written
            err.print("interrupted: the run has ended; writing its outputs, then stopping", highlight=False)
        else:
            err.print("interrupted again: not waiting for the run any more; stopping", highlight=False)
