"""Security end to end: a real ``prp worker`` process, the HTTP API on a real socket, one private Redis.

What a hostile or careless workflow author, check or API caller could try, and what must hold:

- a command check given as a shell string is refused when the workflow is read (file and API);
- argv elements reach the program literally (no shell expands ``$(...)``, backticks, ``;`` or ``>``);
- environment variables not on the allow-list never reach a check (the worker holds secrets);
- secrets a check prints (token shapes, ``password=...``, the value of a secret variable of the
  worker) are redacted everywhere: evidence, events, outputs, the audit trail, every Redis key the
  run wrote, the API's answers and the worker's JSON logs;
- an API token without the gate's role cannot decide (403, audited, nothing counted), nor can an
  unknown token (401);
- path traversal in output names and run ids is refused, even as a raw request line with ``..``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis as redis_lib
import uvicorn

from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.core.run import RunStatus
from prp_tasks.errors import WorkflowError
from prp_tasks.http.app import create_app
from prp_tasks.intake.workflow_files import parse_workflow
from prp_tasks.service.identity import hash_token
from prp_tasks.settings import DEFAULT_ENV_ALLOWLIST, ApiToken, Settings
from tests.conftest import ROOT, wait_until
from tests.integration.test_http_api import free_port, raw_get

# Secrets: shapes the redactor knows, a password assignment, and the value of a secret variable.
GITHUB_TOKEN = "ghp_" + "Q7x9" * 9
AWS_KEY_ID = "AKIA" + "Z3QF7RT2LPX5MW8N"
PASSWORD = "pw-correct-horse-battery-staple"
DEPLOY_TOKEN = "dpl-5b8e1c2f9a7d4036"  # only in the worker's environment and a file of the repo
WORKER_ONLY = {"DEPLOY_TOKEN": DEPLOY_TOKEN, "INTERNAL_DB_HOST": "db.internal.example"}
SECRETS = (GITHUB_TOKEN, AWS_KEY_ID, PASSWORD, DEPLOY_TOKEN)

BASE_PYTHON = getattr(sys, "_base_executable", sys.executable)
WORKER = [sys.executable, "-m", "prp_tasks.cli", "worker", "--loglevel", "INFO"]
INJECTION = "$(touch pwned-subst); touch pwned-semicolon `touch pwned-backtick` > pwned-redirect"
TOKENS = {
    "alice": ("sec-tok-alice-0123456789", ("code-reviewer",), True),
    "bob": ("sec-tok-bob-0123456789", ("qa-lead",), False),
    "rita": ("sec-tok-rita-0123456789", (), False),
}

# The check prints secrets it finds in the repository (the workflow itself holds none: it is stored).
LEAK_TXT = f"token {GITHUB_TOKEN} key {AWS_KEY_ID}\npassword={PASSWORD}\ndeploying with {DEPLOY_TOKEN}\n"
LEAK = "import sys; text = open('leak.txt').read(); print(text); print(text, file=sys.stderr)"
# checks run in a workspace of the repository: they write what the test reads into the
# repository itself (its path is their last argument), argv.txt with the names in their workspace
ENV_DUMP = "import json, os, sys; open(sys.argv[-1] + '/env.json', 'w').write(json.dumps(dict(os.environ)))"
ARGV_DUMP = (
    "import os, sys; open(sys.argv[-1] + '/argv.txt', 'w').write(sys.argv[1]); "
    "open(sys.argv[-1] + '/workspace.txt', 'w').write('\\n'.join(os.listdir('.')))"
)


def workflow(repo: Path) -> dict[str, Any]:
    return {
        "name": "security",
        "gates": [
            {
                "id": "probe",
                "checks": [
                    {"name": "literal-argv", "run": ["python", "-c", ARGV_DUMP, INJECTION, str(repo)]},
                    # an interpreter by path: a `python` found on PATH may be a wrapper (pyenv's
                    # shim) that adds variables of its own
                    {"name": "environment", "run": [BASE_PYTHON, "-c", ENV_DUMP, str(repo)]},
                    {"name": "leak", "run": ["python", "-c", LEAK]},
                ],
                "approval": {"role": "code-reviewer"},
            },
            {
                "id": "fails-loudly",
                "depends_on": ["probe"],
                "checks": [{"name": "stderr", "run": ["python", "-c", f"{LEAK}; raise SystemExit(3)"]}],
            },
        ],
    }


def auth(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[who][0]}"}


@pytest.fixture
def api_settings(private: Settings) -> Settings:
    tokens = tuple(
        ApiToken(sha256=hash_token(token), identity=name, roles=roles, submit=submit)  # type: ignore[arg-type]
        for name, (token, roles, submit) in TOKENS.items()
    )
    api = private.api.model_copy(update={"tokens": tokens, "rate_limit_per_min": 0})
    return private.model_copy(update={"api": api})


@pytest.fixture
def worker_log(private: Settings, tmp_path: Path) -> Iterator[Path]:
    """One ``prp worker`` (all queue classes, prefork) holding secrets in its environment."""
    log = tmp_path / "worker.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRP_")}
    env.update(WORKER_ONLY)
    env.update(
        PRP_REDIS_URL=private.redis_url or "",
        PRP_KEY_PREFIX=private.key_prefix,
        PRP_LOG_FORMAT="json",
        PRP_LOG_LEVEL="INFO",
        PRP_TASK_EVENTS="false",
    )
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [*WORKER, "--pool", "prefork", "--concurrency", "2", "--hostname", "sec@test"],
            env=env,
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def base_url(api_settings: Settings) -> Iterator[str]:
    """The HTTP API on a real uvicorn socket (a raw request line keeps its ``..`` segments)."""
    app = create_app(Runtime(api_settings), mount_mcp=False)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, timeout=20)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def everything_in_redis(url: str) -> str:
    """Every value of every key, as text (kombu message bodies are base64 JSON: decoded too)."""
    client = redis_lib.Redis.from_url(url)
    parts: list[str] = []
    read = {
        "string": client.get,
        "hash": client.hgetall,
        "list": lambda key: client.lrange(key, 0, -1),
        "set": client.smembers,
        "zset": lambda key: client.zrange(key, 0, -1),
        "stream": client.xrange,
    }
    for key in client.scan_iter(count=1000):
        kind = client.type(key).decode()
        value: Any = read[kind](key) if kind in read else b""
        parts.append(f"{key!r} {value!r}")
    client.close()
    return "\n".join(parts)


def test_a_shell_string_is_refused_as_a_file_and_over_the_api(
    base_url: str, make_repo: Any, private: Settings
) -> None:
    text = "name: s\ngates:\n  - id: A\n    checks:\n      - name: c\n        run: echo hi && touch pwned\n"
    with pytest.raises(WorkflowError, match=r"wf\.yaml:6: gates\[0\]\.checks\[0\]\.run"):
        parse_workflow(text, source="wf.yaml")
    repo = make_repo()
    bad = {"name": "s", "gates": [{"id": "A", "checks": [{"name": "c", "run": "touch pwned"}]}]}
    refused = httpx.post(
        f"{base_url}/v1/runs", json={"repo": str(repo), "workflow": bad}, headers=auth("alice")
    )
    assert refused.status_code == 400, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "gates[0].checks[0].run" in refused.json()["detail"]
    traversal = {"name": "s", "gates": [{"id": "A", "checks": [{"name": "c", "run": ["true"]}]}]}
    traversal["gates"][0]["checks"][0]["produces"] = ["../../etc/cron.d/x"]  # type: ignore[index]
    escaped = httpx.post(
        f"{base_url}/v1/runs", json={"repo": str(repo), "workflow": traversal}, headers=auth("alice")
    )
    assert escaped.status_code == 400 and "'..', '.' and empty parts are refused" in escaped.json()["detail"]
    client = redis_lib.Redis.from_url(private.redis_url or "")
    assert client.zcard(f"{private.key_prefix}:runs") == 0 and not list((repo).iterdir())


def test_a_run_with_a_hostile_workflow_leaks_nothing_and_only_the_right_role_decides(
    base_url: str, worker_log: Path, make_repo: Any, api_settings: Settings
) -> None:
    repo = make_repo({"leak.txt": LEAK_TXT})
    created = httpx.post(
        f"{base_url}/v1/runs", json={"repo": str(repo), "workflow": workflow(repo)}, headers=auth("alice")
    )
    assert created.status_code == 201, created.text
    run_id = created.json()["run_id"]
    view = wait_gate(base_url, run_id, "probe", "awaiting_approval")
    probe = next(g for g in view["gates"] if g["id"] == "probe")
    assert probe["status"] == "awaiting_approval", probe

    # argv reached python literally: no shell ran, nothing was created
    assert (repo / "argv.txt").read_text() == INJECTION
    workspace = (repo / "workspace.txt").read_text().splitlines()
    assert "leak.txt" in workspace and not [p for p in workspace if p.startswith("pwned")]
    assert not [p.name for p in repo.iterdir() if p.name.startswith("pwned")]
    # only allow-listed variables reached the check (the worker itself holds DEPLOY_TOKEN ...)
    seen = json.loads((repo / "env.json").read_text())
    assert set(seen) <= set(DEFAULT_ENV_ALLOWLIST) and "PATH" in seen
    assert not set(WORKER_ONLY) & set(seen) and DEPLOY_TOKEN not in json.dumps(seen)

    assert_only_the_role_decides(base_url, run_id)
    control = Runtime(api_settings).control
    assert control.wait_final(run_id, 60)
    assert control.snapshot(run_id).status == RunStatus.FAILED  # fails-loudly exits 3
    assert_nothing_leaks(base_url, run_id, api_settings, worker_log)
    assert_traversal_is_refused(base_url, run_id)


def wait_gate(base_url: str, run_id: str, gate: str, status: str) -> dict[str, Any]:
    found: dict[str, Any] = {}

    def reached() -> bool:
        found.update(httpx.get(f"{base_url}/v1/runs/{run_id}", headers=auth("bob")).json())
        return any(g["id"] == gate and g["status"] in (status, "failed") for g in found["gates"])

    wait_until(reached, timeout=60, interval=0.1)
    return found


def assert_only_the_role_decides(base_url: str, run_id: str) -> None:
    decide = f"{base_url}/v1/runs/{run_id}/gates/probe/decision"
    for who in ("bob", "rita"):
        refused = httpx.post(decide, json={"decision": "approve"}, headers=auth(who))
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert f"{who} may not decide this gate: it needs code-reviewer" in refused.json()["detail"]
    stranger = httpx.post(
        decide, json={"decision": "approve"}, headers={"Authorization": "Bearer not-a-known-token-123"}
    )
    assert stranger.status_code == 401
    audit = httpx.get(f"{base_url}/v1/runs/{run_id}/audit", headers=auth("bob")).json()["events"]
    refusals = [e for e in audit if e["type"] == "approval.refused"]
    assert sorted(e["actor"] for e in refusals) == ["bob", "rita"]
    assert all(e["gate_id"] == "probe" and "code-reviewer" in e["reason"] for e in refusals)
    assert not [e for e in audit if e["type"] in ("approval.decided", "approval.vote")]
    view = httpx.get(f"{base_url}/v1/runs/{run_id}", headers=auth("bob")).json()
    assert next(g for g in view["gates"] if g["id"] == "probe")["status"] == "awaiting_approval"
    approved = httpx.post(
        decide, json={"decision": "approve", "rationale": "reviewed"}, headers=auth("alice")
    )
    assert approved.status_code == 200, approved.text


def assert_nothing_leaks(base_url: str, run_id: str, settings: Settings, worker_log: Path) -> None:
    answers = [
        httpx.get(f"{base_url}{path}", headers=auth("bob")).text
        for path in (
            f"/v1/runs/{run_id}",
            f"/v1/runs/{run_id}/audit",
            f"/v1/runs/{run_id}/graph",
            f"/v1/runs/{run_id}/outputs/prp.md",
            f"/v1/runs/{run_id}/outputs/review.json",
            f"/v1/runs/{run_id}/outputs/run-manifest.json",
        )
    ]
    stored = everything_in_redis(settings.redis_url or "")
    time.sleep(0.5)  # the worker's last lines reach the file
    logs = worker_log.read_text(errors="replace")
    # the redaction happened (so the checks above could have failed): the markers are there
    assert "[REDACTED]" in stored and "[REDACTED]" in answers[0] + answers[3]
    assert "deploying with [REDACTED]" in stored
    assert f'"run_id": "{run_id}"' in logs and "check leak" in logs, logs[-2000:]
    for place, text in [("redis", stored), ("logs", logs), *zip(("view", "audit"), answers, strict=False)]:
        for secret in SECRETS:
            assert secret not in text, f"{secret} leaked into {place}"
    for answer in answers:
        for secret in SECRETS:
            assert secret not in answer


def assert_traversal_is_refused(base_url: str, run_id: str) -> None:
    port = int(base_url.rsplit(":", 1)[1])
    for path in (
        f"/v1/runs/{run_id}/outputs/../../etc/passwd",
        f"/v1/runs/{run_id}/outputs/..%2f..%2fetc%2fpasswd",
        f"/v1/runs/{run_id}/outputs/%2e%2e/%2e%2e/etc/passwd",
    ):
        status_line = raw_get(port, path, auth("bob"))
        assert status_line.startswith("HTTP/1.1 400"), (path, status_line)
    for path in ("/v1/runs/..%2f..%2fetc%2fpasswd", "/v1/runs/../../etc/passwd/graph"):
        status_line = raw_get(port, path, auth("bob"))
        assert status_line.split()[1] in ("400", "404", "422"), (path, status_line)
    page = raw_get(port, "/runs/..%2f..%2fetc%2fpasswd", {})
    assert page.split()[1] in ("400", "404"), page
