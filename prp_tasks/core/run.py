"""A run: the immutable specification recorded at submission, and the run-level status vocabulary."""

from __future__ import annotations

import re
import secrets
import time
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from prp_tasks.core.models import Workflow
from prp_tasks.core.profile import ResolvedProfile


class RunStatus(StrEnum):
    """Run-level status. ``queued`` waits for admission; ``running``/``awaiting_approval`` are live;
    the last three are final."""

    QUEUED = "queued"
    RUNNING = "running"
    AWAITING_APPROVAL = "awaiting_approval"
    FINALIZING = "finalizing"
    PASSED = "passed"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINAL_RUN_STATUSES = frozenset({RunStatus.PASSED, RunStatus.FAILED, RunStatus.CANCELLED})


#: metadata is free-form JSON, but not so deep that recording the run could not serialize it
MAX_METADATA_DEPTH = 32
#: the uncommitted paths a run's repository info keeps (it counts them all)
CHANGES_KEPT = 20


def _depth(value: Any) -> int:
    """Nesting depth of JSON-like data, without recursion (so any input is safe to measure)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list | tuple) else ()
        stack.extend((child, level + 1) for child in children)
    return deepest


class Blueprint(BaseModel):
    """What the PRP is about (reference ``Blueprint``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str = Field(min_length=1, max_length=500)
    description: str = Field(default="", max_length=20_000)
    requirements: tuple[str, ...] = ()
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("metadata")
    @classmethod
    def _shallow(cls, value: dict[str, Any]) -> dict[str, Any]:
        if _depth(value) > MAX_METADATA_DEPTH:
            raise ValueError(f"nested deeper than {MAX_METADATA_DEPTH} levels")
        return value

    @field_validator("requirements", mode="before")
    @classmethod
    def _list_of_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            raise ValueError("must be a list of requirement strings")
        return value


class RepoInfo(BaseModel):
    """Where the source lives (reference ``RepoInfo`` plus where checks get it from).

    A local source has ``path`` (checks run in that directory). A git source has ``url`` and a
    full ``commit_sha``: every worker checks that commit out into its own workspace, so it runs on
    any machine (``path`` is then only where it was submitted from, if anywhere).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    owner: str = "local"
    repo: str = "repo"
    branch: str = "unknown"
    commit_sha: str = "unknown"
    #: absolute path of the local checkout
    path: str = ""
    #: git remote workers check ``commit_sha`` out from (distributed runs)
    url: str | None = None
    #: the local checkout had uncommitted changes when the run was submitted
    dirty: bool = False
    #: how many paths were uncommitted then (``git status``), and the first of them
    changed: int = Field(default=0, ge=0)
    changes: tuple[Annotated[str, Field(max_length=4096)], ...] = Field(default=(), max_length=CHANGES_KEPT)

    @field_validator("url")
    @classmethod
    def _remote(cls, value: str | None) -> str | None:
        return None if value is None else check_remote_url(value)

    @model_validator(mode="after")
    def _source(self) -> RepoInfo:
        if self.url is None and not self.path:
            raise ValueError("a source needs a local path or a git url")
        if self.url is not None and not FULL_SHA.match(self.commit_sha):
            raise ValueError("a git source needs the full commit SHA (40 or 64 hex digits)")
        return self

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.repo}"

    @property
    def distributed(self) -> bool:
        """Checks fetch the source from ``url`` (any machine) rather than reading ``path``."""
        return self.url is not None


FULL_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
#: a W3C trace context ``traceparent`` (version 00; all-zero ids are invalid)
TRACEPARENT = re.compile(r"^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$")
_SCHEMES = ("https://", "http://", "ssh://", "git://", "file://")
_SCP_LIKE = re.compile(r"^[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+:[^\s]+$")


def check_remote_url(url: str) -> str:
    """``url`` if it is a git remote workers may fetch (no options, helpers or local paths)."""
    if not url or len(url) > 2048 or any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise ValueError("a git url is 1-2048 characters without spaces or control characters")
    if url.startswith("-") or "::" in url.split("/", 1)[0]:
        raise ValueError(f"{redact_url(url)!r} is not a fetchable git url")
    if not (url.startswith(_SCHEMES) or _SCP_LIKE.match(url)):
        raise ValueError(
            f"{redact_url(url)!r}: use https://, http://, ssh://, git://, file:// or user@host:path"
        )
    return url


def redact_url(url: str) -> str:
    """``url`` with any user:password@ part masked."""
    return re.sub(r"(?<=://)[^/@\s]+@", "***@", url)


class RunSpec(BaseModel):
    """Everything fixed at submission. Stored once; gates and checks read it, never change it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str
    workflow: Workflow
    blueprint: Blueprint
    repo: RepoInfo
    profile: ResolvedProfile
    created_at: str
    #: who asked for the run (recorded in approvals and the manifest)
    actor: str = "system"
    strict: bool = False
    #: approve every parked gate automatically (recorded as actor ``auto``)
    auto_approve: bool = False
    #: the submission's idempotency key (``GET /v1/runs?idempotency_key=`` finds the run by it)
    idempotency_key: str | None = None
    #: the W3C ``traceparent`` of the caller's span that submitted the run (its run span links to it)
    caller_trace: str | None = None

    @field_validator("caller_trace")
    @classmethod
    def _traceparent(cls, value: str | None) -> str | None:
        if value is not None and not TRACEPARENT.fullmatch(value):
            raise ValueError("not a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>)")
        return value


def caller_trace(value: str | None) -> str | None:
    """A W3C ``traceparent`` header as a run keeps it, or None for a missing or malformed one
    (the W3C recommendation: a bad header is ignored, never an error)."""
    text = (value or "").strip().lower()
    return text if TRACEPARENT.fullmatch(text) else None


def new_run_id(now: float | None = None) -> str:
    """Sortable, unique run id: ``run-<unix ms base36>-<random>``."""
    ms = int((now if now is not None else time.time()) * 1000)
    return f"run-{_base36(ms)}-{secrets.token_hex(4)}"


def _base36(value: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while value:
        value, rem = divmod(value, 36)
        out = digits[rem] + out
    return out or "0"
