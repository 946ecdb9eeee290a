"""Start a check's process cheaply and wait for it without polling.

The child is started with ``vfork`` + ``exec`` (no ``preexec_fn``, no wrapper program) in its own
session, and listed with this process's :mod:`watchdog <prp_tasks.processes.watchdog>`, which kills
its process group if the worker dies while it runs (a SIGKILLed worker must not leave its checks
running).

A bare program name is looked up on the check's PATH in this process (remembered for a few seconds)
rather than by the child trying every PATH directory in turn; a program that moved since is looked
up again.

The exit is waited for through a pidfd (Linux 5.3+): the wait wakes the moment the process ends,
and still looks at the stop flag and the deadline every ``POLL_S``.
"""

from __future__ import annotations

import functools
import os
import select
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from typing import IO

from prp_tasks.processes.watchdog import WATCHDOG

POLL_S = 0.05

Output = int | IO[bytes]  #: where the child's stdout/stderr go: a descriptor or a file


def spawn(
    argv: list[str], cwd: str, env: Mapping[str, str], out: Output, err: Output
) -> subprocess.Popen[bytes]:
    """Start ``argv`` (no shell) in its own session, dying with this process; OSError if it cannot
    (the program is missing or not executable, or the watchdog cannot list it: then it is killed)."""
    WATCHDOG.ready()
    _interruptible()
    path = env.get("PATH", os.defpath)
    program = found_program(argv[0], path) if os.sep not in argv[0] else None
    try:
        proc = _popen(argv, program, cwd, env, out, err)
    except OSError:
        if program is None:
            raise
        _FOUND.pop((argv[0], path), None)  # moved or removed since: walk PATH again, as exec does
        proc = _popen(argv, None, cwd, env, out, err)
    try:
        WATCHDOG.watch(proc.pid)
    except OSError:
        kill_group(proc)
        raise
    return proc


def _interruptible() -> None:
    """Let the SIGINT that stops a check out of time (:func:`kill_group`) reach it: an ignored
    SIGINT is inherited through exec (billiard's pool processes ignore it after their fork, as a
    shell's background job does), a handled one is reset there. This process goes on ignoring it,
    through a handler that does nothing. Only the main thread may set handlers: a pool's threads
    run in a worker process that handles SIGINT already."""
    if (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    ):
        signal.signal(signal.SIGINT, _not_interrupted)


def _not_interrupted(signum: int, frame: object) -> None:
    """SIGINT in a process that ignored it before :func:`_interruptible`: still nothing."""


def found_program(name: str, path: str) -> str | None:
    """The file a PATH walk finds for a bare program name, remembered for ``LOOKUP_TTL_S`` per
    (name, PATH): the child then makes one ``exec`` instead of one per PATH directory before the
    program's, and a program installed earlier on PATH is still picked up within seconds."""
    now = time.monotonic()
    known = _FOUND.get((name, path))
    if known is not None and known[1] > now:
        return known[0]
    found = shutil.which(name, path=path)
    if len(_FOUND) >= 256:
        _FOUND.clear()
    _FOUND[(name, path)] = (found, now + LOOKUP_TTL_S)
    return found


LOOKUP_TTL_S = 10.0
_FOUND: dict[tuple[str, str], tuple[str | None, float]] = {}


def _popen(
    argv: list[str], program: str | None, cwd: str, env: Mapping[str, str], out: Output, err: Output
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        argv,
        executable=program,
        cwd=cwd,
        env=dict(env),
        stdin=_devnull(),
        stdout=out,
        stderr=err,
        start_new_session=True,
    )


@functools.cache
def _devnull() -> int:
    """``/dev/null`` opened once per process (``subprocess.DEVNULL`` opens and closes it per call)."""
    return os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)


def wait(
    proc: subprocess.Popen[bytes],
    timeout_s: float,
    stop: threading.Event,
    tick: Callable[[], None] | None = None,
) -> str:
    """``exited``, or ``stopped``/``timeout`` after killing the whole process group; either way
    the process is reaped and no longer listed with the watchdog. ``tick`` is called every
    ``POLL_S`` while the process runs (e.g. :class:`~prp_tasks.processes.capture.HeadRelease`)."""
    deadline = time.monotonic() + timeout_s
    fd = _pidfd(proc.pid)
    try:
        while True:
            if _exited(proc, fd, min(POLL_S, max(0.0, deadline - time.monotonic()))):
                return "exited"
            if stop.is_set():
                kill_group(proc)
                return "stopped"
            if time.monotonic() >= deadline:
                kill_group(proc, INTERRUPT_S)
                return "timeout"
            if tick is not None:
                tick()
    finally:
        WATCHDOG.release(proc.pid)
        if fd is not None:
            os.close(fd)


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None  # not Linux 5.3+: poll


def _exited(proc: subprocess.Popen[bytes], fd: int | None, seconds: float) -> bool:
    if fd is not None:
        ready, _, _ = select.select([fd], [], [], seconds)
        if not ready:
            return False
        WATCHDOG.release(proc.pid)  # before reaping: the pid stays ours until then
        proc.wait()
        return True
    try:
        proc.wait(timeout=seconds)
        return True
    except subprocess.TimeoutExpired:
        return False


#: how long a check that ran out of time has, once interrupted (SIGINT), to say how far it got:
#: pytest then prints where each process was and its summary, and writes its report (cachelib's
#: suite, waiting for services the machine lacks, had shown only "…FFFFFFFF"); a wait that ends
#: the moment the process does. 3 s was too short on a loaded machine once in six for semver's
#: pytest with pytest-cov, which writes its data on the way out: the summary then said "killed"
INTERRUPT_S = 5.0


def kill_group(proc: subprocess.Popen[bytes], interrupt_s: float = 0.0) -> None:
    """SIGTERM the check's process group, then SIGKILL whatever is left of it; with
    ``interrupt_s``, SIGINT it first and give it that long to end by itself."""
    if interrupt_s > 0:
        _signal_group(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=interrupt_s)
        except subprocess.TimeoutExpired:
            pass
    _signal_group(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=2)
    except subprocess.TimeoutExpired:
        pass
    _signal_group(proc.pid, signal.SIGKILL)
    WATCHDOG.release(proc.pid)
    proc.wait()


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def run_apart(
    argv: list[str], *, timeout: float, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """A short helper program run to its end with its output captured (text), in a session of its
    own, as a check's: the Ctrl-C of a terminal that ``prp run``'s own worker shares stops the run,
    not the program (desert: the interpreter's probe got it, and four checks of a cancelled run
    were recorded failing "cannot run the interpreter …: KeyboardInterrupt"). Raises what
    ``subprocess.run`` raises (OSError, TimeoutExpired)."""
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=timeout, env=env, check=False, start_new_session=True
    )
