"""Bad requests are refused with the project's own errors and leave nothing behind (hypothesis).

3. submissions through the service layer (``Control.submit_request``): a run id, or an
   :class:`InputError` / pydantic ``ValidationError`` with no run, no run key, no idempotency claim
   and no message sent;
4. random JSON bodies to ``POST /v1/runs`` and ``POST /v1/runs/{id}/gates/{gate}/decision`` of the
   in-process app: never a 5xx, every 4xx is problem+json, and a refused request writes nothing.

The schema-driven fuzz of every HTTP operation (schemathesis, from the OpenAPI document) is
``tests/integration/test_http_fuzz.py``; it is not duplicated here. Seeds and vocabulary:
``tests/reliability/fuzzing.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.errors import ConflictError, InputError, ProfileError
from prp_tasks.http.app import create_app
from prp_tasks.intake.profiles.parser import parse_initial_md
from prp_tasks.intake.submission import SubmitRequest
from prp_tasks.service.control import Control
from prp_tasks.service.identity import hash_token
from prp_tasks.settings import ApiToken, Settings
from tests.conftest import wait_until
from tests.reliability.fuzzing import fuzz, junk, maybe, workflow_dicts

# 3. submissions through the service layer -------------------------------------------------------


class Outbox:
    """Stands in for ``Celery.send_task`` of an app no worker listens to: records, sends nothing."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def __call__(self, name: str, *args: Any, **kwargs: Any) -> None:
        self.sent.append({"name": name, **(kwargs.get("kwargs") or {})})


@pytest.fixture
def isolated(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Control, Outbox]]:
    """The real service layer on its own key prefix, with an app whose messages go nowhere.

    A fuzzed submission that is accepted must not execute: its checks (random timeouts, retries,
    breaker names) would trip circuit breakers shared with the rest of the session.
    """
    configured = settings.model_copy(update={"key_prefix": f"{settings.key_prefix}-fuzz{os.getpid()}"})
    runtime = Runtime(configured)
    outbox = Outbox()
    monkeypatch.setattr(runtime.app, "send_task", outbox)
    control = runtime.control
    yield control, outbox
    redis = control.store.redis
    for key in redis.scan_iter(f"{configured.key_prefix}:*", count=5000):
        redis.delete(key)


def run_ids(control: Control) -> set[str]:
    """Every run id some key of ``control``'s prefix belongs to."""
    pattern = f"{control.store.keys.prefix}:run:{{*"
    found = set()
    for key in control.store.redis.scan_iter(pattern, count=5000):
        match = re.match(r".*?:run:\{([^}]*)\}", key)
        if match:
            found.add(match.group(1))
    return found


def idempotency_claimed(control: Control, key: Any) -> bool:
    if not isinstance(key, str):
        return False
    digest = hashlib.sha256(key.encode()).hexdigest()
    return bool(control.store.redis.exists(control.store.keys.idempotency(digest)))


blueprints = maybe(
    st.fixed_dictionaries(
        {"title": maybe(st.sampled_from(["A title", "", "x" * 600]))},
        optional={
            "description": maybe(st.text(max_size=30)),
            "requirements": maybe(st.lists(st.text(max_size=10), max_size=3)),
            "metadata": junk,
            "owner": junk,
        },
    )
)


@st.composite
def submissions(draw: st.DrawFn, repo: str) -> dict[str, Any]:
    """SubmitRequest-shaped payloads around ``repo`` (an existing directory with a ``file.txt``)."""
    repos = st.sampled_from(
        [repo, repo, repo, f"{repo}/missing", f"{repo}/file.txt", "", "relative/dir", "/nonexistent"]
    )
    payload: dict[str, Any] = draw(
        st.fixed_dictionaries(
            {"repo": maybe(repos)},
            optional={
                "workflow": st.one_of(
                    workflow_dicts(),
                    workflow_dicts(),
                    st.sampled_from(["/nonexistent.yaml", f"{repo}/file.txt", "", "../wf.yaml"]),
                ),
                "blueprint": st.one_of(blueprints, st.sampled_from(["/nonexistent.yaml", ""])),
                "profile_path": maybe(st.sampled_from(["initial.md", "/nonexistent.md", "", "../x.md"])),
                "commit_sha": maybe(st.sampled_from(["abcdef1", "zzzzzzz", "abc", "0" * 64, "0" * 65])),
                "git_url": maybe(st.sampled_from(["file:///nonexistent/x.git", "-oProxyCommand=x", "no"])),
                "distributed": maybe(st.booleans()),
                "strict": maybe(st.booleans()),
                "auto_approve": maybe(st.booleans()),
                "idempotency_key": maybe(st.sampled_from(["k-1", "k-2", "bad key", "", "x" * 201])),
                "actor": maybe(st.sampled_from(["fuzz", "", "x" * 201])),
                "repo_typo": junk,
            },
        )
    )
    return payload


def submit_once(control: Control, payload: dict[str, Any]) -> str | None:
    """The new run's id, or None for a refusal of the accepted kinds (anything else raises)."""
    claimed = idempotency_claimed(control, payload.get("idempotency_key"))
    try:
        request = SubmitRequest.model_validate(payload)
        return control.submit_request(request, actor="fuzz").run_id
    except (InputError, ValidationError):
        return None
    except ConflictError:
        assert claimed, "ConflictError without an earlier claim of the idempotency key"
        return None


@pytest.fixture
def fuzz_repo(make_repo: Callable[..., Path]) -> Path:
    return make_repo({"file.txt": "not a workflow: [\n"})


@fuzz(max_examples=150)
@given(data=st.data())
def test_a_fuzzed_submission_is_a_run_or_a_refusal_that_leaves_nothing_behind(
    isolated: tuple[Control, Outbox], fuzz_repo: Path, data: st.DataObject
) -> None:
    control, outbox = isolated
    payload = data.draw(submissions(str(fuzz_repo)))
    redis, runs = control.store.redis, control.store.keys.runs
    before_count, before_ids = redis.zcard(runs), run_ids(control)
    claimed_before = idempotency_claimed(control, payload.get("idempotency_key"))
    outbox.sent.clear()
    run_id = submit_once(control, payload)
    if run_id is not None:
        assert redis.zscore(runs, run_id) is not None
        return
    assert redis.zcard(runs) == before_count
    assert run_ids(control) == before_ids, "a refused submission wrote run keys"
    assert outbox.sent == [], "a refused submission enqueued work"
    if not claimed_before:
        assert not idempotency_claimed(control, payload.get("idempotency_key"))


def deep(depth: int) -> Any:
    """JSON nested ``2 * depth`` levels (well under the HTTP body limit)."""
    value: Any = "bottom"
    for _ in range(depth):
        value = {"k": [value]}
    return value


@pytest.mark.parametrize("idempotency_key", [None, "deep-metadata"])
def test_deeply_nested_blueprint_metadata_is_refused_as_input(
    isolated: tuple[Control, Outbox], fuzz_repo: Path, idempotency_key: str | None
) -> None:
    control, outbox = isolated
    payload = {"repo": str(fuzz_repo), "blueprint": {"title": "t", "metadata": deep(128)}}
    request = SubmitRequest.model_validate({**payload, "idempotency_key": idempotency_key})
    before = run_ids(control)
    with pytest.raises(InputError):
        control.submit_request(request, actor="fuzz")
    assert run_ids(control) == before and outbox.sent == []


DATE_KEY_PROFILE = "# T\n\n```yaml\nbudgets: {}\n2020-01-01: a date is a valid YAML key\n```\n"


def test_a_date_key_in_a_profile_block_is_a_profile_error_through_the_redis_cache(
    isolated: tuple[Control, Outbox], make_repo: Callable[..., Path]
) -> None:
    control, outbox = isolated
    repo = make_repo({"initial.md": DATE_KEY_PROFILE})
    with pytest.raises(ProfileError, match=r"initial\.md:5"):
        parse_initial_md(DATE_KEY_PROFILE, source="initial.md")  # the parser itself is right
    before = run_ids(control)
    with pytest.raises(ProfileError, match=r"initial\.md:5"):
        control.submit_request(SubmitRequest(repo=str(repo)), actor="fuzz")
    assert run_ids(control) == before and outbox.sent == []


# 4. random JSON bodies over HTTP ----------------------------------------------------------------

TOKENS = {
    "alice": ("rel-tok-alice-0123456789", ("code-reviewer",), True),
    "bob": ("rel-tok-bob-0123456789", ("qa-lead",), False),
}


def auth(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[who][0]}"}


def with_tokens(settings: Settings, **api: Any) -> Settings:
    tokens = tuple(
        ApiToken(sha256=hash_token(token), identity=name, roles=roles, submit=submit)  # type: ignore[arg-type]
        for name, (token, roles, submit) in TOKENS.items()
    )
    return settings.model_copy(update={"api": settings.api.model_copy(update={"tokens": tokens, **api})})


def api_client(settings: Settings, control: Control, **api: Any) -> TestClient:
    configured = with_tokens(settings, rate_limit_per_min=0, **api)
    app = create_app(Runtime(configured), mount_mcp=False)
    return TestClient(app, raise_server_exceptions=False)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)


def post_json(client: TestClient, url: str, body: Any, who: str) -> Any:
    """POST ``body`` as Python's json writes it (NaN and Infinity included, as a sloppy client would)."""
    headers = {**auth(who), "content-type": "application/json"}
    return client.post(url, content=json.dumps(body).encode(), headers=headers)


def assert_problem(response: Any) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:500])
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json"), response.text
        body = response.json()
        assert body["status"] == response.status_code and body["detail"], body


@pytest.fixture
def isolated_client(isolated: tuple[Control, Outbox], fuzz_repo: Path) -> Iterator[TestClient]:
    """The API over the isolated service layer; submissions only under ``fuzz_repo``."""
    control, _ = isolated
    with api_client(control.settings, control, repo_roots=(fuzz_repo,)) as client:
        yield client


@fuzz(max_examples=150)
@given(data=st.data())
def test_random_bodies_to_post_runs_never_get_a_server_error_and_refusals_write_nothing(
    isolated: tuple[Control, Outbox], isolated_client: TestClient, fuzz_repo: Path, data: st.DataObject
) -> None:
    control, outbox = isolated
    body = data.draw(st.one_of(json_values, submissions(str(fuzz_repo))))
    who = data.draw(st.sampled_from(["alice", "alice", "bob"]))
    before_count, before_ids = control.store.redis.zcard(control.store.keys.runs), run_ids(control)
    outbox.sent.clear()
    response = post_json(isolated_client, "/v1/runs", body, who)
    assert_problem(response)
    if response.status_code in (200, 201):
        assert who == "alice"
        return
    assert control.store.redis.zcard(control.store.keys.runs) == before_count
    assert run_ids(control) == before_ids and outbox.sent == []


PARKED = {
    "name": "fuzz-decisions",
    "gates": [
        {
            "id": "A",
            # an argv of its own and no breaker: nothing another test does can hold this check up
            "checks": [{"name": "a", "run": ["true", "reliability-parked"], "breaker": False}],
            "approval": {"role": "code-reviewer", "quorum": 20},
        }
    ],
}


@pytest.fixture
def decisions(
    settings: Settings, live: Control, make_repo: Callable[..., Path]
) -> Iterator[tuple[TestClient, str]]:
    """An API client and a run whose gate A is parked for a code-reviewer (quorum 20)."""
    with api_client(settings, live) as client:
        created = client.post(
            "/v1/runs", json={"repo": str(make_repo()), "workflow": PARKED}, headers=auth("alice")
        )
        assert created.status_code == 201, created.text
        run_id = str(created.json()["run_id"])

        def parked() -> bool:
            view = client.get(f"/v1/runs/{run_id}", headers=auth("bob")).json()
            return bool(view["gates"][0]["status"] == "awaiting_approval")

        wait_until(parked, timeout=30, interval=0.02)
        yield client, run_id
        client.delete(f"/v1/runs/{run_id}", headers=auth("alice"))


def run_state(control: Control, run_id: str) -> tuple[Any, ...]:
    keys = control.store.k(run_id)
    redis = control.store.redis
    return (
        redis.xlen(keys.audit),
        redis.hgetall(keys.status),
        redis.hgetall(keys.votes),
        redis.hgetall(keys.preapprovals),
    )


decision_bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "decision": maybe(st.sampled_from(["approve", "reject", "APPROVE", "maybe", ""])),
            "rationale": maybe(st.text(max_size=20)),
            "commit_sha": maybe(st.sampled_from(["abcdef1", "nothex!", "", "0" * 65])),
            "actor": junk,
        },
    ),
)


@fuzz(max_examples=150)
@given(data=st.data())
def test_random_decision_bodies_never_get_a_server_error_and_refusals_write_nothing(
    live: Control, decisions: tuple[TestClient, str], data: st.DataObject
) -> None:
    client, parked_run = decisions
    run_id = data.draw(st.sampled_from([parked_run, parked_run, "run-nope", "..", "x" * 300]))
    gate = data.draw(st.sampled_from(["A", "A", "B", "..", "%2e%2e", "G%00", "x" * 300]))
    body = data.draw(decision_bodies)
    who = data.draw(st.sampled_from(["alice", "bob"]))
    before = run_state(live, parked_run)
    response = post_json(client, f"/v1/runs/{run_id}/gates/{gate}/decision", body, who)
    assert_problem(response)
    if response.status_code in (400, 404, 422):  # 403 refusals are audited; a 409 may be
        assert run_state(live, parked_run) == before
