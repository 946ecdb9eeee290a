"""Poetry's dependency groups as PEP 508 requirements: ``[tool.poetry.group.NAME.dependencies]``
and the older ``[tool.poetry.dev-dependencies]`` (the ``dev`` group), their constraints
(``^7.2.0``, ``~1.4``, ``{version = "^6.0", extras = ["x"]}``) in the form pip and uv read.
A dependency from git, a path or a URL is left out (the index has no such release to install)."""

from __future__ import annotations

import platform
import re
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet

_VERSION = re.compile(r"^\d+(?:\.\d+)*(?:\.\*)?$")
_OPERATORS = re.compile(r"^(?:[<>=!~]=?|===)\s*\S")


def poetry_groups(pyproject: dict[str, Any]) -> dict[str, list[str]] | None:
    """Group name -> requirements; None when the project declares no Poetry group."""
    poetry = (pyproject.get("tool") or {}).get("poetry")
    if not isinstance(poetry, dict):
        return None
    tables: dict[str, Any] = {}
    if isinstance(poetry.get("dev-dependencies"), dict):
        tables["dev"] = poetry["dev-dependencies"]
    groups = poetry.get("group")
    for name, group in groups.items() if isinstance(groups, dict) else []:
        if isinstance(group, dict) and isinstance(group.get("dependencies"), dict):
            tables[name] = {**tables.get(name, {}), **group["dependencies"]}
    if not tables:
        return None
    return {
        name: [r for r in (requirement(n, c) for n, c in deps.items()) if r] for name, deps in tables.items()
    }


def requirement(name: str, constraint: Any) -> str | None:
    """``pytest`` + ``^7.2.0`` -> ``pytest>=7.2.0,<8.0.0``; None for ``python`` and for what is
    not on an index (git, path, url)."""
    if name.lower() == "python":
        return None
    if isinstance(constraint, list):  # one constraint per Python version: this Python's
        chosen = next((c for c in constraint if isinstance(c, dict) and _for_this_python(c)), None)
        return requirement(name, chosen) if chosen is not None else name
    if isinstance(constraint, dict):
        if any(k in constraint for k in ("git", "path", "url", "file")):
            return None
        extras = constraint.get("extras")
        named = f"{name}[{','.join(extras)}]" if isinstance(extras, list) and extras else name
        spec = specifier(str(constraint.get("version", "*")))
        markers = constraint.get("markers")
        return named + spec + (f"; {markers}" if isinstance(markers, str) and markers else "")
    return name + specifier(str(constraint))


def _for_this_python(constraint: dict[str, Any]) -> bool:
    """Whether a constraint's ``python`` (``>=3.8``, ``^3.9``) admits the running interpreter
    (cleo: ``mypy = [{version = "^1.0", python = "<3.8"}, {version = "^1.5", python = ">=3.8"}]``)."""
    python = constraint.get("python")
    if not isinstance(python, str):
        return True
    try:
        return SpecifierSet(specifier(python)).contains(platform.python_version(), prereleases=True)
    except InvalidSpecifier:
        return False


def specifier(constraint: str) -> str:
    """A Poetry constraint as a PEP 440 specifier ('' for any version or one not understood)."""
    text = constraint.strip()
    if text in ("", "*") or "||" in text:
        return ""
    if text.startswith("^"):
        return _caret(text[1:].strip())
    if text.startswith("~") and not text.startswith("~="):
        return _tilde(text[1:].strip())
    if _VERSION.match(text):
        return f"=={text}"
    parts = [p.strip() for p in re.split(r",|\s+(?=[<>=!~])", text) if p.strip()]
    return ",".join(parts) if parts and all(_OPERATORS.match(p) for p in parts) else ""


def _caret(version: str) -> str:
    """``^1.2.3`` -> ``>=1.2.3,<2.0.0``; ``^0.2.3`` -> ``<0.3.0``; ``^0.0.3`` -> ``<0.0.4``."""
    numbers = _numbers(version)
    if numbers is None:
        return ""
    first = next((i for i, n in enumerate(numbers) if n != 0), len(numbers) - 1)
    return f">={version},<{_bumped(numbers, first)}"


def _tilde(version: str) -> str:
    """``~1.2.3`` -> ``>=1.2.3,<1.3.0``; ``~1`` -> ``>=1,<2``."""
    numbers = _numbers(version)
    if numbers is None:
        return ""
    return f">={version},<{_bumped(numbers, min(1, len(numbers) - 1))}"


def _numbers(version: str) -> list[int] | None:
    return [int(n) for n in version.split(".")] if re.fullmatch(r"\d+(?:\.\d+)*", version) else None


def _bumped(numbers: list[int], index: int) -> str:
    out = [*numbers[:index], numbers[index] + 1] + [0] * (len(numbers) - index - 1)
    return ".".join(map(str, out))
