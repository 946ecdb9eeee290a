"""Real git remotes for the workspace-cache tests, and a cache that records the git it runs."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prp_tasks.settings import WorkspaceSettings
from prp_tasks.workspaces import Workspaces
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


def files_in(path: Path) -> dict[str, str]:
    found = {}
    for file in sorted(path.rglob("*")):
        if file.is_file() and file.name != ".git":
            found[file.relative_to(path).as_posix()] = file.read_text()
    return found


def meta(ws: Workspaces, run_id: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ws.root / "meta" / f"{run_id}.json").read_text())
    return data
