"""``initial.md`` parsing: markdown sections plus fenced ``yaml``/``json`` profile blocks.

Rules:
- The first ``# H1`` is the title. Text before any header, or under a header containing
  "context" or "description", is the context. Other headers collect their list items and lines
  by substring match, first match wins: requirement, constraint, reference, test,
  acceptance/criteria (upstream's order).
- A fenced block tagged ``yaml``/``yml``/``json`` is a *profile block* when its top level is a
  mapping with at least one profile key (budgets, architecture, governance, reports, approvers,
  approval) or a near miss of one (``budget``, ``goverance``). Other blocks are examples and are
  left alone. In a profile block every key must be known: a typo is an error with a suggestion,
  never silently dropped. An unparsable block is an error when it mentions a profile key.
- Blocks merge in document order: mappings merge key by key, anything else (numbers, strings,
  lists) is replaced by the later block. So a later block overrides an earlier one per leaf.
- Every error names the file, the line and the field: ``initial.md:14: budgets.coverage.lines:
  Input should be less than or equal to 100``.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from prp_tasks.core.profile import PROFILE_KEYS, EnforcementProfile, InitialDoc, ParsedProfile
from prp_tasks.core.validation import problems_from
from prp_tasks.errors import Loc, Problem, ProfileError
from prp_tasks.intake.yamlsrc import YamlDoc, parse_yaml

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})\s*([\w+-]*)")
_HEADER = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?(.*)$")
#: a top-level-looking profile key (YAML line start, or after { or , in JSON)
_PROFILE_LINE = re.compile(r"(?:^|[{,])\s*[\"']?(?:" + "|".join(PROFILE_KEYS) + r")[\"']?\s*:", re.M)
_SECTIONS = (
    ("requirement", "requirements"),
    ("constraint", "constraints"),
    ("reference", "references"),
    ("test", "tests"),
    ("acceptance", "acceptance_criteria"),
    ("criteria", "acceptance_criteria"),
)


@dataclass
class Block:
    """A fenced code block: its language, text and the file line of its first content line."""

    lang: str
    text: str
    line: int


def parse_initial_md(text: str, *, source: str = "initial.md") -> ParsedProfile:
    """Parse ``initial.md`` text into its sections and enforcement profile (or ProfileError)."""
    doc, blocks = _scan(text)
    merged: dict[str, Any] = {}
    origins: dict[str, tuple[YamlDoc, Loc]] = {}
    problems: list[Problem] = []
    for block in blocks:
        problems += _merge_block(block, merged, origins)
    if problems:
        raise ProfileError(problems=problems, source=source)
    try:
        profile = EnforcementProfile.model_validate(merged)
    except ValidationError as exc:
        located = [_locate(p, origins) for p in problems_from(exc, EnforcementProfile)]
        raise ProfileError(problems=located, source=source) from None
    lines = {path: ydoc.line_of(loc) for path, (ydoc, loc) in origins.items()}
    return ParsedProfile(profile=profile, doc=doc, lines={k: v for k, v in lines.items() if v is not None})


def _locate(problem: Problem, origins: dict[str, tuple[YamlDoc, Loc]]) -> Problem:
    """Attach the line of the block that set the field (or its closest set parent)."""
    loc = problem.loc
    for cut in range(len(loc), 0, -1):
        key = ".".join(str(p) for p in loc[:cut])
        if key in origins:
            ydoc, origin_loc = origins[key]
            return Problem(loc, problem.message, ydoc.line_of((*origin_loc, *loc[cut:])))
    return problem


def _merge_block(
    block: Block, merged: dict[str, Any], origins: dict[str, tuple[YamlDoc, Loc]]
) -> list[Problem]:
    ydoc, problems = _load_block(block)
    if ydoc is None:  # unparsable: an error only if it looks like it meant to configure
        return problems if _PROFILE_LINE.search(block.text) else []
    data = ydoc.data
    if not _is_profile_block(data):
        return []  # an example block, not profile configuration
    if problems:
        return problems
    unknown = [k for k in data if k not in PROFILE_KEYS]
    if unknown:
        return [Problem((k,), _unknown_key(k), ydoc.line_of((k,))) for k in unknown]
    _deep_merge(merged, data, (), ydoc, origins)
    return []


def _is_profile_block(data: Any) -> bool:
    """A mapping with a profile key, or with a near miss of one (a typo must not be ignored)."""
    if not isinstance(data, dict):
        return False
    keys = [str(k) for k in data]
    return any(k in PROFILE_KEYS or difflib.get_close_matches(k, PROFILE_KEYS, n=1, cutoff=0.8) for k in keys)


def _unknown_key(key: Any) -> str:
    close = difflib.get_close_matches(str(key), PROFILE_KEYS, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(PROFILE_KEYS)}"
    return f"unknown profile key {key!r} ({hint})"


def _load_block(block: Block) -> tuple[YamlDoc | None, list[Problem]]:
    if block.lang == "json":
        try:
            data = json.loads(block.text)
        except json.JSONDecodeError as exc:
            return None, [Problem((), f"invalid JSON: {exc.msg}", block.line + exc.lineno - 1)]
        # JSON is YAML: re-parse for positions (same data, now with line numbers)
        ydoc, _ = parse_yaml(block.text, line_offset=block.line - 1)
        return YamlDoc(data, ydoc.node if ydoc else None, block.line - 1), []
    return parse_yaml(block.text, line_offset=block.line - 1)


def _deep_merge(
    into: dict[str, Any],
    data: dict[str, Any],
    loc: Loc,
    ydoc: YamlDoc,
    origins: dict[str, tuple[YamlDoc, Loc]],
) -> None:
    for key, value in data.items():
        here = (*loc, key)
        path = ".".join(str(p) for p in here)
        if not isinstance(value, dict) or not isinstance(into.get(key), dict):
            for stale in [p for p in origins if p.startswith(path + ".")]:
                del origins[stale]
        if isinstance(value, dict):
            if not isinstance(into.get(key), dict):
                into[key] = {}
            _deep_merge(into[key], value, here, ydoc, origins)
        else:
            into[key] = list(value) if isinstance(value, list) else value
        origins[path] = (ydoc, here)


def _scan(text: str) -> tuple[InitialDoc, list[Block]]:
    """Split markdown into sections and fenced blocks."""
    state = _ScanState()
    fence: tuple[str, str, int, list[str]] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        match = _FENCE.match(line)
        if fence is not None:
            if (
                match
                and match.group(1)[0] == fence[0][0]
                and len(match.group(1)) >= len(fence[0])
                and not line.strip()[len(match.group(1)) :].strip()
            ):
                state.blocks.append(Block(fence[1], "\n".join(fence[3]), fence[2]))
                fence = None
            else:
                fence[3].append(line)
            continue
        if match:
            fence = (match.group(1), match.group(2).lower().replace("yml", "yaml"), number + 1, [])
            continue
        state.line(line)
    if fence is not None:  # unterminated fence: still a block (markdown renders it as one)
        state.blocks.append(Block(fence[1], "\n".join(fence[3]), fence[2]))
    return state.doc(), [b for b in state.blocks if b.lang in ("yaml", "json")]


class _ScanState:
    def __init__(self) -> None:
        self.title = ""
        self.section: str | None = "context"
        self.lists: dict[str, list[str]] = {name: [] for _, name in _SECTIONS}
        self.context: list[str] = []
        self.blocks: list[Block] = []

    def line(self, line: str) -> None:
        header = _HEADER.match(line)
        if header:
            self._header(len(header.group(1)), header.group(2))
            return
        if not line.strip() or self.section is None:
            return
        item = _ITEM.match(line)
        content = (item.group(1) if item else line).strip()
        if self.section == "context":
            self.context.append(content)
        elif content:
            self.lists[self.section].append(content)

    def _header(self, level: int, text: str) -> None:
        lowered = text.lower()
        if level == 1 and not self.title:
            self.title = text.strip()
            self.section = "context"
            return
        if "context" in lowered or "description" in lowered:
            self.section = "context"
            return
        self.section = next((name for key, name in _SECTIONS if key in lowered), None)

    def doc(self) -> InitialDoc:
        return InitialDoc(
            title=self.title,
            context="\n".join(self.context).strip(),
            **{name: tuple(values) for name, values in self.lists.items()},
        )
