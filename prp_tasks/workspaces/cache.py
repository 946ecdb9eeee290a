"""The worker-side workspace cache: one bare mirror per remote, one worktree per run.

Layout under :attr:`Workspaces.root` (every directory ``0o700``)::

    mirrors/<sha256(url)[:24]>.git   bare repository, origin = url (branches and tags)
    worktrees/<run_id>/              detached checkout of the run's commit, shared by its checks
                                     (a local source: a worktree of the user's checkout with its
                                     uncommitted changes, or a snapshot of a plain directory)
    meta/<run_id>.json               url (masked) or source, mirror, sha, owner, created,
                                     created_by, size; its mtime is the run's last use (LRU)
    locks/run-<run_id>.lock          flock: shared while a check uses the worktree, exclusive to
                                     create or remove it
    locks/mirror-<key>.lock          flock: exclusive to create, fetch, add or remove worktrees, evict

Lock order is always run, then mirror; eviction never waits (it skips what is busy), so nothing
deadlocks. A :class:`Workspaces` keeps no state but when it last enforced the budget: share one
between threads freely.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import re
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from prp_tasks.errors import WorkspaceError
from prp_tasks.settings import WorkspaceSettings
from prp_tasks.workspaces import git, local
from prp_tasks.workspaces.budget import MIRROR_NAME, DiskBudget
from prp_tasks.workspaces.files import default_cache_dir, mkdir_private, touch, tree_size, worktrees_dir
from prp_tasks.workspaces.locks import FileLock, acquire, locked

logger = logging.getLogger("prp_tasks.workspaces")

_ATTEMPTS = 5
#: how long a check waits at most, per time in a row, before looking again when it found the run's
#: lock busy more than once (the first time it looks again at once: the shared lock it then takes
#: waits for a check that is creating the worktree; busy again means another check only looked)
_BUSY_S = 0.001
#: after this long of finding it busy, a check waits for the lock (as it did before it looked)
_BUSY_MAX_S = 2.0
#: per-run paths remembered (a plain cache, dropped whole when full)
_PATHS_KEPT = 4096
#: a workspace another deployment (another Redis) created is left alone unless unused this long
FOREIGN_STALE_S = 86400.0


class Workspaces(DiskBudget):
    """Git mirrors and per-run worktrees of one worker machine, bounded by a disk budget."""

    def __init__(self, settings: WorkspaceSettings) -> None:
        self._settings = settings
        self._root = (settings.cache_dir or default_cache_dir()).expanduser().resolve()
        self._budget_checked = 0.0  # monotonic time of the last budget enforcement by this object
        self._mirrors = self._root / "mirrors"
        self._worktrees = worktrees_dir(self._root)  # outside a hidden folder (~/.cache)
        self._meta = self._root / "meta"
        self._locks = self._root / "locks"
        self._run_paths: dict[str, tuple[Path, Path, Path]] = {}

    @property
    def root(self) -> Path:
        """The cache directory (absolute)."""
        return self._root

    # Public API ---------------------------------------------------------------------------------

    @contextlib.contextmanager
    def checkout(self, run_id: str, url: str, sha: str, owner: str = "") -> Iterator[Path]:
        """Yield the run's worktree at ``sha`` of ``url``, holding it in use (shared lock) until exit.

        The first call for a run (on this machine) fetches the commit into the mirror if missing
        and creates the worktree; later calls reuse it without running git. Raises
        :class:`WorkspaceError` for a bad or disallowed remote, an unknown commit, a failed git
        command or a run that already has a worktree at another commit. ``owner`` names the
        deployment (its Redis) the run belongs to: only it collects the worktree as finished.
        """
        run_id, sha = git.check_run_id(run_id), git.check_sha(sha)
        git.check_remote(url, self._settings.allowed_remotes)
        with self._held(run_id, sha, lambda: self._create(run_id, url, sha, owner)) as (path, _):
            yield path

    @contextlib.contextmanager
    def local(self, run_id: str, source: Path, sha: str, owner: str = "") -> Iterator[Path]:
        """Yield the run's workspace of the local directory ``source`` (see :mod:`.local`).

        A git checkout at ``sha`` gets a worktree of that commit with the checkout's uncommitted
        changes; anything else (``sha`` ``unknown``) a snapshot copy. Created by the run's first
        check on this machine, shared by the later ones, removed like a git source's worktree.
        The yielded path is the submitted directory's counterpart (a subdirectory of the worktree
        when ``source`` is below the checkout's top level).
        """
        run_id = git.check_run_id(run_id)
        sha = sha if sha == "unknown" else git.check_sha(sha)

        def create() -> None:  # (once the workspace exists, its source is no longer read)
            if not source.is_dir():
                raise WorkspaceError(f"the run's directory {source} is gone")
            self._create_local(run_id, source, sha, owner)

        with self._held(run_id, sha, create) as (path, meta):
            prefix = meta.get("prefix")
            yield path / prefix if isinstance(prefix, str) and prefix else path

    @contextlib.contextmanager
    def _held(
        self, run_id: str, sha: str, create: Callable[[], None]
    ) -> Iterator[tuple[Path, dict[str, Any]]]:
        """The run's worktree (created if needed) and its metadata, in use for the block."""
        if not self._locks.is_dir():
            self._ensure_layout()
        lock, created, meta = self._hold(run_id, sha, create)
        try:
            if created and self._budget_due(meta):
                self._enforce_budget_safely(keep=run_id)
            yield self._worktree(run_id), meta
        finally:
            lock.release()

    def release(self, run_id: str) -> bool:
        """Remove the run's worktree now unless a check is using it (then ``False``). Idempotent."""
        return self._release(git.check_run_id(run_id), wait_mirror=True)

    def release_finished(self, is_done: Callable[[list[str]], list[bool]], owner: str = "") -> list[str]:
        """GC: ask ``is_done`` about every run of ``owner`` that has a worktree here; remove those done
        and not in use. Another owner's (another deployment's) worktrees are removed only when unused
        for :data:`FOREIGN_STALE_S`: their runs are unknown to ``is_done``.

        ``is_done`` gets the run ids and returns one flag per id, in order. Returns the removed ids.
        """
        mine, stale = [], []
        for run_id in self.run_ids():
            meta = self._read_meta(run_id) or {}
            if not owner or meta.get("owner", "") in ("", owner):
                mine.append(run_id)
            elif self._unused_for(run_id) > FOREIGN_STALE_S:
                stale.append(run_id)
        flags = is_done(mine) if mine else []
        done = [r for r, flag in zip(mine, flags, strict=True) if flag]
        return [r for r in done + stale if self.release(r)]

    def _unused_for(self, run_id: str) -> float:
        try:
            return time.time() - self._meta_path(run_id).stat().st_mtime
        except FileNotFoundError:
            return 0.0

    def run_ids(self) -> list[str]:
        """Runs with a worktree (or the remains of one) here, sorted."""
        found: set[str] = set()
        with contextlib.suppress(FileNotFoundError):
            found.update(p.name[:-5] for p in self._meta.iterdir() if p.name.endswith(".json"))
        with contextlib.suppress(FileNotFoundError):
            found.update(p.name for p in self._worktrees.iterdir() if p.is_dir())
        return sorted(r for r in found if git.is_run_id(r))

    # Layout ----------------------------------------------------------------------------------------

    def _worktree(self, run_id: str) -> Path:
        return self._paths(run_id)[0]

    def _meta_path(self, run_id: str) -> Path:
        return self._paths(run_id)[1]

    def _run_lock(self, run_id: str) -> Path:
        return self._paths(run_id)[2]

    def _paths(self, run_id: str) -> tuple[Path, Path, Path]:
        """The run's worktree, metadata file and lock, built once per run (every check asks)."""
        paths = self._run_paths.get(run_id)
        if paths is None:
            if len(self._run_paths) >= _PATHS_KEPT:
                self._run_paths.clear()
            paths = (
                self._worktrees / run_id,
                self._meta / f"{run_id}.json",
                self._locks / f"run-{run_id}.lock",
            )
            self._run_paths[run_id] = paths
        return paths

    def _mirror_lock(self, key: str) -> Path:
        return self._locks / f"mirror-{key}.lock"

    def _ensure_layout(self) -> None:
        self._root.parent.mkdir(parents=True, exist_ok=True)
        for path in (self._root, self._mirrors, self._worktrees, self._meta, self._locks):
            mkdir_private(path)

    def _git(self, git_dir: Path | None, *args: str, url: str = "") -> git.GitResult:
        """Run one git command (the single place git is started; a hook for tests)."""
        return git.run_git(git_dir, args, timeout=self._settings.git_timeout_s, url=url)

    # Metadata -------------------------------------------------------------------------------------

    def _read_meta(self, run_id: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self._meta_path(run_id).read_text())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def _write_meta(self, run_id: str, meta: dict[str, Any]) -> None:
        path = self._meta_path(run_id)
        tmp = path.with_name(f"{path.name}+{uuid.uuid4().hex[:12]}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(meta, out, indent=1, sort_keys=True)
        os.replace(tmp, path)

    def _mirror_from_meta(self, run_id: str) -> Path | None:
        key = (self._read_meta(run_id) or {}).get("mirror")
        if isinstance(key, str) and re.fullmatch(r"[0-9a-f]{24}", key):
            return self._mirrors / f"{key}.git"
        return None

    def _mirror_of_run(self, run_id: str) -> Path | None:
        """The run's mirror, trusting only paths inside ``mirrors/`` (a check may edit ``.git``)."""
        found = self._mirror_from_meta(run_id) or git.mirror_of(self._worktree(run_id))
        match = MIRROR_NAME.fullmatch(found.name) if found is not None else None
        if found is None or found.parent != self._mirrors or match is None or match["tmp"]:
            return None
        return found

    # Checkout ------------------------------------------------------------------------------------

    def _hold(
        self, run_id: str, sha: str, create: Callable[[], None]
    ) -> tuple[FileLock, bool, dict[str, Any]]:
        """A shared lock on the run's ready worktree (created if needed), whether we created it and
        its metadata.

        The exclusive lock that creation needs is only tried, never waited for: checks holding the
        ready worktree (shared) for minutes would otherwise hold up every check that came in while
        it was being created. Busy means another check is creating it (look again at once: the
        shared lock waits for that) or is looking at it, as this one does (busy again: look again
        after a short random pause)."""
        created, exclusive, busy_until, busy = False, 0, time.monotonic() + _BUSY_MAX_S, 0
        while exclusive < _ATTEMPTS:
            lock = acquire(self._run_lock(run_id), shared=True)
            assert lock is not None
            try:
                meta = self._ready(run_id, sha)
                if meta is not None:
                    with contextlib.suppress(FileNotFoundError):
                        touch(self._meta_path(run_id))  # last use, for LRU eviction
                    return lock, created, meta
            except BaseException:
                lock.release()
                raise
            lock.release()
            made = self._create_if_missing(run_id, sha, create, wait=time.monotonic() > busy_until)
            if made is None:
                busy += 1
                if busy > 1:  # checks looking at once, each in the others' way: part them
                    time.sleep(_BUSY_S * min(busy, 10) * random.random())
                continue
            busy = 0
            created, exclusive = created or made, exclusive + 1
            # flock cannot downgrade atomically: take the shared lock again and re-check
        raise WorkspaceError(f"the worktree of run {run_id} keeps being removed while checking it out")

    def _create_if_missing(
        self, run_id: str, sha: str, create: Callable[[], None], *, wait: bool = False
    ) -> bool | None:
        """Create the run's worktree under its exclusive lock unless it is ready by then: whether
        this call created it, None when the lock is busy (``wait``: wait for it instead; after
        ``_BUSY_MAX_S`` of busy looks, so a worktree that stays unready while a check holds it
        costs a wait, not a busy loop)."""
        lock = acquire(self._run_lock(run_id), wait=wait)
        if lock is None:
            return None
        with lock:
            if self._ready(run_id, sha) is not None:
                return False
            self._ensure_layout()
            self._discard(run_id, wait_mirror=True)  # remains of a crash, if any
            create()
            return True

    def _ready(self, run_id: str, sha: str) -> dict[str, Any] | None:
        """The metadata of the run's complete worktree, or None."""
        meta, path = self._read_meta(run_id), self._worktree(run_id)
        if meta is None or "created" not in meta:
            return None
        if not ((path / ".git").is_file() if meta.get("kind") != "snapshot" else path.is_dir()):
            return None
        have = str(meta.get("sha", ""))
        if not have.startswith(sha):
            raise WorkspaceError(f"run {run_id} already has a worktree at commit {have[:12]}, not {sha}")
        return meta

    def _create(self, run_id: str, url: str, sha: str, owner: str) -> None:
        """Create the run's worktree; the caller holds the run's lock exclusively."""
        key = git.mirror_key(url)
        mirror, path = self._mirrors / f"{key}.git", self._worktree(run_id)
        with locked(self._mirror_lock(key)):
            fresh = git.ensure_mirror(self._git, mirror, url)
            try:
                full, _ = git.fetch_commit(self._git, mirror, url, sha)
            except BaseException:
                if fresh:
                    shutil.rmtree(mirror, ignore_errors=True)
                raise
            mkdir_private(path)
            try:
                git.add_worktree(self._git, mirror, path, full)
            except BaseException:
                git.remove_worktree(self._git, mirror, path)
                raise
            meta = {
                "run_id": run_id,
                "url": git.mask(url, url),
                "mirror": key,
                "sha": full,
                "owner": owner,
                "created": time.time(),
                "created_by": f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}",
                "size": tree_size(path),
            }
            self._write_meta(run_id, meta)
            touch(mirror)  # last use of the mirror
        logger.info("created worktree of run %s at %s (%d bytes)", run_id, full[:12], meta["size"])

    def _create_local(self, run_id: str, source: Path, sha: str, owner: str) -> None:
        """Create the run's workspace of a local directory (run lock held exclusively)."""
        checkout = local.inspect(self._git, source, sha)
        path = self._worktree(run_id)
        kind, origin = ("local-git", checkout.top) if checkout.is_git else ("snapshot", source)
        meta = {"run_id": run_id, "sha": sha, "owner": owner, "prefix": checkout.prefix, "kind": kind}
        meta["source"] = str(origin)
        self._write_meta(run_id, meta)  # first: a crash midway leaves remains _discard can find
        try:
            local.populate(self._git, checkout, path, sha)
        except BaseException:
            self._discard(run_id, wait_mirror=True)
            raise
        host = f"{socket.gethostname()}:{os.getpid()}"
        self._write_meta(
            run_id, {**meta, "created": time.time(), "size": tree_size(path), "created_by": host}
        )
        logger.info("created the workspace of run %s (%s of %s)", run_id, kind, source)

    # Removal and eviction ------------------------------------------------------------------------

    def _release(self, run_id: str, *, wait_mirror: bool) -> bool:
        if not self._locks.is_dir():
            return True
        lock = acquire(self._run_lock(run_id), wait=False)
        if lock is None:
            return False
        with lock:
            existed = self._worktree(run_id).exists() or self._meta_path(run_id).exists()
            if not self._discard(run_id, wait_mirror=wait_mirror):
                return False
            lock.unlink()
        if existed:
            logger.info("removed worktree of run %s", run_id)
        return True

    def _discard(self, run_id: str, *, wait_mirror: bool) -> bool:
        """Remove the run's worktree and metadata (run lock held exclusively); False if the mirror is busy."""
        path = self._worktree(run_id)
        meta = self._read_meta(run_id) or {}
        if meta.get("kind") == "local-git" and isinstance(meta.get("source"), str):
            local.remove_worktree(self._git, Path(meta["source"]), path)
        elif path.exists() or path.is_symlink():
            mirror = self._mirror_of_run(run_id)
            if mirror is None:
                shutil.rmtree(path, ignore_errors=True)
            else:
                mirror_lock = acquire(self._mirror_lock(mirror.name[:24]), wait=wait_mirror)
                if mirror_lock is None:
                    return False
                with mirror_lock:
                    git.remove_worktree(self._git, mirror, path)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._meta_path(run_id))
        return True
