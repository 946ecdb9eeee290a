"""What a check implementation sees (:class:`CheckContext`) and returns (:class:`Outcome`)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prp_tasks.core.models import CheckSpec, CheckStatus, GateSpec
from prp_tasks.core.profile import EnforcementProfile
from prp_tasks.core.results import EvidenceType, GateRecord
from prp_tasks.core.run import RunSpec
from prp_tasks.errors import PrpError

if TYPE_CHECKING:
    from prp_tasks.environments import Environments


@dataclass(frozen=True)
class Outcome:
    """The result of one check execution, before it is stamped with timing and evidence ids."""

    status: CheckStatus
    output: str
    evidence_type: EvidenceType = EvidenceType.VALIDATION
    #: JSON-able details stored as the evidence content
    details: dict[str, Any] = field(default_factory=dict)
    #: evidence source (a file path when the check read a report)
    source: str | None = None
    #: True when the failure is transient (timeout, ``retry_on``, open breaker): ``retries`` apply
    retryable: bool = False

    @classmethod
    def verdict(cls, problems: list[str], ok: str, **kwargs: Any) -> Outcome:
        """PASS with ``ok`` when ``problems`` is empty, else FAIL listing them."""
        if problems:
            return cls(CheckStatus.FAIL, "; ".join(problems), **kwargs)
        return cls(CheckStatus.PASS, ok, **kwargs)


@dataclass(frozen=True)
class CheckContext:
    """Everything a check may use. Built by the engine for each execution."""

    spec: RunSpec
    gate: GateSpec
    check: CheckSpec
    timeout_s: float
    env_allowlist: tuple[str, ...]
    output_tail_bytes: int
    attempt: int = 1
    #: set when the run is cancelled or the lease is lost: long checks must stop
    stop: threading.Event = field(default_factory=threading.Event)
    #: records of the run's gates so far (for checks that look back: G5, G6, G7)
    load_records: Callable[[], Mapping[str, GateRecord]] = dict
    #: names of artifacts stored for the run so far
    load_artifact_names: Callable[[], frozenset[str]] = frozenset
    #: where the check runs: the local source, or this worker's worktree of a git source
    workdir: Path | None = None
    #: which worker process runs it (``node/pid``), recorded in the result
    worker: str = ""
    #: the worker's check environments (None: a default one for the default cache directory)
    environments: Environments | None = None

    @property
    def repo(self) -> Path:
        return self.workdir or Path(self.spec.repo.path)

    @property
    def cwd(self) -> Path:
        """Where a ``run`` check's command runs: the repository's top, or its ``workdir`` folder."""
        return self.repo / self.check.workdir if self.check.workdir else self.repo

    @property
    def profile(self) -> EnforcementProfile:
        return self.spec.profile.profile


class CheckSetupError(PrpError):
    """A check could not even start (missing report, unknown built-in)."""
