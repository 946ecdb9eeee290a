"""How a run's spec is stored and loaded: runs of one workflow and profile share those objects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prp_tasks.core.run import RunSpec
from prp_tasks.intake.profiles.cache import ProfileCache
from prp_tasks.intake.submission import prepare_run
from prp_tasks.intake.workflow_files import parse_workflow
from prp_tasks.settings import ProfileCacheSettings
from prp_tasks.state.codec import dump_spec, load_spec

PROFILE = "# P\n\n## Requirements\n\n- one\n\n```yaml\nbudgets:\n  coverage:\n    lines: 77\n```\n"
WORKFLOW = 'name: w\ngates:\n  - {id: A, checks: [{name: c, run: ["true"]}]}\n  - {id: B, depends_on: [A]}\n'


@pytest.fixture
def cache() -> ProfileCache:
    return ProfileCache(None, ProfileCacheSettings())


def specs(tmp_path: Path, n: int, workflow: str = WORKFLOW) -> list[RunSpec]:
    (tmp_path / "initial.md").write_text(PROFILE)
    return [prepare_run(tmp_path, workflow=parse_workflow(workflow)) for _ in range(n)]


def test_a_stored_spec_loads_back_equal(tmp_path: Path, cache: ProfileCache) -> None:
    for spec in specs(tmp_path, 2):
        loaded = load_spec(dump_spec(spec), cache)
        assert loaded == spec
        assert loaded.profile.profile.budgets.coverage.lines == 77


def test_runs_of_one_workflow_and_profile_share_them(tmp_path: Path, cache: ProfileCache) -> None:
    first, second = (load_spec(dump_spec(s), cache) for s in specs(tmp_path, 2))
    assert first.run_id != second.run_id
    assert first.workflow is second.workflow
    assert first.profile is second.profile
    other = load_spec(dump_spec(specs(tmp_path, 1, WORKFLOW.replace("name: w", "name: v"))[0]), cache)
    assert other.workflow is not first.workflow and other.workflow.name == "v"


def test_a_changed_profile_is_not_shared(tmp_path: Path, cache: ProfileCache) -> None:
    first = load_spec(dump_spec(specs(tmp_path, 1)[0]), cache)
    (tmp_path / "initial.md").write_text(PROFILE.replace("77", "78"))
    changed = prepare_run(tmp_path, workflow=parse_workflow(WORKFLOW))
    loaded = load_spec(dump_spec(changed), cache)
    assert loaded.profile is not first.profile
    assert loaded.profile.profile.budgets.coverage.lines == 78


def test_the_stored_layout_is_the_one_the_previous_version_reads(tmp_path: Path, cache: ProfileCache) -> None:
    """Workers of the previous version (a rolling deploy, a rollback) load specs this one writes:
    the workflow inline, the profile by reference, validated as a whole."""
    spec = specs(tmp_path, 1)[0]
    data = json.loads(dump_spec(spec))
    ref = data.pop("profile_ref")
    # caller_trace is new: left out when unset, so the previous version (extra="forbid") reads it
    assert set(data) == set(RunSpec.model_fields) - {"profile", "caller_trace"}
    profile = cache.resolve(ref["text"].encode(), ref["source"])
    assert RunSpec.model_validate({**data, "profile": profile}) == spec
    linked = spec.model_copy(update={"caller_trace": "00-" + "ab" * 16 + "-" + "cd" * 8 + "-01"})
    assert load_spec(dump_spec(linked), cache) == linked
    with_environment = specs(tmp_path, 1, "name: w\nenvironment: {use: isolated}\ngates:\n  - {id: A}\n")[0]
    stored = json.loads(dump_spec(with_environment))["workflow"]["environment"]
    assert not {"extensions", "variables", "prepare"} & set(stored)  # (new, at their defaults)
    assert load_spec(dump_spec(with_environment), cache) == with_environment
    variables = specs(
        tmp_path, 1, "name: w\nenvironment: {use: isolated, variables: {A: '1'}}\ngates:\n  - {id: A}\n"
    )[0]
    assert load_spec(dump_spec(variables), cache).workflow.environment == variables.workflow.environment
    assert not {"changed", "changes"} & set(data["repo"])  # (new, a clean checkout's)
    repo = spec.repo.model_copy(update={"dirty": True, "changed": 2, "changes": ("initial.md", "a b.py")})
    dirty = spec.model_copy(update={"repo": repo})
    assert load_spec(dump_spec(dirty), cache) == dirty


def test_an_infinite_value_survives_storage(tmp_path: Path, cache: ProfileCache) -> None:
    workflow = (
        "name: w\ngates:\n  - id: A\n    approval: {role: maintainer, timeout_s: .inf}\n"
        "    checks: [{name: c, run: [x]}]\n"
    )
    spec = specs(tmp_path, 1, workflow)[0]
    assert spec.workflow.gates[0].approval.timeout_s == float("inf")
    assert load_spec(dump_spec(spec), cache) == spec
