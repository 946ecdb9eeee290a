"""Workflow specifications: what a user declares (gates, checks, approvals) and the status vocabulary."""

from __future__ import annotations

import hashlib
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from prp_tasks.core.artifacts import ArtifactName

#: Gate ids, check names and queue classes: plain identifiers, safe in Redis keys and file names.
ID_PATTERN = r"^[A-Za-z0-9_.-]+$"
Ident = Annotated[str, Field(pattern=ID_PATTERN, min_length=1, max_length=64)]
#: a command of ``environment.prepare``: an argv
PrepareCommand = Annotated[
    tuple[Annotated[str, Field(max_length=1000)], ...], Field(min_length=1, max_length=100)
]
#: an environment variable's name
EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=128)]


class GateStatus(StrEnum):
    """Where a gate is in its life."""

    PENDING = "pending"  #: waiting for its dependencies
    RUNNING = "running"  #: dispatched; its checks are queued or running
    AWAITING_APPROVAL = "awaiting_approval"  #: checks passed; parked until a human decides
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"  #: never ran: a dependency failed, the run was cancelled or a budget ran out


#: Statuses a gate never leaves.
TERMINAL = frozenset({GateStatus.PASSED, GateStatus.FAILED, GateStatus.SKIPPED})


class CheckStatus(StrEnum):
    """Outcome of one automated check (the reference's ``pass|fail|skip``)."""

    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"


class Role(StrEnum):
    """Roles that may decide a human approval (the reference's allowed roles)."""

    PRODUCT_OWNER = "product-owner"
    ARCHITECT = "architect"
    QA_LEAD = "qa-lead"
    CODE_REVIEWER = "code-reviewer"
    SECURITY_REVIEWER = "security-reviewer"
    MAINTAINER = "maintainer"
    RELEASE_MANAGER = "release-manager"


class Phase(StrEnum):
    """Evidence phase (reference §1.2)."""

    STRATEGY = "strategy"
    BUILD = "build"
    EVALUATION = "evaluation"


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RetryOn(_Spec):
    """Which failures of a check are transient (worth another attempt); anything else is a verdict."""

    #: exit codes of a ``run`` check that mean "try again" (never the check's own failure code)
    exit_codes: tuple[int, ...] = Field(default=(), max_length=50)
    #: exception class names of a built-in check that mean "try again" (e.g. ConnectionError)
    exceptions: tuple[str, ...] = Field(default=(), max_length=50)
    #: a timed-out attempt is transient
    timeout: bool = True

    @field_validator("exit_codes")
    @classmethod
    def _not_success(cls, codes: tuple[int, ...]) -> tuple[int, ...]:
        if 0 in codes:
            raise ValueError("exit code 0 is success, not a transient failure")
        return codes


class Breaker(_Spec):
    """A circuit breaker shared by every worker: transient failures of one dependency open it."""

    #: the dependency's name (checks naming the same one share the breaker)
    name: Ident
    #: consecutive transient failures that open it (None: settings default)
    threshold: int | None = Field(default=None, ge=1, le=1000)
    #: how long it stays open before one trial call is let through (None: settings default)
    open_s: float | None = Field(default=None, gt=0, le=86400)


#: extras and dependency groups that hold a Python project's test tools, in order of preference
TEST_EXTRAS = ("test", "tests", "testing", "dev")


class EnvironmentSpec(_Spec):
    """Where a ``run`` check's programs come from (``environment:`` of a workflow, gate or check).

    ``auto``: the repository's own ``.venv/`` (or ``venv/``), else an isolated environment for a
    Python project, else ``system``. ``system``: the worker's PATH without prp-tasks' own
    virtualenv. ``venv``: an existing environment at ``venv`` (relative to the repository).
    ``isolated``: an environment built for the project's dependency declarations and cached.
    Written as a string (``auto``, ``system``, ``isolated``) or a mapping (``{venv: .venv}``,
    ``{use: isolated, extras: [tests], packages: [pytest-cov]}``).
    """

    use: Literal["auto", "system", "venv", "isolated"] = "auto"
    #: the environment directory for ``use: venv`` (relative to the repository)
    venv: ArtifactName | None = None
    #: isolated: extras of the project to install (None: those of TEST_EXTRAS it declares)
    extras: tuple[Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")], ...] | None = None
    #: isolated: dependency groups (PEP 735) to install (None: those of TEST_EXTRAS it declares)
    groups: tuple[Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")], ...] | None = None
    #: isolated: requirement files to install (None: requirements.txt and the test ones found)
    requirements: tuple[ArtifactName, ...] | None = None
    #: isolated: more requirements to install (``pytest-cov``, ``ruff==0.6.9``)
    packages: tuple[Annotated[str, Field(min_length=1, max_length=200)], ...] = Field(
        default=(), max_length=100
    )
    #: isolated: the interpreter (a path, a command on PATH, or a version uv can find such as ``3.12``);
    #: default: the interpreter prp-tasks' own virtualenv was made from
    python: str | None = Field(default=None, min_length=1, max_length=300)
    #: build the project's compiled extensions in the run's workspace before its checks (false:
    #: the checks see the sources only; for extensions that take long to compile)
    extensions: bool = True
    #: variables set for the check's command (tox ``setenv``: zipp's ``PYTHONWARNDEFAULTENCODING``);
    #: not PATH or VIRTUAL_ENV, which the environment itself sets
    variables: dict[EnvName, Annotated[str, Field(max_length=2000)]] = Field(
        default_factory=dict, max_length=50
    )
    #: commands run once per run's workspace before its checks, in order (tox ``commands_pre``:
    #: humanize compiles its translations); a failure is said and the check still runs
    prepare: tuple[PrepareCommand, ...] = Field(default=(), max_length=10)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"use": value}
        if isinstance(value, dict) and "venv" in value and "use" not in value:
            return {"use": "venv", **value}
        return value

    @model_validator(mode="after")
    def _consistent(self) -> EnvironmentSpec:
        if (self.use == "venv") != (self.venv is not None):
            raise ValueError("'venv: PATH' goes with use: venv (and only with it)")
        building = (self.extras, self.groups, self.requirements, self.python)
        if self.use in ("system", "venv") and (any(v is not None for v in building) or self.packages):
            raise ValueError(f"use: {self.use} takes no extras, groups, requirements, packages or python")
        reserved = sorted(set(self.variables) & {"PATH", "VIRTUAL_ENV"})
        if reserved:
            raise ValueError(f"variables: {', '.join(reserved)} is set by the environment itself")
        return self


@lru_cache(maxsize=1024)
def _command_breaker(run: tuple[str, ...]) -> str:
    """One breaker per command line: ``cmd:<program>-<hash of the argv>`` (asked for several times
    per check execution, hence cached)."""
    program = "".join(c if c.isalnum() or c in "_.-" else "_" for c in run[0].rsplit("/", 1)[-1])
    digest = hashlib.sha256("\0".join(run).encode()).hexdigest()[:8]
    return f"cmd:{program[:40]}-{digest}"


class CheckSpec(_Spec):
    """One automated check: either an argv to execute or a registered built-in."""

    name: Ident
    #: argv executed in the repository without a shell; passes on exit code 0
    run: tuple[str, ...] | None = Field(default=None, min_length=1)
    #: name of a registered built-in check
    builtin: str | None = None
    description: str = ""
    #: hard time limit for this check; defaults to the gate's, then to settings
    timeout_s: float | None = Field(default=None, gt=0, le=86400)
    #: files (relative to the workspace) this check writes; stored when it ends
    produces: tuple[ArtifactName, ...] = Field(default=(), max_length=50)
    #: files produced by a gate this one depends on, placed in the workspace before the check starts
    needs: tuple[ArtifactName, ...] = Field(default=(), max_length=50)
    #: extra attempts after a transient failure (None: the gate's ``retries``)
    retries: int | None = Field(default=None, ge=0, le=10)
    #: what counts as transient (by default only a timeout)
    retry_on: RetryOn = RetryOn()
    #: first retry delay; doubles per attempt (capped at 60 s), with jitter
    retry_backoff_s: float = Field(default=1.0, gt=0, le=60)
    #: the circuit breaker guarding this check (default: one per program / built-in; false: none)
    breaker: Breaker | bool = True
    #: reuse a passing result of the same check on the same commit and profile (clean trees only)
    cacheable: bool = False
    #: tokens this check is expected to use (charged to the run's token budget with its gate)
    estimate_tokens: int = Field(default=0, ge=0, le=10**9)
    #: like ``needs``, naming the producing gate: ``{G3: [coverage.xml]}``
    needs_from: dict[Ident, tuple[ArtifactName, ...]] = Field(default_factory=dict, max_length=50)
    #: where the check's programs come from (None: the gate's, the workflow's, then ``auto``)
    environment: EnvironmentSpec | None = None
    #: the folder of the repository a ``run`` check's command runs in (None: the top); its
    #: ``.prp/reports/`` is there too, while ``produces`` and ``needs`` stay relative to the top
    workdir: ArtifactName | None = None

    @field_validator("run", mode="before")
    @classmethod
    def _argv_not_shell(cls, value: Any) -> Any:
        if isinstance(value, str):
            raise ValueError('must be an argv list such as ["pytest", "-q"], not a shell string')
        if isinstance(value, list | tuple) and any(not isinstance(v, str) for v in value):
            raise ValueError("every argv element must be a string")
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> CheckSpec:
        if (self.run is None) == (self.builtin is None):
            raise ValueError("a check needs exactly one of 'run' (argv list) or 'builtin'")
        if self.run is not None and not self.run[0].strip():
            raise ValueError("run[0] (the program) must not be empty")
        if len(set(self.produces)) != len(self.produces):
            raise ValueError("produces lists a file twice")
        if self.cacheable and self.produces:
            raise ValueError("a cacheable check cannot declare produces (a reused result has no files)")
        for field_name in ("environment", "workdir"):
            if self.builtin is not None and getattr(self, field_name) is not None:
                raise ValueError(f"{field_name} applies to 'run' checks only")
        return self

    @property
    def breaker_name(self) -> str | None:
        """The breaker this check reports to: its own, its program's or its built-in's."""
        if isinstance(self.breaker, Breaker):
            return self.breaker.name
        if not self.breaker:
            return None
        if self.run is not None:
            return _command_breaker(self.run)
        return f"builtin:{self.builtin}"

    @property
    def kind(self) -> str:
        return "run" if self.run is not None else "builtin"


class ApprovalSpec(_Spec):
    """A human decision required after all of a gate's checks pass."""

    role: Role
    description: str = ""
    #: approvals from distinct actors needed; a single rejection rejects
    quorum: int = Field(default=1, ge=1, le=20)
    #: how long the parked gate waits (None: the profile's ``approval.timeout_s``)
    timeout_s: float | None = Field(default=None, gt=0)
    #: what an expired request becomes: failed ("approval expired") or approved by ``auto``
    on_timeout: Literal["fail", "approve"] = "fail"
    #: the run's requester may not approve its own gate
    no_self_approval: bool = False
    #: re-announce the request every this many seconds while it waits
    reminder_s: float | None = Field(default=None, gt=0)
    #: after this many seconds, ``escalate_to`` may decide too (and an escalation is audited)
    escalate_after_s: float | None = Field(default=None, gt=0)
    escalate_to: Role | None = None

    @model_validator(mode="after")
    def _escalation_pair(self) -> ApprovalSpec:
        if (self.escalate_after_s is None) != (self.escalate_to is None):
            raise ValueError("escalate_after_s and escalate_to go together")
        return self


class GateSpec(_Spec):
    """One quality gate: checks run in parallel, then an optional approval."""

    id: Ident
    name: str = ""
    purpose: str = ""
    depends_on: tuple[Ident, ...] = ()
    #: queue class whose workers run this gate's checks
    queue: Ident = "automated"
    #: default hard time limit per check of this gate
    timeout_s: float | None = Field(default=None, gt=0, le=86400)
    #: extra attempts for a check that timed out
    retries: int = Field(default=0, ge=0, le=10)
    checks: tuple[CheckSpec, ...] = ()
    approval: ApprovalSpec | None = None
    #: review-JSON category (reference §1.3); defaults to the gate id
    category: str | None = None
    phase: Phase = Phase.EVALUATION
    #: a built-in gate report rendered as an artifact once the checks pass
    report: Ident | None = None
    #: tokens this gate is expected to use (plus its checks' estimates), charged to the run's budget
    estimate_tokens: int = Field(default=0, ge=0, le=10**9)
    #: where the gate's ``run`` checks get their programs (None: the workflow's)
    environment: EnvironmentSpec | None = None

    @model_validator(mode="after")
    def _unique_checks(self) -> GateSpec:
        seen: set[str] = set()
        for check in self.checks:
            if check.name in seen:
                raise ValueError(f"duplicate check name {check.name!r} in gate {self.id!r}")
            seen.add(check.name)
        if len(set(self.depends_on)) != len(self.depends_on):
            raise ValueError(f"gate {self.id!r} lists a dependency twice")
        return self

    @property
    def display_name(self) -> str:
        return self.name or self.id

    @property
    def token_estimate(self) -> int:
        """What starting this gate charges to the run's token budget."""
        return self.estimate_tokens + sum(c.estimate_tokens for c in self.checks)

    @property
    def review_category(self) -> str:
        return self.category or self.id

    def check(self, name: str) -> CheckSpec:
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(name)

    def time_limit(self, check: str, default: float) -> float:
        """A check's hard time limit: its own, else the gate's, else ``default`` (the deployment's)."""
        return self.check(check).timeout_s or self.timeout_s or default


class Budget(_Spec):
    """Limits of one run (upstream spool semantics): checked when a gate is about to start."""

    #: total token budget; a gate whose estimate exceeds what is left is skipped
    tokens: int | None = Field(default=None, ge=1)
    #: wall-clock budget from submission; gates not started by then are skipped
    wall_s: float | None = Field(default=None, gt=0)
    #: gates of this run dispatched at once (others wait for a slot); None: settings default
    max_parallel_gates: int | None = Field(default=None, ge=1, le=1000)


class Workflow(_Spec):
    """A named DAG of gates. Structural rules (ids, dependencies, cycles) live in :mod:`.dag`."""

    name: Ident
    description: str = ""
    gates: tuple[GateSpec, ...]
    budget: Budget = Budget()
    #: where ``run`` checks get their programs (None: ``initial.md``'s ``environment``, else ``auto``)
    environment: EnvironmentSpec | None = None

    @field_validator("gates")
    @classmethod
    def _not_empty(cls, gates: tuple[GateSpec, ...]) -> tuple[GateSpec, ...]:
        if not gates:
            raise ValueError("a workflow needs at least one gate")
        return gates

    def gate(self, gate_id: str) -> GateSpec:
        for gate in self.gates:
            if gate.id == gate_id:
                return gate
        raise KeyError(gate_id)

    @property
    def gate_ids(self) -> tuple[str, ...]:
        return tuple(g.id for g in self.gates)
