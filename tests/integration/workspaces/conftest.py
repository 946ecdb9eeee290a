"""Fixtures of the workspace-cache tests: remotes, a cache directory, caches on it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prp_tasks.settings import WorkspaceSettings
from tests.integration.workspaces.remotes import CountingWorkspaces, Remote, sh_git


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
