"""``docs/reference/redis-keys.md``: the key builders of ``prp_tasks.state.keys``."""

from __future__ import annotations

import inspect
import re
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from reference_pages.configuration import field_comments
from reference_pages.markdown import anchor, header, md, paragraphs, table

EXAMPLE_PREFIX = "prp"
EXAMPLE_RUN = "RUN"
#: the placeholder shown for a key builder's argument, by argument name (else the name in capitals)
PLACEHOLDERS = {
    "run_id": EXAMPLE_RUN,
    "gate_id": "GATE",
    "sha256": "SHA",
    "digest": "SHA",
    "identity": "ID",
    "window": "MINUTE",
}
LAYOUT_LINE = re.compile(r"^\s{2,}(P:\S+)\s+(hash|string|set|zset|list|stream|channel)\s+(.*)$")


@dataclass
class KeyRow:
    builder: str
    key: str
    placeholders: list[str]
    doc: str


def redis_keys_page() -> str:
    """``docs/reference/redis-keys.md``: what every key builder of the keys module returns."""
    from prp_tasks.state import keys as module

    keys = module.Keys(EXAMPLE_PREFIX)
    layout = parse_layout(module.__doc__ or "")
    lines = [
        header("the key builders of `prp_tasks.state.keys`"),
        "# Redis keys",
        "",
        "Every key prp-tasks writes is built by the classes below (nothing else spells a key). The keys",
        f"are shown for the default prefix `{EXAMPLE_PREFIX}` (the setting `PRP_KEY_PREFIX`) and the run",
        f"id `{EXAMPLE_RUN}`; words in capitals stand for the builder's arguments. A run's keys share the",
        "hash tag `{RUN}`. Type and description come from the builder's docstring, else from the layout",
        "in the module's docstring (at the end of this page).",
        "",
    ]
    groups: list[tuple[str, Any]] = []
    for label, instance in (("Keys", keys), ("RunKeys", keys.run(EXAMPLE_RUN))):
        lines += key_class_section(label, instance, layout, groups)
    lines += function_section(module)
    for title, value in groups:
        lines += key_tuple_section(title, value)
    lines += [
        "## Layout {#layout}",
        "",
        "The module's docstring, which also names each key's Redis type:",
        "",
    ]
    lines += ["```text", *inspect.cleandoc(module.__doc__ or "").splitlines(), "```"]
    return "\n".join(lines).rstrip() + "\n"


def key_class_section(
    label: str, instance: Any, layout: list[tuple[str, str, str]], groups: list[tuple[str, Any]]
) -> list[str]:
    cls = type(instance)
    lines = [f"## {label} {{#{anchor(label)}}}", "", *paragraphs(cls.__doc__)]
    rows: list[tuple[str, ...]] = []
    values: dict[str, str] = {}
    for row, value in key_members(cls, instance):
        if isinstance(value, str):
            values[value] = row.builder
            kind, doc = layout_entry(row, layout)
            rows.append((f"`{row.key}`", f"`{row.builder}`", kind, md(row.doc or doc, cell=True)))
        elif hasattr(value, "_fields"):
            title = f"{label}.{row.builder} → {type(value).__name__}"
            groups.append((title, value))
            link = f"[{type(value).__name__}](#{anchor(title)})"
            rows.append(
                (f"{len(value)} keys", f"`{row.builder}`", "", md(row.doc, cell=True) + f" See {link}.")
            )
        elif isinstance(value, tuple):
            names = ", ".join(f"`{values.get(v, v)}`" for v in value)
            rows.append(
                (f"{len(value)} keys", f"`{row.builder}`", "", md(row.doc, cell=True) + f" ({names})")
            )
        else:
            rows.append(
                (
                    "",
                    f"`{row.builder}`",
                    "",
                    md(row.doc, cell=True) + f" See [{type(value).__name__}]"
                    f"(#{anchor(type(value).__name__)}).",
                )
            )
    return lines + table(("key", "builder", "type", "what it holds"), rows)


def key_members(cls: type, instance: Any) -> Iterator[tuple[KeyRow, Any]]:
    """Each public property and method of ``cls``, in source order, with what it returns."""
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(member, property):
            value = getattr(instance, name)
            yield KeyRow(name, str(value), [], inspect.getdoc(member.fget) or ""), value
        elif inspect.isfunction(member):
            args = placeholders(member)
            value = getattr(instance, name)(*args)
            builder = f"{name}({', '.join(args)})"
            yield KeyRow(builder, str(value), args, inspect.getdoc(member) or ""), value


def placeholders(function: Callable[..., Any]) -> list[str]:
    """The placeholder of each required argument of ``function`` (``self`` excluded)."""
    params = list(inspect.signature(function).parameters.values())
    return [
        PLACEHOLDERS.get(p.name, p.name.upper())
        for p in params
        if p.name != "self"
        and p.default is inspect.Parameter.empty
        and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]


def parse_layout(doc: str) -> list[tuple[str, str, str]]:
    """``(key, type, description)`` of each line of the layout table in the module's docstring."""
    entries: list[tuple[str, str, str]] = []
    for line in inspect.cleandoc(doc).splitlines():
        match = LAYOUT_LINE.match("    " + line)
        if match:
            entries.append((match.group(1), match.group(2), match.group(3).strip()))
        elif entries and line.startswith(" " * 20) and line.strip():  # a continued description
            key, kind, text = entries[-1]
            entries[-1] = (key, kind, f"{text} {line.strip()}")
    return entries


def layout_entry(row: KeyRow, layout: list[tuple[str, str, str]]) -> tuple[str, str]:
    """The Redis type and description of the layout lines a built key matches."""
    text = "P" + row.key[len(EXAMPLE_PREFIX) :]
    pattern = re.escape(text)
    for value in sorted({EXAMPLE_RUN, *row.placeholders}, key=len, reverse=True):
        pattern = pattern.replace(re.escape(value), "([^:]+)")
    if text.endswith(":"):  # a prefix of keys
        pattern += "([^:]+)"
    matches = [(m, entry) for entry in layout if (m := re.fullmatch(pattern, entry[0]))]
    kinds = sorted({entry[1] for _, entry in matches})
    if len(matches) != 1:
        return ", ".join(kinds), ""
    match, (key, _, doc) = matches[0]
    literal = any(not re.fullmatch(r"[A-Z{}/]+", part) for part in match.groups())
    return ", ".join(kinds), f"`{key}`: {doc}" if literal else doc


def key_tuple_section(title: str, value: Any) -> list[str]:
    """The keys a script is given, in ``KEYS[i]`` order (a NamedTuple of the keys module)."""
    comments = field_comments(type(value))
    rows = [
        (str(i), f"`{name}`", f"`{key}`" if key else "(empty)", md(comments.get(name, ""), cell=True))
        for i, (name, key) in enumerate(zip(value._fields, value, strict=True), start=1)
    ]
    lines = [
        f"## {title} {{#{anchor(title)}}}",
        "",
        *paragraphs(type(value).__doc__),
        "The keys in the order the script receives them:",
        "",
    ]
    return lines + table(("#", "field", "key", "note"), rows)


def function_section(module: types.ModuleType) -> list[str]:
    """Module-level helpers that build a field or key name (``check_field``)."""
    rows = []
    for name, function in vars(module).items():
        if name.startswith("_") or not inspect.isfunction(function) or function.__module__ != module.__name__:
            continue
        args = placeholders(function)
        rows.append(
            (
                f"`{name}({', '.join(args)})`",
                f"`{function(*args)}`",
                md(inspect.getdoc(function) or "", cell=True),
            )
        )
    if not rows:
        return []
    return ["## Fields {#fields}", "", *table(("helper", "returns", "what"), rows)]
