"""Isolated environments of one machine, next to the workspace cache, bounded by count and size.

Layout under ``<PRP_WORKSPACE__CACHE_DIR>/envs/`` (directories ``0o700``)::

    <key>/                 the environment (a virtualenv); key: sha256 of the build plan
    <key>.json             what was built: interpreter, installer, sources, installed packages,
                           duration, log tail; written last (no file: not ready); mtime = last use
    <key>.log              the installers' output of the last build
    <key>.failed.json      a build that failed less than FAILED_TTL_S ago (not tried again sooner)
    ../locks/env-<key>.lock  flock: shared while a check uses the environment, exclusive to build
                           or remove it

A check waits for another's build of the same key by polling the lock (so a cancelled run or the
build time limit still stops it). Eviction never waits: it skips environments in use.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

from prp_tasks.core.text import first_lines
from prp_tasks.environments.build import (
    Build,
    base_python,
    choose_installer,
    freeze,
    interpreter_id,
    log_tail,
)
from prp_tasks.environments.project import BuildPlan
from prp_tasks.environments.projectfiles import EnvironmentSetupError
from prp_tasks.settings import WorkspaceSettings
from prp_tasks.workspaces.files import default_cache_dir, mkdir_private, touch, tree_size
from prp_tasks.workspaces.locks import FileLock, acquire

log = logging.getLogger("prp_tasks.environments")

#: a failed build of the same declarations is reported again, not retried, for this long
FAILED_TTL_S = 60.0
_POLL_S = 0.1
_ATTEMPTS = 5


def installer_settings() -> str:
    """A digest of the installers' settings in this process's environment (``UV_*``, ``PIP_*``)."""
    found = sorted((k, v) for k, v in os.environ.items() if k.startswith(("UV_", "PIP_")))
    return hashlib.sha256(json.dumps(found).encode()).hexdigest()[:16] if found else ""


@dataclass(frozen=True)
class Held:
    """An environment in use: its directory, its build record, whether this call built it and how
    long it waited for another check's build of it (seconds, 0 when it did not wait)."""

    path: Path
    record: dict[str, Any]
    built: bool
    waited_s: float = 0.0


class EnvironmentStore:
    """Build-once, reuse-everywhere isolated environments (safe to share between threads)."""

    def __init__(self, settings: WorkspaceSettings) -> None:
        self._settings = settings
        cache = (settings.cache_dir or default_cache_dir()).expanduser().resolve()
        self.root = cache / "envs"
        self._locks = cache / "locks"

    @contextlib.contextmanager
    def hold(self, plan: BuildPlan, python: str | None, stop: threading.Event) -> Iterator[Held]:
        """The environment of ``plan`` (built if missing), in use until the block ends."""
        installer = choose_installer(self._settings.env_installer)
        python = python or base_python()
        key = plan.key(interpreter_id(python, installer), installer.name)[:32]
        self._ensure_layout()
        deadline = time.monotonic() + self._settings.env_build_timeout_s
        build = Build(plan, installer, python, self.root / key, self.root / f"{key}.log", stop, deadline)
        began = time.monotonic()
        lock, record, built = self._hold(key, lambda: self._build(key, build), stop, deadline)
        waited = 0.0 if built else time.monotonic() - began
        try:
            if built:
                self._evict_safely(keep=key)
            yield Held(self.root / key, record, built, waited)
        finally:
            lock.release()

    def system_bin(self) -> Path:
        """A directory with ``python``/``python3`` linked to the base interpreter (for ``system``
        when the worker's PATH has no ``python``)."""
        self._ensure_layout()
        folder = self.root / "system-bin"
        if not folder.is_dir():
            tmp = self.root / f"system-bin+{uuid.uuid4().hex[:8]}"
            mkdir_private(tmp)
            for name in ("python", "python3"):
                os.symlink(base_python(), tmp / name)
            with contextlib.suppress(OSError):
                os.rename(tmp, folder)
            shutil.rmtree(tmp, ignore_errors=True)
        return folder

    # Holding and building ----------------------------------------------------------------------

    def _hold(
        self, key: str, build: Any, stop: threading.Event, deadline: float
    ) -> tuple[FileLock, dict[str, Any], bool]:
        built = False
        for _ in range(_ATTEMPTS):
            lock = _wait_lock(self._lock(key), True, stop, deadline)
            record = self._ready(key)
            if record is not None:
                with contextlib.suppress(FileNotFoundError):
                    touch(self._meta(key))
                return lock, record, built
            lock.release()
            # (while another check that built it runs with it shared, the exclusive lock never
            # comes: sh's format check waited 76 s for a test run, "waiting for its build")
            exclusive = _wait_lock(
                self._lock(key), False, stop, deadline, lambda: self._ready(key) is not None
            )
            if exclusive is None:
                continue  # built meanwhile: taken shared
            with exclusive:
                if self._ready(key) is None:
                    self._recent_failure(key)
                    build()
                    built = True
        raise EnvironmentSetupError(f"the environment {key[:12]} keeps being removed while checking it out")

    def _ready(self, key: str) -> dict[str, Any] | None:
        try:
            record = json.loads(self._meta(key).read_text())
        except (OSError, ValueError):
            return None
        ok = isinstance(record, dict) and (self.root / key / "bin" / "python").exists()
        return record if ok else None

    def _recent_failure(self, key: str) -> None:
        """A build of ``key`` that failed less than FAILED_TTL_S ago with the same installer settings
        fails again at once; changed settings (html5lib's user set ``UV_BUILD_CONSTRAINT`` to build
        it) build again."""
        path = self.root / f"{key}.failed.json"
        try:
            failed = json.loads(path.read_text())
        except (OSError, ValueError):
            return
        age = time.time() - float(failed.get("at", 0))
        if age < FAILED_TTL_S and failed.get("settings", "") == installer_settings():
            raise EnvironmentSetupError(
                f"{failed.get('message', 'failed')}\n(the same build failed {age:.0f}s ago)"
            )
        path.unlink(missing_ok=True)

    def _build(self, key: str, build: Build) -> None:
        """Build ``key`` (exclusive lock held): the environment, then its record; a failure removes it."""
        self._remove(key)
        build.log.write_text("")
        sources = "; ".join(build.plan.sources) or "no dependencies"
        log.info(
            "building environment %s with %s for %s (%s)",
            key[:12],
            build.installer.name,
            build.plan.workspace,
            sources,
        )
        started = time.monotonic()
        try:
            build.run()
        except BaseException as exc:
            self._failed(key, exc, started)
            raise
        duration_ms, installed = (
            int((time.monotonic() - started) * 1000),
            freeze(build.installer, build.target),
        )
        record = {
            "key": key,
            "installer": build.installer.name,
            "python": build.python,
            "sources": list(build.plan.sources),
            "created": time.time(),
            "duration_ms": duration_ms,
            "installed": installed,
            "offline": build.offline,
            "log_tail": log_tail(build.log, 4000),
            "size": tree_size(build.target),
        }
        if build.own_copy_error:
            record["own_copy_error"] = build.own_copy_error
        self._write_json(self._meta(key), record)
        log.info("environment %s ready in %.1fs (%d packages)", key[:12], duration_ms / 1000, len(installed))

    def _failed(self, key: str, exc: BaseException, started: float) -> None:
        """Remove what the failed build left; remember the failure (a cancelled build is no failure)."""
        self._remove(key)
        message = exc.message if isinstance(exc, EnvironmentSetupError) else f"{type(exc).__name__}: {exc}"
        if not message.startswith("stopped:"):
            said = {"at": time.time(), "message": message, "settings": installer_settings()}
            self._write_json(self.root / f"{key}.failed.json", said)
        elapsed = time.monotonic() - started
        if message.startswith("stopped:"):  # the run was cancelled (Ctrl-C): said by the run itself
            log.info("environment %s build %s after %.1fs", key[:12], message.splitlines()[0], elapsed)
            return
        log.warning("environment %s failed after %.1fs: %s", key[:12], elapsed, first_lines(message, 1))

    # Layout and eviction ---------------------------------------------------------------------------

    def _ensure_layout(self) -> None:
        self.root.parent.mkdir(parents=True, exist_ok=True)
        for path in (self.root.parent, self.root, self._locks):
            mkdir_private(path)

    def _meta(self, key: str) -> Path:
        return self.root / f"{key}.json"

    def _lock(self, key: str) -> Path:
        return self._locks / f"env-{key}.lock"

    def _remove(self, key: str) -> None:
        """Delete the environment and its files (exclusive lock held)."""
        self._meta(key).unlink(missing_ok=True)
        shutil.rmtree(self.root / key, ignore_errors=True)
        for suffix in (".log", ".requirements.txt", ".constraints.txt"):
            (self.root / f"{key}{suffix}").unlink(missing_ok=True)

    @staticmethod
    def _write_json(path: Path, data: dict[str, Any]) -> None:
        tmp = path.with_name(f"{path.name}+{uuid.uuid4().hex[:12]}")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
        os.replace(tmp, path)

    def keys(self) -> list[str]:
        """Environments here (ready or the remains of a build), by last use, oldest first."""
        found: dict[str, float] = {}
        for entry in self.root.iterdir() if self.root.is_dir() else ():
            name = entry.name.split(".", 1)[0]
            if len(name) == 32 and all(c in "0123456789abcdef" for c in name):
                try:
                    found[name] = self._meta(name).stat().st_mtime
                except FileNotFoundError:
                    found.setdefault(name, 0.0)  # not ready: the remains of a build, or one under way
        return sorted(found, key=lambda k: found[k])

    def _evict_safely(self, keep: str) -> None:
        try:
            self._evict(keep)
        except OSError as exc:  # housekeeping never fails a check
            log.warning("environment cache eviction failed: %s", exc)

    def _evict(self, keep: str) -> None:
        """Remove least recently used environments not in use while over the count or size budget."""
        keys = [k for k in self.keys() if k != keep]
        sizes = {k: int((self._ready(k) or {}).get("size", 0)) for k in keys}
        count, total = len(keys) + 1, sum(sizes.values()) + tree_size(self.root / keep)
        for key in keys:
            if count <= self._settings.env_max_count and total <= self._settings.env_max_bytes:
                return
            lock = acquire(self._lock(key), wait=False)
            if lock is None:
                continue  # in use (or being built)
            with lock:
                self._remove(key)
                lock.unlink()
            count, total = count - 1, total - sizes[key]
            log.info("evicted environment %s (environment cache over budget)", key[:12])


@overload
def _wait_lock(path: Path, shared: bool, stop: threading.Event, deadline: float) -> FileLock: ...
@overload
def _wait_lock(
    path: Path, shared: bool, stop: threading.Event, deadline: float, done: Callable[[], bool]
) -> FileLock | None: ...
def _wait_lock(
    path: Path, shared: bool, stop: threading.Event, deadline: float, done: Callable[[], bool] | None = None
) -> FileLock | None:
    """The lock, polled so that a cancelled run or the time limit ends the wait; None once
    ``done()`` says it is no longer needed."""
    while True:
        lock = acquire(path, shared=shared, wait=False)
        if lock is not None:
            return lock
        if done is not None and done():
            return None
        if stop.is_set():
            raise EnvironmentSetupError("stopped: run cancelled while waiting for the environment")
        if time.monotonic() > deadline:
            raise EnvironmentSetupError("timed out waiting for another check's build of the same environment")
        time.sleep(_POLL_S)
