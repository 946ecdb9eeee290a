"""Embedded mode: a private Redis on a unix socket plus an in-process Celery worker.

``prp run`` uses it when ``PRP_REDIS_URL`` is unset, so the main job needs no services. While it
runs, the server is registered (``~/.cache/prp-tasks/embedded/<pid>.json``) so ``prp status`` and
``prp approve`` in another terminal find it without configuration.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from celery import Celery
from celery.worker import WorkController
from celery.worker import state as worker_state

from prp_tasks.celeryapp.bootsteps import install_housekeeping
from prp_tasks.celeryapp.runtime import Runtime, runtime_for
from prp_tasks.celeryapp.tracing import instrument
from prp_tasks.errors import EmbeddedServerError
from prp_tasks.processes.watchdog import WATCHDOG
from prp_tasks.routing import QUEUE_CLASSES, queue_name
from prp_tasks.service.records import cache_dir
from prp_tasks.settings import Settings
from prp_tasks.state.servers import answers, embedded_binary

_SOCKET_MAX = 100  # AF_UNIX paths are limited to ~107 bytes


def registry_dir() -> Path:
    return cache_dir() / "embedded"


class EmbeddedRedis:
    """A private Redis/Valkey server bound to a unix socket only (no TCP port).

    It runs in a session of its own, so a Ctrl-C in the terminal reaches ``prp`` only (which then
    cancels its run and stops the server itself), and this process's watchdog
    (:mod:`prp_tasks.processes.watchdog`) kills it if this process dies without stopping it.
    ``server`` is ``PRP_EMBEDDED_SERVER``'s value (:func:`prp_tasks.state.servers.embedded_binary`).
    """

    def __init__(
        self, state_dir: Path, *, label: str = "", appendonly: bool = False, server: str = "auto"
    ) -> None:
        self.state_dir = state_dir
        self.label = label
        self.binary = embedded_binary(server)
        #: persist with an append-only file (fsync every second), as infra/redis/redis.conf does
        self.appendonly = appendonly
        self.proc: subprocess.Popen[bytes] | None = None
        self._tmp: str | None = None
        self.socket = self._socket_path()
        self._registration: Path | None = None

    def _socket_path(self) -> Path:
        candidate = self.state_dir / "redis.sock"
        if len(str(candidate)) <= _SOCKET_MAX:
            return candidate
        self._tmp = tempfile.mkdtemp(prefix="prp-")
        return Path(self._tmp) / "redis.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self, timeout_s: float = 10.0) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        (self.state_dir / ".gitignore").write_text("*\n")
        if self.socket.exists():
            self._clear_stale_socket()
        argv = [
            self.binary.path,
            "--port",
            "0",
            "--unixsocket",
            str(self.socket),
            "--unixsocketperm",
            "700",
            "--save",
            "",
            "--appendonly",
            "yes" if self.appendonly else "no",
            "--appendfsync",
            "everysec",
            "--dir",
            str(self.state_dir),
            "--logfile",
            str(self.state_dir / "redis.log"),
            "--maxmemory-policy",
            "noeviction",
            "--daemonize",
            "no",
        ]
        WATCHDOG.ready()
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        WATCHDOG.watch(self.proc.pid)
        self._wait_ready(timeout_s)
        self._register()

    def answering(self) -> bool:
        """A server (this one, or another process's on the same state directory) answers."""
        return self.socket.exists() and answers(self.socket)

    def _clear_stale_socket(self) -> None:
        if not answers(self.socket):
            self.socket.unlink(missing_ok=True)
            return
        raise EmbeddedServerError(
            f"another embedded run is using {self.socket}; wait for it or remove {self.state_dir}"
        )

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                log = self.state_dir / "redis.log"
                tail = log.read_text(errors="replace")[-500:] if log.exists() else ""
                raise EmbeddedServerError(f"{self.binary.path} exited at start: {tail.strip()}")
            if self.socket.exists() and answers(self.socket):
                return
            time.sleep(0.02)
        self.stop()
        raise EmbeddedServerError(f"{self.binary.path} did not answer on {self.socket} within {timeout_s}s")

    def _register(self) -> None:
        directory = registry_dir()
        directory.mkdir(parents=True, exist_ok=True)
        self._registration = directory / f"{os.getpid()}.json"
        entry = {"pid": os.getpid(), "url": self.url, "label": self.label, "started": time.time()}
        self._registration.write_text(json.dumps(entry))

    def restart(self, down_s: float = 0.0, *, crash: bool = False) -> None:
        """Stop the server (SIGTERM, or SIGKILL with ``crash``), wait ``down_s``, start it again.

        With ``appendonly`` the data comes back from the append-only file.
        """
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill() if crash else self.proc.terminate()
            WATCHDOG.release(self.proc.pid)  # before reaping it: its pid cannot be reused meanwhile
            self.proc.wait(timeout=10)
        time.sleep(down_s)
        self.socket.unlink(missing_ok=True)
        self.start()

    def stop(self) -> None:
        if self._registration is not None:
            self._registration.unlink(missing_ok=True)
            self._registration = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: the server shuts down (writing its AOF, if any)
            WATCHDOG.release(self.proc.pid)  # before reaping it: its pid cannot be reused meanwhile
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        elif self.proc is not None:
            WATCHDOG.release(self.proc.pid)
        self.socket.unlink(missing_ok=True)
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def live_embedded_urls() -> list[str]:
    """URLs of embedded servers registered by live ``prp run`` processes (stale entries removed)."""
    urls = []
    directory = registry_dir()
    for entry_path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        try:
            entry = json.loads(entry_path.read_text())
            os.kill(int(entry["pid"]), 0)
        except (OSError, ValueError, KeyError):
            entry_path.unlink(missing_ok=True)
            continue
        urls.append(str(entry["url"]))
    return urls


class _Controller(WorkController):  # type: ignore[misc]
    """A WorkController that signals when its consumer is ready."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.ready = threading.Event()
        super().__init__(*args, **kwargs)

    def on_consumer_ready(self, consumer: Any) -> None:
        self.ready.set()


@contextlib.contextmanager
def embedded_worker(
    app: Celery,
    settings: Settings,
    *,
    queues: tuple[str, ...] = QUEUE_CLASSES,
    concurrency: int | None = None,
    loglevel: str = "WARNING",
    shutdown_timeout: float = 30.0,
) -> Iterator[WorkController]:
    """Run a threads-pool worker for ``queues`` inside this process while the block runs."""
    if concurrency is None:
        concurrency = sum(settings.queue(q).upper for q in queues)
    # a threads pool outside ``celery worker`` looks tasks up in the process's default app
    app.set_default()
    worker = _Controller(
        app=app,
        concurrency=concurrency,
        pool="threads",
        loglevel=loglevel,
        hostname=f"embedded-{os.getpid()}@{socket.gethostname()}",
        queues=[queue_name(q) for q in queues],
        ready_callback=None,
        without_heartbeat=True,
        without_mingle=True,
        without_gossip=True,
    )
    thread = threading.Thread(target=worker.start, name="prp-embedded-worker", daemon=True)
    thread.start()
    if not worker.ready.wait(30):
        raise EmbeddedServerError("the embedded worker did not start within 30 s")
    try:
        yield worker
    finally:
        worker_state.should_stop = 0
        thread.join(shutdown_timeout)
        worker_state.should_stop = None


@contextlib.contextmanager
def embedded_services(runtime: Runtime) -> Iterator[WorkController]:
    """The in-process worker for every queue class, with its housekeeping (the sweeper's pass:
    approvals, budgets, the repair loop). With tracing on, its tasks get the Celery
    instrumentation's spans as a ``prp worker``'s do, and the spans are flushed when it stops."""
    app = runtime.app
    install_housekeeping(app)
    if runtime.tracing.enabled:
        instrument(runtime.tracing)
    try:
        with embedded_worker(app, runtime.settings) as worker:
            yield worker
    finally:
        runtime.tracing.shutdown()


def default_state_dir() -> Path:
    """Where ``prp mcp`` / ``prp api`` keep embedded state unless told otherwise."""
    return cache_dir() / "state"


@contextlib.contextmanager
def standalone(settings: Settings, state_dir: Path | None, label: str) -> Iterator[Runtime]:
    """Embedded mode for a long-lived command (``prp mcp``, ``prp api``) without ``PRP_REDIS_URL``:
    a private server persisting to ``state_dir`` (append-only file, so runs survive the command) and
    in-process workers and sweeper, for as long as the block runs. Later CLI calls find the server
    through the registry while it is up. When another process already serves ``state_dir``, its
    server is used and no second set of workers is started.

    Yields the runtime on that server.
    """
    directory = state_dir or settings.state_dir or default_state_dir()
    server = EmbeddedRedis(directory, label=label, appendonly=True, server=settings.embedded_server)
    if server.answering():
        yield runtime_for(settings, server.url)
        return
    with server:
        runtime = runtime_for(settings, server.url)
        with embedded_services(runtime):
            yield runtime


@contextlib.contextmanager
def private_run(settings: Settings, home: Path, label: str) -> Iterator[tuple[EmbeddedRedis, Runtime]]:
    """``prp run`` without ``PRP_REDIS_URL``: a private server in ``home`` (gone with the block)
    and in-process workers and sweeper. ``label`` is the run's id: its workspace (a worktree
    registered in the user's checkout) is removed when the block ends, whatever happened."""
    with EmbeddedRedis(home, label=label, server=settings.embedded_server) as server:
        runtime = runtime_for(settings, server.url)
        try:
            with embedded_services(runtime):
                yield server, runtime
        finally:  # checks stopped by a cancel may have held it when the run ended; none is left now
            runtime.executor.release_quietly(label)
