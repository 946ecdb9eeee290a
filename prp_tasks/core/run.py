"""A run: the immutable specification recorded at submission, and the run-level status vocabulary."""

from __future__ import annotations

import secrets
import time
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from prp_tasks.core.models import Workflow
from prp_tasks.core.profile import ResolvedProfile


class RunStatus(StrEnum):
    """Run-level status. ``running``/``awaiting_approval`` are live; the last three are final."""

    RUNNING = "running"
    AWAITING_APPROVAL = "awaiting_approval"
    FINALIZING = "finalizing"
    PASSED = "passed"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINAL_RUN_STATUSES = frozenset({RunStatus.PASSED, RunStatus.FAILED, RunStatus.CANCELLED})


class Blueprint(BaseModel):
    """What the PRP is about (reference ``Blueprint``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str = Field(min_length=1, max_length=500)
    description: str = Field(default="", max_length=20_000)
    requirements: tuple[str, ...] = ()
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("requirements", mode="before")
    @classmethod
    def _list_of_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            raise ValueError("must be a list of requirement strings")
        return value


class RepoInfo(BaseModel):
    """Where the source lives (reference ``RepoInfo`` plus the local path checks run in)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    owner: str = "local"
    repo: str = "repo"
    branch: str = "unknown"
    commit_sha: str = "unknown"
    #: absolute path of the checkout checks run in
    path: str
    dirty: bool = False

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.repo}"


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
