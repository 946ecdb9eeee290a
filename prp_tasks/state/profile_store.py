"""The Redis tier of the parsed-profile cache (:mod:`prp_tasks.intake.profiles.cache`).

Entries are keyed by the parser/schema version and the profile's content hash; an index zset
bounds them (``profile_trim``), a short lock lets one process parse a new content while the others
wait, and shared counters sum every process's hits and misses.
"""

from __future__ import annotations

import time
from collections import Counter

import redis

from prp_tasks.settings import ProfileCacheSettings
from prp_tasks.state.connection import wrap_errors
from prp_tasks.state.keys import Keys
from prp_tasks.state.lua import Lua


class ProfileStore:
    """Cached profile entries (JSON text) by (parser version, content hash)."""

    def __init__(self, client: redis.Redis, keys: Keys, settings: ProfileCacheSettings) -> None:
        self.client = client
        self.keys = keys
        self.settings = settings
        self._trim = Lua(client, "profile_trim")
        self._release = Lua(client, "release_lease")

    def get(self, version: str, sha: str, stats: Counter[str]) -> str | None:
        """The cached profile (its TTL refreshed) or cached error, with ``stats`` added, in one
        round trip."""
        key = self.keys.profile(version, sha)
        with wrap_errors(), self.client.pipeline(transaction=False) as pipe:
            pipe.getex(key, ex=self.settings.ttl_s)
            pipe.get(self.keys.profile_error(version, sha))
            pipe.zadd(self.keys.profile_index, {key: int(time.time() * 1000)}, xx=True)
            for name, value in stats.items():
                pipe.hincrby(self.keys.profile_stats, name, value)
            found, error, *_ = pipe.execute()
        raw = found if found is not None else error
        return raw if isinstance(raw, str) else None

    def peek(self, version: str, sha: str) -> str | None:
        """The entry another process may just have stored (no TTL refresh)."""
        with wrap_errors():
            found, error = self.client.mget(
                [self.keys.profile(version, sha), self.keys.profile_error(version, sha)]
            )
        raw = found if found is not None else error
        return raw if isinstance(raw, str) else None

    def lock(self, version: str, sha: str, token: str) -> bool:
        """Take the single-flight lock of a content (a crashed holder frees it after ``lock_s``)."""
        lock_ms = int(self.settings.lock_s * 1000)
        with wrap_errors():
            return bool(self.client.set(self.keys.profile_lock(version, sha), token, nx=True, px=lock_ms))

    def unlock(self, version: str, sha: str, token: str) -> None:
        with wrap_errors():
            self._release(keys={"lease": self.keys.profile_lock(version, sha)}, args=[token])

    def put(self, version: str, sha: str, text: str, error: bool) -> None:
        """Store a parsed profile (bounded by the index) or, briefly, a parse error."""
        with wrap_errors():
            if error:
                ttl_ms = int(self.settings.error_ttl_s * 1000)
                self.client.set(self.keys.profile_error(version, sha), text, px=ttl_ms)
                return
            key = self.keys.profile(version, sha)
            self.client.set(key, text, ex=self.settings.ttl_s)
            self._trim(
                keys={"index": self.keys.profile_index, "entry": key},
                args=[int(time.time() * 1000), self.settings.ttl_s * 1000, self.settings.max_entries],
            )

    def add_stats(self, stats: Counter[str]) -> None:
        if not stats:
            return
        with wrap_errors(), self.client.pipeline(transaction=False) as pipe:
            for name, value in stats.items():
                pipe.hincrby(self.keys.profile_stats, name, value)
            pipe.execute()

    def stats(self) -> dict[str, int]:
        """The shared counters of every process."""
        with wrap_errors():
            return {k: int(v) for k, v in self.client.hgetall(self.keys.profile_stats).items()}
