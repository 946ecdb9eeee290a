"""Who may decide what: roles per actor, from settings (``PRP_ROLES``) or a file (``PRP_ROLES_FILE``).

When no mapping is configured at all the authorizer is *open*: any actor may decide as the gate's
role (fine on a laptop; shared deployments configure roles). Every refusal is audited by the caller.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml
from pydantic import TypeAdapter, ValidationError

from prp_tasks.core.models import Role
from prp_tasks.errors import ConfigError, NotAuthorized

_ROLES = TypeAdapter(dict[str, tuple[Role, ...]])


class Authorizer:
    """Maps actors to roles and decides whether an actor may decide a gate."""

    def __init__(self, roles: Mapping[str, Iterable[str]] | None) -> None:
        self.open = roles is None
        self.roles = {actor: frozenset(r) for actor, r in (roles or {}).items()}

    @classmethod
    def from_sources(cls, inline: Mapping[str, Iterable[str]], path: Path | None) -> Authorizer:
        """Merge ``PRP_ROLES`` and the file at ``PRP_ROLES_FILE`` (inline wins per actor)."""
        merged: dict[str, tuple[str, ...]] = {}
        if path is not None:
            merged.update(load_roles_file(path))
        merged.update({a: tuple(r) for a, r in inline.items()})
        return cls(merged if (merged or path is not None) else None)

    def roles_of(self, actor: str) -> frozenset[str]:
        if self.open:
            return frozenset(role.value for role in Role)
        return self.roles.get(actor, frozenset())

    def authorize(self, actor: str, role: str, *, escalation: str | None = None) -> str:
        """The role ``actor`` decides as (the gate's, else the escalation role), or NotAuthorized."""
        held = self.roles_of(actor)
        if role in held:
            return role
        if escalation is not None and escalation in held:
            return escalation
        needed = role if escalation is None else f"{role} or {escalation}"
        have = ", ".join(sorted(held)) or "no roles"
        raise NotAuthorized(f"{actor} may not decide this gate: it needs {needed} ({actor} has {have})")


def load_roles_file(path: Path) -> dict[str, tuple[str, ...]]:
    """``{actor: [role, ...]}`` from a YAML or JSON file, validated against the known roles."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"PRP_ROLES_FILE: cannot read {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"PRP_ROLES_FILE: {path} is not valid YAML/JSON: {exc}") from None
    if isinstance(data, dict) and "actors" in data:
        data = data["actors"]
    try:
        parsed = _ROLES.validate_python(data or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"PRP_ROLES_FILE: {path}: {where}: {first['msg']}") from None
    return {actor: tuple(r.value for r in roles) for actor, roles in parsed.items()}
