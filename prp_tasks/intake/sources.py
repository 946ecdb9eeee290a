"""Where a run's checks get their source: a local directory, or a git remote at one commit.

* local (default): checks run in the submitted directory, so workers must share its filesystem
  (embedded mode, or workers on the submitting machine). Not a git repository: SHA ``unknown``.
* distributed: a local checkout is submitted as its remote's URL at HEAD; refused when the tree
  is dirty or HEAD is not pushed. Every worker checks the commit out into its own workspace.
* git url + commit: nothing local at all; the submitter reads ``initial.md`` from a checkout in
  its own workspace cache, then drops it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from prp_tasks.core.run import RepoInfo
from prp_tasks.errors import InputError, WorkspaceError
from prp_tasks.intake.repo import distributed_source, git_source, inspect_repo
from prp_tasks.settings import WorkspaceSettings
from prp_tasks.workspaces import Workspaces


@dataclass(frozen=True)
class RunSource:
    """How to turn what the user named into the run's :class:`RepoInfo`."""

    #: submit a local checkout as its remote at HEAD (workers on any machine)
    distributed: bool = False
    #: a git remote to run on instead of a local checkout (with ``commit``)
    git_url: str | None = None
    #: the full commit SHA to check out from ``git_url``
    commit: str | None = None
    #: the remote of a local checkout that ``distributed`` uses
    remote: str = "origin"
    #: where the submitter checks a ``git_url`` out to read its profile
    workspaces: WorkspaceSettings | None = None

    def repo_info(self, repo: str | Path | None) -> RepoInfo:
        if self.git_url is not None:
            if repo is not None:
                raise InputError("repo: give a local repository or a git url, not both")
            if not self.commit:
                raise InputError("commit: a git url needs the full commit SHA to run on")
            return git_source(self.git_url, self.commit)
        if repo is None:
            raise InputError("repo: a local repository path or a git url is required")
        if self.distributed:
            return distributed_source(repo, self.remote)
        return inspect_repo(repo)

    @contextlib.contextmanager
    def checkout(self, run_id: str, info: RepoInfo) -> Iterator[Path]:
        """A directory with the source's files, to read ``initial.md`` from."""
        if info.path or info.url is None:
            yield Path(info.path)
            return
        spaces = Workspaces(self.workspaces or WorkspaceSettings())
        try:
            with spaces.checkout(run_id, info.url, info.commit_sha) as path:
                yield path
        except WorkspaceError as exc:
            raise InputError(f"git source: {exc.message}") from None
        finally:
            spaces.release(run_id)
