"""Start a check's process cheaply and wait for it without polling.

The child must die with the worker that started it (a SIGKILLed worker must not leave its checks
running). Linux gives that through the parent-death signal, which has to be set in the child. A
``preexec_fn`` could set it, but it forces CPython to ``fork`` the whole worker (page tables of a
large process, copy-on-write faults, Python code in the child), which costs more than the no-op
check itself. Instead the child is started with ``vfork`` (no ``preexec_fn``) as
``setpriv --pdeathsig KILL -- argv``: util-linux's small ``setpriv`` sets the signal and execs the
check, and the setting survives that exec. Without ``setpriv`` (not Linux, or a minimal image) the
``preexec_fn`` path is used.

The exit is waited for through a pidfd (Linux 5.3+): the wait wakes the moment the process ends,
and still looks at the stop flag and the deadline every ``POLL_S``.
"""

from __future__ import annotations

import ctypes
import errno
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from typing import IO

POLL_S = 0.05
_PR_SET_PDEATHSIG = 1
SETPRIV = shutil.which("setpriv") if sys.platform.startswith("linux") else None


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


_LIBC = _libc()


def _die_with_parent() -> None:
    """In the child before exec: get SIGKILL if the worker that started us dies (Linux)."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def resolve(program: str, cwd: str, env: Mapping[str, str]) -> None:
    """Raise the OSError ``exec`` would give for ``program`` (found on the check's PATH, or a path
    relative to the repository); a wrapper exec'ing it later could only report an exit status."""
    if os.sep in program:
        path = program if os.path.isabs(program) else os.path.join(cwd, program)
        if not os.path.exists(path):
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), program)
        if os.path.isdir(path) or not os.access(path, os.X_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), program)
        return
    search = env.get("PATH", os.defpath)
    known = _FOUND.get((program, search))
    if known is not None and os.access(known, os.X_OK):  # one access() instead of a PATH walk
        return
    found = shutil.which(program, path=search)
    if found is None:
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), program)
    if len(_FOUND) > 1024:
        _FOUND.clear()
    _FOUND[(program, search)] = found


#: (program, PATH) -> where ``shutil.which`` found it (checked again with one ``access`` per use)
_FOUND: dict[tuple[str, str], str] = {}


def spawn(
    argv: list[str], cwd: str, env: Mapping[str, str], out: IO[bytes], err: IO[bytes]
) -> subprocess.Popen[bytes]:
    """Start ``argv`` (no shell) in its own session, dying with this process; OSError if it cannot."""
    options: dict[str, object] = {
        "cwd": cwd,
        "env": dict(env),
        "stdin": subprocess.DEVNULL,
        "stdout": out,
        "stderr": err,
        "start_new_session": True,
        "shell": False,
    }
    if SETPRIV is not None:
        resolve(argv[0], cwd, env)
        return subprocess.Popen([SETPRIV, "--pdeathsig", "KILL", "--", *argv], **options)  # type: ignore[call-overload]
    return subprocess.Popen(argv, preexec_fn=_die_with_parent, **options)  # type: ignore[call-overload]


def wait(proc: subprocess.Popen[bytes], timeout_s: float, stop: threading.Event) -> str:
    """``exited``, or ``stopped``/``timeout`` after killing the whole process group."""
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
                kill_group(proc)
                return "timeout"
    finally:
        if fd is not None:
            os.close(fd)


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)  # type: ignore[attr-defined,no-any-return]
    except (AttributeError, OSError):
        return None  # not Linux 5.3+: poll


def _exited(proc: subprocess.Popen[bytes], fd: int | None, seconds: float) -> bool:
    if fd is not None:
        ready, _, _ = select.select([fd], [], [], seconds)
        if not ready:
            return False
        proc.wait()
        return True
    try:
        proc.wait(timeout=seconds)
        return True
    except subprocess.TimeoutExpired:
        return False


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the check's process group, then SIGKILL whatever is left of it."""
    _signal_group(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=2)
    except subprocess.TimeoutExpired:
        pass
    _signal_group(proc.pid, signal.SIGKILL)
    proc.wait()


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass
