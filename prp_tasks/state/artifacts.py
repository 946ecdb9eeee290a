"""Files checks produce and need, stored by sha256 so any worker can fetch and verify them.

A check's ``produces`` files are read from its workspace when it ends and stored: in Redis
(``P:run:{R}:blob:SHA``, up to ``artifact_max_bytes``, expiring with the run) or, when
``artifact_dir`` is set, larger ones in that shared directory (``DIR/PREFIX/RUN/SHA``). The
run's ``files`` hash indexes them by "gate/name" (written by the check's winning result claim).
Before a check starts, its ``needs`` are written into its workspace, each verified by hash.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

from prp_tasks.core.artifacts import producer
from prp_tasks.core.models import Workflow
from prp_tasks.errors import ArtifactError
from prp_tasks.settings import Settings
from prp_tasks.state.connection import binary_twin, wrap_errors
from prp_tasks.state.keys import Keys
from prp_tasks.workspaces.files import safe_repo_path

if TYPE_CHECKING:
    import redis

_CHUNK = 1024 * 1024


class ArtifactMeta(BaseModel):
    """One stored file: who produced it, its size and sha256, and where its bytes are."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    gate: str
    check: str
    name: str
    size: int
    sha256: str
    backend: Literal["redis", "dir"]

    @property
    def field(self) -> str:
        return f"{self.gate}/{self.name}"

    @property
    def origin(self) -> str:
        return f"{self.gate}/{self.check}"

    def brief(self) -> dict[str, object]:
        return {"name": self.name, "from": self.origin, "size": self.size, "sha256": self.sha256}


class ArtifactStore:
    """Store, index and fetch a run's produced files."""

    def __init__(self, client: redis.Redis, keys: Keys, settings: Settings) -> None:
        self.keys = keys
        self.max_bytes = settings.artifact_max_bytes
        self.dir = settings.artifact_dir
        self.dir_max_bytes = settings.artifact_dir_max_bytes
        self.ttl_s = settings.run_ttl_s
        self.raw: redis.Redis = binary_twin(client)  # bytes in, bytes out
        self.redis = client

    # producing ------------------------------------------------------------------------------

    def put(self, run_id: str, gate: str, check: str, name: str, path: Path) -> ArtifactMeta:
        """Store the file at ``path`` (already checked to be a regular file in the workspace)."""
        size = path.stat().st_size
        limit = self.dir_max_bytes if self.dir else self.max_bytes
        if size > limit:
            hint = "" if self.dir else " (set PRP_ARTIFACT_DIR for larger files)"
            raise ArtifactError(f"produced file {name} is {size} bytes, over the {limit}-byte cap{hint}")
        digest = file_sha256(path)
        if size <= self.max_bytes:
            with wrap_errors():
                self.raw.set(self.keys.run(run_id).blob(digest), path.read_bytes(), ex=self.ttl_s)
            backend: Literal["redis", "dir"] = "redis"
        else:
            self._put_dir(run_id, digest, path)
            backend = "dir"
        return ArtifactMeta(gate=gate, check=check, name=name, size=size, sha256=digest, backend=backend)

    def _put_dir(self, run_id: str, digest: str, path: Path) -> None:
        target = self._dir_path(run_id, digest)
        if target.exists() and file_sha256(target) == digest:
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp, path.open("rb") as src:
            shutil.copyfileobj(src, tmp, _CHUNK)
        os.replace(tmp.name, target)

    def _dir_path(self, run_id: str, digest: str) -> Path:
        assert self.dir is not None
        return Path(self.dir) / self.keys.prefix / run_id / digest

    def collect(
        self, run_id: str, gate: str, check: str, names: tuple[str, ...], workdir: Path
    ) -> tuple[list[ArtifactMeta], list[str]]:
        """Store each declared file found in ``workdir``; (stored, problems)."""
        stored, problems = [], []
        for name in names:
            try:
                stored.append(self.put(run_id, gate, check, name, produced_file(workdir, name)))
            except ArtifactError as exc:
                problems.append(exc.message)
        return stored, problems

    # needing --------------------------------------------------------------------------------

    def index(self, run_id: str) -> dict[str, ArtifactMeta]:
        """Every file the run's checks produced so far, by "gate/name"."""
        with wrap_errors():
            raw = self.redis.hgetall(self.keys.run(run_id).files)
        return {f: ArtifactMeta.model_validate_json(v) for f, v in raw.items()}

    def meta(self, run_id: str, gate: str, name: str) -> ArtifactMeta | None:
        with wrap_errors():
            raw = self.redis.hget(self.keys.run(run_id).files, f"{gate}/{name}")
        return ArtifactMeta.model_validate_json(raw) if raw else None

    def read(self, run_id: str, meta: ArtifactMeta) -> bytes:
        """The file's bytes, verified against its recorded sha256."""
        if meta.backend == "redis":
            with wrap_errors():
                data = self.raw.get(self.keys.run(run_id).blob(meta.sha256))
        else:
            target = self._dir_path(run_id, meta.sha256) if self.dir else None
            data = target.read_bytes() if target is not None and target.is_file() else None
        if data is None:
            raise ArtifactError(f"file {meta.name} from {meta.origin} is no longer stored (expired?)")
        actual = hashlib.sha256(data).hexdigest()
        if actual != meta.sha256:
            raise ArtifactError(
                f"file {meta.name} from {meta.origin} failed verification: "
                f"sha256 {actual[:16]}… is not the recorded {meta.sha256[:16]}…"
            )
        return bytes(data)

    def materialize(
        self, run_id: str, workflow: Workflow, needs: list[tuple[str, str]], workdir: Path
    ) -> list[ArtifactMeta]:
        """Write each needed (gate, name) into ``workdir``, verified by sha256."""
        placed = []
        for gate, name in needs:
            meta = self.meta(run_id, gate, name)
            if meta is None:
                found = producer(workflow, gate, name)
                origin = f"{gate}/{found[1].name}" if found else gate
                raise ArtifactError(f"needed file {name} was not produced by {origin}")
            target = safe_repo_path(workdir, name)
            if target is None:
                raise ArtifactError(f"needed file {name} would land outside the workspace")
            if not (target.is_file() and file_sha256(target) == meta.sha256):
                write_atomically(target, self.read(run_id, meta))
            placed.append(meta)
        return placed

    def expire(self, run_id: str, seconds: int) -> None:
        """Give the run's stored bytes the run's retention (called when it finalizes)."""
        blobs = {m.sha256 for m in self.index(run_id).values() if m.backend == "redis"}
        with wrap_errors(), self.redis.pipeline(transaction=False) as pipe:
            for digest in blobs:
                pipe.expire(self.keys.run(run_id).blob(digest), seconds)
            pipe.execute()

    def collect_dir_garbage(self, min_age_s: float = 3600) -> list[str]:
        """Remove ``artifact_dir`` files of runs whose state expired (retention passed)."""
        if self.dir is None:
            return []
        base = Path(self.dir) / self.keys.prefix
        runs = [p for p in base.iterdir() if p.is_dir()] if base.is_dir() else []
        old = [p for p in runs if time.time() - p.stat().st_mtime > min_age_s]
        with wrap_errors(), self.redis.pipeline(transaction=False) as pipe:
            for path in old:
                pipe.exists(self.keys.run(path.name).meta)
            alive = pipe.execute()
        gone = [p for p, exists in zip(old, alive, strict=True) if not exists]
        for path in gone:
            shutil.rmtree(path, ignore_errors=True)
        return [p.name for p in gone]


def produced_file(workdir: Path, name: str) -> Path:
    """The regular file ``name`` inside ``workdir``; ArtifactError saying what is wrong."""
    target = safe_repo_path(workdir, name)
    if target is None:
        raise ArtifactError(f"produced file {name} resolves outside the workspace (symlink?)")
    candidate = workdir / name
    try:
        mode = candidate.lstat().st_mode
    except FileNotFoundError:
        raise ArtifactError(f"declared file {name} was not produced") from None
    if stat.S_ISLNK(mode):
        raise ArtifactError(f"produced file {name} is a symbolic link; only regular files are stored")
    if not stat.S_ISREG(mode):
        raise ArtifactError(f"produced file {name} is not a regular file")
    return target


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` via a temporary file and rename (new dirs are private)."""
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False, prefix=".prp-") as tmp:
        tmp.write(data)
    os.replace(tmp.name, target)
