"""The worker-side git workspace cache against real git repositories (no mocks)."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import socket
import stat
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from prp_tasks.settings import WorkspaceSettings
from prp_tasks.workspaces import WorkspaceError, Workspaces
from prp_tasks.workspaces import git as wgit

BIG = 300_000  # bytes of the large file in eviction tests; budget 1 MiB fits a mirror and two worktrees


def sh_git(*args: str, cwd: Path | None = None) -> str:
    """git for building the test remotes (not the code under test)."""
    argv = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"]
    done = subprocess.run([*argv, *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout.strip()


@dataclass
class Remote:
    """A bare repository reachable as ``file://`` and a scratch clone to commit from."""

    bare: Path
    scratch: Path

    @property
    def url(self) -> str:
        return self.bare.as_uri()

    def commit(self, files: dict[str, str | bytes], *, push: str | None = "refs/heads/main") -> str:
        for name, content in files.items():
            path = self.scratch / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
        sh_git("add", "-A", cwd=self.scratch)
        sh_git("commit", "-q", "--allow-empty", "-m", "change", cwd=self.scratch)
        sha = sh_git("rev-parse", "HEAD", cwd=self.scratch)
        if push:
            sh_git("push", "-q", "origin", f"HEAD:{push}", cwd=self.scratch)
        return sha


class CountingWorkspaces(Workspaces):
    """Records every git command the cache runs (they still really run)."""

    def __init__(self, settings: WorkspaceSettings) -> None:
        super().__init__(settings)
        self.calls: list[tuple[str, ...]] = []

    def _git(self, git_dir: Path | None, *args: str, url: str = "") -> wgit.GitResult:
        self.calls.append(args)
        return super()._git(git_dir, *args, url=url)

    def commands(self) -> list[str]:
        return [" ".join(c[:2]) for c in self.calls]


@pytest.fixture
def make_remote(tmp_path: Path) -> Callable[..., Remote]:
    def make(name: str = "origin") -> Remote:
        bare, scratch = tmp_path / "remotes" / f"{name}.git", tmp_path / "scratch" / name
        sh_git("init", "-q", "--bare", str(bare))
        sh_git("init", "-q", str(scratch))
        sh_git("remote", "add", "origin", str(bare), cwd=scratch)
        return Remote(bare, scratch)

    return make


@pytest.fixture
def remote(make_remote: Callable[..., Remote]) -> Remote:
    return make_remote()


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def make_ws(cache_dir: Path) -> Callable[..., CountingWorkspaces]:
    def make(**options: Any) -> CountingWorkspaces:
        return CountingWorkspaces(WorkspaceSettings(cache_dir=cache_dir, **options))

    return make


@pytest.fixture
def ws(make_ws: Callable[..., CountingWorkspaces]) -> CountingWorkspaces:
    return make_ws()


def files_in(path: Path) -> dict[str, str]:
    found = {}
    for file in sorted(path.rglob("*")):
        if file.is_file() and file.name != ".git":
            found[file.relative_to(path).as_posix()] = file.read_text()
    return found


def meta(ws: Workspaces, run_id: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ws.root / "meta" / f"{run_id}.json").read_text())
    return data


# Checkout -------------------------------------------------------------------------------------------


def test_checkout_gives_exactly_the_commit(ws: CountingWorkspaces, remote: Remote) -> None:
    first = remote.commit({"a.txt": "one\n", "src/b.py": "print(1)\n"})
    remote.commit({"a.txt": "two\n", "c.txt": "later\n"})

    with ws.checkout("run-1", remote.url, first) as path:
        assert path == ws.root / "worktrees" / "run-1"
        assert files_in(path) == {"a.txt": "one\n", "src/b.py": "print(1)\n"}
        assert sh_git("rev-parse", "HEAD", cwd=path) == first
        assert sh_git("status", "--porcelain", "--untracked-files=all", "--ignored", cwd=path) == ""
        assert sorted(p.name for p in path.iterdir()) == [".git", "a.txt", "src"]
        size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())

    info = meta(ws, "run-1")
    assert (info["sha"], info["url"], info["size"]) == (first, remote.url, size)
    assert ws.run_ids() == ["run-1"]
    assert ws.usage_bytes() >= info["size"]
    mirrors = list((ws.root / "mirrors").iterdir())
    assert [m.name for m in mirrors] == [f"{wgit.mirror_key(remote.url)}.git"]
    assert sh_git("--git-dir", str(mirrors[0]), "config", "remote.origin.url") == remote.url


def test_second_checkout_reuses_without_running_git(ws: CountingWorkspaces, remote: Remote) -> None:
    sha = remote.commit({"a.txt": "x"})
    with ws.checkout("r", remote.url, sha):
        pass
    assert "fetch --quiet" in ws.commands() and "worktree add" in ws.commands()
    created = meta(ws, "r")["created"]

    ws.calls.clear()
    with ws.checkout("r", remote.url, sha[:10]) as path:
        assert (path / "a.txt").read_text() == "x"
    assert ws.calls == []
    assert meta(ws, "r")["created"] == created

    with ws.checkout("other-run", remote.url, sha):  # same commit, new run: no fetch
        pass
    assert "fetch --quiet" not in ws.commands()
    assert "worktree add" in ws.commands()


def test_commit_pushed_later_is_fetched_on_demand(ws: CountingWorkspaces, remote: Remote) -> None:
    old = remote.commit({"a.txt": "old"})
    with ws.checkout("r1", remote.url, old):
        pass
    new = remote.commit({"a.txt": "new"})
    ws.calls.clear()
    with ws.checkout("r2", remote.url, new[:7]) as path:
        assert (path / "a.txt").read_text() == "new"
    assert ws.commands().count("fetch --quiet") == 1
    assert meta(ws, "r2")["sha"] == new


def test_commit_only_reachable_from_another_ref_is_fetched_by_id(
    ws: CountingWorkspaces, remote: Remote
) -> None:
    remote.commit({"a.txt": "main"})
    hidden = remote.commit({"a.txt": "hidden"}, push="refs/pull/1/head")
    with ws.checkout("r", remote.url, hidden) as path:
        assert (path / "a.txt").read_text() == "hidden"
    fetches = [c for c in ws.calls if c[0] == "fetch"]
    assert len(fetches) == 2 and fetches[1][-1] == hidden


def test_unknown_commit_says_it_was_not_pushed(ws: CountingWorkspaces, remote: Remote) -> None:
    remote.commit({"a.txt": "x"})
    unpushed = remote.commit({"a.txt": "local only"}, push=None)
    with pytest.raises(WorkspaceError) as caught, ws.checkout("r", remote.url, unpushed):
        pytest.fail("must not yield")
    assert caught.value.message == f"commit {unpushed} is not in {remote.url} (was it pushed?)"
    assert ws.run_ids() == []
    assert not any((ws.root / "worktrees").iterdir())


def test_unreachable_remote(ws: CountingWorkspaces, tmp_path: Path) -> None:
    url = (tmp_path / "does-not-exist.git").as_uri()
    with pytest.raises(WorkspaceError) as caught, ws.checkout("r", url, "a" * 40):
        pass
    message = caught.value.message
    assert message.startswith(f"cannot fetch {url}: ") and "does not appear to be a git repository" in message
    assert "\n" not in message and "Traceback" not in message
    assert list((ws.root / "mirrors").iterdir()) == []  # the failed mirror is not kept


def test_credentials_never_appear_in_messages(
    make_ws: Callable[..., CountingWorkspaces], caplog: pytest.LogCaptureFixture
) -> None:
    ws = make_ws(git_timeout_s=20)
    url = "https://user:s3cret@127.0.0.1:1/x.git"
    with (
        caplog.at_level(logging.DEBUG, logger="prp_tasks.workspaces"),
        pytest.raises(WorkspaceError) as caught,
        ws.checkout("r", url, "a" * 40),
    ):
        pass
    assert caught.value.message.startswith("cannot fetch https://[REDACTED]@127.0.0.1:1/x.git: ")
    assert "s3cret" not in str(caught.value) and "s3cret" not in repr(caught.value)
    assert "s3cret" not in caplog.text

    strict = make_ws(allowed_remotes=("https://github.com/",))
    for bad in ("https://ghp_abcdefghijklmnopqrstuvwxyz0123@evil.example/x.git", "ftp://u:s3cret@h/x"):
        with pytest.raises(WorkspaceError) as refused, strict.checkout("r", bad, "a" * 40):
            pass
        assert "s3cret" not in refused.value.message and "ghp_" not in refused.value.message
        assert "is not allowed (PRP_WORKSPACE__ALLOWED_REMOTES)" in refused.value.message


def test_git_timeout_names_the_command_without_credentials(
    make_ws: Callable[..., CountingWorkspaces],
) -> None:
    ws = make_ws(git_timeout_s=1)
    with socket.socket() as silent:  # accepts connections (backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        url = f"https://user:s3cret@127.0.0.1:{port}/x.git"
        with pytest.raises(WorkspaceError) as caught, ws.checkout("r", url, "a" * 40):
            pass
    message = caught.value.message
    assert message.startswith("git fetch ")
    assert message.endswith(f"(https://[REDACTED]@127.0.0.1:{port}/x.git) timed out after 1s")
    assert "s3cret" not in message


@pytest.mark.parametrize(
    "url",
    [
        "ext::sh -c touch% /tmp/pwned",
        "-uhttps://example.com/x.git",
        "--upload-pack=touch /tmp/pwned",
        "/local/path/repo.git",
        "host:path/repo.git",
        "https://example.com/a b.git",
        "https://example.com/x.git\n[core]",
        "",
    ],
)
def test_dangerous_or_malformed_urls_are_refused(ws: CountingWorkspaces, url: str) -> None:
    with pytest.raises(WorkspaceError), ws.checkout("r", url, "a" * 40):
        pass
    assert ws.calls == []
    assert not ws.root.exists()


def test_allowed_remotes_is_a_prefix_allowlist(
    make_ws: Callable[..., CountingWorkspaces], remote: Remote
) -> None:
    sha = remote.commit({"a.txt": "x"})
    ws = make_ws(allowed_remotes=(remote.bare.parent.as_uri() + "/",))
    with ws.checkout("ok", remote.url, sha) as path:
        assert (path / "a.txt").read_text() == "x"
    other = (remote.bare.parent.parent / "elsewhere" / "x.git").as_uri()
    with pytest.raises(WorkspaceError) as caught, ws.checkout("no", other, sha):
        pass
    assert caught.value.message == f"remote {other} is not allowed (PRP_WORKSPACE__ALLOWED_REMOTES)"
    wgit.check_remote("https://tok:x@git.example.com/org/r.git", ("https://git.example.com/org/",))
    wgit.check_remote("git@github.com:org/r.git", ("git@github.com:org/",))
    for sneaky in ("https://git.example.com@evil.example/org/r.git", "ssh://-oProxyCommand=x/r.git"):
        with pytest.raises(WorkspaceError, match="is not allowed"):
            wgit.check_remote(sneaky, ("https://git.example.com", "ssh://"))


@pytest.mark.parametrize(
    ("run_id", "sha"),
    [
        ("../x", "a" * 40),
        ("..", "a" * 40),
        ("a/b", "a" * 40),
        ("x" * 101, "a" * 40),
        ("r", "abc12"),
        ("r", "g" * 40),
    ],
)
def test_bad_run_ids_and_shas_are_refused(ws: CountingWorkspaces, run_id: str, sha: str) -> None:
    with pytest.raises(WorkspaceError), ws.checkout(run_id, "https://example.com/x.git", sha):
        pass
    assert ws.calls == []


def test_a_run_has_one_commit(ws: CountingWorkspaces, remote: Remote) -> None:
    one, two = remote.commit({"a.txt": "1"}), remote.commit({"a.txt": "2"})
    with ws.checkout("r", remote.url, one):
        pass
    with (
        pytest.raises(WorkspaceError, match="already has a worktree at commit"),
        ws.checkout("r", remote.url, two),
    ):
        pass


def test_a_worktree_without_metadata_is_recreated(ws: CountingWorkspaces, remote: Remote) -> None:
    sha = remote.commit({"a.txt": "x"})
    with ws.checkout("r", remote.url, sha) as path:
        (path / "junk.txt").write_text("left by a crashed creation")
    (ws.root / "meta" / "r.json").unlink()
    with ws.checkout("r", remote.url, sha) as again:
        assert files_in(again) == {"a.txt": "x"}
        assert sh_git("status", "--porcelain", "--untracked-files=all", cwd=again) == ""
    assert meta(ws, "r")["sha"] == sha


def test_directories_are_private(ws: CountingWorkspaces, remote: Remote) -> None:
    sha = remote.commit({"a.txt": "x"})
    with ws.checkout("r", remote.url, sha) as path:
        mirror = ws.root / "mirrors" / f"{wgit.mirror_key(remote.url)}.git"
        for directory in (
            ws.root,
            ws.root / "mirrors",
            ws.root / "worktrees",
            ws.root / "locks",
            mirror,
            path,
        ):
            assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory


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
