"""``docs/reference/mcp.md``: the MCP server's tools."""

from __future__ import annotations

import json
from typing import Any

from reference_pages.http_api import schema_limits
from reference_pages.markdown import anchor, header, md, paragraphs, table


def mcp_page() -> str:
    """``docs/reference/mcp.md``: every MCP tool with its hints, parameters and result fields."""
    import asyncio

    from prp_tasks.mcp.server import build_mcp
    from prp_tasks.service.identity import Principal

    tools = asyncio.run(build_mcp(None, Principal("docs")).list_tools())  # type: ignore[arg-type]
    lines = [
        header("the tools of `prp_tasks.mcp.server.build_mcp` (what `tools/list` answers)"),
        "# MCP tools",
        "",
        "The server reports itself as `prp-tasks` with the package version (`serverInfo`). Every tool",
        "refuses an argument it does not declare (its input schema has `additionalProperties: false`;",
        "the error lists the accepted ones) and takes strict values (`true`/`false` for booleans).",
        "How to connect and how errors read:",
        "[Services and agents](../how-to/services-and-agents.md#mcp-for-agents).",
        "",
    ]
    for tool in sorted(tools, key=lambda t: t.name):
        lines += mcp_tool_section(tool)
    return "\n".join(lines).rstrip() + "\n"


def mcp_tool_section(tool: Any) -> list[str]:
    hints = tool.annotations.model_dump(exclude_none=True) if tool.annotations else {}
    lines = [f"## {tool.name} {{#{anchor('tool', tool.name)}}}", "", *paragraphs(tool.description)]
    if hints:
        lines += [
            "Hints: " + ", ".join(f"`{k}`: {json.dumps(v)}" for k, v in sorted(hints.items())) + ".",
            "",
        ]
    schema = tool.input_schema
    required = set(schema.get("required", []))
    rows = [
        (
            f"`{name}`",
            "yes" if name in required else "no",
            md(mcp_type(spec), cell=True),
            md(spec.get("description", ""), cell=True),
        )
        for name, spec in schema.get("properties", {}).items()
    ]
    lines += table(("parameter", "required", "type", "description"), rows) if rows else ["No parameters.", ""]
    output = tool.output_schema or {}
    fields = [
        (f"`{name}`", md(mcp_type(spec), cell=True), md(spec.get("description", ""), cell=True))
        for name, spec in output.get("properties", {}).items()
    ]
    if fields:
        lines += ["Result (structured content):", "", *table(("field", "type", "description"), fields)]
    return lines


def mcp_type(schema: dict[str, Any]) -> str:
    """A tool schema's type in words; a nested model by its name."""
    if "$ref" in schema:
        return f"`{schema['$ref'].rsplit('/', 1)[-1]}`"
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " or ".join(mcp_type(s) for s in schema[key])
    if "enum" in schema:
        return "one of " + ", ".join(f"`{json.dumps(v)}`" for v in schema["enum"])
    if schema.get("type") == "array":
        return "array of " + mcp_type(schema.get("items", {}))
    return str(schema.get("type", "any")) + schema_limits(schema)
