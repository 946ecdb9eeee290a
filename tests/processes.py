"""Looking at processes from tests (Linux /proc)."""

from __future__ import annotations

import time
from pathlib import Path


def is_gone(pid: int) -> bool:
    """No such process, or a zombie waiting for its parent to reap it (it no longer runs)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def wait_gone(pid: int, within: float = 3.0) -> bool:
    deadline = time.monotonic() + within
    while not is_gone(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def wait_for_file(path: Path, within: float = 20.0) -> str:
    """The text of ``path`` once a process has written it (ending in a newline)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if path.exists() and (text := path.read_text()).endswith("\n"):
            return text
        time.sleep(0.02)
    raise AssertionError(f"{path} was not written within {within}s")
