"""Chain-I/O personas per built-in gate (reference §1.4) and the manifest stages (§1.5)."""

from __future__ import annotations

from dataclasses import dataclass

from prp_tasks.core import dag
from prp_tasks.core.models import Workflow
from prp_tasks.core.render.common import is_builtin


@dataclass(frozen=True)
class Deliverable:
    """An artifact a persona hands to the next one: found via a plan path or a gate artifact."""

    name: str
    description: str
    plan_path_key: str | None = None
    artifact_match: str | None = None


@dataclass(frozen=True)
class Persona:
    """Who works a gate in the product-to-automation chain and what they hand off."""

    persona: str
    chain_role: str
    description: str
    deliverables: tuple[Deliverable, ...] = ()
    checkpoints: tuple[str, ...] = ()


@dataclass(frozen=True)
class StageDef:
    """A manifest stage: a group of gates with one handoff."""

    key: str
    title: str
    category: str
    gate_ids: tuple[str, ...]
    dependencies: tuple[str, ...]
    personas: tuple[Persona, ...]


def _persona(
    persona: str, role: str, description: str, deliverable: Deliverable, checkpoint: str | None
) -> Persona:
    checkpoints = (checkpoint,) if checkpoint else ()
    return Persona(persona, role, description, (deliverable,), checkpoints)


#: Built-in gate id -> its chain-I/O persona (reference §1.4).
CHAIN_IO: dict[str, Persona] = {
    "G0": _persona(
        "Product Manager",
        "Product-manager",
        "States the problem, the measurable outcome and the scope for the roles downstream.",
        Deliverable("feature.prp.md", "Feature spec: problem, goals and scope.", "spec_md"),
        "spec_md",
    ),
    "G1": _persona(
        "Systems Architect",
        "Systems-architect",
        "Frames the architecture: integration boundaries, interfaces and service levels.",
        Deliverable(
            "architecture-plan.md",
            "Architecture or implementation plan for engineering.",
            "implementation_plan_md",
        ),
        "implementation_plan_md",
    ),
    "G2": _persona(
        "QA Lead",
        "Quality-lead",
        "Plans the test strategy, the coverage targets and the acceptance checks.",
        Deliverable(
            "tdd-plan.md",
            "Test plan covering unit, integration and acceptance hooks.",
            "tdd_plan_md",
        ),
        "tdd_plan_md",
    ),
    "G3": _persona(
        "Code Reviewer",
        "Code-reviewer",
        "Makes sure code and tests land with a completed review checklist.",
        Deliverable("code-review-checklist.md", "Completed code-review checklist.", "checklist_md"),
        "checklist_md",
    ),
    "G4": _persona(
        "Security Analyst",
        "Security-analyst",
        "Checks the verification evidence against the security and quality budgets.",
        Deliverable(
            "security-verification-report.md",
            "Verification report of the budgets.",
            artifact_match="verification-report",
        ),
        None,
    ),
    "G5": _persona(
        "Comms Specialist",
        "Comms-specialist",
        "Gathers change notes and rollout communication for stakeholders.",
        Deliverable("rollout-notes.md", "Rollout and change notes.", "summary_md"),
        "summary_md",
    ),
    "G6": _persona(
        "Automation Engineer",
        "Automation-engineer",
        "Confirms CI hooks and release automation are ready.",
        Deliverable("automation-runbook.md", "Runbook or scheduler plan for deployment."),
        None,
    ),
    "G7": _persona(
        "Product Specialist",
        "Product-specialist",
        "Collects the final evidence and signs off the outcome against the goals.",
        Deliverable(
            "evidence-bundle.json",
            "Evidence bundle linking the run manifest and proof.",
            artifact_match="run-manifest",
        ),
        None,
    ),
}

#: (key, title, category, gate ids) of the built-in pipeline (reference §1.5), in sequence order.
_BUILTIN_STAGES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("product-foundation", "Product Foundation", "product", ("G0", "G1")),
    ("product-test-strategy", "Product Test Strategy", "product", ("G2",)),
    ("engineering-execution", "Engineering Execution", "engineering", ("G3", "G4")),
    ("quality-triage", "Quality Triage", "quality", ("G5",)),
    ("automation-release", "Automation Release", "automation", ("G6", "G7")),
)


def builtin_stages() -> tuple[StageDef, ...]:
    """The five reference stages, each depending on the one before."""
    out: list[StageDef] = []
    for key, title, category, gate_ids in _BUILTIN_STAGES:
        deps = (out[-1].key,) if out else ()
        personas = tuple(CHAIN_IO[g] for g in gate_ids)
        out.append(StageDef(key, title, category, gate_ids, deps, personas))
    return tuple(out)


def custom_stages(workflow: Workflow) -> tuple[StageDef, ...]:
    """One stage per gate, in topological order, depending on the stages of its dependencies."""
    out: list[StageDef] = []
    for gate_id in dag.topological_order(workflow):
        gate = workflow.gate(gate_id)
        persona = Persona("", "", gate.purpose)
        out.append(StageDef(gate.id, gate.display_name, "custom", (gate.id,), gate.depends_on, (persona,)))
    return tuple(out)


def stage_defs(workflow: Workflow) -> tuple[StageDef, ...]:
    """The stages of a workflow's manifest."""
    return builtin_stages() if is_builtin(workflow) else custom_stages(workflow)
