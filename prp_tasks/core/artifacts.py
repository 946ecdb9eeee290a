"""Files checks produce and need: name rules and which check produces what a check needs.

An artifact name is a plain relative path inside the check's workspace (``coverage.xml``,
``reports/junit.xml``): no absolute paths, no ``..`` or ``.`` parts, no empty parts, no
backslashes. A file is identified by the gate that produced it and its name.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator

if TYPE_CHECKING:
    from prp_tasks.core.models import CheckSpec, GateSpec, Workflow

_PART = re.compile(r"^[A-Za-z0-9_.@+=,-]+$")
MAX_NAME = 255


def check_artifact_name(name: str) -> str:
    """``name`` if it is a plain relative path, else ValueError saying why."""
    if not name or len(name) > MAX_NAME:
        raise ValueError(f"artifact name must be 1-{MAX_NAME} characters")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise ValueError(f"{name!r} is an absolute path; artifact names are relative to the workspace")
    parts = name.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"{name!r} is not a plain relative path ('..', '.' and empty parts are refused)")
    bad = [p for p in parts if not _PART.match(p)]
    if bad:
        raise ValueError(f"{name!r}: {bad[0]!r} may only use letters, digits and _ . @ + = , -")
    return name


ArtifactName = Annotated[str, AfterValidator(check_artifact_name)]


def producer(workflow: Workflow, gate_id: str, name: str) -> tuple[GateSpec, CheckSpec] | None:
    """The (gate, check) of ``gate_id``'s workflow that produces ``name``, or None."""
    for gate in workflow.gates:
        if gate.id != gate_id:
            continue
        for check in gate.checks:
            if name in check.produces:
                return gate, check
    return None


def needed(workflow: Workflow, gate_id: str, check: CheckSpec, deps: frozenset[str]) -> list[tuple[str, str]]:
    """What ``check`` of ``gate_id`` needs, as (producing gate, name) pairs.

    ``needs: [name]`` resolves to the one gate among ``deps`` (``gate_id``'s transitive
    dependencies) whose checks produce ``name``; ``needs_from: {G: [name]}`` names the gate.
    ValueError when a name has no producer, several, or the producer is not a dependency.
    """
    out: list[tuple[str, str]] = []
    for name in check.needs:
        gates = [g for g in workflow.gate_ids if g in deps and producer(workflow, g, name)]
        if not gates:
            raise ValueError(f"needs {name!r}: no gate that {gate_id} depends on produces it")
        if len(gates) > 1:
            choices = ", ".join(gates)
            raise ValueError(f"needs {name!r}: produced by {choices}; say which with needs_from")
        out.append((gates[0], name))
    for source, names in check.needs_from.items():
        if source not in deps:
            raise ValueError(f"needs_from {source}: {gate_id} does not depend on {source}")
        for name in names:
            if producer(workflow, source, name) is None:
                raise ValueError(f"needs_from {source}: no check of {source} produces {name!r}")
            out.append((source, name))
    return out


def duplicate_products(gate: GateSpec) -> list[str]:
    """Names produced by more than one check of ``gate``."""
    seen: set[str] = set()
    dup: list[str] = []
    for check in gate.checks:
        for name in check.produces:
            if name in seen and name not in dup:
                dup.append(name)
            seen.add(name)
    return dup
