"""Every Lua script of ``prp_tasks/state/lua`` is loaded and run against a real server; its KEYS are
bound by name, and the Python side's key tuples have the names the scripts declare."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from prp_tasks.celeryapp.embedded import EmbeddedRedis
from prp_tasks.state.keys import ClaimKeys, Keys, SettleKeys
from prp_tasks.state.lua import SCRIPTS, Args, Lua, key_names, ordered, source
from tests.conftest import EMBEDDED_SERVER

LUA = Path(__file__).resolve().parents[2] / "prp_tasks" / "state" / "lua"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[redis.Redis]:
    with EmbeddedRedis(tmp_path_factory.mktemp("lua"), server=EMBEDDED_SERVER) as server:
        yield redis.Redis(unix_socket_path=str(server.socket), decode_responses=True)


def test_every_lua_file_is_a_registered_script() -> None:
    files = {p.stem for p in LUA.glob("*.lua")} - {"prelude"}
    assert files == set(SCRIPTS)


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_script_compiles_on_the_server(client: redis.Redis, name: str) -> None:
    sha = client.script_load(source(name))
    assert client.script_exists(sha) == [True]


def test_the_settle_and_claim_key_tuples_match_the_prelude() -> None:
    assert key_names("settle") == SettleKeys._fields
    assert key_names("record_check") == SettleKeys._fields + ClaimKeys._fields
    keys = Keys("t")
    assert tuple(keys.settle("r")._asdict()) == SettleKeys._fields
    assert tuple(keys.claim("r", "G", "c")._asdict()) == ClaimKeys._fields


def test_keys_are_passed_by_name_and_a_wrong_name_is_refused(client: redis.Redis) -> None:
    assert ordered("take_lease", {"lease": "x"}) == ["x"]
    with pytest.raises(KeyError, match=r"missing \['lease'\], unknown \['leese'\]"):
        ordered("take_lease", {"leese": "x"})
    take = Lua(client, "take_lease")
    assert take(keys={"lease": "lua:lease"}, args=["me", 10_000]) == 1
    assert take(keys={"lease": "lua:lease"}, args=["you", 10_000]) == 0
    assert Lua(client, "release_lease")(keys={"lease": "lua:lease"}, args=["me"]) == 1


def test_the_argv_cursor_reads_back_what_args_writes(client: redis.Redis) -> None:
    prelude = source("settle").split("-- Settle one gate")[0]
    script = prelude + (
        "\nlocal c = cursor(ARGV)\nlocal a, l, r = c.one(), c.list(), c.rows(2)\n"
        "return {a, #l, l[2], #r, r[2][1], r[2][2], c.one()}"
    )
    args = Args().one("x").many(["p", "q"]).rows([("a", "b"), ("c", "d")], 2).one("end")
    assert client.eval(script, 0, *args) == ["x", 2, "q", 2, "c", "d", "end"]
    with pytest.raises(ValueError, match="a row of 1 values where 2"):
        Args().rows([("a",)], 2)
