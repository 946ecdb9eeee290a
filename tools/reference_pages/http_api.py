"""``docs/reference/http-api.md``: the HTTP app's OpenAPI document."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from reference_pages.markdown import anchor, first_sentence, header, md, paragraphs, table

METHODS = ("get", "post", "put", "patch", "delete")


def openapi_document() -> dict[str, Any]:
    """The document ``prp api openapi`` prints (``docs/openapi.json`` holds the same).

    It is taken from that command, run in this process, so that building the app is spelled in one
    place only (the command calls the FastAPI app's ``openapi()``).
    """
    import io

    from prp_tasks.cli import run

    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = run(["api", "openapi"])
    if code != 0:
        raise RuntimeError(f"`prp api openapi` exited {code}: {stderr.getvalue().strip()}")
    document: dict[str, Any] = json.loads(stdout.getvalue())
    return document


def http_api_page() -> str:
    """``docs/reference/http-api.md``: every path and method, then every schema, of the OpenAPI document."""
    document = openapi_document()
    info = document.get("info", {})
    operations = [
        (path, method, spec)
        for path, item in sorted(document.get("paths", {}).items())
        for method, spec in sorted(item.items(), key=lambda kv: METHODS.index(kv[0]))
    ]
    lines = [
        header("the OpenAPI document of `prp_tasks.http.app` (`prp api openapi`)"),
        "# HTTP API",
        "",
        *paragraphs(info.get("description")),
        f"OpenAPI {document.get('openapi', '')}, API version {info.get('version', '')}. The same document is",
        "served at `/openapi.json` by `prp api` and checked in as [docs/openapi.json](../openapi.json).",
        "",
    ]
    rows = [
        (f"[{method.upper()} {path}](#{anchor(method, path)})", md(operation_text(spec), cell=True))
        for path, method, spec in operations
    ]
    lines += table(("endpoint", "what it does"), rows)
    for path, method, spec in operations:
        lines += operation_section(path, method, spec)
    lines += ["## Schemas {#schemas}", ""]
    for name, schema in sorted(document.get("components", {}).get("schemas", {}).items()):
        lines += schema_section(name, schema)
    return "\n".join(lines).rstrip() + "\n"


def operation_text(spec: dict[str, Any]) -> str:
    return first_sentence(spec.get("description") or spec.get("summary", "").strip())


def operation_section(path: str, method: str, spec: dict[str, Any]) -> list[str]:
    lines = [f"## {method.upper()} {path} {{#{anchor(method, path)}}}", ""]
    lines += paragraphs(spec.get("description") or spec.get("summary", "").strip())
    params = [
        (
            f"`{p['name']}`",
            p.get("in", ""),
            "yes" if p.get("required") else "no",
            md(schema_type(p.get("schema", {})), cell=True),
            md(p.get("description", ""), cell=True),
        )
        for p in spec.get("parameters", [])
    ]
    if params:
        lines += table(("parameter", "in", "required", "type", "description"), params)
    body = spec.get("requestBody")
    if body:
        for media, content in sorted(body.get("content", {}).items()):
            lines += [f"Request body (`{media}`): {md(schema_type(content.get('schema', {})))}.", ""]
    responses = sorted(spec.get("responses", {}).items())
    problems = [f"`{code}` {md(r.get('description', ''))}" for code, r in responses if is_problem(r)]
    rows = [
        (f"`{code}`", md(r.get("description", ""), cell=True), md(response_type(r), cell=True))
        for code, r in responses
        if not is_problem(r)
    ]
    lines += table(("status", "meaning", "body"), rows)
    if problems:
        lines += [f"Errors ([Problem](#{anchor('schema', 'Problem')})): {', '.join(problems)}.", ""]
    return lines


def is_problem(response: dict[str, Any]) -> bool:
    """An error response whose body is the ``Problem`` schema."""
    schemas = [c.get("schema", {}).get("$ref", "") for c in response.get("content", {}).values()]
    return bool(schemas) and all(ref.endswith("/Problem") for ref in schemas)


def response_type(response: dict[str, Any]) -> str:
    parts = [
        f"{schema_type(c.get('schema', {}))} (`{media}`)" if c.get("schema") else f"`{media}`"
        for media, c in sorted(response.get("content", {}).items())
    ]
    return "; ".join(parts)


def schema_type(schema: dict[str, Any]) -> str:
    """A JSON schema as words with links to the schemas: ``array of [RunRow](#schema-runrow)``."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{anchor('schema', name)})"
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return " or ".join(schema_type(s) for s in schema[key])
    if "enum" in schema:
        return "one of " + ", ".join(f"`{json.dumps(v)}`" for v in schema["enum"])
    if "const" in schema:
        return f"`{json.dumps(schema['const'])}`"
    kind = schema.get("type", "any")
    if kind == "array":
        return "array of " + schema_type(schema.get("items", {}))
    extra = schema.get("additionalProperties")
    if kind == "object" and isinstance(extra, dict) and extra:
        return "object of " + schema_type(extra)
    return str(kind) + schema_limits(schema)


SCHEMA_LIMITS = (
    ("minimum", "≥ {}"),
    ("maximum", "≤ {}"),
    ("exclusiveMinimum", "> {}"),
    ("minLength", "length ≥ {}"),
    ("maxLength", "length ≤ {}"),
    ("pattern", "matching `{}`"),
    ("default", "default `{}`"),
)


def schema_limits(schema: dict[str, Any]) -> str:
    words = [
        form.format(json.dumps(schema[key]) if key == "default" else schema[key])
        for key, form in SCHEMA_LIMITS
        if key in schema
    ]
    return f" ({', '.join(words)})" if words else ""


def schema_section(name: str, schema: dict[str, Any]) -> list[str]:
    lines = [f"### {name} {{#{anchor('schema', name)}}}", "", *paragraphs(schema.get("description"))]
    required = set(schema.get("required", []))
    rows = [
        (
            f"`{prop}`",
            md(schema_type(spec), cell=True),
            "yes" if prop in required else "no",
            md(spec.get("description", ""), cell=True),
        )
        for prop, spec in sorted(schema.get("properties", {}).items())
    ]
    if rows:
        closed = schema.get("additionalProperties") is False
        lines += table(("field", "type", "required", "description"), rows)
        lines += ["No other fields are allowed.", ""] if closed else []
    elif "properties" not in schema:
        lines += [f"Type: {md(schema_type(schema))}.", ""]
    return lines
