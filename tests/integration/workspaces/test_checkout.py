"""Checking a run's commit out of a real git remote: exact contents, reuse, fetching on demand,
refused URLs and ids, credentials kept out of messages (no mocks)."""

from __future__ import annotations

import logging
import socket
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from prp_tasks.workspaces import WorkspaceError
from prp_tasks.workspaces import git as wgit
from tests.integration.workspaces.remotes import CountingWorkspaces, Remote, files_in, meta, sh_git

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
