"""Hatch's environments as dependency groups: ``[tool.hatch.envs.NAME]`` ``dependencies`` and
``extra-dependencies``, each environment with those of the one it inherits from (``template``,
by default ``default``). ``hatch run test`` runs in the ``default`` environment, so that is the
group a check environment installs when no ``test`` one exists.

Hatch also reads ``hatch.toml`` (the same tables without ``tool.hatch``: ``[envs.NAME]``), whose
settings win over pyproject.toml's: :func:`with_hatch_toml` gives the pyproject data as Hatch
sees it (hatch-vcs keeps its environments and their scripts there)."""

from __future__ import annotations

from typing import Any

HATCH_TOML = "hatch.toml"


def with_hatch_toml(pyproject: dict[str, Any], hatch_toml: dict[str, Any]) -> dict[str, Any]:
    """``pyproject`` with ``hatch_toml``'s environments in ``[tool.hatch.envs]`` (each replacing
    pyproject.toml's of the same name, as Hatch merges them)."""
    own = hatch_toml.get("envs")
    if not isinstance(own, dict) or not own:
        return pyproject
    tool = _table(pyproject, "tool")
    hatch = _table(tool, "hatch")
    envs = _table(hatch, "envs")
    return {**pyproject, "tool": {**tool, "hatch": {**hatch, "envs": {**envs, **own}}}}


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


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
    # a ``detached`` environment is self-referential (hatch-vcs' lint: black, mypy and ruff alone)
    template = env.get("template", "default" if name != "default" and not env.get("detached") else None)
    inherited = _requirements(envs, template, (*seen, name)) if isinstance(template, str) else []
    return list(dict.fromkeys([*inherited, *own]))


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
