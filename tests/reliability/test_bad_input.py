"""Bad input is refused with the project's own errors, never a crash, and a refusal leaves nothing behind.

Property-based (hypothesis) over the four ways input gets in:

1. workflow YAML (``parse_workflow``): a :class:`Workflow` or a :class:`WorkflowError` naming the
   file, for structured-but-wrong documents (wrong types, cycles, unknown and duplicate keys, YAML
   tags, aliases) and for raw text;
2. ``initial.md`` (``parse_initial_md`` and the Redis-backed :class:`ProfileCache` that
   ``prp profile check`` and every submission go through): a profile or a :class:`ProfileError`;
3. submissions through the service layer (``Control.submit_request``): a run id, or an
   :class:`InputError` / pydantic ``ValidationError`` with no run, no run key, no idempotency claim
   and no message sent;
4. random JSON bodies to ``POST /v1/runs`` and ``POST /v1/runs/{id}/gates/{gate}/decision`` of the
   in-process app: never a 5xx, every 4xx is problem+json, and a refused request writes nothing.

The schema-driven fuzz of every HTTP operation (schemathesis, from the OpenAPI document) is
``tests/integration/test_http_fuzz.py``; it is not duplicated here.

Runs are deterministic: every property uses seed ``DEFAULT_SEED``. Rerun with another seed with
``PRP_RELIABILITY_SEED=N .venv/bin/python -m pytest tests/reliability``. (``tests/conftest.py``
removes ``PRP_*`` variables from ``os.environ`` before tests import, so the seed is read from the
environment the process started with.)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, seed
from hypothesis import settings as fuzz_settings
from hypothesis import strategies as st
from pydantic import ValidationError

from prp_tasks.celery_app import create_celery
from prp_tasks.control import Control
from prp_tasks.core.catalog import BUILTIN_CHECKS
from prp_tasks.core.profile import PROFILE_KEYS, ParsedProfile, ResolvedProfile
from prp_tasks.errors import ConflictError, InputError, ProfileError, WorkflowError
from prp_tasks.http.app import create_app
from prp_tasks.identity import hash_token
from prp_tasks.keys import Keys
from prp_tasks.profiles.cache import ProfileCache
from prp_tasks.profiles.parser import parse_initial_md
from prp_tasks.settings import ApiToken, Settings
from prp_tasks.submission import SubmitRequest
from prp_tasks.workflow_files import parse_workflow
from tests.conftest import wait_until

SEED_VAR = "PRP_RELIABILITY_SEED"
DEFAULT_SEED = 20260301
T = TypeVar("T")


def _startup_environ() -> dict[str, str]:
    """The environment this process started with (Linux), before conftest scrubbed ``PRP_*``."""
    try:
        raw = Path("/proc/self/environ").read_bytes()
    except OSError:
        return {}
    pairs = (item.decode(errors="replace").partition("=") for item in raw.split(b"\0") if item)
    return {name: value for name, _, value in pairs}


def reliability_seed() -> int:
    raw = os.environ.get(SEED_VAR) or _startup_environ().get(SEED_VAR)
    return int(raw) if raw else DEFAULT_SEED


SEED = reliability_seed()


def fuzz(max_examples: int) -> Callable[[T], T]:
    """hypothesis settings shared by every property here (seeded, no example database)."""

    def wrap(test: T) -> T:
        configured = fuzz_settings(
            max_examples=max_examples,
            deadline=None,
            derandomize=False,
            database=None,
            suppress_health_check=list(HealthCheck),
        )(test)  # type: ignore[operator]
        return seed(SEED)(configured)  # type: ignore[no-any-return]

    return wrap


# vocabulary ------------------------------------------------------------------------------------

WORKFLOW_KEYS = (
    "name", "gates", "id", "depends_on", "checks", "run", "builtin", "approval", "role", "queue",
    "timeout_s", "retries", "produces", "needs", "needs_from", "budget", "estimate_tokens",
    "retry_on", "breaker", "cacheable", "tokens", "wall_s", "max_parallel_gates", "exit_codes",
    "timeout", "quorum", "on_timeout", "threshold", "open_s", "depend_on", "Gates", "description",
)  # fmt: skip
PLAUSIBLE = (
    "G0", "G1", "A", "", " ", "true", "false", "null", "~", "automated", "approval", "control",
    "gpu", "code-reviewer", "qa-lead", "root", "fail", "approve", "blueprint-validation",
    "no-such-builtin", "../../etc/passwd", "/etc/passwd", "a/./b", "a//b", "C:\\x", "x\\y",
    "echo hi && rm -rf /", "$(touch pwned)", "`id`", "ünïcödé", "a" * 300, "0x1F", "1e999",
    "-1", "NaN", "2020-01-01", "%2e%2e%2f", "\x00", "\u202e", "name: x",
)  # fmt: skip
GATE_IDS = ("G0", "G1", "G2", "a", "b", "x y", "", "../g", "G0")

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(PLAUSIBLE),
)
keys = st.one_of(st.sampled_from(WORKFLOW_KEYS), st.text(max_size=8))
junk = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=12,
)
paths = st.one_of(
    st.sampled_from(["out.txt", "reports/junit.xml", "../x", "/abs", "a/../b", "", ".", "a//b"]), junk
)
path_lists = st.one_of(st.lists(paths, max_size=3), junk)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually a plausible value, sometimes anything at all."""
    return st.one_of(strategy, strategy, junk)


argv = st.one_of(
    st.just(["true"]),
    st.just(["python", "-c", "pass"]),
    st.sampled_from(["true", "echo hi; rm -rf /", ""]),  # shell strings: refused
    st.lists(st.one_of(st.sampled_from(["true", "", " ", "-c"]), scalars), max_size=3),
)
checks = st.fixed_dictionaries(
    {"name": maybe(st.sampled_from(["c1", "c2", "c1", "bad name", ""]))},
    optional={
        "run": argv,
        "builtin": maybe(st.sampled_from([*list(BUILTIN_CHECKS)[:4], "nope"])),
        "produces": path_lists,
        "needs": path_lists,
        "needs_from": maybe(st.dictionaries(st.sampled_from(GATE_IDS), path_lists, max_size=2)),
        "retries": maybe(st.integers(-1, 12)),
        "retry_on": maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "exit_codes": st.lists(st.integers(-1, 300), max_size=3),
                    "timeout": st.booleans(),
                    "exceptions": st.lists(st.text(max_size=5), max_size=2),
                },
            )
        ),
        "breaker": maybe(
            st.one_of(
                st.booleans(),
                st.fixed_dictionaries(
                    {"name": st.sampled_from(GATE_IDS)},
                    optional={"threshold": st.integers(-1, 2000), "open_s": scalars},
                ),
            )
        ),
        "cacheable": maybe(st.booleans()),
        "timeout_s": maybe(st.floats(-1, 1e6)),
        "estimate_tokens": maybe(st.integers(-1, 10**10)),
        "retry_backoff_s": junk,
        "bogus": junk,
    },
)
approvals = maybe(
    st.fixed_dictionaries(
        {"role": maybe(st.sampled_from(["code-reviewer", "qa-lead", "root", ""]))},
        optional={
            "quorum": maybe(st.integers(-1, 30)),
            "timeout_s": scalars,
            "on_timeout": maybe(st.sampled_from(["fail", "approve", "explode"])),
            "escalate_after_s": scalars,
            "escalate_to": maybe(st.sampled_from(["architect", "nobody"])),
            "reminder_s": scalars,
        },
    )
)


@st.composite
def workflow_dicts(draw: st.DrawFn) -> Any:
    """A workflow-shaped document: mostly right structure, wrong details (or plain junk)."""
    ids = draw(st.lists(st.sampled_from(GATE_IDS), max_size=4))
    gates = []
    for gate_id in ids:
        gate = draw(
            st.fixed_dictionaries(
                {"id": maybe(st.just(gate_id))},
                optional={
                    # a pool of the workflow's own ids: unknown dependencies, self-loops and cycles
                    "depends_on": maybe(st.lists(st.sampled_from([*ids, "nope"]), max_size=3)),
                    "checks": maybe(st.lists(checks, max_size=3)),
                    "approval": approvals,
                    "queue": maybe(st.sampled_from(["automated", "approval", "gpu", ""])),
                    "timeout_s": maybe(st.floats(-1, 1e6)),
                    "retries": maybe(st.integers(-1, 12)),
                    "estimate_tokens": maybe(st.integers(-1, 10**10)),
                    "depend_on": junk,
                },
            )
        )
        gates.append(gate)
    document = draw(
        st.fixed_dictionaries(
            {"name": maybe(st.sampled_from(["wf", "", "bad name"])), "gates": maybe(st.just(gates))},
            optional={
                "budget": maybe(
                    st.fixed_dictionaries(
                        {},
                        optional={
                            "tokens": scalars,
                            "wall_s": scalars,
                            "max_parallel_gates": scalars,
                            "bogus": junk,
                        },
                    )
                ),
                "Gates": junk,
                "description": junk,
            },
        )
    )
    return draw(st.one_of(st.just(document), st.just(document), junk))


#: hand-written YAML oddities appended to (or replacing) generated documents
YAML_ODDITIES = (
    "\nloop: &loop [*loop]\n",  # a self-referencing alias (a cycle in the data)
    "\nself: &m {me: *m}\n",
    "\ngates: []\n",  # a duplicate top-level key
    "\nname: again\n",
    "\nx: !!python/object/apply:os.system ['touch pwned']\n",
    "\nx: !!int not-a-number\n",
    "\nx: !!timestamp 2020-99-99\n",
    "\nx: !!binary '!!!'\n",
    "\nx: !!float x\n",
    "\nx: !custom tag\n",
    "\n? [a, b]\n: complex key\n",
    "\n<<: {name: merged}\n",
    "\n<<: 1\n",
    "\n2020-01-01: a date key\n",
    "\n1: an int key\n",
    "\nnull: a null key\n",
    "\n--- \nsecond: document\n",
    "\n%YAML 2.0\n",
    "\n\t tab: indent\n",
    "\ufeff",
    "\x00",
    "\n...\n",
)


def to_yaml(document: Any) -> str:
    try:
        return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    except yaml.YAMLError:  # e.g. a key safe_dump cannot represent
        return repr(document)


@st.composite
def workflow_texts(draw: st.DrawFn) -> str:
    text = to_yaml(draw(workflow_dicts()))
    edit = draw(st.sampled_from(["none", "oddity", "oddity", "cut", "dup-line", "replace"]))
    if edit == "oddity":
        text += draw(st.sampled_from(YAML_ODDITIES))
    elif edit == "cut" and text:
        text = text[: draw(st.integers(0, len(text)))]
    elif edit == "dup-line":
        lines = text.splitlines()
        if lines:
            at = draw(st.integers(0, len(lines) - 1))
            lines.insert(at, lines[at])
        text = "\n".join(lines)
    elif edit == "replace" and text:
        at = draw(st.integers(0, len(text) - 1))
        text = text[:at] + draw(st.sampled_from(list(":-[]{}&*!|>'\"#%@`,? \t\n"))) + text[at + 1 :]
    return text


raw_texts = st.one_of(
    st.text(max_size=200),
    st.binary(max_size=200).map(lambda b: b.decode("utf-8", errors="replace")),
    st.sampled_from(YAML_ODDITIES),
)


# 1. workflow files ------------------------------------------------------------------------------


def assert_workflow_refusal_or_ok(text: str) -> None:
    try:
        parse_workflow(text, source="wf.yaml")
    except WorkflowError as exc:
        assert "wf.yaml" in str(exc), str(exc)
        assert all(p.message for p in exc.problems), exc.problems


@fuzz(max_examples=400)
@given(text=workflow_texts())
def test_a_structured_workflow_document_is_accepted_or_refused_naming_the_file(text: str) -> None:
    assert_workflow_refusal_or_ok(text)


@fuzz(max_examples=200)
@given(text=raw_texts)
def test_random_text_as_a_workflow_is_refused_naming_the_file(text: str) -> None:
    assert_workflow_refusal_or_ok(text)


@pytest.mark.parametrize(
    "oddity", [*YAML_ODDITIES, "[" * 1200, "{a: " * 1200], ids=range(len(YAML_ODDITIES) + 2)
)
def test_each_yaml_oddity_is_a_workflow_error(oddity: str) -> None:
    valid = 'name: wf\ngates:\n  - id: A\n    checks: [{name: c, run: ["true"]}]\n'
    for text in (valid + oddity, oddity + valid, oddity):
        assert_workflow_refusal_or_ok(text)


@pytest.fixture
def live(settings: Settings, celery_app: Any) -> Control:
    """The session's service layer: its Redis and its in-process worker (``tests/conftest.py``).

    Not the ``control`` fixture: ``tests/reliability/conftest.py`` overrides that one with a
    private Redis per test and no worker, for the fault-injection tests.
    """
    return Control(settings, celery_app)


# 2. initial.md ----------------------------------------------------------------------------------

PROFILE_SUBKEYS = (
    "coverage", "lines", "branches", "performance", "lcp", "tbt", "accessibility", "score",
    "wcag_level", "security", "max_critical", "fail_on_any", "boundaries", "naming", "layout",
    "exceptions", "license", "owners", "checks", "commands", "test", "auto_approve", "timeout_s",
    "on_timeout", "quorum", "no_self_approval", "reminder_s", "gates", "roles", "strict", "G3",
)  # fmt: skip
NEAR_MISSES = ("budget", "goverance", "approver", "report", "Budgets", "architecture ")
profile_keys = st.one_of(
    st.sampled_from(PROFILE_KEYS), st.sampled_from(NEAR_MISSES), st.sampled_from(PROFILE_SUBKEYS)
)
profile_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(PROFILE_SUBKEYS), st.text(max_size=6)), inner, max_size=4),
    ),
    max_leaves=14,
)
profile_documents = st.dictionaries(profile_keys, profile_values, max_size=4)


def block_body(document: Any, lang: str) -> str:
    if lang == "json":
        return json.dumps(document)
    return to_yaml(document)


@st.composite
def fenced_blocks(draw: st.DrawFn) -> str:
    fence = draw(st.sampled_from(["```", "~~~", "````"]))
    lang = draw(st.sampled_from(["yaml", "yml", "json", "JSON", "", "python", "yaml title"]))
    body = block_body(draw(profile_documents), lang.lower())
    edit = draw(st.sampled_from(["none", "none", "oddity", "cut", "unterminated"]))
    if edit == "oddity":
        body += draw(st.sampled_from(YAML_ODDITIES))
    elif edit == "cut":
        body = body[: draw(st.integers(0, len(body)))]
    closing = "" if edit == "unterminated" else f"\n{fence}"
    return f"{fence}{lang}\n{body}{closing}"


markdown_pieces = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "# Title",
            "## Requirements",
            "## Acceptance Criteria",
            "## Context",
            "- an item",
            "1. first",
            "- [x] done",
            "```",
            "~~~yaml",
            "#",
            "    indented code",
        ]
    ),
    fenced_blocks(),
)
initial_mds = st.lists(markdown_pieces, max_size=8).map("\n".join)


def assert_profile_or_refusal(parse: Callable[[], ParsedProfile]) -> None:
    try:
        parsed = parse()
    except ProfileError as exc:
        assert exc.problems, str(exc)
        assert "initial.md" in str(exc), str(exc)
    else:
        assert isinstance(parsed, ParsedProfile)


@fuzz(max_examples=400)
@given(text=st.one_of(initial_mds, raw_texts))
def test_any_initial_md_parses_to_a_profile_or_a_profile_error(text: str) -> None:
    assert_profile_or_refusal(lambda: parse_initial_md(text, source="initial.md"))


@pytest.fixture
def profile_cache(settings: Settings, live: Control) -> Iterator[ProfileCache]:
    """The Redis-backed cache (as ``prp profile check`` with ``PRP_REDIS_URL`` and submissions use
    it), under a prefix of its own so nothing else sees its entries."""
    keys = Keys(f"{settings.key_prefix}-fuzz-{os.getpid()}")
    cache = ProfileCache(live.store.redis, keys, settings.profile_cache)
    yield cache
    for key in live.store.redis.scan_iter(f"{keys.prefix}:*", count=1000):
        live.store.redis.delete(key)


@fuzz(max_examples=200)
@given(data=st.one_of(initial_mds.map(str.encode), st.binary(max_size=200)))
def test_the_redis_profile_cache_returns_a_profile_or_a_profile_error(
    profile_cache: ProfileCache, data: bytes
) -> None:
    def resolve() -> ResolvedProfile:
        # twice: the second answer comes from a cache tier and must be the same kind
        first = profile_cache.resolve(data, "initial.md")
        profile_cache._local.clear()
        assert profile_cache.resolve(data, "initial.md") == first
        return first

    assert_profile_or_refusal(resolve)


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
    app = create_celery(configured)
    outbox = Outbox()
    monkeypatch.setattr(app, "send_task", outbox)
    control = Control(configured, app)
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
    app = create_app(configured, Control(configured, control.app), mount_mcp=False)
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
