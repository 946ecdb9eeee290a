"""Produced files on real Redis: size caps, the shared-directory backend, verification, refusals."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from prp_tasks.core.models import CheckStatus
from prp_tasks.core.run import RunStatus
from prp_tasks.core.snapshot import RunSnapshot
from prp_tasks.errors import ArtifactError
from prp_tasks.intake.workflow_files import parse_workflow
from prp_tasks.service.control import Control
from prp_tasks.settings import Settings, load_settings
from prp_tasks.state.artifacts import ArtifactMeta, ArtifactStore
from prp_tasks.state.connection import connect
from prp_tasks.state.keys import Keys

Submit = Callable[..., str]
Finish = Callable[..., RunSnapshot]

RUN = "run-artifacts-1"


@pytest.fixture
def store_for(settings: Settings, tmp_path: Path) -> Callable[..., ArtifactStore]:
    def make(**overrides: object) -> ArtifactStore:
        local = load_settings(redis_url=settings.redis_url, key_prefix=settings.key_prefix, **overrides)
        return ArtifactStore(connect(settings.redis_url or ""), Keys(settings.key_prefix), local)

    return make


def index(store: ArtifactStore, meta: ArtifactMeta) -> None:
    store.redis.hset(store.keys.run(RUN).files, meta.field, meta.model_dump_json())


def test_a_file_over_the_cap_is_refused_and_the_directory_backend_takes_large_ones(
    store_for: Callable[..., ArtifactStore], tmp_path: Path
) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(5000))
    small_cap = store_for(artifact_max_bytes=1024)
    with pytest.raises(ArtifactError, match=r"5000 bytes, over the 1024-byte cap.*PRP_ARTIFACT_DIR"):
        small_cap.put(RUN, "A", "a", "big.bin", big)
    shared = store_for(artifact_max_bytes=1024, artifact_dir=tmp_path / "shared", artifact_dir_max_bytes=4096)
    with pytest.raises(ArtifactError, match="over the 4096-byte cap"):
        shared.put(RUN, "A", "a", "big.bin", big)
    roomy = store_for(artifact_max_bytes=1024, artifact_dir=tmp_path / "shared")
    meta = roomy.put(RUN, "A", "a", "big.bin", big)
    assert (meta.backend, meta.size, meta.sha256) == (
        "dir",
        5000,
        hashlib.sha256(big.read_bytes()).hexdigest(),
    )
    assert roomy.read(RUN, meta) == big.read_bytes()


def test_a_tampered_or_expired_file_fails_verification(
    store_for: Callable[..., ArtifactStore], tmp_path: Path
) -> None:
    source = tmp_path / "report.xml"
    source.write_text("<coverage/>")
    store = store_for()
    meta = store.put(RUN, "A", "tests", "report.xml", source)
    index(store, meta)
    store.raw.set(store.keys.run(RUN).blob(meta.sha256), b"<coverage line-rate='1'/>")
    workflow = parse_workflow(
        "name: w\ngates:\n  - {id: A, checks: [{name: tests, run: [x], produces: [report.xml]}]}\n"
    )
    target = tmp_path / "workspace"
    target.mkdir()
    with pytest.raises(ArtifactError, match=r"report\.xml from A/tests failed verification: sha256"):
        store.materialize(RUN, workflow, [("A", "report.xml")], target)
    assert not (target / "report.xml").exists()
    store.raw.delete(store.keys.run(RUN).blob(meta.sha256))
    with pytest.raises(ArtifactError, match="no longer stored"):
        store.read(RUN, meta)
    with pytest.raises(ArtifactError, match=r"needed file other\.xml was not produced by A"):
        store.materialize(RUN, workflow, [("A", "other.xml")], target)


FLOW = """
name: files
gates:
  - id: A
    checks:
      - {name: link, run: [ln, -s, /etc/passwd, leak.txt], produces: [leak.txt]}
      - {name: lazy, run: ["true"], produces: [never.txt]}
      - {name: dir, run: [mkdir, -p, a-dir], produces: [a-dir]}
      - {name: ok, run: [python, -c, "open('good.txt', 'w').write('fine')"], produces: [good.txt]}
  - id: B
    depends_on: [A]
    checks: [{name: b, run: ["true"], needs: [good.txt]}]
"""


def test_produced_files_must_be_regular_files_inside_the_workspace(
    submit: Submit, finish: Finish, control: Control, tmp_path: Path
) -> None:
    snapshot = finish(submit(FLOW))
    checks = snapshot.gates["A"].checks
    assert checks["link"].status == CheckStatus.FAIL and "leak.txt resolves outside" in checks["link"].output
    assert checks["lazy"].status == CheckStatus.FAIL
    assert checks["lazy"].output.startswith("declared file never.txt was not produced")
    assert "a-dir is not a regular file" in checks["dir"].output
    assert checks["ok"].status == CheckStatus.PASS
    evidence = json.loads(checks["ok"].evidence[0].content)
    assert evidence["files"]["produced"] == [
        {"name": "good.txt", "from": "A/ok", "size": 4, "sha256": hashlib.sha256(b"fine").hexdigest()}
    ]
    assert snapshot.status == RunStatus.FAILED  # A failed, so B never needed anything
    assert set(control.engine.executor.artifacts.index(snapshot.spec.run_id)) == {"A/good.txt"}
    written = control.write_outputs(snapshot.spec.run_id, tmp_path / "out")
    assert Path(written["files/A/good.txt"]).read_text() == "fine"
