"""Lua scripts and command batches over a connection of their own (prp_tasks.state.connection.Script
and Batch), against a private redis-server: results, a script Redis forgot, errors, a dropped
connection, a restart, threads and forks."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from prp_tasks.celeryapp.embedded import EmbeddedRedis
from prp_tasks.errors import NotReplicated
from prp_tasks.state.connection import Batch, Replicas, Script, _lanes, connect
from tests.conftest import EMBEDDED_SERVER

INCR_AND_ECHO = "return {redis.call('INCR', KEYS[1]), ARGV[1]}"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis(tmp_path / "redis", server=EMBEDDED_SERVER) as running:
        yield running


def test_a_script_runs_with_keys_and_args_and_answers_decoded(server: EmbeddedRedis) -> None:
    client = connect(server.url)
    script = Script(client, INCR_AND_ECHO)
    assert script(keys=["n"], args=["ü"]) == [1, "ü"]
    assert script(["n"], ["x"]) == [2, "x"]
    assert script.sha == client.script_load(INCR_AND_ECHO)


def test_a_script_redis_forgot_is_loaded_and_run_again(server: EmbeddedRedis) -> None:
    client = connect(server.url)
    script = Script(client, INCR_AND_ECHO)
    script(keys=["n"], args=["a"])
    client.script_flush()
    assert script(keys=["n"], args=["b"]) == [2, "b"]  # ran once more, not twice


def test_reads_sent_after_a_script_in_its_round_trip_see_what_it_wrote(server: EmbeddedRedis) -> None:
    client = connect(server.url)
    script = Script(client, INCR_AND_ECHO)
    reads = [("GET", "n"), ("LRANGE", "missing", 0, -1)]
    assert script.then(["n"], ["a"], reads) == [[1, "a"], "1", []]
    client.script_flush()
    assert script.then(["n"], ["b"], reads) == [[2, "b"], "2", []]  # the script ran once more


def test_errors_of_the_script_reach_the_caller(server: EmbeddedRedis) -> None:
    script = Script(connect(server.url), "return redis.error_reply('nope')")
    with pytest.raises(redis.ResponseError, match="nope"):
        script()


def test_a_dropped_connection_and_a_restart_are_retried(server: EmbeddedRedis) -> None:
    client = connect(server.url)
    script = Script(client, INCR_AND_ECHO)
    script(keys=["n"], args=["a"])
    admin = redis.Redis.from_url(server.url)
    assert admin.client_kill_filter(_type="normal", skipme=True) >= 1  # drops the script's socket
    assert script(keys=["n"], args=["b"]) == [2, "b"]
    server.restart(down_s=0.3)
    assert script(keys=["n"], args=["c"])[1] == "c"


def test_each_thread_and_each_forked_child_has_its_own_connection(server: EmbeddedRedis) -> None:
    client = connect(server.url)
    script = Script(client, INCR_AND_ECHO)
    script(keys=["n"], args=["parent"])
    mine = _lanes(client).connection()
    seen: list[object] = []

    def in_a_thread() -> None:
        script(keys=["n"], args=["t"])
        seen.append(_lanes(client).connection())

    thread = threading.Thread(target=in_a_thread)
    thread.start()
    thread.join()
    assert seen and seen[0] is not mine
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (runs in the child)
        try:
            answer = script(keys=["n"], args=["child"])
            os.write(write, f"{answer[1]} {_lanes(client).connection() is not mine}".encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    with os.fdopen(read) as pipe:
        assert pipe.read() == "child True"
    assert script(keys=["n"], args=["parent again"]) == [4, "parent again"]  # the socket is intact
    assert _lanes(client).connection() is mine


@pytest.mark.parametrize("transaction", [False, True])
def test_a_batch_sends_its_commands_in_order_and_answers_their_replies(
    server: EmbeddedRedis, transaction: bool
) -> None:
    client = connect(server.url)
    batch = Batch(client, transaction=transaction)
    batch.add("HSET", "h", "a", "ü", "b", 2)
    batch.add("EXPIRE", "h", 60, "NX")
    batch.add("EXPIRE", "h", 10, "NX")
    batch.add("INCRBYFLOAT", "f", 0.1)
    batch.add("HGETALL", "h")
    assert batch.execute() == [2, 1, 0, "0.1", {"a": "ü", "b": "2"}]
    assert client.ttl("h") > 10
    assert Batch(client, transaction=transaction).execute() == []


@pytest.mark.parametrize("transaction", [False, True])
def test_a_failing_command_in_a_batch_is_raised_and_the_connection_stays_usable(
    server: EmbeddedRedis, transaction: bool
) -> None:
    client = connect(server.url)
    client.set("s", "text")
    batch = Batch(client, transaction=transaction)
    batch.add("INCR", "n")
    batch.add("HSET", "s", "f", "v")  # wrong type: fails when it runs
    batch.add("INCR", "n")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        batch.execute()
    assert client.get("n") == "2"  # Redis runs the others (EXEC does not roll back)
    unknown = Batch(client, transaction=transaction)
    unknown.add("INCR", "n")
    unknown.add("NOSUCHCOMMAND", "x")
    with pytest.raises(redis.ResponseError, match="unknown command"):
        unknown.execute()
    assert client.get("n") == ("3" if not transaction else "2")  # a transaction is discarded
    after = Batch(client, transaction=transaction)  # every reply was read: the lane is in step
    after.add("GET", "n")
    assert after.execute() == [client.get("n")]
    assert Script(client, "return 7")() == 7


def test_a_batch_is_sent_again_over_a_new_connection_when_it_was_dropped(server: EmbeddedRedis) -> None:
    client = connect(server.url)
    first = Batch(client, transaction=True)
    first.add("INCR", "n")
    assert first.execute() == [1]
    admin = redis.Redis.from_url(server.url)
    assert admin.client_kill_filter(_type="normal", skipme=True) >= 1
    again = Batch(client, transaction=True)
    again.add("INCR", "n")
    assert again.execute() == [2]


def test_an_argument_redis_cannot_take_is_a_redis_error_and_nothing_is_sent(server: EmbeddedRedis) -> None:
    client = connect(server.url)
    batch = Batch(client, transaction=True)
    batch.add("SET", "k", "v")
    batch.add("SET", "k2", None)
    with pytest.raises(redis.DataError, match="cannot send 'SET'"):
        batch.execute()
    assert client.exists("k") == 0
    with pytest.raises(redis.DataError):
        Script(client, INCR_AND_ECHO)(keys=["n"], args=[None])
    assert Script(client, INCR_AND_ECHO)(keys=["n"], args=["ok"]) == [1, "ok"]


def test_a_transition_waits_for_replicas_and_fails_without_them(server: EmbeddedRedis) -> None:
    """PRP_REDIS_WAIT_REPLICAS: WAIT goes with the script; no replica acknowledging it in time is
    an error the caller retries (the write itself is on the primary)."""
    client = connect(server.url)
    waiting = Script(client, INCR_AND_ECHO, Replicas(1, 50))
    with pytest.raises(NotReplicated, match="acknowledged by 0 of 1 replica"):
        waiting(keys=["w"], args=["x"])
    assert client.get("w") == "1"
    assert Script(client, INCR_AND_ECHO, Replicas(0, 50))(keys=["w"], args=["y"]) == [2, "y"]
