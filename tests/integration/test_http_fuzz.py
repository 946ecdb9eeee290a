"""Property-based fuzzing of the HTTP API from its own OpenAPI document (schemathesis strategies).

Every generated request must get a documented, well-formed answer: never a 5xx, and every
problem response is ``application/problem+json``; a refused request writes nothing. Submissions
are confined to an empty allowed root, so nothing the fuzzer sends can start real work.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.http.app import create_app
from prp_tasks.service.control import Control
from prp_tasks.settings import Settings
from tests.integration.test_http_api import api_settings, auth


@pytest.fixture
def operations(settings: Settings, control: Control, tmp_path: Path) -> list[Any]:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    configured = api_settings(settings, repo_roots=(allowed,), rate_limit_per_min=0)
    app = create_app(Runtime(configured), mount_mcp=False)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def test_no_generated_request_gets_a_server_error_or_writes_when_refused(
    operations: list[Any], control: Control
) -> None:
    assert len(operations) >= 10
    runs = control.store.keys.runs
    seen: list[tuple[str, str, int]] = []

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case: Any) -> None:
            before = control.store.redis.zcard(runs)
            response = case.call(headers=auth("alice"))
            seen.append((case.method, case.path, response.status_code))
            assert response.status_code < 500, (case.method, case.formatted_path, response.text[:300])
            if response.status_code >= 400:
                assert response.headers["content-type"][0].startswith("application/problem+json")
                assert control.store.redis.zcard(runs) == before

        check()
    assert len(seen) > 100
    assert {code for _, _, code in seen} - {200, 201, 400, 401, 403, 404, 409, 413, 422, 429} == set()
