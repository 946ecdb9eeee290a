"""The OpenAPI document is the contract: schemathesis, every check, against the real API.

Positive and negative requests from the document, its coverage phase (every documented status,
boundary values, undocumented methods, missing auth) and its fuzzing phase, with a fixed seed and a
bounded number of examples (``schemathesis.toml`` at the repository root; the CLI reads the same
file), sent over a real socket to ``prp api``'s app on the session's Redis. Submissions are
confined to an empty allowed root, so nothing generated starts real work.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import uvicorn
from schemathesis.config import SchemathesisConfig

from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.http.app import create_app
from prp_tasks.settings import Settings
from tests.conftest import ROOT, wait_until
from tests.integration.test_http_api import api_settings, auth, free_port

pytestmark = pytest.mark.slow

CONFIG = SchemathesisConfig.from_path(ROOT / "schemathesis.toml")
#: the document only (building the app touches no Redis); requests go to the fixture's server
_DOCUMENT = create_app(Runtime(Settings(redis_url="redis://127.0.0.1:9/0")), mount_mcp=False).openapi()
schema = schemathesis.openapi.from_dict(_DOCUMENT, config=CONFIG)


@pytest.fixture(scope="module")
def allowed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The only root submissions may name (empty but for the runs a test puts there)."""
    return tmp_path_factory.mktemp("allowed")


@pytest.fixture(scope="module")
def api_url(settings: Settings, celery_app: object, allowed: Path) -> Iterator[str]:
    configured = api_settings(settings, repo_roots=(allowed,), rate_limit_per_min=0)
    app = create_app(Runtime(configured), mount_mcp=False)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, timeout=20)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@schema.parametrize()
def test_every_operation_keeps_the_documented_contract(case: Any, api_url: str) -> None:
    case.call_and_validate(base_url=api_url, headers=auth("alice"))


WRITE_REPORT = "import os; os.makedirs('reports'); open('reports/cov.xml', 'w').write('<c/>')"
PRODUCING = {
    "name": "contract-flow",
    "gates": [
        {
            "id": "G3",
            "checks": [
                {
                    "name": "report",
                    "run": ["python", "-c", WRITE_REPORT],
                    "produces": ["reports/cov.xml"],
                }
            ],
        }
    ],
}


def validated(path: str, method: str, api_url: str, **parts: Any) -> Any:
    """One request built by hand, checked by every schemathesis check that applies to it."""
    case = schema[path][method].Case(**parts)
    return case.call_and_validate(base_url=api_url, headers=auth("alice"))


def test_a_real_run_answers_as_documented_created_replayed_listed_and_its_files_served(
    api_url: str, allowed: Path
) -> None:
    repo = allowed / f"repo-{time.monotonic_ns()}"
    repo.mkdir()
    body = {"repo": str(repo), "workflow": PRODUCING, "idempotency_key": f"k-{repo.name}"}
    created = validated("/v1/runs", "POST", api_url, body=body)
    assert created.status_code == 201
    run_id = created.json()["run_id"]
    assert created.headers["location"][0] == f"/v1/runs/{run_id}"
    replayed = validated("/v1/runs", "POST", api_url, body=body)
    assert (replayed.status_code, replayed.json()["created"], replayed.headers["location"][0]) == (
        200,
        False,
        f"/v1/runs/{run_id}",
    )
    found = validated("/v1/runs", "GET", api_url, query={"idempotency_key": body["idempotency_key"]})
    assert [r["run_id"] for r in found.json()["items"]] == [run_id]

    view: dict[str, Any] = {}

    def finished() -> bool:
        view.update(validated("/v1/runs/{run_id}", "GET", api_url, path_parameters={"run_id": run_id}).json())
        return view["status"] == "passed"

    wait_until(finished, timeout=60, interval=0.2)
    assert view["a2a_state"] == "completed"
    [produced] = view["files"]
    assert (produced["gate"], produced["name"], produced["size"]) == ("G3", "reports/cov.xml", 4)
    served = validated(
        "/v1/runs/{run_id}/outputs/files/{gate_id}/{path}",
        "GET",
        api_url,
        path_parameters={"run_id": run_id, "gate_id": "G3", "path": "reports/cov.xml"},
    )
    assert served.content == b"<c/>" and served.headers["etag"][0] == f'"{produced["sha256"]}"'
    assert {d["name"] for d in view["documents"]} >= {"prp.md", "review.json", "run-manifest.json"}
    manifest = json.loads(
        validated(
            "/v1/runs/{run_id}/outputs/{name}",
            "GET",
            api_url,
            path_parameters={"run_id": run_id, "name": "run-manifest.json"},
        ).text
    )
    assert manifest
