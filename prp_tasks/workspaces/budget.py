"""The workspace cache's disk budget (``PRP_WORKSPACE__MAX_BYTES``): measuring the cache, and
evicting least recently used idle worktrees, then mirrors no worktree uses, while it is over.

A mixin of :class:`prp_tasks.workspaces.cache.Workspaces`, kept apart because it is one concept
with its own rules; it uses the cache's layout (``_settings``, ``_root``, ``_mirrors``,
``run_ids``, ``_read_meta``, ``_worktree``, ``_meta_path``, ``_mirror_of_run``, ``_mirror_lock``)
and its removal (``_release``).
"""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prp_tasks.errors import WorkspaceError
from prp_tasks.settings import WorkspaceSettings
from prp_tasks.workspaces.files import tree_size
from prp_tasks.workspaces.locks import acquire

logger = logging.getLogger("prp_tasks.workspaces")

#: the disk budget is enforced at most this often after creating a small worktree
BUDGET_INTERVAL_S = 5.0
#: a mirror's directory name (``tmp``: the remains of a crashed creation)
MIRROR_NAME = re.compile(r"(?P<key>[0-9a-f]{24})\.git(?P<tmp>\+[0-9a-f]+)?")


class DiskBudget:
    """Keeps the cache within its budget (see the module docstring for what it uses)."""

    if TYPE_CHECKING:  # what the cache provides
        _settings: WorkspaceSettings
        _root: Path
        _mirrors: Path
        _budget_checked: float

        def run_ids(self) -> list[str]: ...
        def _read_meta(self, run_id: str) -> dict[str, Any] | None: ...
        def _worktree(self, run_id: str) -> Path: ...
        def _meta_path(self, run_id: str) -> Path: ...
        def _mirror_of_run(self, run_id: str) -> Path | None: ...
        def _mirror_lock(self, key: str) -> Path: ...
        def _release(self, run_id: str, *, wait_mirror: bool) -> bool: ...

    def _budget_due(self, meta: dict[str, Any]) -> bool:
        """Whether to enforce the disk budget after creating a worktree: always after a large one
        (1/64 of the budget or more), else at most every BUDGET_INTERVAL_S (measuring the cache
        reads every worktree's metadata, too much to do for every small run)."""
        size = meta.get("size")
        large = not isinstance(size, int) or size * 64 >= self._settings.max_bytes
        if large or time.monotonic() - self._budget_checked >= BUDGET_INTERVAL_S:
            self._budget_checked = time.monotonic()
            return True
        return False

    def usage_bytes(self) -> int:
        """Bytes used by mirrors and worktrees (worktree sizes as measured at creation)."""
        total = 0
        for run_id in self.run_ids():
            size = (self._read_meta(run_id) or {}).get("size")
            total += size if isinstance(size, int) else tree_size(self._worktree(run_id))
        if self._mirrors.is_dir():
            total += sum(tree_size(entry) for entry in self._mirrors.iterdir())
        return total

    def _enforce_budget_safely(self, keep: str) -> None:
        try:
            self._enforce_budget(keep)
        except (OSError, WorkspaceError) as exc:  # eviction is housekeeping: never fail a check for it
            logger.warning("workspace cache eviction failed: %s", exc)

    def _enforce_budget(self, keep: str) -> None:
        """Evict least recently used idle worktrees, then unused mirrors, while over budget."""
        budget = self._settings.max_bytes
        usage = self.usage_bytes()
        if usage <= budget:
            return
        for run_id in self._lru(exclude=keep):
            if usage <= budget:
                break
            size = (self._read_meta(run_id) or {}).get("size")
            if self._release(run_id, wait_mirror=False):
                usage -= size if isinstance(size, int) else 0
                logger.info("evicted worktree of run %s (workspace cache over budget)", run_id)
        if usage > budget:
            self._evict_mirrors(usage, budget)
            usage = self.usage_bytes()
        if usage > budget:
            logger.warning(
                "workspace cache %s uses %d bytes, over its budget of %d bytes: the rest is in use",
                self._root,
                usage,
                budget,
            )

    def _lru(self, exclude: str) -> list[str]:
        """Runs by last use, oldest first; remains without metadata come first."""
        order: list[tuple[float, str]] = []
        for run_id in self.run_ids():
            if run_id == exclude:
                continue
            try:
                order.append((self._meta_path(run_id).stat().st_mtime, run_id))
            except FileNotFoundError:
                order.append((0.0, run_id))
        return [run_id for _, run_id in sorted(order)]

    def _referenced_mirrors(self) -> set[Path]:
        return {m for r in self.run_ids() if (m := self._mirror_of_run(r)) is not None}

    def _evict_mirrors(self, usage: int, budget: int) -> int:
        """Remove mirrors no worktree uses, least recently used first; returns the new usage."""
        referenced = self._referenced_mirrors()
        candidates = []
        for entry in self._mirrors.iterdir():
            match = MIRROR_NAME.fullmatch(entry.name)
            if match and entry not in referenced:
                with contextlib.suppress(FileNotFoundError):
                    candidates.append((entry.stat().st_mtime, entry, match["key"]))
        for _, entry, key in sorted(candidates):
            if usage <= budget:
                break
            lock = acquire(self._mirror_lock(key), wait=False)
            if lock is None:
                continue
            with lock:
                if entry in self._referenced_mirrors():
                    continue  # a worktree was added meanwhile
                size = tree_size(entry)
                shutil.rmtree(entry, ignore_errors=True)
                lock.unlink()
            usage -= size
            logger.info("evicted mirror %s (workspace cache over budget)", entry.name)
        return usage
