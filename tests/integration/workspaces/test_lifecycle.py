"""Worktrees shared by concurrent checkouts, released when runs finish, evicted by size (real git,
real processes)."""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from prp_tasks.settings import WorkspaceSettings
from prp_tasks.workspaces import Workspaces
from prp_tasks.workspaces import git as wgit
from tests.integration.workspaces.remotes import BIG, CountingWorkspaces, Remote, meta, sh_git

# Concurrency ----------------------------------------------------------------------------------------


def _checkout_in_child(cache: str, url: str, sha: str, barrier: Any, results: Any) -> None:
    ws = Workspaces(WorkspaceSettings(cache_dir=Path(cache)))
    barrier.wait()
    with ws.checkout("shared", url, sha) as path:
        results.put((meta(ws, "shared")["created_by"], (path / "a.txt").read_text(), str(path)))


def test_concurrent_checkouts_create_the_worktree_once(cache_dir: Path, remote: Remote) -> None:
    sha = remote.commit({"a.txt": "shared"})
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(4), ctx.Queue()
    children = [
        ctx.Process(target=_checkout_in_child, args=(str(cache_dir), remote.url, sha, barrier, results))
        for _ in range(3)
    ]
    for child in children:
        child.start()
    seen: list[tuple[str, str, str]] = []
    gate = threading.Barrier(8)

    def in_thread() -> None:
        ws = Workspaces(WorkspaceSettings(cache_dir=cache_dir))
        gate.wait()
        with ws.checkout("shared", remote.url, sha) as path:
            seen.append((meta(ws, "shared")["created_by"], (path / "a.txt").read_text(), str(path)))

    barrier.wait(timeout=60)
    threads = [threading.Thread(target=in_thread) for _ in range(8)]
    for thread in threads:
        thread.start()
    seen.extend(results.get(timeout=60) for _ in children)
    for thread in threads:
        thread.join(timeout=60)
    for child in children:
        child.join(timeout=60)
        assert child.exitcode == 0

    assert len(seen) == 11
    assert {s[1:] for s in seen} == {("shared", str(cache_dir / "worktrees" / "shared"))}
    assert len({s[0] for s in seen}) == 1, "the worktree was created more than once"
    assert os.listdir(cache_dir / "worktrees") == ["shared"]
    assert len(os.listdir(cache_dir / "mirrors")) == 1


def _wait_for(started: Any, done: Any) -> None:
    started.set()
    done.wait(30)


def test_a_forked_child_does_not_keep_the_worktree_in_use(ws: CountingWorkspaces, remote: Remote) -> None:
    sha = remote.commit({"a.txt": "x"})
    ctx = multiprocessing.get_context("fork")
    started, done = ctx.Event(), ctx.Event()
    with ws.checkout("r", remote.url, sha):
        child = ctx.Process(target=_wait_for, args=(started, done))
        child.start()  # forked while this thread holds the run's shared lock
    try:
        assert started.wait(30)  # the child runs (its at-fork hook closed its copy of the lock)
        assert child.is_alive()
        assert ws.release("r") is True
    finally:
        done.set()
        child.join(timeout=30)


# Release and eviction ---------------------------------------------------------------------------------


def test_release_removes_and_is_idempotent(ws: CountingWorkspaces, remote: Remote) -> None:
    sha = remote.commit({"a.txt": "x"})
    with ws.checkout("r", remote.url, sha) as path:
        assert ws.release("r") is False  # in use
        assert path.is_dir()
    assert ws.release("r") is True
    assert not path.exists() and ws.run_ids() == []
    assert not (ws.root / "meta" / "r.json").exists()
    assert ws.release("r") is True and ws.release("never-existed") is True
    mirror = ws.root / "mirrors" / f"{wgit.mirror_key(remote.url)}.git"
    assert sh_git("--git-dir", str(mirror), "worktree", "list", "--porcelain").count("worktree ") == 1
    with ws.checkout("r", remote.url, sha) as again:  # can be checked out again
        assert (again / "a.txt").read_text() == "x"


def test_release_finished_removes_exactly_the_done_runs(ws: CountingWorkspaces, remote: Remote) -> None:
    sha = remote.commit({"a.txt": "x"})
    for run_id in ("r1", "r2", "r3"):
        with ws.checkout(run_id, remote.url, sha):
            pass
    asked: list[list[str]] = []

    def is_done(run_ids: list[str]) -> list[bool]:
        asked.append(run_ids)
        return [r != "r2" for r in run_ids]

    with ws.checkout("r3", remote.url, sha):
        assert ws.release_finished(is_done) == ["r1"]  # r3 is done but in use
    assert asked == [["r1", "r2", "r3"]]
    assert ws.release_finished(is_done) == ["r3"]
    assert ws.run_ids() == ["r2"]


@pytest.fixture
def big_remote(remote: Remote) -> Iterator[tuple[Remote, list[str]]]:
    shas = [remote.commit({"big.bin": os.urandom(BIG), "n.txt": "0"})]
    shas += [remote.commit({"n.txt": str(i)}) for i in range(1, 5)]
    yield remote, shas


def test_lru_eviction_spares_worktrees_in_use(
    make_ws: Callable[..., CountingWorkspaces],
    big_remote: tuple[Remote, list[str]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    remote, shas = big_remote
    ws = make_ws(max_bytes=1024 * 1024)
    for run_id, sha in (("r1", shas[0]), ("r2", shas[1])):
        with ws.checkout(run_id, remote.url, sha):
            pass
    assert ws.usage_bytes() <= 1024 * 1024, "test setup: a mirror and two worktrees must fit"

    with caplog.at_level(logging.INFO, logger="prp_tasks.workspaces"), ws.checkout("r1", remote.url, shas[0]):
        with ws.checkout("r3", remote.url, shas[2]):  # r2 is now the least recently used
            assert ws.run_ids() == ["r1", "r3"]
        with ws.checkout("r4", remote.url, shas[3]):  # r1 is older but in use: r3 goes
            assert ws.run_ids() == ["r1", "r4"]
            assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
            with ws.checkout("r5", remote.url, shas[4]) as path:  # nothing idle to evict
                assert (path / "n.txt").read_text() == "4"
                assert ws.run_ids() == ["r1", "r4", "r5"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "over its budget" in warnings[0]
    assert "evicted worktree of run r2" in caplog.text and "evicted worktree of run r3" in caplog.text


def test_unused_mirrors_are_evicted_after_worktrees(
    make_ws: Callable[..., CountingWorkspaces], make_remote: Callable[..., Remote]
) -> None:
    ws = make_ws(max_bytes=1024 * 1024)
    first, second = make_remote("first"), make_remote("second")
    sha_a = first.commit({"big.bin": os.urandom(BIG)})
    sha_b1 = second.commit({"big.bin": os.urandom(BIG), "n.txt": "1"})
    sha_b2 = second.commit({"n.txt": "2"})
    with ws.checkout("a", first.url, sha_a):
        pass
    assert ws.release("a")
    mirror_a = ws.root / "mirrors" / f"{wgit.mirror_key(first.url)}.git"
    assert mirror_a.is_dir()
    with ws.checkout("b1", second.url, sha_b1), ws.checkout("b2", second.url, sha_b2):
        assert not mirror_a.exists()
        assert ws.run_ids() == ["b1", "b2"]
        assert ws.usage_bytes() <= 1024 * 1024
