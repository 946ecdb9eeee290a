"""Effective profile values and where each came from (``prp profile show``)."""

from __future__ import annotations

from typing import Any

from prp_tasks.core.profile import ResolvedProfile


def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Dotted leaf paths of a JSON-like value (lists are leaves)."""
    if isinstance(value, dict) and value:
        out: list[tuple[str, Any]] = []
        for key, child in value.items():
            out += flatten(child, f"{prefix}.{key}" if prefix else str(key))
        return out
    return [(prefix, value)]


def explain(resolved: ResolvedProfile) -> list[tuple[str, Any, str]]:
    """Every effective value with its origin, in schema order."""
    data = resolved.profile.model_dump(mode="json")
    return [(path, value, resolved.origin(path)) for path, value in flatten(data)]
