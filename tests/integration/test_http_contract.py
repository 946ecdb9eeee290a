"""The OpenAPI document is the contract: schemathesis, every check, against the real API.

Positive and negative requests from the document, its coverage phase (every documented status,
boundary values, undocumented methods, missing auth) and its fuzzing phase, with a fixed seed and a
bounded number of examples (``schemathesis.toml`` at the repository root; the CLI reads the same
file), sent over a real socket to ``prp api``'s app on the session's Redis. Submissions are
confined to an empty allowed root, so nothing generated starts real work.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
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
def api_url(settings: Settings, celery_app: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    allowed = tmp_path_factory.mktemp("allowed")
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
