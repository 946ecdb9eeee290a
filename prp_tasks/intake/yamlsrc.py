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
        """1-based file line of the field at ``loc`` (or of its closest existing parent).

        A mapping key is located at the key's own line (where a typo is), a list item at the item.
        """
        node, best = self.node, None
        if node is not None:
            best = node.start_mark.line
        for part in loc:
            found = _child(node, part)
            if found is None:
                break
            key, node = found
            best = key.start_mark.line
        return None if best is None else best + 1 + self.line_offset

    def with_lines(self, problems: list[Problem]) -> list[Problem]:
        return [Problem(p.loc, p.message, self.line_of(p.loc)) for p in problems]


def _child(node: yaml.Node | None, part: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    """(node that locates ``part``, node holding its value) inside ``node``."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return key, value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        item: yaml.Node = node.value[part]
        return item, item
    return None


def parse_yaml(text: str, *, line_offset: int = 0) -> tuple[YamlDoc | None, list[Problem]]:
    """Parse with ``safe_load`` semantics; syntax errors and duplicate keys become Problems."""
    node = None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 + line_offset if mark is not None else None
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, [Problem((), f"invalid YAML: {_explained(what)}", line)]
    except (ValueError, TypeError, AttributeError, RecursionError) as exc:  # e.g. "!!int x"
        line = _unconstructable_line(node) + 1 + line_offset
        return None, [Problem((), f"invalid YAML: cannot construct a value ({exc})", line)]
    doc = YamlDoc(data, node, line_offset)
    return doc, _duplicate_keys(node, line_offset)


#: the parser's words for the usual mistakes, and what they mean for the person who made them
_HINTS = (
    ("expected <block end>", "this line is indented differently from the line before it (one of the two "
     "is indented too far or not far enough for the block it belongs to)"),
    ("mapping values are not allowed here", "a ':' where no key can start (a key indented under a "
     "value, or an unquoted ': ' inside a value: quote the value)"),
    ("that cannot start any token", "YAML indents with spaces, not tabs"),
)  # fmt: skip


def _explained(problem: str) -> str:
    """The parser's problem, with what it usually means (PyYAML's words stay, for searching)."""
    hint = next((h for words, h in _HINTS if words in problem), "")
    return f"{hint} ({problem})" if hint else problem


def _unconstructable_line(root: yaml.Node | None) -> int:
    """0-based line of the first scalar whose (explicit) tag cannot construct its value."""
    loader = yaml.SafeLoader("")
    stack, seen = [root], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            try:
                loader.construct_object(node)
            except Exception:
                return int(node.start_mark.line)
        elif isinstance(node, yaml.MappingNode):
            stack.extend(v for pair in reversed(node.value) for v in reversed(pair))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
    return 0


def _duplicate_keys(root: yaml.Node | None, offset: int) -> list[Problem]:
    """Keys given twice in one mapping. Each node is visited once, so aliases cost nothing."""
    problems: list[Problem] = []
    seen_nodes: set[int] = set()
    stack: list[tuple[yaml.Node | None, Loc]] = [(root, ())]
    while stack:
        node, loc = stack.pop()
        if node is None or id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            names: set[str] = set()
            for key, value in node.value:
                name = str(key.value)
                if name in names:
                    line = key.start_mark.line + 1 + offset
                    message = f"duplicate key {name!r} (YAML would keep only the last)"
                    problems.append(Problem(loc, message, line))
                names.add(name)
                stack.append((value, (*loc, name)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*loc, index)) for index, item in enumerate(node.value))
    return sorted(problems, key=lambda p: p.line or 0)
