"""Profile cache: cold parse vs warm lookups (local and Redis tier), and parses under contention.

Uses the demo repository's initial.md on a private redis-server (unix socket).
Usage: python bench/profile_cache.py [--lookups 2000] [--processes 8] [--smoke]
``--smoke``: 50 lookups, 4 processes (the same phases, a few seconds).
The last line of output is one JSON object with the keys (``JSON_KEYS``):
  cold_parse_ms                               median parse of a new content (ms, 50 contents)
  warm_local_p50_ms, warm_local_p99_ms        lookups answered by the local tier (ms)
  warm_redis_p50_ms, warm_redis_p99_ms        lookups answered by the Redis tier (ms)
  cold_to_warm_local_ratio, cold_to_warm_redis_ratio   cold_parse_ms / the tier's p50
  parses_under_contention                     parses when the processes resolve one new content at once
  processes, lookups                          the sizes used
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _ui import parse_args

from prp_tasks.celeryapp.embedded import EmbeddedRedis
from prp_tasks.intake.profiles.cache import ProfileCache, parse_bytes
from prp_tasks.settings import ProfileCacheSettings
from prp_tasks.state.connection import connect
from prp_tasks.state.keys import Keys
from prp_tasks.state.profile_store import ProfileStore

ROOT = Path(__file__).resolve().parents[1]
JSON_KEYS = (
    "cold_parse_ms",
    "warm_local_p50_ms",
    "warm_local_p99_ms",
    "warm_redis_p50_ms",
    "warm_redis_p99_ms",
    "cold_to_warm_local_ratio",
    "cold_to_warm_redis_ratio",
    "parses_under_contention",
    "processes",
    "lookups",
)
SMOKE = {"lookups": 50, "processes": 4}
DEMO = (ROOT / "examples" / "demo-repo" / "initial.md").read_bytes()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed_ms(fn: object, *args: object) -> float:
    start = time.perf_counter()
    fn(*args)  # type: ignore[operator]
    return (time.perf_counter() - start) * 1000


def cold(rounds: int) -> list[float]:
    return [timed_ms(parse_bytes, DEMO + f"\n<!-- {i} -->\n".encode()) for i in range(rounds)]


def warm_local(url: str, lookups: int) -> list[float]:
    settings = ProfileCacheSettings()
    cache = ProfileCache(ProfileStore(connect(url), Keys("bench-local"), settings), settings)
    cache.resolve(DEMO, "initial.md")
    return [timed_ms(cache.resolve, DEMO, "initial.md") for _ in range(lookups)]


def warm_redis(url: str, lookups: int) -> list[float]:
    """local_size=1 and two alternating contents: every lookup misses locally, hits Redis."""
    settings = ProfileCacheSettings(local_size=1)
    cache = ProfileCache(ProfileStore(connect(url), Keys("bench-redis"), settings), settings)
    contents = [DEMO, DEMO + b"\n<!-- other -->\n"]
    for data in contents:
        cache.resolve(data, "initial.md")
    samples = [timed_ms(cache.resolve, contents[i % 2], "initial.md") for i in range(lookups)]
    assert cache.stats().get("parses") == 2, cache.stats()
    return samples


def contention(url: str, processes: int, tmp: Path) -> int:
    prefix = f"bench-sf-{secrets.token_hex(3)}"
    path = tmp / "initial.md"
    path.write_bytes(DEMO + f"\n<!-- {secrets.token_hex(8)} -->\n".encode())
    start_at = time.time() + 2.0
    script = (
        "import time\n"
        "from prp_tasks.intake.profiles.cache import ProfileCache\n"
        "from prp_tasks.state.keys import Keys\n"
        "from prp_tasks.settings import ProfileCacheSettings\n"
        "from prp_tasks.state.connection import connect\n"
        "from prp_tasks.state.profile_store import ProfileStore\n"
        f"store = ProfileStore(connect({url!r}), Keys({prefix!r}), ProfileCacheSettings())\n"
        "cache = ProfileCache(store, ProfileCacheSettings())\n"
        f"data = open({str(path)!r}, 'rb').read()\n"
        f"time.sleep(max(0, {start_at} - time.time()))\n"
        "cache.resolve(data, 'initial.md')\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script]) for _ in range(processes)]
    for proc in procs:
        proc.wait(timeout=60)
    return int(connect(url).hget(f"{prefix}:stats:profile-cache", "parses") or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=8)
    args = parse_args(parser, SMOKE)
    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis(Path(tmp) / "redis") as server:
        cold_ms = cold(50)
        local_ms = warm_local(server.url, args.lookups)
        redis_ms = warm_redis(server.url, args.lookups)
        parses = contention(server.url, args.processes, Path(tmp))
    result = {
        "cold_parse_ms": round(statistics.median(cold_ms), 3),
        "warm_local_p50_ms": round(pct(local_ms, 0.50), 4),
        "warm_local_p99_ms": round(pct(local_ms, 0.99), 4),
        "warm_redis_p50_ms": round(pct(redis_ms, 0.50), 4),
        "warm_redis_p99_ms": round(pct(redis_ms, 0.99), 4),
        "cold_to_warm_local_ratio": round(statistics.median(cold_ms) / pct(local_ms, 0.50), 1),
        "cold_to_warm_redis_ratio": round(statistics.median(cold_ms) / pct(redis_ms, 0.50), 1),
        "parses_under_contention": parses,
        "processes": args.processes,
        "lookups": args.lookups,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
