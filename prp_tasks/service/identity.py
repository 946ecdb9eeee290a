"""Who is calling: API tokens (stored as sha256 hashes) mapped to an identity, roles and rights."""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import TypeAdapter, ValidationError

from prp_tasks.approvals.authz import Authorizer
from prp_tasks.errors import ConfigError
from prp_tasks.settings import ApiToken, Settings

_TOKENS = TypeAdapter(list[ApiToken])


@dataclass(frozen=True)
class Principal:
    """An authenticated caller."""

    identity: str
    roles: frozenset[str] = field(default_factory=frozenset)
    #: may create, cancel and re-run runs
    submit: bool = False
    #: the transport: http, mcp, cli, client
    channel: str = "http"

    def authorizer(self) -> Authorizer:
        """Decisions are checked against this principal's own roles."""
        return Authorizer({self.identity: self.roles})


#: the authenticated caller of the current request (HTTP routes and MCP tools read it)
current_principal: contextvars.ContextVar[Principal | None] = contextvars.ContextVar(
    "prp_principal", default=None
)


def hash_token(token: str) -> str:
    """What goes into the configuration for ``token`` (``prp api hash-token``)."""
    return hashlib.sha256(token.encode()).hexdigest()


class TokenBook:
    """Looks bearer tokens up by hash, in constant time per entry."""

    def __init__(self, tokens: tuple[ApiToken, ...] | list[ApiToken]) -> None:
        self.tokens = tuple(tokens)

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenBook:
        tokens = list(settings.api.tokens)
        if settings.api.tokens_file is not None:
            tokens += load_tokens_file(settings.api.tokens_file)
        return cls(tokens)

    def principal(self, token: str, channel: str = "http") -> Principal | None:
        digest = hash_token(token)
        found = None
        for entry in self.tokens:
            if hmac.compare_digest(entry.sha256, digest):
                found = entry
        if found is None:
            return None
        roles = frozenset(r.value for r in found.roles)
        return Principal(found.identity, roles, found.submit, channel)


def load_tokens_file(path: Path) -> list[ApiToken]:
    """A YAML/JSON list of tokens (or ``{tokens: [...]}``), validated."""
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"PRP_API__TOKENS_FILE: cannot read {path}: {exc}") from None
    if isinstance(data, dict):
        data = data.get("tokens", [])
    try:
        return _TOKENS.validate_python(data or [])
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"PRP_API__TOKENS_FILE: {path}: {where}: {first['msg']}") from None
