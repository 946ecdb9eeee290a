"""Where a check's stdout and stderr go: two anonymous files, only their ends kept.

Each check's output goes to anonymous files, never to pipes (a command printing more than a pipe
holds would block while nobody reads) and never to named files (nothing to clean up after a crash):

- on Linux, memory files (``memfd_create``): about 10 µs each, against 25–30 µs for an
  ``O_TMPFILE`` on an ext4 ``/tmp`` (and over 100 µs while its journal is busy);
- elsewhere, an ``O_TMPFILE`` or an unlinked ``mkstemp`` file in the temporary directory.

Only the last bytes of an output are ever read (the report's tail), so :class:`HeadRelease`, called
while the command runs, gives back the beginning of a file once it has grown ``SLACK_BYTES`` past
what is kept (a hole punched over it: the file keeps its size and its offsets). A command printing
gigabytes then holds a few MiB of memory, not gigabytes. Where holes cannot be punched (not Linux,
a file system without them) the files just grow, as a temporary file would.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import tempfile
from collections.abc import Iterator

#: bytes kept at the end of an output however short its report's tail (the tail is read from there)
MIN_KEEP_BYTES = 1 << 20
#: growth past the kept end before the beginning is released (one system call per that much output)
SLACK_BYTES = 4 << 20
_PAGE = 4096
_PUNCH_HOLE = 0x02 | 0x01  # FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE


@contextlib.contextmanager
def scratch_files() -> Iterator[tuple[int, int]]:
    """Two anonymous files (stdout, stderr) as plain descriptors, closed on exit."""
    fds: list[int] = []
    try:
        fds.append(scratch_fd())
        fds.append(scratch_fd())
        yield fds[0], fds[1]
    finally:
        for fd in fds:
            os.close(fd)


def scratch_fd() -> int:
    """One anonymous read-write file, not inherited by child processes (the check's own process
    gets it as its stdout or stderr, a copy)."""
    with contextlib.suppress(AttributeError, OSError):  # no memfd (not Linux, or a sandbox forbids it)
        return os.memfd_create("prp-check-output", os.MFD_CLOEXEC)
    try:
        return os.open(tempfile.gettempdir(), os.O_TMPFILE | os.O_RDWR, 0o600)
    except (AttributeError, OSError):  # no O_TMPFILE either
        fd, name = tempfile.mkstemp(prefix="prp-check-")
        os.unlink(name)
        return fd


class HeadRelease:
    """Releases the beginnings of some growing files, keeping their last ``keep`` bytes readable."""

    def __init__(self, fds: tuple[int, ...], keep: int) -> None:
        self.keep = max(MIN_KEEP_BYTES, keep)
        self._released = dict.fromkeys(fds, 0)  # per file: bytes from its start already released

    def __call__(self) -> None:
        """Called while the command runs (every few tens of milliseconds): one ``fstat`` per file,
        and a hole punched in a file that grew ``SLACK_BYTES`` past what is kept."""
        for fd, released in self._released.items():
            end = (os.fstat(fd).st_size - self.keep) // _PAGE * _PAGE
            if end - released >= SLACK_BYTES and punch_hole(fd, released, end - released):
                self._released[fd] = end


def punch_hole(fd: int, offset: int, length: int) -> bool:
    """Free ``length`` bytes of ``fd`` from ``offset`` (reading them gives zeros); False where the
    system or the file system cannot."""
    fallocate = _fallocate()
    if fallocate is None:
        return False
    return bool(fallocate(fd, _PUNCH_HOLE, offset, length) == 0)


@functools.cache
def _fallocate() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    """The C library's ``fallocate`` (Linux), or None."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        function = getattr(libc, "fallocate64", None) or libc.fallocate  # 64-bit offsets everywhere
    except (AttributeError, OSError):
        return None
    function.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64)
    function.restype = ctypes.c_int
    return function
