"""Small file helpers: paths inside a checkout, and the worker's cache directory (workspaces and
check environments)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
import time
from pathlib import Path


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/prp-tasks``, else ``~/.cache/prp-tasks``."""
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "prp-tasks"


def worktrees_dir(root: Path) -> Path:
    """Where the runs' worktrees go: ``root/worktrees``, unless a folder of ``root`` is hidden
    (the default ``~/.cache``): a project's tools may leave out every path below a dot folder
    (python-box's coverage ``omit = */.*/*``: "No data to report" for a 99% suite), so they then
    go to a private folder of this user and cache in ``/var/tmp`` (else the temporary directory),
    as a checkout's path would look; back to ``root/worktrees`` when that folder is not ours."""
    if not any(part.startswith(".") for part in root.parts):
        return root / "worktrees"
    base = Path("/var/tmp") if os.access("/var/tmp", os.W_OK | os.X_OK) else Path(tempfile.gettempdir())
    digest = hashlib.sha256(str(root).encode()).hexdigest()[:12]
    folder = base / f"prp-tasks-{os.getuid()}-{digest}"
    try:
        mkdir_private(folder)
        info = folder.lstat()
    except OSError:
        return root / "worktrees"
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        return root / "worktrees"  # another user's, or a link: not a place for our checkouts
    return folder / "worktrees"


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
