"""The enforcement profile: budgets and governance parsed from a repository's ``initial.md``.

Field names follow the keys users write in the ``initial.md`` YAML/JSON blocks
(``budgets.coverage.lines``); defaults are the reference's (upstream §2.3).
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from prp_tasks.core.artifacts import ArtifactName
from prp_tasks.core.models import EnvironmentSpec, Role

Percent = Annotated[float, Field(ge=0, le=100)]
PositiveMs = Annotated[float, Field(gt=0)]
Count = Annotated[int, Field(ge=0)]
Argv = Annotated[tuple[str, ...], Field(min_length=1)]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


#: coverage metrics with a budget each (``null`` turns one off)
COVERAGE_METRICS = ("lines", "branches", "functions", "statements")


class CoverageBudget(_Section):
    lines: Percent | None = 95
    branches: Percent | None = 90
    functions: Percent | None = 95
    statements: Percent | None = 95
    #: coverage.py's own total: lines and branches together, as its ``fail_under`` measures them.
    #: Given alone (no per-metric budget set), the per-metric budgets are off.
    total: Percent | None = None

    @model_validator(mode="before")
    @classmethod
    def _total_alone(cls, data: Any) -> Any:
        alone = isinstance(data, dict) and data.get("total") is not None
        if alone and not any(m in data for m in COVERAGE_METRICS):
            return {**dict.fromkeys(COVERAGE_METRICS), **data}
        return data

    def enforced(self) -> dict[str, float]:
        """Metric -> budget of every metric that has one (``total`` included when set)."""
        values = {m: getattr(self, m) for m in (*COVERAGE_METRICS, "total")}
        return {m: float(v) for m, v in values.items() if v is not None}


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
    """``null`` for coverage, performance or accessibility means: no such budget."""

    coverage: CoverageBudget | None = CoverageBudget()
    performance: PerformanceBudget | None = PerformanceBudget()
    accessibility: AccessibilityBudget | None = AccessibilityBudget()
    security: SecurityBudget = SecurityBudget()


#: what a repository is (``project.kind``); browser budgets default on only for a web app and,
#: as upstream, when the kind is not given
ProjectKind = Literal["library", "cli", "service", "web-app", "unspecified"]
#: kinds whose default has no browser budgets (LCP, TBT, accessibility)
NON_BROWSER_KINDS = ("library", "cli", "service")
BROWSER_BUDGETS = ("performance", "accessibility")


class Project(_Section):
    kind: ProjectKind = "unspecified"


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
    #: the folder a command runs in, relative to the repository (default: its top): markdown2's
    #: tests run as ``cd test && python test.py``
    workdirs: dict[str, ArtifactName] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _no_misspelt_check(self) -> Governance:
        """A required check named like another one but runnable by nothing (``tset``) is a typo:
        the run would have reported it missing and never required ``test``."""
        for name in self.checks:
            if name in self.commands or name in STANDARD_CHECKS:
                continue
            close = difflib.get_close_matches(name, [*STANDARD_CHECKS, *self.commands], n=1, cutoff=0.75)
            if close:
                raise ValueError(f"checks: {name!r} is no command's name (did you mean {close[0]!r}?)")
        unknown = sorted(set(self.workdirs) - set(self.commands))
        if unknown:
            raise ValueError(f"workdirs.{unknown[0]}: no commands entry of that name to run there")
        return self


#: the checks G1 and G3 know by name (G3 runs each that ``governance.commands`` gives an argv)
STANDARD_CHECKS = ("test", "lint", "type-check", "format")


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

    project: Project = Project()
    budgets: Budgets = Budgets()
    architecture: Architecture = Architecture()
    governance: Governance = Governance()
    reports: Reports = Reports()
    #: approver role overrides per gate id
    approvers: dict[str, Role] = Field(default_factory=dict)
    approval: ApprovalPolicy = ApprovalPolicy()
    #: where ``run`` checks get their programs when the workflow does not say (None: ``auto``)
    environment: EnvironmentSpec | None = None
    #: a governance command's own environment, instead of ``environment`` for its check (natsort's
    #: type check needs fastnumbers, which would change what its tests run)
    environments: dict[str, EnvironmentSpec] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _environments_have_commands(self) -> EnforcementProfile:
        unknown = sorted(set(self.environments) - set(self.governance.commands))
        if unknown:
            raise ValueError(
                f"environments.{unknown[0]}: no governance.commands entry of that name to run in it"
            )
        return self

    @model_validator(mode="before")
    @classmethod
    def _kind_defaults(cls, data: Any) -> Any:
        """A library, CLI or service has no browser budgets unless initial.md sets them."""
        if not isinstance(data, dict):
            return data
        project = data.get("project")
        kind = project.get("kind") if isinstance(project, dict) else getattr(project, "kind", None)
        budgets = data.get("budgets", {})
        if kind not in NON_BROWSER_KINDS or not isinstance(budgets, dict):
            return data
        return {**data, "budgets": {**dict.fromkeys(BROWSER_BUDGETS), **budgets}}

    def kind_default(self, path: str) -> bool:
        """True when ``path`` is off only because of the project's kind (not set in the file)."""
        section = path.removeprefix("budgets.").split(".")[0]
        off = getattr(self.budgets, section, True) is None
        return (
            path.startswith("budgets.")
            and section in BROWSER_BUDGETS
            and off
            and (self.project.kind in NON_BROWSER_KINDS)
        )


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
        """Where a value came from: ``initial.md:14``, ``default`` or ``default for a library``.

        A value under a section the file set to ``null`` comes from that line."""
        parts = path.split(".")
        for cut in range(len(parts), 0, -1):
            line = self.lines.get(".".join(parts[:cut]))
            if line is not None and self.source and (cut == len(parts) or self._is_null(parts[:cut])):
                return f"{self.source}:{line}"
        if self.profile.kind_default(path):
            return f"default for a {self.profile.project.kind}"
        return "default"

    def _is_null(self, parts: list[str]) -> bool:
        value: Any = self.profile
        for part in parts:
            value = getattr(value, part, None) if not isinstance(value, dict) else value.get(part)
        return value is None
