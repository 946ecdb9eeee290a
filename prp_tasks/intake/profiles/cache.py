"""A content-addressed cache of parsed profiles: in-process LRU in front of Redis.

- Key: sha256 of the file bytes plus a parser/schema version, so any change of content, parser or
  profile schema is a miss; a stale profile can never be served. Nothing is reachable by path:
  a caller must have the bytes to compute the key.
- Single-flight: on a Redis miss one process takes a short lock and parses; the others poll for
  its result for at most ``wait_s`` and then parse themselves rather than hang.
- Bounded without relying on eviction: entries carry a TTL (refreshed on every hit) and an index
  zset trims the oldest entries beyond ``max_entries``.
- Parse errors are cached too, briefly (``error_ttl_s``), so a broken file is not re-parsed by
  every caller; they are stored as problems and re-rendered with the caller's file name.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
import time
import uuid
from collections import Counter, OrderedDict

from prp_tasks.core.profile import ParsedProfile, ResolvedProfile
from prp_tasks.errors import Problem, ProfileError
from prp_tasks.intake.profiles.parser import parse_initial_md
from prp_tasks.settings import ProfileCacheSettings
from prp_tasks.state.profile_store import ProfileStore

#: bump when the parser's behaviour changes; the schema fingerprint covers model changes
PARSER_VERSION = "1"


@functools.cache
def cache_version() -> str:
    """Parser version plus a fingerprint of the cached model's schema (made once per process: a
    JSON schema costs milliseconds, and the command line builds a cache for every run)."""
    schema = json.dumps(ParsedProfile.model_json_schema(), sort_keys=True)
    return f"{PARSER_VERSION}-{hashlib.sha256(schema.encode()).hexdigest()[:12]}"


Entry = ParsedProfile | tuple[Problem, ...]


def parse_bytes(data: bytes) -> ParsedProfile:
    """Parse file bytes; every failure is a ProfileError with problems (no file name yet)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProfileError(problems=[Problem((), f"not UTF-8 text (byte {exc.start})")]) from None
    return parse_initial_md(text, source="")


class ProfileCache:
    """Parsed profiles by content hash. ``store=None`` keeps only the in-process tier."""

    def __init__(self, store: ProfileStore | None, settings: ProfileCacheSettings) -> None:
        self.store = store
        self.settings = settings
        self.version = cache_version()
        self.counts: Counter[str] = Counter()
        self._unflushed: Counter[str] = Counter()
        self._local: OrderedDict[str, tuple[float, Entry]] = OrderedDict()
        self._resolved: OrderedDict[tuple[str, str | None], ResolvedProfile] = OrderedDict()
        self._lock = threading.Lock()

    # public -----------------------------------------------------------------------------------

    def resolve(self, data: bytes, source: str | None) -> ResolvedProfile:
        """The profile of a file's bytes (``source`` names it in errors and provenance)."""
        sha = hashlib.sha256(data).hexdigest()
        entry = self._entry(sha, data)
        if isinstance(entry, tuple):
            raise ProfileError(problems=entry, source=source)
        return self._resolved_profile(entry, sha, source, data)

    def _resolved_profile(
        self, entry: ParsedProfile, sha: str, source: str | None, data: bytes
    ) -> ResolvedProfile:
        """One immutable :class:`ResolvedProfile` per (content, source) in this process: the runs
        of a repository share it (a worker may hold the specs of thousands of runs)."""
        with self._lock:
            resolved = self._resolved.get((sha, source))
            if resolved is not None:
                self._resolved.move_to_end((sha, source))
                return resolved
        text = data.decode("utf-8")
        resolved = ResolvedProfile(**entry.model_dump(), source=source, sha256=sha, text=text)
        with self._lock:
            self._resolved[(sha, source)] = resolved
            while len(self._resolved) > self.settings.local_size:
                self._resolved.popitem(last=False)
        return resolved

    def stats(self) -> dict[str, int]:
        """This process's counters: hits_local, hits_redis, misses, parses, parse_errors, waits."""
        with self._lock:
            return dict(self.counts)

    def flush_stats(self) -> None:
        """Add counters not yet pushed to the shared ``stats`` hash (local hits are batched)."""
        if self.store is None:
            return
        self.store.add_stats(self._take_unflushed())

    def _take_unflushed(self) -> Counter[str]:
        with self._lock:
            pending, self._unflushed = self._unflushed, Counter()
        return pending

    # tiers ------------------------------------------------------------------------------------

    def _count(self, name: str) -> None:
        with self._lock:
            self.counts[name] += 1
            self._unflushed[name] += 1

    def _entry(self, sha: str, data: bytes) -> Entry:
        local = self._local_get(sha)
        if local is not None:
            self._count("hits_local")
            return local
        if self.store is None:
            self._count("misses")
            return self._parse_and_keep(sha, data)
        raw = self.store.get(self.version, sha, self._take_unflushed())
        if raw is not None:
            self._count("hits_redis")
            return self._keep(sha, _decode(raw))
        self._count("misses")
        return self._single_flight(sha, data)

    def _local_get(self, sha: str) -> Entry | None:
        with self._lock:
            item = self._local.get(sha)
            if item is None:
                return None
            expires, entry = item
            if expires < time.monotonic():
                del self._local[sha]
                return None
            self._local.move_to_end(sha)
            return entry

    def _keep(self, sha: str, entry: Entry) -> Entry:
        ttl = self.settings.error_ttl_s if isinstance(entry, tuple) else self.settings.ttl_s
        with self._lock:
            self._local[sha] = (time.monotonic() + ttl, entry)
            self._local.move_to_end(sha)
            while len(self._local) > self.settings.local_size:
                self._local.popitem(last=False)
        return entry

    def _single_flight(self, sha: str, data: bytes) -> Entry:
        assert self.store is not None
        token = uuid.uuid4().hex
        if self.store.lock(self.version, sha, token):
            try:
                return self._parse_and_store(sha, data)
            finally:
                self.store.unlock(self.version, sha, token)
        self._count("waits")
        deadline = time.monotonic() + self.settings.wait_s
        while time.monotonic() < deadline:
            raw = self.store.peek(self.version, sha)
            if raw is not None:
                self._count("hits_redis")
                return self._keep(sha, _decode(raw))
            time.sleep(0.005)
        return self._parse_and_store(sha, data)  # the parser is slow or gone: do it ourselves

    def _parse(self, data: bytes) -> Entry:
        self._count("parses")
        try:
            return parse_bytes(data)
        except ProfileError as exc:
            self._count("parse_errors")
            return exc.problems

    def _parse_and_keep(self, sha: str, data: bytes) -> Entry:
        return self._keep(sha, self._parse(data))

    def _parse_and_store(self, sha: str, data: bytes) -> Entry:
        assert self.store is not None
        entry = self._parse(data)
        self.store.put(self.version, sha, _encode(entry), error=isinstance(entry, tuple))
        self.flush_stats()
        return self._keep(sha, entry)


def _encode(entry: Entry) -> str:
    if isinstance(entry, tuple):
        problems = [{"loc": list(p.loc), "message": p.message, "line": p.line} for p in entry]
        return json.dumps({"error": problems})
    return json.dumps({"ok": entry.model_dump(mode="json")})


def _decode(raw: str) -> Entry:
    data = json.loads(raw)
    if "error" in data:
        return tuple(Problem(tuple(p["loc"]), p["message"], p["line"]) for p in data["error"])
    return ParsedProfile.model_validate(data["ok"])
