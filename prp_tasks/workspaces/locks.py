"""``fcntl.flock`` lock files that processes and threads on one machine share.

Every acquisition opens its own file description, so two threads of one process exclude each other
just like two processes do. A lock file may be unlinked by whoever holds it exclusively (to keep
``locks/`` from growing); an acquirer that ends up holding a lock on an unlinked inode notices it and
retries on the current file.

A process forked while holding a lock would otherwise keep it held in the child (flock belongs to
the open file description): children close their copies of held locks right after ``fork``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


class FileLock:
    """One held lock; :meth:`release` (or leaving the ``with`` block) drops it."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd
        _HELD.add(self)

    def release(self) -> None:
        """Drop the lock (idempotent)."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            _HELD.discard(self)
            os.close(fd)

    def _forget(self) -> None:
        """In a forked child: close our copy without unlocking (the parent still holds it)."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            with contextlib.suppress(OSError):
                os.close(fd)

    def unlink(self) -> None:
        """Remove the lock file; only sound while holding it exclusively."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    def __enter__(self) -> FileLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


_HELD: set[FileLock] = set()  # set.add/discard are atomic under the GIL; no lock to deadlock a fork


def _forget_held_after_fork() -> None:
    for lock in list(_HELD):
        lock._forget()
    _HELD.clear()


os.register_at_fork(after_in_child=_forget_held_after_fork)


def _is_current(path: Path, fd: int) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (on_disk.st_dev, on_disk.st_ino) == (held.st_dev, held.st_ino)


def acquire(path: Path, *, shared: bool = False, wait: bool = True) -> FileLock | None:
    """Lock ``path`` (created if missing); ``None`` when ``wait`` is false and it is busy."""
    operation = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | (0 if wait else fcntl.LOCK_NB)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, operation)
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        if _is_current(path, fd):
            return FileLock(path, fd)
        os.close(fd)  # the file was unlinked (and maybe recreated) while we waited


@contextlib.contextmanager
def locked(path: Path, *, shared: bool = False) -> Iterator[FileLock]:
    """Hold ``path`` locked (blocking) for the ``with`` block."""
    lock = acquire(path, shared=shared, wait=True)
    assert lock is not None
    try:
        yield lock
    finally:
        lock.release()
