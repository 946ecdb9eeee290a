"""YAML with positions: safe parsing, duplicate-key detection and field-path -> line lookup."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from prp_tasks.errors import Loc, Problem


@dataclass(frozen=True)
class YamlDoc:
    """A parsed YAML document and its node tree (for line numbers)."""

    data: Any
    node: yaml.Node | None
    #: line of the document's first line inside its file (blocks embedded in markdown)
    line_offset: int = 0

    def line_of(self, loc: Loc) -> int | None:
        """1-based file line of the value at ``loc`` (or of its closest existing parent)."""
        node, best = self.node, None
        if node is not None:
            best = node.start_mark.line
        for part in loc:
            node = _child(node, part)
            if node is None:
                break
            best = node.start_mark.line
        return None if best is None else best + 1 + self.line_offset

    def with_lines(self, problems: list[Problem]) -> list[Problem]:
        return [Problem(p.loc, p.message, self.line_of(p.loc)) for p in problems]


def _child(node: yaml.Node | None, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                # an unknown key's own line is more useful than its value's
                return key if not isinstance(value, yaml.MappingNode | yaml.SequenceNode) else value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        child: yaml.Node = node.value[part]
        return child
    return None


def parse_yaml(text: str, *, line_offset: int = 0) -> tuple[YamlDoc | None, list[Problem]]:
    """Parse with ``safe_load`` semantics; syntax errors and duplicate keys become Problems."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 + line_offset if mark is not None else None
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, [Problem((), f"invalid YAML: {what}", line)]
    doc = YamlDoc(data, node, line_offset)
    return doc, _duplicate_keys(node, (), line_offset)


def _duplicate_keys(node: yaml.Node | None, loc: Loc, offset: int) -> list[Problem]:
    problems: list[Problem] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            if name in seen:
                line = key.start_mark.line + 1 + offset
                problems.append(Problem(loc, f"duplicate key {name!r} (YAML would keep only the last)", line))
            seen.add(name)
            problems += _duplicate_keys(value, (*loc, name), offset)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            problems += _duplicate_keys(item, (*loc, index), offset)
    return problems
