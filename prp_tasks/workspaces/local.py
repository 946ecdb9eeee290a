"""Workspaces of a local source: the user's checkout is read, never written.

A git checkout gets a detached ``git worktree`` of the run's commit with the checkout's
uncommitted changes (tracked and untracked, not ignored) copied over, so checks see exactly what
the user has; a directory that is not a git checkout gets a copy (a snapshot) without ``.git``,
virtualenvs, prp's own ``.prp`` and tool caches. Tools' report files (``coverage.xml``,
``.pytest_cache``, ``__pycache__`` …) then land in the workspace, and ``git status`` of the
user's checkout is the same before and after a run.

A ``node_modules`` directory of the checkout (ignored by git, but what ``npm test`` needs) is linked
into the workspace rather than copied; Python environments are resolved against the checkout by
:mod:`prp_tasks.environments`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from prp_tasks.errors import WorkspaceError
from prp_tasks.workspaces.git import GitRunner

#: never copied into a workspace: version control, environments, prp's state, tool caches
SKIPPED_NAMES = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        ".prp",
        "__pycache__",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".tox",
        ".nox",
        "node_modules",
    }
)
#: top-level directories of the checkout linked (not copied) into the workspace when present
LINKED_DIRS = ("node_modules",)


@dataclass(frozen=True)
class LocalCheckout:
    """What a local source is: its git top level (None: not a git checkout with a commit) and the
    submitted directory's path below it (``""`` at the top)."""

    path: Path
    top: Path | None
    prefix: str

    @property
    def is_git(self) -> bool:
        return self.top is not None


def inspect(git: GitRunner, path: Path, sha: str) -> LocalCheckout:
    """Whether ``path`` is inside a git checkout whose ``sha`` exists (else: a snapshot is made)."""
    if sha == "unknown":
        return LocalCheckout(path, None, "")
    result = git(None, "-C", str(path), "rev-parse", "--show-toplevel", "--show-prefix")
    lines = result.stdout.splitlines()
    if not result.ok or not lines:
        return LocalCheckout(path, None, "")
    prefix = lines[1].strip().strip("/") if len(lines) > 1 else ""
    return LocalCheckout(path, Path(lines[0].strip()), prefix)


def populate(git: GitRunner, checkout: LocalCheckout, target: Path, sha: str) -> None:
    """Fill ``target`` (missing) with the checkout's files: a worktree, or a snapshot copy."""
    if checkout.is_git:
        add_worktree(git, checkout, target, sha)
    else:
        os.mkdir(target, 0o700)
        snapshot(checkout.path, target)


def add_worktree(git: GitRunner, checkout: LocalCheckout, target: Path, sha: str) -> None:
    """A detached worktree of ``sha`` at ``target`` plus the checkout's uncommitted changes."""
    assert checkout.top is not None
    top = str(checkout.top)
    result = git(None, "-C", top, "worktree", "add", "--quiet", "--detach", "--", str(target), sha)
    if not result.ok:
        raise WorkspaceError(f"cannot check out {sha[:12]} of {top}: {result.reason()}")
    status = git(
        None,
        "--no-optional-locks",
        "-C",
        top,
        "status",
        "--porcelain=v1",
        "-z",
        "--untracked-files=all",
        "--no-renames",
        "--ignore-submodules=all",
    )
    if not status.ok:
        raise WorkspaceError(f"cannot read the uncommitted changes of {top}: {status.reason()}")
    for path in changed_paths(status.stdout):
        copy_change(checkout.top, target, path)
    link_dirs(checkout.path, target / checkout.prefix)


def changed_paths(porcelain_z: str) -> list[str]:
    """The paths of ``git status --porcelain=v1 -z --no-renames`` output, minus skipped parts."""
    paths = []
    for entry in porcelain_z.split("\0"):
        if len(entry) < 4:
            continue
        path = entry[3:]
        if not SKIPPED_NAMES.intersection(path.split("/")):
            paths.append(path)
    return paths


def copy_change(top: Path, target: Path, relative: str) -> None:
    """Make ``target/relative`` what ``top/relative`` is now: a copied file or link, or nothing."""
    source, dest = top / relative, target / relative
    if not _inside(target, dest):
        return
    try:
        info = os.lstat(source)
    except FileNotFoundError:  # deleted in the checkout
        with contextlib.suppress(FileNotFoundError, IsADirectoryError):
            os.unlink(dest)
        return
    if stat.S_ISDIR(info.st_mode):
        return  # a nested repository or submodule: not part of this checkout's files
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.is_symlink() or dest.is_file():
        dest.unlink()
    _copy_entry(source, dest, info)


def snapshot(source: Path, target: Path) -> None:
    """Copy the directory ``source`` into the existing, empty ``target`` (see :data:`SKIPPED_NAMES`).

    The directory may be in use while it is copied (an editor's swap files, a running program's
    temporary files): an entry deleted between being listed and being copied is left out, as if
    it had been deleted just before."""
    stack = [(source, target)]
    while stack:
        src_dir, dst_dir = stack.pop()
        try:
            entries = list(os.scandir(src_dir))
        except FileNotFoundError:
            if src_dir == source:
                raise WorkspaceError(f"the run's directory {source} is gone") from None
            dst_dir.rmdir()  # removed since it was listed (its copy is still empty)
            continue
        for entry in entries:
            if entry.name in SKIPPED_NAMES:
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            dest = dst_dir / entry.name
            if stat.S_ISDIR(info.st_mode):
                dest.mkdir()
                stack.append((Path(entry.path), dest))
            else:
                _copy_entry(Path(entry.path), dest, info)
    link_dirs(source, target)


def _copy_entry(source: Path, dest: Path, info: os.stat_result) -> None:
    """A symbolic link as a link, a regular file as a copy; anything else (fifo, socket) is skipped,
    and so is an entry deleted from ``source``'s directory since it was listed."""
    try:
        if stat.S_ISLNK(info.st_mode):
            os.symlink(os.readlink(source), dest)
        elif stat.S_ISREG(info.st_mode):
            shutil.copy2(source, dest, follow_symlinks=False)
    except OSError as exc:
        if isinstance(exc, FileNotFoundError) and not os.path.lexists(source):
            return  # deleted meanwhile: not part of the copy
        raise WorkspaceError(f"cannot copy {source} into the workspace: {exc.strerror or exc}") from None


def link_dirs(source: Path, workspace: Path) -> None:
    """Link :data:`LINKED_DIRS` of the checkout into the workspace (when the checkout has them)."""
    for name in LINKED_DIRS:
        found, dest = source / name, workspace / name
        if found.is_dir() and not dest.exists() and not dest.is_symlink() and workspace.is_dir():
            os.symlink(found, dest)


def remove_worktree(git: GitRunner, top: Path, target: Path) -> None:
    """Remove a worktree of the user's checkout and its registration there (best effort)."""
    with contextlib.suppress(WorkspaceError):
        git(None, "-C", str(top), "worktree", "remove", "--force", "--force", "--", str(target))
    if target.is_symlink():
        target.unlink()
    elif target.exists():
        shutil.rmtree(target, ignore_errors=True)
        with contextlib.suppress(WorkspaceError):
            git(None, "-C", str(top), "worktree", "prune")


def _inside(root: Path, path: Path) -> bool:
    """Whether ``path`` stays below ``root`` (its nearest existing parent resolved: no link out)."""
    if ".." in Path(os.path.relpath(path, root)).parts:
        return False
    parent = path.parent
    while not parent.exists() and parent != root:
        parent = parent.parent
    resolved, base = parent.resolve(), root.resolve()
    return resolved == base or base in resolved.parents
