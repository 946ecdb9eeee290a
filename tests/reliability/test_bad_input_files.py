"""Bad input in files is refused with the project's own errors, never a crash (hypothesis).

1. workflow YAML (``parse_workflow``): a :class:`Workflow` or a :class:`WorkflowError` naming the
   file, for structured-but-wrong documents (wrong types, cycles, unknown and duplicate keys, YAML
   tags, aliases) and for raw text;
2. ``initial.md`` (``parse_initial_md`` and the Redis-backed :class:`ProfileCache` that
   ``prp profile check`` and every submission go through): a profile or a :class:`ProfileError`.

Seeds and vocabulary: ``tests/reliability/fuzzing.py``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prp_tasks.core.profile import PROFILE_KEYS, ParsedProfile, ResolvedProfile
from prp_tasks.errors import ProfileError, WorkflowError
from prp_tasks.intake.profiles.cache import ProfileCache
from prp_tasks.intake.profiles.parser import parse_initial_md
from prp_tasks.intake.workflow_files import parse_workflow
from prp_tasks.service.control import Control
from prp_tasks.settings import Settings
from prp_tasks.state.keys import Keys
from prp_tasks.state.profile_store import ProfileStore
from tests.reliability.fuzzing import YAML_ODDITIES, fuzz, raw_texts, scalars, to_yaml, workflow_texts

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
    cache = ProfileCache(ProfileStore(live.store.redis, keys, settings.profile_cache), settings.profile_cache)
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
