"""How a run's spec is stored and loaded: runs of one workflow and profile share those objects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prp_tasks.codec import dump_spec, load_spec
from prp_tasks.core.run import RunSpec
from prp_tasks.keys import Keys
from prp_tasks.profiles.cache import ProfileCache
from prp_tasks.settings import ProfileCacheSettings
from prp_tasks.submission import prepare_run
from prp_tasks.workflow_files import parse_workflow

PROFILE = "# P\n\n## Requirements\n\n- one\n\n```yaml\nbudgets:\n  coverage:\n    lines: 77\n```\n"
WORKFLOW = 'name: w\ngates:\n  - {id: A, checks: [{name: c, run: ["true"]}]}\n  - {id: B, depends_on: [A]}\n'


@pytest.fixture
def cache() -> ProfileCache:
    return ProfileCache(None, Keys("codec-test"), ProfileCacheSettings())


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


def test_a_spec_stored_with_its_workflow_inline_still_loads(tmp_path: Path, cache: ProfileCache) -> None:
    """The layout before the workflow had its own text (runs recorded by an older version)."""
    spec = specs(tmp_path, 1)[0]
    data = json.loads(dump_spec(spec))
    data["workflow"] = json.loads(data.pop("workflow_json"))
    assert load_spec(json.dumps(data), cache) == spec
