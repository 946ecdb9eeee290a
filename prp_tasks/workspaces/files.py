"""Small file helpers: paths inside a checkout, and the worker's cache directory (workspaces and
check environments)."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/prp-tasks``, else ``~/.cache/prp-tasks``."""
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "prp-tasks"


def mkdir_private(path: Path) -> None:
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        return
    os.chmod(path, 0o700)  # whatever the umask


def touch(path: Path) -> None:
    now = time.time_ns()  # finer than the file system's own clock, so the LRU order is exact
    os.utime(path, ns=(now, now))


def tree_size(path: Path) -> int:
    """Bytes of the regular files (and links) under ``path``, tolerating concurrent changes."""
    total, stack = 0, [str(path)]
    while stack:
        with contextlib.suppress(OSError), os.scandir(stack.pop()) as entries:
            for entry in entries:
                with contextlib.suppress(OSError):
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    else:
                        total += entry.stat(follow_symlinks=False).st_size
    return total


def safe_repo_path(repo: Path, relative: str) -> Path | None:
    """``repo/relative`` if it stays inside ``repo`` (no absolute paths, ``..`` or escaping links)."""
    if not relative or Path(relative).is_absolute():
        return None
    root = repo.resolve()
    target = (root / relative).resolve()
    if target != root and root not in target.parents:
        return None
    return target
