"""A project's tox configuration as ``tox.ini`` sections, whichever file holds it: ``tox.ini``,
``tox.toml`` (tox 4's own format: pathspec), or ``pyproject.toml`` ``[tool.tox]`` (its native
tables or a ``legacy_tox_ini`` string). TOML environments become ``[testenv]`` (``env_run_base``)
and ``[testenv:NAME]`` (``env.NAME``), their command lists shell-joined lines."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path
from typing import Any

from prp_tasks.intake.init.sources import nested, read_ini, read_toml

#: TOML keys read, and their tox.ini names
_KEYS = {
    "commands": "commands",
    "commands_pre": "commands_pre",
    "deps": "deps",
    "extras": "extras",
    "dependency_groups": "dependency_groups",
    "change_dir": "changedir",
    "set_env": "setenv",
}


def read_tox(repo: Path) -> tuple[configparser.RawConfigParser, str]:
    """(the configuration, the file it came from: ``tox.ini`` …); empty when there is none."""
    if (repo / "tox.ini").is_file():
        return read_ini(repo / "tox.ini"), "tox.ini"
    if (repo / "tox.toml").is_file():
        return _from_toml(read_toml(repo / "tox.toml")), "tox.toml"
    table = nested(read_toml(repo / "pyproject.toml"), "tool", "tox")
    if isinstance(table, dict) and isinstance(table.get("legacy_tox_ini"), str):
        parser = configparser.RawConfigParser(strict=False)
        try:
            parser.read_string(table["legacy_tox_ini"])
        except configparser.Error:
            return configparser.RawConfigParser(), "pyproject.toml [tool.tox]"
        return parser, "pyproject.toml [tool.tox]"
    if isinstance(table, dict):
        return _from_toml(table), "pyproject.toml [tool.tox]"
    return configparser.RawConfigParser(), "tox.ini"


def _from_toml(data: dict[str, Any]) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False)
    envs = [("testenv", data.get("env_run_base"))]
    named = data.get("env")
    envs += [(f"testenv:{k}", v) for k, v in (named.items() if isinstance(named, dict) else [])]
    for section, env in envs:
        if not isinstance(env, dict):
            continue
        parser.add_section(section)
        for key, ini_key in _KEYS.items():
            value = _lines(key, env.get(key))
            if value is not None:
                parser.set(section, ini_key, value)
    return parser


def _lines(key: str, value: Any) -> str | None:
    """A TOML value as tox.ini text: commands one shell-joined line each, lists one item a line."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):  # set_env = {PYTHONWARNDEFAULTENCODING = "1"}
        return "\n".join(f"{k} = {v}" for k, v in value.items() if isinstance(v, str | int))
    if not isinstance(value, list):
        return None
    if key in ("commands", "commands_pre"):
        return "\n".join(shlex.join(_words(c)) for c in value if isinstance(c, list))
    return "\n".join(v for v in value if isinstance(v, str))


def _words(command: list[Any]) -> list[str]:
    """A command's words; ``{replace = "posargs", default = [...]}`` becomes its default."""
    words: list[str] = []
    for word in command:
        if isinstance(word, str):
            words.append(word)
        elif isinstance(word, dict) and word.get("replace") == "posargs":
            words += [w for w in word.get("default") or [] if isinstance(w, str)]
    return words
