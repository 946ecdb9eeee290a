"""A replicated Redis with Sentinels on one machine: a primary, replicas and three Sentinels as
private processes on free loopback ports, for failover tests (the suite's server binary)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import redis

from prp_tasks.state.servers import embedded_binary

MASTER = "prpmaster"
#: how long a Sentinel waits for a primary's answer before calling it down. 1 s failed over a live,
#: just-promoted primary on a loaded 2-core machine (a second failover, to a replica behind the one
#: that had confirmed the writes: acknowledged transitions were rolled back); production uses 5 s
#: (infra/redis/sentinel.conf)
DOWN_AFTER_MS = 4000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Node:
    port: int
    directory: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=2, decode_responses=True)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@dataclass
class Topology:
    """Start with :meth:`start`; the servers' ports and the Sentinel URL for PRP_REDIS_URL."""

    root: Path
    server: str
    replicas: int = 2
    servers: list[Node] = field(default_factory=list)
    sentinels: list[Node] = field(default_factory=list)
    _made: int = 0  #: servers started so far: each new one gets a directory of its own

    @property
    def url(self) -> str:
        return ";".join(f"sentinel://127.0.0.1:{s.port}" for s in self.sentinels)

    def env(self, wait_replicas: int = 1) -> dict[str, str]:
        return {
            "PRP_REDIS_URL": self.url,
            "PRP_REDIS_SENTINEL_MASTER": MASTER,
            "PRP_REDIS_WAIT_REPLICAS": str(wait_replicas),
            "PRP_REDIS_WAIT_TIMEOUT_MS": "500",
        }

    def start(self) -> Topology:
        """A primary, the replicas and three Sentinels."""
        primary = self.start_replicated(wait=False)
        binary = embedded_binary(self.server).path
        for i in range(3):
            self._sentinel(binary, primary.port, i)
        self.wait_synced()
        return self

    def start_replicated(self, wait: bool = True) -> Node:
        """A primary and the replicas, without Sentinels; returns the primary."""
        binary = embedded_binary(self.server).path
        primary = self._server(binary, None)
        for _ in range(self.replicas):
            self._server(binary, primary.port)
        if wait:
            self._wait_replicas(primary)
        return primary

    def _wait_replicas(self, primary: Node, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            primary.client.set("sentinels:synced", time.time())
            if primary.client.execute_command("WAIT", self.replicas, 200) >= self.replicas:
                return
        raise AssertionError("replicas did not sync")

    def _server(
        self, binary: str, replica_of: int | None, port: int | None = None, directory: Path | None = None
    ) -> Node:
        node = Node(port or free_port(), directory or self.root / f"server-{self._made}")
        self._made += 1
        node.directory.mkdir(parents=True, exist_ok=True)
        argv = [binary, "--port", str(node.port), "--bind", "127.0.0.1", "--dir", str(node.directory)]
        argv += ["--appendonly", "yes", "--appendfsync", "everysec", "--save", ""]
        argv += ["--maxmemory-policy", "noeviction", "--logfile", str(node.directory / "log")]
        argv += ["--repl-diskless-sync-delay", "0"]  # a full sync starts at once
        if replica_of is not None:
            argv += ["--replicaof", "127.0.0.1", str(replica_of)]
        node.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.servers.append(node)
        _wait_ping(node)
        return node

    def _sentinel(self, binary: str, primary_port: int, index: int) -> None:
        node = Node(free_port(), self.root / f"sentinel-{index}")
        node.directory.mkdir(parents=True, exist_ok=True)
        conf = node.directory / "sentinel.conf"
        conf.write_text(
            f"port {node.port}\nbind 127.0.0.1\ndir {node.directory}\nlogfile {node.directory / 'log'}\n"
            f"sentinel monitor {MASTER} 127.0.0.1 {primary_port} 2\n"
            f"sentinel down-after-milliseconds {MASTER} {DOWN_AFTER_MS}\n"
            f"sentinel failover-timeout {MASTER} 5000\nsentinel parallel-syncs {MASTER} 2\n"
        )
        node.proc = subprocess.Popen(
            [binary, str(conf), "--sentinel"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.sentinels.append(node)
        _wait_ping(node)

    def master_port(self) -> int | None:
        for sentinel in self.sentinels:
            with contextlib.suppress(redis.RedisError):
                _host, port = sentinel.client.execute_command("SENTINEL", "get-master-addr-by-name", MASTER)
                return int(port)
        return None

    def master(self) -> Node:
        port = self.master_port()
        return next(n for n in self.servers if n.port == port)

    def wait_synced(self, timeout: float = 20) -> None:
        """Until the master has every live replica connected and caught up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.RedisError, StopIteration):
                info = self.master().client.info("replication")
                live = sum(1 for n in self.servers if n.alive()) - 1
                online = [v for k, v in info.items() if k.startswith("slave") and v.get("state") == "online"]
                master = self.master().client
                if len(online) >= live and info.get("role") == "master":
                    master.set("sentinels:synced", time.time())
                    if master.execute_command("WAIT", live, 200) >= live:  # acknowledging writes
                        return
            time.sleep(0.1)
        raise AssertionError("replicas did not sync")

    def kill_master(self) -> Node:
        node = self.master()
        assert node.proc is not None
        node.proc.send_signal(signal.SIGKILL)
        node.proc.wait()
        return node

    def wait_failover(self, old_port: int, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            port = self.master_port()
            if port is not None and port != old_port:
                return port
            time.sleep(0.05)
        raise AssertionError("the Sentinels did not fail over")

    def restart(self, node: Node) -> None:
        """A killed server comes back (its AOF) and the Sentinels make it a replica of the master."""
        binary = embedded_binary(self.server).path
        self.servers.remove(node)  # in its own directory: its AOF, not another live server's
        self._server(binary, self.master_port(), port=node.port, directory=node.directory)

    def switches(self) -> list[str]:
        """The Sentinels' ``+switch-master`` lines (a failover each), from their logs."""
        lines = []
        for sentinel in self.sentinels:
            with contextlib.suppress(OSError):
                text = (sentinel.directory / "log").read_text(errors="replace")
                lines += [line.strip() for line in text.splitlines() if "+switch-master" in line]
        return lines

    def stop(self) -> None:
        for node in [*self.sentinels, *self.servers]:
            if node.alive() and node.proc is not None:
                os.kill(node.proc.pid, signal.SIGKILL)
                node.proc.wait()


def _wait_ping(node: Node, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(redis.RedisError):
            if node.client.ping():
                return
        time.sleep(0.02)
    raise AssertionError(f"port {node.port} did not answer")


@contextlib.contextmanager
def topology(root: Path, server: str, replicas: int = 2) -> Iterator[Topology]:
    top = Topology(root, server, replicas)
    try:
        yield top.start()
    finally:
        top.stop()
