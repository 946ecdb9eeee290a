"""The enforcement profile: budgets and governance parsed from a repository's ``initial.md``.

Field names follow the keys users write in the ``initial.md`` YAML/JSON blocks
(``budgets.coverage.lines``); defaults are the reference's (upstream §2.3).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from prp_tasks.core.artifacts import ArtifactName
from prp_tasks.core.models import Role

Percent = Annotated[float, Field(ge=0, le=100)]
PositiveMs = Annotated[float, Field(gt=0)]
Count = Annotated[int, Field(ge=0)]
Argv = Annotated[tuple[str, ...], Field(min_length=1)]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CoverageBudget(_Section):
    lines: Percent = 95
    branches: Percent = 90
    functions: Percent = 95
    statements: Percent = 95


class PerformanceBudget(_Section):
    lcp: PositiveMs = 2500
    tbt: PositiveMs = 300
    fcp: PositiveMs | None = None
    tti: PositiveMs | None = None


class AccessibilityBudget(_Section):
    score: Percent = 95
    wcag_level: Literal["A", "AA", "AAA"] = "AA"
    wcag_version: str = "2.2"


class SecurityBudget(_Section):
    max_critical: Count = 0
    max_high: Count = 0
    max_medium: Count = 5
    fail_on_any: bool = False


class Budgets(_Section):
    coverage: CoverageBudget = CoverageBudget()
    performance: PerformanceBudget = PerformanceBudget()
    accessibility: AccessibilityBudget = AccessibilityBudget()
    security: SecurityBudget = SecurityBudget()


class Architecture(_Section):
    #: allowed package boundaries (upstream ``allowedPackageBoundaries``)
    boundaries: tuple[str, ...] = ()
    #: naming conventions, e.g. ``{modules: snake_case}``
    naming: dict[str, str] = Field(default_factory=dict)
    #: paths the repository layout must contain (G1 checks they exist)
    layout: tuple[str, ...] = ()
    #: allowed cross-boundary imports
    exceptions: tuple[str, ...] = ()


class Governance(_Section):
    license: str = "(Apache-2.0 OR Commercial)"
    #: code owners per path pattern
    owners: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    #: required check names (the compiler default, not the kernel's empty list)
    checks: tuple[str, ...] = ("test", "lint", "type-check")
    #: argv to run for each required check; G3 runs them (ours, upstream had none)
    commands: dict[str, Argv] = Field(default_factory=dict)
    structure_guard_exceptions: tuple[str, ...] = ()


class Reports(_Section):
    """Where checks find reports, relative to the repository root (first existing wins)."""

    coverage: tuple[ArtifactName, ...] = ("coverage.xml", "coverage.json")
    security: tuple[ArtifactName, ...] = ()
    performance: tuple[ArtifactName, ...] = ()


class AutoApproveRule(_Section):
    """Approve a parked gate automatically when it matches (gate id and/or approver role).

    Never in strict mode unless ``strict: true`` says so explicitly.
    """

    gates: tuple[str, ...] = ()
    roles: tuple[Role, ...] = ()
    strict: bool = False

    @model_validator(mode="after")
    def _selects_something(self) -> AutoApproveRule:
        if not self.gates and not self.roles:
            raise ValueError("an auto-approve rule needs 'gates' or 'roles'")
        return self

    def matches(self, gate_id: str, role: str, strict: bool) -> bool:
        if strict and not self.strict:
            return False
        gate_ok = not self.gates or gate_id in self.gates
        role_ok = not self.roles or role in self.roles
        return gate_ok and role_ok

    def describe(self) -> str:
        parts = [
            f"gates={','.join(self.gates)}" if self.gates else "",
            f"roles={','.join(self.roles)}" if self.roles else "",
        ]
        return (
            "approval.auto_approve["
            + " ".join(p for p in parts if p)
            + ("; strict" if self.strict else "")
            + "]"
        )


class ApprovalPolicy(_Section):
    """Approval policy for the built-in workflow's gates (a workflow file sets its own per gate)."""

    #: rules approving parked gates automatically; a plain string is a gate id
    auto_approve: tuple[AutoApproveRule, ...] = ()
    #: default time a parked gate waits for a human
    timeout_s: float = Field(default=86400, gt=0)
    #: what an expired request becomes
    on_timeout: Literal["fail", "approve"] = "fail"
    #: approvals needed per gate id (default 1)
    quorum: dict[str, Annotated[int, Field(ge=1, le=20)]] = Field(default_factory=dict)
    #: the run's requester may not approve gates of their own run
    no_self_approval: bool = False
    #: reminder interval while a request waits (None: no reminders)
    reminder_s: float | None = Field(default=None, gt=0)

    @field_validator("auto_approve", mode="before")
    @classmethod
    def _gate_shorthand(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return [{"gates": [v]} if isinstance(v, str) else v for v in value]
        return value


class EnforcementProfile(_Section):
    """Budgets, architecture and governance rules for one repository."""

    budgets: Budgets = Budgets()
    architecture: Architecture = Architecture()
    governance: Governance = Governance()
    reports: Reports = Reports()
    #: approver role overrides per gate id
    approvers: dict[str, Role] = Field(default_factory=dict)
    approval: ApprovalPolicy = ApprovalPolicy()


#: Top-level keys an ``initial.md`` block may set.
PROFILE_KEYS = tuple(EnforcementProfile.model_fields)


class InitialDoc(_Section):
    """The markdown structure of ``initial.md`` (upstream parsed and discarded it; we keep it)."""

    title: str = ""
    context: str = ""
    requirements: tuple[str, ...] = ()
    constraints: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()
    acceptance_criteria: tuple[str, ...] = ()


class ParsedProfile(_Section):
    """What parsing one ``initial.md`` content yields; cached by the content's hash."""

    profile: EnforcementProfile = EnforcementProfile()
    doc: InitialDoc = InitialDoc()
    #: dotted field path -> line of the file that set it (absent: the default applies)
    lines: dict[str, int] = Field(default_factory=dict)


class ResolvedProfile(ParsedProfile):
    """A parsed ``initial.md`` plus where it came from."""

    #: path of the file read (relative to the repository), or None when defaults apply
    source: str | None = None
    #: sha256 of the file bytes (empty string for defaults)
    sha256: str = ""
    #: the file's text, kept with the run so any process can re-derive the profile by hash
    text: str = ""

    def origin(self, path: str) -> str:
        """Where a value came from: ``initial.md:14`` or ``default``."""
        line = self.lines.get(path)
        return f"{self.source}:{line}" if line is not None and self.source else "default"
