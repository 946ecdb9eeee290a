"""``prp mcp`` and ``prp api`` without PRP_REDIS_URL: embedded mode for as long as the command runs.

An agent host typically launches ``prp mcp`` with almost no environment. Here the official MCP
SDK client launches the installed ``prp`` console script with only PATH and HOME set: it creates a
run, approves its parked gate and reads the outputs; when the client hangs up, nothing of the
embedded mode is left running and the state persists for the next ``prp mcp``.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from tests.conftest import EMBEDDED_SERVER
from tests.processes import wait_gone

pytestmark = pytest.mark.anyio

WORKFLOW = """name: agent-flow
gates:
  - {id: A, checks: [{name: a, run: ["true"]}], approval: {role: code-reviewer}}
  - {id: B, depends_on: [A], checks: [{name: b, run: ["true"]}]}
"""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _bare_env(home: Path) -> dict[str, str]:
    """What an agent host may give: PATH (the venv's bin/ and the system's) and HOME, nothing else."""
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(home)}
    if EMBEDDED_SERVER != "auto":  # the suite's server choice (a user's machine: the default)
        env["PRP_EMBEDDED_SERVER"] = EMBEDDED_SERVER
    return env


async def _status(client: Client, run_id: str, until: Callable[[str], bool]) -> dict[str, Any]:
    with anyio.fail_after(60):
        while True:
            result = await client.call_tool("get_prp_status", {"workflowId": run_id})
            assert not result.is_error, result.content
            status = dict(result.structured_content or {})
            if until(status["status"]):
                return status
            await anyio.sleep(0.05)


def _servers_of(state: Path) -> list[int]:
    found = subprocess.run(["pgrep", "-f", str(state)], capture_output=True, text=True, check=False)
    return [int(p) for p in found.stdout.split()]


async def test_an_agent_host_with_an_empty_environment_runs_approves_and_reads_outputs(
    tmp_path: Path,
) -> None:
    home, repo, workflow = tmp_path / "home", tmp_path / "repo", tmp_path / "wf.yaml"
    home.mkdir()
    repo.mkdir()
    workflow.write_text(WORKFLOW)
    prp = Path(sys.executable).parent / "prp"
    params = StdioServerParameters(command=str(prp), args=["mcp"], env=_bare_env(home))
    async with Client(params) as client:
        created = await client.call_tool(
            "create_prp_workflow", {"repository": str(repo), "workflow": str(workflow)}
        )
        assert not created.is_error, created.content
        run_id = created.structured_content["workflowId"]  # type: ignore[index]
        await _status(client, run_id, lambda s: s == "awaiting_approval")
        decided = await client.call_tool(
            "approve_prp_step", {"workflowId": run_id, "stepName": "A", "approved": True}
        )
        assert decided.structured_content["outcome"] == "approved"  # type: ignore[index]
        assert (await _status(client, run_id, lambda s: s in ("passed", "failed")))["status"] == "passed"
        listing = await client.call_tool("get_prp_outputs", {"workflowId": run_id})
        names = {o["name"] for o in listing.structured_content["outputs"]}  # type: ignore[index]
        assert {"prp.md", "review.json", "run-manifest.json"} <= names
        text = await client.call_tool("get_prp_outputs", {"workflowId": run_id, "name": "prp.md"})
        assert f"**ID:** {run_id}" in text.structured_content["content"]  # type: ignore[index]
    state = home / ".cache" / "prp-tasks" / "state"
    assert (state / "appendonlydir").is_dir()  # the state is kept for the next `prp mcp`
    assert all(wait_gone(pid, within=10) for pid in _servers_of(state)), (
        "the embedded server outlived prp mcp"
    )
    assert not (state / "redis.sock").exists()
    async with Client(params) as client:  # a later `prp mcp` on the same state sees the run
        again = await client.call_tool("get_prp_status", {"workflowId": run_id})
        assert again.structured_content["status"] == "passed"  # type: ignore[index]
