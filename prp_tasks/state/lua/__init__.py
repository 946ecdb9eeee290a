"""The Lua scripts behind every state transition that must be atomic, kept as ``.lua`` files.

Every script is ``prelude.lua`` (named keys, an ARGV cursor, metric counts, audit appends,
lifecycle events, the run's outbox and ``settle``) followed by the script's own file, loaded with
:mod:`importlib.resources`. A script binds its KEYS to names (``named(KEYS, SETTLE_KEYS, {...})``);
the Python side passes them by name (:func:`ordered` reads that declaration and puts them in its
order, refusing a name missing or unknown). ARGV is written with :class:`Args` and read in the
same order by the prelude's cursor, so no offset is computed by hand. Every script is loaded and
run against a real server by ``tests/integration/test_lua_scripts.py``.

Each script touches the keys of one run plus shared keys (metrics, the global audit and event
streams, the repair indexes, queue lists), so Redis Cluster is not supported (docs/deployment.md).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any

from prp_tasks.state.connection import Replicas, Script

if TYPE_CHECKING:
    import redis

#: every script of this package (file name without ``.lua``)
SCRIPTS = (
    "acquire",
    "admit",
    "breaker_allow",
    "breaker_record",
    "cancel",
    "decide",
    "dispatch",
    "end_attempt",
    "expire",
    "finalize",
    "finish_claim",
    "flush_batch",
    "heartbeat",
    "outbox_done",
    "park",
    "preapprove",
    "profile_trim",
    "record_and_settle",
    "record_check",
    "release_lease",
    "release_run",
    "rerun",
    "reserve_tokens",
    "send_finalize",
    "settle",
    "skip_pending",
    "start_queued",
    "take_lease",
    "take_slot",
)

#: stands for the batch id in a parked gate's request and event JSON until ``park`` knows it
BATCH_PLACEHOLDER = "@@BATCH@@"


@functools.cache
def source(name: str) -> str:
    """The text Redis runs for script ``name``: the prelude, then the script."""
    if name not in SCRIPTS:
        raise KeyError(f"no such Lua script: {name}")
    package = resources.files(__package__)
    prelude = (package / "prelude.lua").read_text(encoding="utf-8")
    return prelude + "\n" + (package / f"{name}.lua").read_text(encoding="utf-8")


_LIST = re.compile(r"local (\w+) = (\{[^}]*\})")
_NAMED = re.compile(r"local K = named\(KEYS, ([^)]*)\)")
_NAME = re.compile(r"'(\w+)'")


@functools.cache
def key_names(name: str) -> tuple[str, ...]:
    """The names a script binds its KEYS to, in order (from its ``named(KEYS, ...)``)."""
    package = resources.files(__package__)
    prelude = (package / "prelude.lua").read_text(encoding="utf-8")
    lists = {m[1]: tuple(_NAME.findall(m[2])) for m in _LIST.finditer(prelude)}
    declared = _NAMED.search((package / f"{name}.lua").read_text(encoding="utf-8"))
    if declared is None:
        raise KeyError(f"{name}.lua binds no KEYS by name")
    names: list[str] = []
    for part in re.split(r",\s*(?![^{]*\})", declared[1]):
        part = part.strip()
        names += lists[part] if part in lists else _NAME.findall(part)
    return tuple(names)


def ordered(name: str, keys: Mapping[str, str]) -> list[str]:
    """``keys`` (name -> Redis key) as script ``name``'s KEYS."""
    names = key_names(name)
    if set(names) != set(keys):
        missing, unknown = set(names) - set(keys), set(keys) - set(names)
        raise KeyError(f"{name}.lua: keys missing {sorted(missing)}, unknown {sorted(unknown)}")
    return [keys[n] for n in names]


class Lua:
    """Script ``name`` of this package on ``client``, called with its KEYS by name:
    ``script(keys={"meta": ..., "status": ...}, args=Args()...)``; with ``replicas``, each call
    waits for them (:class:`~prp_tasks.state.connection.Replicas`)."""

    def __init__(self, client: redis.Redis, name: str, replicas: Replicas | None = None) -> None:
        self.name = name
        self.names = key_names(name)
        self._script = Script(client, source(name), replicas)

    def __call__(self, keys: Mapping[str, str], args: Sequence[Any] = ()) -> Any:
        return self._script(keys=self._listed(keys), args=args)

    def then(
        self, keys: Mapping[str, str], args: Sequence[Any], reads: Sequence[tuple[Any, ...]]
    ) -> list[Any]:
        """The script's reply, then those of ``reads`` sent after it in the same round trip."""
        return self._script.then(self._listed(keys), args, reads)

    def _listed(self, keys: Mapping[str, str]) -> list[str]:
        if len(keys) != len(self.names):
            ordered(self.name, keys)  # raises, naming what is missing or unknown
        try:
            return [keys[n] for n in self.names]
        except KeyError:
            return ordered(self.name, keys)


class Args(list[Any]):
    """ARGV of a script, written in the order the prelude's cursor reads it back:
    :meth:`one` (values), :meth:`many` (a count, then the values) and :meth:`rows` (a count, then
    that many rows of ``width`` values each)."""

    def one(self, *values: Any) -> Args:
        self.extend(values)
        return self

    def many(self, values: Sequence[Any]) -> Args:
        self.append(len(values))
        self.extend(values)
        return self

    def rows(self, rows: Iterable[Sequence[Any]], width: int) -> Args:
        collected = list(rows)
        self.append(len(collected))
        for row in collected:
            if len(row) != width:
                raise ValueError(f"a row of {len(row)} values where {width} are read back")
            self.extend(row)
        return self
