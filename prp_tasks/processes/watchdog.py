"""Checks die with the worker process that started them: one watchdog process per worker process.

A SIGKILLed worker (a Celery hard time limit, the OOM killer, ``kill -9``) must not leave its
checks running. Linux's parent-death signal would do it, but it has to be set inside the child:
with a ``preexec_fn`` (CPython then forks the whole worker instead of ``vfork``) or through a
wrapper such as ``setpriv --pdeathsig`` (one more ``exec`` per check, about twice the cost of
starting ``true`` itself). Both cost more than a no-op check, on every check.

Instead each worker process that starts checks gets, with its first check, a watchdog: a small
Python process (``python -I -S``, in its own session so terminal signals meant for the worker do
not reach it) blocked reading a pipe whose only write end the worker holds. However the worker
ends, the kernel closes that end; the read returns EOF and the watchdog SIGKILLs the process group
of every check still listed in a table it shares with the worker (a memory file, one 4-byte slot
per running check), then exits. Per check the worker only stores the check's pid into a slot and
clears it again before reaping it (no system call, no wake-up of the watchdog). Checks run in their
own sessions, so the whole group goes: grandchildren too, which a parent-death signal never
reached.

A forked child of the worker (a prefork pool process) closes the inherited write end and starts
its own watchdog when it starts a check, so each process's checks die with that process. A
watchdog that died is started again at the next check, with the same table.
"""

from __future__ import annotations

import mmap
import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field

#: at most this many checks run at once in one worker process (far above any pool's concurrency)
SLOTS = 4096

_PROGRAM = r"""
import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
fd, size = int(sys.argv[1]), int(sys.argv[2])
while os.read(0, 4096):
    pass
for pgid in set(memoryview(os.pread(fd, size, 0)).cast("i")):
    if pgid > 0:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except OSError:
            pass
"""


@dataclass
class _Watch:
    """One process's table, free slots and watchdog."""

    pid: int
    table_fd: int
    table: memoryview
    free: list[int]
    slot_of: dict[int, int] = field(default_factory=dict)
    write_fd: int = -1
    watchdog: subprocess.Popen[bytes] | None = None


class Watchdog:
    """Keeps the running checks of this process listed for a watchdog that outlives it."""

    def __init__(self, slots: int = SLOTS) -> None:
        self.slots = slots
        self._lock = threading.Lock()
        self._watch: _Watch | None = None
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._forget)

    def ready(self) -> None:
        """Start this process's watchdog if it is not running (before starting a check, so the
        check is never unguarded for longer than it takes to list it)."""
        with self._lock:
            self._ready()

    def watch(self, pid: int) -> None:
        """List a just-started check (its own session: pgid == pid) as running; OSError when this
        process already runs ``slots`` checks or the watchdog cannot be started."""
        with self._lock:
            watch = self._watch
            if watch is None or watch.pid != os.getpid():  # ``ready`` was not called first
                watch = self._ready()
            if not watch.free:
                raise OSError(f"more than {self.slots} checks running in one process")
            slot = watch.free.pop()
            watch.table[slot] = pid
            watch.slot_of[pid] = slot

    def release(self, pid: int) -> None:
        """The check ended (call before reaping it, so its pid cannot be reused meanwhile)."""
        with self._lock:
            watch = self._watch
            slot = watch.slot_of.pop(pid, None) if watch is not None else None
            if watch is not None and slot is not None:
                watch.table[slot] = 0
                watch.free.append(slot)

    def running(self) -> list[int]:
        """The pids listed as running (for tests and diagnostics)."""
        with self._lock:
            return sorted(self._watch.slot_of) if self._watch is not None else []

    def watchdog_pid(self) -> int | None:
        with self._lock:
            watch = self._watch
            return watch.watchdog.pid if watch is not None and watch.watchdog is not None else None

    def _ready(self) -> _Watch:
        watch = self._watch
        if watch is None or watch.pid != os.getpid():
            watch = self._watch = _new_watch(self.slots)
        if watch.watchdog is None or watch.watchdog.poll() is not None:
            _start(watch, self.slots)
        return watch

    def _forget(self) -> None:
        """In a forked child: let go of the parent's pipe end (or the parent's watchdog would wait
        for this process too) and start afresh at the first check."""
        self._lock = threading.Lock()
        watch, self._watch = self._watch, None
        if watch is not None:
            if watch.write_fd >= 0:
                os.close(watch.write_fd)
            os.close(watch.table_fd)


def _new_watch(slots: int) -> _Watch:
    size = 4 * slots
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("prp-checks", os.MFD_CLOEXEC)
    else:
        fd, path = tempfile.mkstemp(prefix="prp-checks-")
        os.unlink(path)
    os.ftruncate(fd, size)
    table = memoryview(mmap.mmap(fd, size)).cast("i")
    return _Watch(os.getpid(), fd, table, list(range(slots - 1, -1, -1)))


def _start(watch: _Watch, slots: int) -> None:
    """Start (or start again) the watchdog; the worker keeps the only write end of its pipe."""
    if watch.write_fd >= 0:
        os.close(watch.write_fd)
        watch.write_fd = -1
    read_fd, write_fd = os.pipe()  # both non-inheritable: checks never hold the write end
    try:
        watch.watchdog = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _PROGRAM, str(watch.table_fd), str(4 * slots)],
            stdin=read_fd,
            stdout=subprocess.DEVNULL,
            pass_fds=(watch.table_fd,),
            start_new_session=True,
        )
    except OSError:
        os.close(write_fd)
        raise
    finally:
        os.close(read_fd)
    watch.write_fd = write_fd


#: this process's watchdog (one per process; forked children get their own)
WATCHDOG = Watchdog()
