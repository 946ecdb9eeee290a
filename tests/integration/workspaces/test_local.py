"""Workspaces of local sources (real git): a worktree of the user's checkout with its uncommitted
changes, a snapshot of a plain directory, a subdirectory of a checkout, collection by owner."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prp_tasks.errors import WorkspaceError
from prp_tasks.workspaces import Workspaces, cache, local
from prp_tasks.workspaces import files as files_module
from prp_tasks.workspaces.locks import FileLock
from tests.integration.workspaces.remotes import CountingWorkspaces, sh_git


def checkout_with_changes(root: Path) -> tuple[Path, str]:
    root.mkdir()
    sh_git("init", "-q", str(root))
    for name, text in {"keep.txt": "1", "edit.txt": "old", "drop.txt": "x", "pkg/sub/a.txt": "a"}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / ".gitignore").write_text("ignored.log\n")
    sh_git("add", "-A", cwd=root)
    sh_git("commit", "-qm", "one", cwd=root)
    (root / "edit.txt").write_text("new")
    (root / "drop.txt").unlink()
    (root / "pkg/sub/fresh.txt").write_text("untracked")
    (root / "ignored.log").write_text("ignored")
    (root / ".venv").mkdir()
    (root / ".venv/big").write_text("not copied")
    (root / "link").symlink_to("keep.txt")
    return root, sh_git("rev-parse", "HEAD", cwd=root)


def files(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): (f"-> {p.readlink()}" if p.is_symlink() else p.read_text())
        for p in sorted(root.rglob("*"))
        if (p.is_file() or p.is_symlink()) and ".git" not in p.parts
    }


def test_a_worktree_has_exactly_the_checkouts_files_and_goes_without_a_trace(
    ws: CountingWorkspaces, tmp_path: Path
) -> None:
    repo, sha = checkout_with_changes(tmp_path / "repo")
    status = sh_git("status", "--porcelain", "--untracked-files=all", cwd=repo)
    with ws.local("r1", repo, sha) as path:
        assert files(path) == {
            ".gitignore": "ignored.log\n",
            "edit.txt": "new",
            "keep.txt": "1",
            "link": "-> keep.txt",
            "pkg/sub/a.txt": "a",
            "pkg/sub/fresh.txt": "untracked",
        }
        (path / "coverage.xml").write_text("written by a tool")
        assert sh_git("rev-parse", "HEAD", cwd=path) == sha
    assert sh_git("status", "--porcelain", "--untracked-files=all", cwd=repo) == status
    assert ws.release("r1") and not (ws.root / "worktrees" / "r1").exists()
    assert sh_git("worktree", "list", "--porcelain", cwd=repo).count("worktree ") == 1


def test_a_subdirectory_of_a_checkout_gets_its_counterpart_in_the_worktree(
    ws: CountingWorkspaces, tmp_path: Path
) -> None:
    repo, sha = checkout_with_changes(tmp_path / "repo")
    with ws.local("r1", repo / "pkg", sha) as path:
        assert path == ws.root / "worktrees" / "r1" / "pkg"
        assert (path / "sub" / "fresh.txt").read_text() == "untracked"


def test_a_plain_directory_gets_a_snapshot_without_environments_and_caches(
    ws: CountingWorkspaces, tmp_path: Path
) -> None:
    source = tmp_path / "plain"
    for name in ("a.txt", ".venv/x", "__pycache__/m.pyc", "deep/.mypy_cache/y", "deep/b.txt"):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text(name)
    with ws.local("r1", source, "unknown") as path:
        assert files(path) == {"a.txt": "a.txt", "deep/b.txt": "deep/b.txt"}
        (path / "a.txt").write_text("changed")
    assert (source / "a.txt").read_text() == "a.txt"


def test_files_deleted_while_a_snapshot_is_copied_are_left_out(
    ws: CountingWorkspaces, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A directory in use (a program's temporary files come and go): a file, a link or a
    directory removed between being listed and being copied is not part of the snapshot, and the
    check runs; a file that cannot be read still fails the workspace, naming it."""
    source = tmp_path / "busy"
    for name in ("a.txt", "gone.tmp", "tmpdir/x", "deep/b.txt"):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text(name)
    (source / "gone.link").symlink_to("a.txt")
    copy, readlink, scandir = local.shutil.copy2, local.os.readlink, local.os.scandir

    def copy_after_delete(src: Any, dst: Any, **kwargs: Any) -> Any:
        if Path(src).name == "gone.tmp":
            Path(src).unlink()
        if Path(src).name == "locked.txt":
            raise PermissionError(13, "Permission denied", str(src))
        return copy(src, dst, **kwargs)

    def readlink_after_delete(path: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(path, str | Path) and Path(path).name == "gone.link":
            Path(path).unlink()
        return readlink(path, *args, **kwargs)

    def scandir_after_delete(path: Any = ".") -> Any:  # (os.scandir itself: shutil calls it too)
        if isinstance(path, str | Path) and Path(path).name == "tmpdir":
            shutil.rmtree(path)
        return scandir(path)

    monkeypatch.setattr(local.shutil, "copy2", copy_after_delete)
    monkeypatch.setattr(local.os, "readlink", readlink_after_delete)
    monkeypatch.setattr(local.os, "scandir", scandir_after_delete)
    with ws.local("r-busy", source, "unknown") as path:
        assert files(path) == {"a.txt": "a.txt", "deep/b.txt": "deep/b.txt"}
        assert sorted(p.name for p in path.iterdir() if p.is_dir()) == ["deep"]
    (source / "locked.txt").write_text("no")
    refused = r"cannot copy \S+/locked.txt into the workspace: Permission denied"
    with pytest.raises(WorkspaceError, match=refused), ws.local("r-locked", source, "unknown"):
        pass


def test_only_the_owners_finished_runs_are_collected(
    make_ws: Callable[..., CountingWorkspaces], tmp_path: Path
) -> None:
    ws = make_ws()
    source = tmp_path / "plain"
    source.mkdir()
    for run_id, owner in (("mine", "A"), ("theirs", "B")):
        with ws.local(run_id, source, "unknown", owner):
            pass
    assert ws.release_finished(lambda ids: [True] * len(ids), "A") == ["mine"]
    assert ws.run_ids() == ["theirs"]  # another deployment's run: unknown here, so left alone


def test_a_check_that_arrived_during_creation_does_not_wait_for_a_long_check_to_end(
    ws: CountingWorkspaces, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three checks of a run arrive at once: one creates the workspace and runs for minutes; one
    that saw it missing before then gets it at once (it waited behind the long check's use)."""
    source = tmp_path / "plain"
    source.mkdir()
    looked, holding, second_in = threading.Event(), threading.Event(), threading.Event()
    release = FileLock.release

    def late_release(lock: FileLock) -> None:
        release(lock)
        if threading.current_thread().name == "second" and not holding.is_set():
            looked.set()
            assert holding.wait(10)  # saw it missing; the first check now creates it and runs

    monkeypatch.setattr(FileLock, "release", late_release)

    def second() -> None:
        with ws.local("r1", source, "unknown"):
            second_in.set()

    thread = threading.Thread(target=second, name="second")
    thread.start()
    assert looked.wait(10)  # the second check saw it missing (and is held before it tries to create)
    with ws.local("r1", source, "unknown"):
        holding.set()
        assert second_in.wait(5), "the second check waited for the first one to end"
    thread.join(10)
    assert not thread.is_alive()


def test_a_check_that_finds_another_creating_the_workspace_goes_on_when_it_is_created(
    ws: CountingWorkspaces, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two checks of a run look at once; the first creates the workspace while the second finds its
    lock busy: the second waits on the lock and goes on the moment the workspace is ready (a
    look-again pause, made 5 s here, would show)."""
    monkeypatch.setattr(cache, "_BUSY_S", 5.0)
    source = tmp_path / "plain"
    source.mkdir()
    looked, creating, go, second_in = (threading.Event() for _ in range(4))
    release, create_local = FileLock.release, Workspaces._create_local

    def late_release(lock: FileLock) -> None:
        release(lock)
        if threading.current_thread().name == "second" and not looked.is_set():
            looked.set()  # saw it missing; it tries to create once the first check creates it
            assert creating.wait(10)

    def slow_create(self: Workspaces, *args: Any) -> None:
        creating.set()
        assert go.wait(10)
        create_local(self, *args)

    monkeypatch.setattr(FileLock, "release", late_release)
    monkeypatch.setattr(Workspaces, "_create_local", slow_create)

    def check(done: threading.Event) -> None:
        with ws.local("r1", source, "unknown"):
            done.set()

    second = threading.Thread(target=check, args=(second_in,), name="second")
    second.start()
    assert looked.wait(10)
    first = threading.Thread(target=check, args=(threading.Event(),))
    first.start()
    assert creating.wait(10)
    time.sleep(0.3)  # the second check has found the lock busy
    assert not second_in.is_set()
    go.set()
    assert second_in.wait(2), "the second check paused before looking again"
    first.join(10)
    second.join(10)


def test_a_hidden_cache_directory_keeps_the_worktrees_out_of_hidden_folders(tmp_path: Path) -> None:
    """python-box's coverage ``omit = */.*/*`` left out every file of a worktree under
    ``~/.cache/prp-tasks`` ("No data to report" for a 99% suite): the worktrees of a cache in a
    hidden folder go to a private folder of the user's, without a dot in its path."""
    from prp_tasks.settings import WorkspaceSettings

    hidden = Workspaces(WorkspaceSettings(cache_dir=tmp_path / ".cache" / "prp-tasks"))
    repo, sha = checkout_with_changes(tmp_path / "repo")
    try:
        with hidden.local("r1", repo, sha) as path:
            assert not any(part.startswith(".") for part in path.parts), path
            assert (path / "keep.txt").read_text() == "1"
            assert (path.parent.parent.stat().st_mode & 0o777) == 0o700
        assert hidden.release("r1") and not path.exists()
    finally:
        hidden.release("r1")
        shutil.rmtree(files_module.worktrees_dir(hidden.root).parent)  # (a folder of /var/tmp)
    visible = Workspaces(WorkspaceSettings(cache_dir=tmp_path / "cache"))
    with visible.local("r2", repo, sha) as path:
        assert path == tmp_path / "cache" / "worktrees" / "r2"
    visible.release("r2")
