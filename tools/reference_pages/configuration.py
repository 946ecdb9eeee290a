"""``docs/reference/configuration.md``: every setting of ``prp_tasks.settings.Settings``."""

from __future__ import annotations

import enum
import inspect
import json
import re
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from reference_pages.markdown import anchor, header, md, paragraphs, table


@dataclass
class Section:
    """One table of the configuration page: the settings of one (nested) model."""

    title: str
    doc: str
    rows: list[tuple[str, ...]] = field(default_factory=list)


def configuration_page() -> str:
    """``docs/reference/configuration.md``: every setting, as the environment variable that sets it."""
    from prp_tasks.settings import Settings

    config = Settings.model_config
    prefix = str(config.get("env_prefix") or "")
    delimiter = str(config.get("env_nested_delimiter") or "__")
    objects: list[type[BaseModel]] = []
    sections = list(settings_sections(Settings, prefix, delimiter, objects, "General settings"))
    lines = [
        header("`prp_tasks.settings.Settings`"),
        "# Configuration",
        "",
        *paragraphs(Settings.__doc__),
        f"Every setting is read from an environment variable: `{prefix}` and the field's name in capitals;",
        f"a field of a nested group joins the names with `{delimiter}` "
        f"(`{prefix}QUEUES{delimiter}AUTOMATED{delimiter}CONCURRENCY`).",
        'Lists and maps are given as JSON (`PRP_ENV_ALLOWLIST=\'["PATH", "HOME"]\'`). An unknown',
        f"`{prefix}*` variable is an error that names the closest setting, and every value is validated",
        "when a process starts.",
        "",
    ]
    for section in sections:
        lines += [f"## {section.title} {{#{anchor(section.title)}}}", "", *paragraphs(section.doc)]
        if section.rows:
            lines += table(("variable", "type", "default", "description"), section.rows)
    for model in objects:
        lines += object_section(model)
    return "\n".join(lines).rstrip() + "\n"


def settings_sections(
    model: type[BaseModel], env: str, delimiter: str, objects: list[type[BaseModel]], title: str
) -> Iterator[Section]:
    """A section of ``model``'s plain fields, then one per nested model (depth first)."""
    root = env == model.model_config.get("env_prefix")
    section = Section(title, "" if root else model.__doc__ or "")
    nested: list[tuple[str, type[BaseModel]]] = []
    comments = field_comments(model)
    for name, info in model.model_fields.items():
        variable = f"{env}{name.upper()}"
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            nested.append((variable, annotation))
            continue
        objects += [m for m in models_in(annotation) if m not in objects]
        description = info.description or comments.get(name, "")
        section.rows.append(field_row(f"`{variable}`", name, info, description))
    if section.rows or nested:
        yield section
    for variable, sub in nested:
        yield from settings_sections(
            sub, variable + delimiter, delimiter, objects, variable + delimiter + "*"
        )


def setting_variables() -> list[str]:
    """Every environment variable that sets a setting (``PRP_QUEUES__AUTOMATED__POOL`` …)."""
    from prp_tasks.settings import Settings

    config = Settings.model_config
    prefix = str(config.get("env_prefix") or "")
    delimiter = str(config.get("env_nested_delimiter") or "__")
    sections = settings_sections(Settings, prefix, delimiter, [], "")
    return [row[0].strip("`") for section in sections for row in section.rows]


def field_row(label: str, name: str, info: Any, description: str) -> tuple[str, ...]:
    kind = type_text(info.annotation)
    limits = constraints(info.metadata)
    if limits:
        kind += f" ({limits})"
    return (label, md(kind, cell=True), default_text(name, info), md(description, cell=True))


def object_section(model: type[BaseModel]) -> list[str]:
    """The keys of an object given inside a list or map setting (an API token, say)."""
    comments = field_comments(model)
    rows = [
        field_row(f"`{name}`", name, info, info.description or comments.get(name, ""))
        for name, info in model.model_fields.items()
    ]
    title = f"{model.__name__} objects"
    lines = [f"## {title} {{#{anchor(title)}}}", "", *paragraphs(model.__doc__)]
    return lines + table(("key", "type", "default", "description"), rows)


def field_comments(cls: type) -> dict[str, str]:
    """The ``#:`` comments documenting the fields of ``cls`` (and of its own bases), by field name."""
    found: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if not klass.__module__.startswith("prp_tasks"):
            continue
        try:
            source, _ = inspect.getsourcelines(klass)
        except (OSError, TypeError):
            continue
        found.update({name: text for name, text in comments_in(source).items() if text})
    return found


FIELD_LINE = re.compile(r"^(\s+)([A-Za-z_]\w*)\s*:(?!\s*$)(.*)$")


def comments_in(source: list[str]) -> dict[str, str]:
    """``#:`` comment lines above a field (and a trailing ``#: text``), by field name."""
    body = next((len(s) - len(s.lstrip()) for s in source[1:] if s.strip()), 4)
    found: dict[str, str] = {}
    pending: list[str] = []
    for line in source[1:]:
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if stripped.startswith("#:") and indent == body:
            pending.append(stripped[2:].strip())
            continue
        match = FIELD_LINE.match(line)
        if match and len(match.group(1)) == body:
            trailing = match.group(3).split("#:", 1)[1].strip() if "#:" in match.group(3) else ""
            found[match.group(2)] = " ".join([*pending, trailing]).strip()
        if stripped:
            pending = []
    return found


def models_in(annotation: Any) -> list[type[BaseModel]]:
    """Pydantic models used inside a container type (``tuple[ApiToken, ...]``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in models_in(arg)]


SIMPLE_TYPES = {str: "text", int: "integer", float: "number", bool: "boolean", Path: "path"}


def type_text(annotation: Any) -> str:
    """A field's type in words: ``integer``, ``one of `a`, `b```, ``JSON list of text``."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (Union, types.UnionType):
        return " or ".join(type_text(a) for a in args if a is not type(None))
    if origin is Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if origin in (tuple, list, set, frozenset):
        return "JSON list of " + type_text(args[0])
    if origin is dict:
        return f"JSON object of {type_text(args[0])} to {type_text(args[1])}"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return "one of " + ", ".join(f"`{m.value}`" for m in annotation)
    if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
        return f"[{annotation.__name__}](#{anchor(annotation.__name__, 'objects')}) object"
    return SIMPLE_TYPES.get(annotation, getattr(annotation, "__name__", str(annotation)))


CONSTRAINTS = (
    ("ge", "≥ {}"),
    ("gt", "> {}"),
    ("le", "≤ {}"),
    ("lt", "< {}"),
    ("min_length", "length ≥ {}"),
    ("max_length", "length ≤ {}"),
    ("pattern", "matching `{}`"),
)


def constraints(metadata: list[Any]) -> str:
    words = []
    for item in metadata:
        for attr, form in CONSTRAINTS:
            value = getattr(item, attr, None)
            if value is not None:
                words.append(form.format(value))
    return ", ".join(words)


def default_text(name: str, info: Any) -> str:
    if info.is_required():
        return "required"
    value = info.get_default(call_default_factory=True)
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, tuple | list | dict):
        return f"`{json.dumps(list(value) if isinstance(value, tuple) else value)}`"
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, float):
        return f"`{value:g}`"
    if isinstance(value, int) and name.endswith("_bytes"):
        return f"`{value}` ({human_bytes(value)})"
    return f"`{value}`"


def human_bytes(value: int) -> str:
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if value >= size and value % size == 0:
            return f"{value // size} {unit}"
    return f"{value} bytes"
