"""Worker-side git workspaces: a bare mirror per remote and a shared worktree per run.

Usage (on a worker, around a check)::

    workspaces = Workspaces(settings.workspace)
    with workspaces.checkout(run_id, url, sha) as path:
        ...  # run the check with cwd=path; the worktree cannot be removed meanwhile
    workspaces.release_finished(lambda ids: [store.is_finished(r) for r in ids])

Modules: :mod:`.cache` (mirrors, worktrees, their locks and collection), :mod:`.budget` (the
disk budget and eviction), :mod:`.local` (workspaces of a local directory), :mod:`.git`,
:mod:`.locks`, :mod:`.files`.

Everything raised on purpose is a :class:`WorkspaceError` with a credential-free message.

May import: core, errors, settings.
"""

from __future__ import annotations

from prp_tasks.errors import WorkspaceError
from prp_tasks.workspaces.cache import Workspaces

__all__ = ["WorkspaceError", "Workspaces"]
