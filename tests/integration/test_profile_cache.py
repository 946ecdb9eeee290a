"""The parsed-profile cache on a real Redis: tiers, invalidation, single-flight, bounds, errors."""

from __future__ import annotations

import hashlib
import json
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from prp_tasks.errors import ProfileError
from prp_tasks.intake.profiles.cache import ProfileCache
from prp_tasks.intake.submission import prepare_run
from prp_tasks.service.control import Control
from prp_tasks.settings import ProfileCacheSettings, Settings
from prp_tasks.state.connection import connect
from prp_tasks.state.keys import Keys
from prp_tasks.state.profile_store import ProfileStore
from tests.conftest import ROOT


def profile_text(lines: float = 90, marker: str = "") -> bytes:
    return (
        f"# Profile {marker}\n\n## Requirements\n\n- one\n\n"
        f"```yaml\nbudgets:\n  coverage:\n    lines: {lines}\n```\n"
    ).encode()


@pytest.fixture
def client(settings: Settings) -> redis.Redis:
    return connect(settings.redis_url or "")


@pytest.fixture
def make_cache(client: redis.Redis) -> Callable[..., ProfileCache]:
    """A fresh cache (empty in-process tier) on a private key prefix shared by the test."""
    keys = Keys(f"pc{secrets.token_hex(3)}")

    def make(**options: float) -> ProfileCache:
        settings = ProfileCacheSettings(**options)  # type: ignore[arg-type]
        return ProfileCache(ProfileStore(client, keys, settings), settings)

    return make


def shared_stats(cache: ProfileCache) -> dict[str, int]:
    assert cache.store is not None
    cache.flush_stats()
    return cache.store.stats()


def test_a_repeat_lookup_hits_the_local_tier_then_other_processes_hit_redis(
    make_cache: Callable[..., ProfileCache],
) -> None:
    data = profile_text(marker=secrets.token_hex(4))
    first = make_cache()
    resolved = first.resolve(data, "initial.md")
    assert resolved.profile.budgets.coverage.lines == 90
    assert first.resolve(data, "initial.md") == resolved
    assert first.stats() == {"misses": 1, "parses": 1, "hits_local": 1}
    other = make_cache()  # another worker: empty local tier, same Redis
    assert other.resolve(data, "initial.md") == resolved
    assert other.stats() == {"hits_redis": 1}
    first.flush_stats()  # local hits are batched; they reach Redis with the next flush
    assert shared_stats(other) == {"misses": 1, "parses": 1, "hits_local": 1, "hits_redis": 1}


def test_one_changed_byte_is_a_miss_and_yields_the_new_profile(
    make_cache: Callable[..., ProfileCache],
) -> None:
    cache = make_cache()
    marker = secrets.token_hex(4)
    assert cache.resolve(profile_text(90, marker), "initial.md").profile.budgets.coverage.lines == 90
    changed = cache.resolve(profile_text(91, marker), "initial.md")
    assert changed.profile.budgets.coverage.lines == 91
    assert cache.stats()["parses"] == 2


def test_the_key_is_the_content_hash_plus_the_parser_version(
    make_cache: Callable[..., ProfileCache], client: redis.Redis
) -> None:
    cache = make_cache()
    resolved = cache.resolve(profile_text(marker=secrets.token_hex(4)), "initial.md")
    key = cache.store.keys.profile(cache.version, resolved.sha256)  # type: ignore[union-attr]
    assert client.exists(key) == 1
    assert cache.version.startswith("1-") and len(cache.version) == 14


def test_eight_processes_resolving_new_content_at_once_parse_it_once(
    settings: Settings, tmp_path: Path
) -> None:
    prefix = f"sf{secrets.token_hex(3)}"
    big = profile_text(marker=secrets.token_hex(8)) + b"\n".join(
        f"- requirement number {i} with some words".encode() for i in range(4000)
    )
    path = tmp_path / "initial.md"
    path.write_bytes(big)
    start_at = time.time() + 2.0
    script = (
        "import sys, time, json\n"
        "from prp_tasks.intake.profiles.cache import ProfileCache\n"
        "from prp_tasks.state.keys import Keys\n"
        "from prp_tasks.settings import ProfileCacheSettings\n"
        "from prp_tasks.state.connection import connect\n"
        "from prp_tasks.state.profile_store import ProfileStore\n"
        f"store = ProfileStore(connect({settings.redis_url!r}), Keys({prefix!r}), ProfileCacheSettings())\n"
        # waiting long enough for the one parse on a loaded 2-core CI machine, where the default 2 s
        # had run out and a waiter parsed too (its give-up is tested on its own)
        "cache = ProfileCache(store, ProfileCacheSettings(wait_s=30))\n"
        f"data = open({str(path)!r}, 'rb').read()\n"
        f"time.sleep(max(0, {start_at} - time.time()))\n"
        "cache.resolve(data, 'initial.md')\n"
        "print(json.dumps(cache.stats()))\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=ROOT)
        for _ in range(8)
    ]
    stats = [json.loads(p.communicate(timeout=60)[0]) for p in procs]
    assert sum(s.get("parses", 0) for s in stats) == 1
    assert sum(s.get("waits", 0) + s.get("hits_redis", 0) for s in stats) >= 7
    client = connect(settings.redis_url or "")
    assert int(client.hget(f"{prefix}:stats:profile-cache", "parses") or 0) == 1


def test_a_waiter_whose_parser_is_gone_parses_itself_after_wait_s(
    make_cache: Callable[..., ProfileCache],
) -> None:
    """The single-flight lock held by a parser that never stores (it died): the waiter polls for
    ``wait_s``, then parses the content itself rather than hang."""
    data = profile_text(marker=secrets.token_hex(4))
    cache = make_cache(wait_s=0.3)
    assert cache.store is not None
    assert cache.store.lock(cache.version, hashlib.sha256(data).hexdigest(), "a-gone-parser")
    started = time.monotonic()
    entry = cache.resolve(data, "initial.md")
    assert time.monotonic() - started >= 0.3 and entry.profile.budgets.coverage is not None
    assert (cache.stats().get("waits"), cache.stats().get("parses")) == (1, 1)


def test_entries_expire_after_their_ttl_and_hits_refresh_it(
    make_cache: Callable[..., ProfileCache], client: redis.Redis
) -> None:
    data = profile_text(marker=secrets.token_hex(4))
    cache = make_cache(ttl_s=2)
    sha = cache.resolve(data, "initial.md").sha256
    key = cache.store.keys.profile(cache.version, sha)
    time.sleep(1.1)
    make_cache(ttl_s=2).resolve(data, "initial.md")  # a Redis hit refreshes the TTL
    assert client.pttl(key) > 1500
    time.sleep(2.2)
    assert client.exists(key) == 0
    late = make_cache(ttl_s=2)
    late.resolve(data, "initial.md")
    assert late.stats()["parses"] == 1


def test_the_cache_keeps_at_most_max_entries_by_itself(
    make_cache: Callable[..., ProfileCache], client: redis.Redis
) -> None:
    cache = make_cache(max_entries=3)
    shas = []
    for n in range(5):
        shas.append(cache.resolve(profile_text(80 + n, secrets.token_hex(4)), "initial.md").sha256)
        time.sleep(0.002)
    assert client.zcard(cache.store.keys.profile_index) == 3
    alive = [client.exists(cache.store.keys.profile(cache.version, sha)) for sha in shas]
    assert alive == [0, 0, 1, 1, 1]  # the least recently used went first


def test_a_parse_error_is_cached_briefly_and_named_with_the_callers_file(
    make_cache: Callable[..., ProfileCache],
) -> None:
    bad = b"# x\n```yaml\nbudgets:\n  coverage:\n    lines: 120\n```\n" + secrets.token_hex(4).encode()
    first = make_cache(error_ttl_s=1)
    with pytest.raises(ProfileError, match=r"^initial\.md:5: budgets\.coverage\.lines: "):
        first.resolve(bad, "initial.md")
    second = make_cache(error_ttl_s=1)
    with pytest.raises(ProfileError, match=r"^docs/initial\.md:5: budgets\.coverage\.lines"):
        second.resolve(bad, "docs/initial.md")
    assert second.stats() == {"hits_redis": 1}  # not parsed again
    time.sleep(1.2)
    third = make_cache(error_ttl_s=1)
    with pytest.raises(ProfileError):
        third.resolve(bad, "initial.md")
    assert third.stats()["parse_errors"] == 1


def test_a_run_stores_the_profile_by_hash_and_a_changed_byte_changes_the_next_run(
    control: Control, make_repo: Callable[..., Path], finish: Callable[..., object]
) -> None:
    workflow = "name: p\ngates:\n  - {id: A, checks: [{name: c, builtin: coverage-targets}]}\n"
    from prp_tasks.intake.workflow_files import parse_workflow

    repo = make_repo({"initial.md": profile_text(90, secrets.token_hex(4)).decode()})
    spec = prepare_run(repo, workflow=parse_workflow(workflow), profiles=control.store.profiles)
    control.submit(spec)
    stored = json.loads(control.store.redis.hget(control.store.k(spec.run_id).meta, "spec"))
    assert "profile" not in stored and stored["profile_ref"]["sha256"] == spec.profile.sha256
    (repo / "initial.md").write_text((repo / "initial.md").read_text().replace("lines: 90", "lines: 91"))
    second = prepare_run(repo, workflow=parse_workflow(workflow), profiles=control.store.profiles)
    control.submit(second)
    assert control.store.spec(spec.run_id).profile.profile.budgets.coverage.lines == 90
    assert control.store.spec(second.run_id).profile.profile.budgets.coverage.lines == 91
    for run_id in (spec.run_id, second.run_id):
        finish(run_id)
