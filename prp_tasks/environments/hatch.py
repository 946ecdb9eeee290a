"""Hatch's environments as dependency groups: ``[tool.hatch.envs.NAME]`` ``dependencies`` and
``extra-dependencies``, each environment with those of the one it inherits from (``template``,
by default ``default``). ``hatch run test`` runs in the ``default`` environment, so that is the
group a check environment installs when no ``test`` one exists."""

from __future__ import annotations

from typing import Any


def hatch_groups(pyproject: dict[str, Any]) -> dict[str, list[str]] | None:
    """Environment name -> its requirements; None when the project declares no Hatch environment
    with dependencies."""
    envs = ((pyproject.get("tool") or {}).get("hatch") or {}).get("envs")
    if not isinstance(envs, dict):
        return None
    out = {name: _requirements(envs, name) for name, env in envs.items() if isinstance(env, dict)}
    return {n: r for n, r in out.items() if r} or None


def _requirements(envs: dict[str, Any], name: str, seen: tuple[str, ...] = ()) -> list[str]:
    env = envs.get(name)
    if not isinstance(env, dict) or name in seen:
        return []
    own = [r for key in ("dependencies", "extra-dependencies") for r in _strings(env.get(key))]
    template = env.get("template", "default" if name != "default" else None)
    inherited = _requirements(envs, template, (*seen, name)) if isinstance(template, str) else []
    return list(dict.fromkeys([*inherited, *own]))


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
