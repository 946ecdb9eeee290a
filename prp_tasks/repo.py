"""What a local checkout is: path, owner/name, branch, HEAD commit and whether it is dirty."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from prp_tasks.core.run import RepoInfo
from prp_tasks.errors import InputError

_REMOTE = re.compile(r"[:/]([^/:]+)/([^/]+?)(?:\.git)?/?$")


def _git(repo: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def inspect_repo(path: str | Path) -> RepoInfo:
    """Describe a local directory; a directory that is not a git repository gets SHA ``unknown``."""
    repo = Path(path).expanduser()
    if not repo.is_dir():
        raise InputError(f"repository path is not a directory: {path}")
    repo = repo.resolve()
    top = _git(repo, "rev-parse", "--show-toplevel")
    if top is None:
        return RepoInfo(repo=repo.name or "repo", path=str(repo))
    sha = _git(repo, "rev-parse", "HEAD") or "unknown"
    branch = _git(repo, "rev-parse", "--abbrev-ref", "HEAD") or "unknown"
    status = _git(repo, "status", "--porcelain", "--untracked-files=normal", "--", ".")
    owner, name = "local", repo.name
    remote = _git(repo, "remote", "get-url", "origin")
    if remote:
        match = _REMOTE.search(remote)
        if match:
            owner, name = match.group(1), match.group(2)
    return RepoInfo(owner=owner, repo=name, branch=branch, commit_sha=sha, path=str(repo), dirty=bool(status))
