"""``prp doctor``: what this installation would run on, and whether that is supported.

Read-only and quick: versions of Python and the libraries that talk to the broker, which server
binary embedded mode starts (and why), and, with ``PRP_REDIS_URL`` set, whether that server
answers and meets the floor. Each finding is ``ok`` or a problem with what to do about it.
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import redis

from prp_tasks.core.run import redact_url
from prp_tasks.errors import PrpError
from prp_tasks.settings import Settings
from prp_tasks.state.servers import FLOOR_TEXT, embedded_binary, from_info


@dataclass
class Finding:
    name: str
    ok: bool
    detail: str


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings)

    def add(self, name: str, ok: bool, detail: str) -> None:
        self.findings.append(Finding(name, ok, detail))

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "findings": [f.__dict__ for f in self.findings]}


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def diagnose(settings: Settings) -> Report:
    report = Report()
    versions = {name: _version(name) for name in ("prp-tasks", "celery", "kombu", "redis")}
    report.add("python", True, f"{platform.python_implementation()} {platform.python_version()}")
    report.add("libraries", True, ", ".join(f"{k} {v}" for k, v in versions.items()))
    report.add("server floor", True, f"{FLOOR_TEXT} or newer")
    _embedded(report, settings)
    _shared(report, settings)
    return report


def _embedded(report: Report, settings: Settings) -> None:
    try:
        binary = embedded_binary(settings.embedded_server)
    except PrpError as exc:
        report.add("embedded server", False, exc.message)
        return
    choice = f"PRP_EMBEDDED_SERVER={settings.embedded_server}"
    report.add("embedded server", True, f"{binary.version.text} at {binary.path} ({binary.origin}; {choice})")


def _shared(report: Report, settings: Settings) -> None:
    url = settings.redis_url
    if url is None:
        report.add("PRP_REDIS_URL", True, "unset: `prp run`, `prp mcp` and `prp api` use embedded mode")
        return
    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3, decode_responses=True)
    try:
        found = from_info(client.info("server"))
    except redis.RedisError as exc:
        report.add("PRP_REDIS_URL", False, f"{redact_url(url)} does not answer: {exc}")
        return
    finally:
        client.close()
    if not found.supported:
        report.add("PRP_REDIS_URL", False, f"{redact_url(url)}: {found.text}, below the floor ({FLOOR_TEXT})")
        return
    report.add("PRP_REDIS_URL", True, f"{redact_url(url)}: {found.text}")
    _housekeeping(report, settings, url)


def _housekeeping(report: Report, settings: Settings, url: str) -> None:
    """Whether some worker has made a housekeeping (repair) pass recently."""
    from prp_tasks.celeryapp.health import repair_problems
    from prp_tasks.state.connection import connect, target_of
    from prp_tasks.state.keys import Keys
    from prp_tasks.state.repair import RepairStore

    stale_s = max(30.0, 10 * settings.sweep_interval_s)
    repairs = RepairStore(connect(target_of(settings)), Keys(settings.key_prefix))
    problems = repair_problems(repairs, time.time() * 1000, stale_s)
    detail = problems[0] if problems else f"a worker made a repair pass in the last {stale_s:g}s"
    report.add("housekeeping", not problems, detail)
