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

from prp_tasks.core.run import redact_url
from prp_tasks.errors import PrpError, StoreError
from prp_tasks.housekeeping.reconciler import repair_problems
from prp_tasks.routing import CELERY_DEFAULT_QUEUE, CONTROL, queue_name
from prp_tasks.service.control import Control
from prp_tasks.settings import Settings
from prp_tasks.state.broker import BrokerLists
from prp_tasks.state.servers import FLOOR_TEXT, embedded_binary, probe


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


def diagnose(settings: Settings, control: Control | None = None) -> Report:
    """What this installation runs on; ``control``: ``PRP_REDIS_URL``'s, to look at housekeeping."""
    report = Report()
    versions = {name: _version(name) for name in ("prp-tasks", "celery", "kombu", "redis")}
    report.add("python", True, f"{platform.python_implementation()} {platform.python_version()}")
    report.add("libraries", True, ", ".join(f"{k} {v}" for k, v in versions.items()))
    report.add("server floor", True, f"{FLOOR_TEXT} or newer")
    _embedded(report, settings)
    _shared(report, settings, control)
    return report


def _embedded(report: Report, settings: Settings) -> None:
    try:
        binary = embedded_binary(settings.embedded_server)
    except PrpError as exc:
        report.add("embedded server", False, exc.message)
        return
    choice = f"PRP_EMBEDDED_SERVER={settings.embedded_server}"
    report.add("embedded server", True, f"{binary.version.text} at {binary.path} ({binary.origin}; {choice})")


def _shared(report: Report, settings: Settings, control: Control | None) -> None:
    url = settings.redis_url
    if url is None:
        report.add("PRP_REDIS_URL", True, "unset: `prp run`, `prp mcp` and `prp api` use embedded mode")
        return
    try:
        found = probe(url)
    except StoreError as exc:
        report.add("PRP_REDIS_URL", False, f"{redact_url(url)} does not answer: {exc.message}")
        return
    if not found.supported:
        report.add("PRP_REDIS_URL", False, f"{redact_url(url)}: {found.text}, below the floor ({FLOOR_TEXT})")
        return
    report.add("PRP_REDIS_URL", True, f"{redact_url(url)}: {found.text}")
    if control is not None:
        _housekeeping(report, settings, control)
        _default_queue(report, settings, control)


def _housekeeping(report: Report, settings: Settings, control: Control) -> None:
    """Whether some worker has made a housekeeping (repair) pass recently."""
    stale_s = max(30.0, 10 * settings.sweep_interval_s)
    problems = repair_problems(control.last_repair_ms(), time.time() * 1000, stale_s)
    detail = problems[0] if problems else f"a worker made a repair pass in the last {stale_s:g}s"
    report.add("housekeeping", not problems, detail)


def _default_queue(report: Report, settings: Settings, control: Control) -> None:
    """Messages waiting in Celery's default queue, which no prp worker consumes (a raw
    ``send_task("prp.submit_run", ...)`` without ``queue=``)."""
    lists = _default_queue_lists(settings, control)
    if lists is None:
        report.add("default queue", True, "not checked: the broker is not Redis")
        return
    try:
        waiting = lists.waiting_tasks().get(CELERY_DEFAULT_QUEUE, [])
    except StoreError as exc:
        report.add("default queue", False, f"cannot read the broker: {exc.message}")
        return
    if not waiting:
        report.add(
            "default queue", True, f"no message waits in Celery's default queue `{CELERY_DEFAULT_QUEUE}`"
        )
        return
    names = ", ".join(sorted(set(waiting)))
    report.add(
        "default queue",
        False,
        f"{len(waiting)}{'+' if len(waiting) >= 100 else ''} message(s) ({names}) wait in Celery's default "
        f"queue `{CELERY_DEFAULT_QUEUE}`, which no prp worker consumes: send them with "
        f"queue='{queue_name(CONTROL)}' (see docs/how-to/raw-celery.md)",
    )


def _default_queue_lists(settings: Settings, control: Control) -> BrokerLists | None:
    broker_url = settings.broker_url
    if broker_url in (None, settings.redis_url):
        return control.state.broker_lists([CELERY_DEFAULT_QUEUE])
    if broker_url.startswith(("redis://", "rediss://", "unix://")):
        return BrokerLists.connect(broker_url, [CELERY_DEFAULT_QUEUE])
    return None
