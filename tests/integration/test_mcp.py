"""MCP tools: in-process client, over stdio (``prp mcp``) and over HTTP at ``/mcp`` with a token."""

from __future__ import annotations

import hashlib
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
import pytest
import uvicorn
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from prp_tasks import __version__
from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.http.app import create_app
from prp_tasks.mcp.server import build_mcp
from prp_tasks.service.control import Control
from prp_tasks.service.identity import Principal
from prp_tasks.settings import Settings
from tests.conftest import ROOT, wait_until
from tests.integration.test_http_api import api_settings, auth, free_port

pytestmark = pytest.mark.anyio

TOOLS = {
    "create_prp_workflow",
    "get_prp_status",
    "list_prp_workflows",
    "approve_prp_step",
    "run_prp_step",
    "cancel_prp_workflow",
    "get_prp_audit",
    "get_prp_outputs",
}
WORKFLOW = """name: mcp-flow
gates:
  - {id: A, checks: [{name: a, run: ["true"]}], approval: {role: code-reviewer}}
  - {id: B, depends_on: [A], checks: [{name: b, run: ["true"]}]}
"""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def workflow_file(tmp_path: Path) -> Path:
    path = tmp_path / "workflow.yaml"
    path.write_text(WORKFLOW)
    return path


async def wait_for(
    client: Client, run_id: str, predicate: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    import anyio

    with anyio.fail_after(30):
        while True:
            result = await client.call_tool("get_prp_status", {"workflowId": run_id, "includeDetails": True})
            assert not result.is_error, result.content
            status = dict(result.structured_content or {})
            if predicate(status):
                return status
            await anyio.sleep(0.05)


async def test_an_agent_creates_sees_active_gates_approves_and_gets_the_final_status(
    control: Control, make_repo: Callable[..., Path], workflow_file: Path
) -> None:
    server = build_mcp(control, Principal("agent-7", submit=True, channel="mcp"))
    async with Client(server, raise_exceptions=True) as client:
        assert {t.name for t in (await client.list_tools()).tools} == TOOLS
        created = await client.call_tool(
            "create_prp_workflow", {"repository": str(make_repo()), "workflow": str(workflow_file)}
        )
        run_id = created.structured_content["workflowId"]  # type: ignore[index]
        parked = await wait_for(client, run_id, lambda s: s["status"] == "awaiting_approval")
        assert parked["a2aState"] == "input-required"
        assert [(g["id"], g["status"]) for g in parked["activeGates"]] == [("A", "awaiting_approval")]
        decided = await client.call_tool(
            "approve_prp_step", {"workflowId": run_id, "stepName": "A", "approved": True, "comments": "lgtm"}
        )
        assert decided.structured_content["outcome"] == "approved"  # type: ignore[index]
        final = await wait_for(client, run_id, lambda s: s["status"] == "passed")
        assert final["a2aState"] == "completed" and final["activeGates"] == []
        audit = await client.call_tool("get_prp_audit", {"workflowId": run_id})
        events = audit.structured_content["events"]  # type: ignore[index]
        assert [(e["type"], e.get("actor"), e.get("channel")) for e in events][-1] == (
            "approval.decided",
            "agent-7",
            "mcp",
        )


async def test_errors_come_back_as_tool_errors_the_agent_can_read(control: Control) -> None:
    server = build_mcp(control, Principal("agent-7", submit=False, channel="mcp"))
    async with Client(server) as client:
        missing = await client.call_tool("get_prp_status", {"workflowId": "run-nope"})
        assert missing.is_error and "RunNotFound: no such run: run-nope" in missing.content[0].text  # type: ignore[union-attr]
        refused = await client.call_tool("create_prp_workflow", {"repository": "/tmp"})
        assert refused.is_error and "agent-7 may not create runs" in refused.content[0].text  # type: ignore[union-attr]
        invalid = await client.call_tool("list_prp_workflows", {"limit": 500})
        assert invalid.is_error


async def test_the_stdio_transport_serves_the_same_tools(
    settings: Settings, control: Control, make_repo: Callable[..., Path], workflow_file: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRP_")}
    env.update({"PRP_REDIS_URL": settings.redis_url or "", "PRP_KEY_PREFIX": settings.key_prefix})
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "prp_tasks.cli", "mcp", "--as", "stdio-user"],
        env=env,
        cwd=str(ROOT),
    )
    async with Client(params) as client:
        assert {t.name for t in (await client.list_tools()).tools} == TOOLS
        created = await client.call_tool(
            "create_prp_workflow", {"repository": str(make_repo()), "workflow": str(workflow_file)}
        )
        run_id = created.structured_content["workflowId"]  # type: ignore[index]
        cancelled = await client.call_tool("cancel_prp_workflow", {"workflowId": run_id})
        assert not cancelled.is_error
    assert control.store.spec(run_id).actor == "stdio-user"


async def test_mcp_over_http_needs_a_token_and_acts_as_its_identity(
    settings: Settings, control: Control, make_repo: Callable[..., Path], workflow_file: Path
) -> None:
    configured = api_settings(settings)
    app = create_app(Runtime(configured))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, timeout=20)
        url = f"http://127.0.0.1:{port}/mcp/"
        assert httpx2.post(url, json={}).status_code == 401
        async with (
            httpx2.AsyncClient(headers=auth("alice"), timeout=30) as http,
            Client(streamable_http_client(url, http_client=http)) as client,
        ):
            created = await client.call_tool(
                "create_prp_workflow", {"repository": str(make_repo()), "workflow": str(workflow_file)}
            )
            run_id = created.structured_content["workflowId"]  # type: ignore[index]
            await wait_for(client, run_id, lambda s: s["status"] == "awaiting_approval")
            decided = await client.call_tool(
                "approve_prp_step", {"workflowId": run_id, "stepName": "A", "approved": True}
            )
            assert decided.structured_content["outcome"] == "approved"  # type: ignore[index]
        assert control.store.spec(run_id).actor == "alice"
        audit = control.audit(run_id)
        assert [(e.actor, e.channel) for e in audit if e.type.value == "approval.decided"] == [
            ("alice", "mcp")
        ]
    finally:
        server.should_exit = True
        thread.join(timeout=10)


INLINE = {
    "name": "mcp-inline",
    "gates": [
        {"id": "A", "checks": [{"name": "a", "run": ["true"]}], "approval": {"role": "code-reviewer"}},
        {"id": "B", "depends_on": ["A"], "checks": [{"name": "b", "run": ["true"]}]},
    ],
}


async def test_every_tool_refuses_arguments_it_does_not_have_listing_the_accepted_ones(
    control: Control,
) -> None:
    server = build_mcp(control, Principal("agent-7", submit=True, channel="mcp"))
    async with Client(server) as client:
        assert client.server_info.version == __version__
        for tool in (await client.list_tools()).tools:
            assert tool.input_schema.get("additionalProperties") is False, tool.name
            accepted = list(tool.input_schema["properties"])
            answer = await client.call_tool(tool.name, {"bogusArgument": 1})
            text = answer.content[0].text  # type: ignore[union-attr]
            assert answer.is_error and "unknown argument bogusArgument" in text, (tool.name, text)
            assert f"{tool.name} accepts: {', '.join(accepted)}" in text, (tool.name, text)
        repo = await client.call_tool("create_prp_workflow", {"repo": "/tmp/x"})
        assert repo.is_error and "accepts: repository, workflow" in repo.content[0].text  # type: ignore[union-attr]


async def test_errors_name_the_tool_parameters_not_the_service_fields(control: Control) -> None:
    server = build_mcp(control, Principal("agent-7", submit=True, channel="mcp"))
    async with Client(server) as client:
        none = await client.call_tool("create_prp_workflow", {})
        text = none.content[0].text  # type: ignore[union-attr]
        assert none.is_error and text.startswith(
            "Error executing tool create_prp_workflow: InputError: repository:"
        )
        both = await client.call_tool(
            "create_prp_workflow", {"repository": "/tmp/x", "gitUrl": "file:///tmp/y"}
        )
        assert "repository:" in both.content[0].text and "repo:" not in both.content[0].text  # type: ignore[union-attr]
        coerced = await client.call_tool("create_prp_workflow", {"repository": "/tmp/x", "strict": 0})
        assert coerced.is_error and "strict" in coerced.content[0].text  # type: ignore[union-attr]
        vote = {"workflowId": "run-x", "stepName": "G0", "approved": "no"}
        said_no = await client.call_tool("approve_prp_step", vote)
        assert said_no.is_error and "approved" in said_no.content[0].text  # type: ignore[union-attr]
        missing = await client.call_tool("get_prp_status", {})
        assert missing.is_error and "workflowId" in missing.content[0].text  # type: ignore[union-attr]


async def test_an_inline_workflow_one_status_vocabulary_and_a_final_answer_after_cancel(
    control: Control, make_repo: Callable[..., Path]
) -> None:
    server = build_mcp(control, Principal("agent-7", submit=True, channel="mcp"))
    async with Client(server, raise_exceptions=True) as client:
        created = await client.call_tool(
            "create_prp_workflow",
            {"repository": str(make_repo()), "workflow": INLINE, "idempotencyKey": "mcp-k1"},
        )
        run_id = created.structured_content["workflowId"]  # type: ignore[index]
        assert control.spec(run_id).workflow.name == "mcp-inline"
        await wait_for(client, run_id, lambda s: s["status"] == "awaiting_approval")
        listed = await client.call_tool("list_prp_workflows", {"status": "awaiting_approval", "limit": 100})
        rows = {r["workflowId"]: r for r in listed.structured_content["workflows"]}  # type: ignore[index]
        assert (rows[run_id]["status"], rows[run_id]["a2aState"]) == ("awaiting_approval", "input-required")
        keyed = await client.call_tool("list_prp_workflows", {"idempotencyKey": "mcp-k1"})
        assert [r["workflowId"] for r in keyed.structured_content["workflows"]] == [run_id]  # type: ignore[index]
        cancelled = await client.call_tool("cancel_prp_workflow", {"workflowId": run_id})
        answer = cancelled.structured_content
        assert (answer["status"], answer["a2aState"]) == ("cancelled", "canceled")  # type: ignore[index]
        again = await client.call_tool("get_prp_status", {"workflowId": run_id})
        assert again.structured_content["status"] == "cancelled"  # type: ignore[index]
        bogus = await client.call_tool("list_prp_workflows", {"status": "completed"})
        assert bogus.is_error and "awaiting_approval" in bogus.content[0].text  # type: ignore[union-attr]


async def test_outputs_list_the_files_checks_produced_with_digests(
    control: Control, make_repo: Callable[..., Path]
) -> None:
    write = "open('cov.xml', 'w').write('<c/>')"
    workflow = {
        "name": "files",
        "gates": [
            {"id": "G3", "checks": [{"name": "t", "run": ["python", "-c", write], "produces": ["cov.xml"]}]}
        ],
    }
    server = build_mcp(control, Principal("agent-7", submit=True, channel="mcp"))
    async with Client(server, raise_exceptions=True) as client:
        created = await client.call_tool(
            "create_prp_workflow", {"repository": str(make_repo()), "workflow": workflow}
        )
        run_id = created.structured_content["workflowId"]  # type: ignore[index]
        await wait_for(client, run_id, lambda s: s["status"] == "passed")
        outputs = (await client.call_tool("get_prp_outputs", {"workflowId": run_id})).structured_content
        [produced] = outputs["files"]  # type: ignore[index]
        assert (produced["gate"], produced["name"], produced["bytes"]) == ("G3", "cov.xml", 4)
        assert produced["sha256"] == hashlib.sha256(b"<c/>").hexdigest()
        assert produced["url"] == f"/v1/runs/{run_id}/outputs/files/G3/cov.xml"
