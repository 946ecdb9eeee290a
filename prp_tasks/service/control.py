"""The service layer every front end (CLI, HTTP, MCP, Python client, ``prp.submit_run``) goes through.

Front ends parse and format; the use cases live here: submit (idempotent), get and list runs,
cancel, decide (one gate or many), re-run a gate, audit, outputs. Nothing here waits on gate work:
it reads and writes Redis and enqueues.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

from prp_tasks.approvals.authz import Authorizer
from prp_tasks.approvals.batch import decide_all
from prp_tasks.approvals.pending import pending_approvals
from prp_tasks.approvals.service import Approvals
from prp_tasks.core.approvals import AuditEvent, DecisionResult, PendingApproval
from prp_tasks.core.artifacts import check_artifact_name
from prp_tasks.core.evaluate import parse_ts, utc_now
from prp_tasks.core.run import RunSpec, RunStatus, caller_trace, new_run_id
from prp_tasks.core.snapshot import RunSnapshot
from prp_tasks.engine.engine import Engine
from prp_tasks.errors import ArtifactError, ConflictError, GateNotFound, InputError, RunNotFound
from prp_tasks.intake.profiles.cache import ProfileCache
from prp_tasks.intake.submission import SubmitRequest, blueprint_from_data, spec_from_request
from prp_tasks.service.views import DocumentView, FileView, RunView, derived_status, run_view
from prp_tasks.settings import Settings
from prp_tasks.state.artifacts import ArtifactMeta, write_atomically
from prp_tasks.state.codec import OUTPUT_FILES
from prp_tasks.state.events import Entry
from prp_tasks.state.manager import State
from prp_tasks.state.run_index import find_runs
from prp_tasks.telemetry.tracing import current_traceparent

#: output and artifact names: plain file names, never paths
OUTPUT_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$")
#: every run status a surface shows (and filters on)
RUN_STATUSES = tuple(s.value for s in RunStatus)
#: an idempotency claim whose run never appeared may be taken over after this long
_CLAIM_STALE_S = 30.0


@dataclass(frozen=True)
class Submitted:
    """A submission's run, and whether this call created it (False: same idempotency key)."""

    run_id: str
    created: bool


class Control:
    """Use cases over one deployment's state and engine (built by the composition root,
    :class:`prp_tasks.celeryapp.runtime.Runtime`)."""

    def __init__(
        self, settings: Settings, state: State, engine: Engine, approvals: Approvals, profiles: ProfileCache
    ) -> None:
        self.settings = settings
        self.state = state
        self.store = state.runs
        self.engine = engine
        self.approvals = approvals
        self.profiles = profiles

    # submitting ---------------------------------------------------------------------------------

    def submit(self, spec: RunSpec) -> str:
        """Record a validated spec and start its root gates."""
        return self.engine.submit(spec)

    def submit_request(
        self, request: SubmitRequest, *, actor: str, traceparent: str | None = None
    ) -> Submitted:
        """Validate and submit; with ``idempotency_key`` the same key returns the same run.

        The run's span links to the caller's: ``traceparent`` (an HTTP request's header), else
        the span current in this process (a Python client's, a traced Celery task's)."""
        trace = caller_trace(traceparent) or current_traceparent()
        key = request.idempotency_key
        if key is None:
            spec = self._spec(request, actor, None, trace)
            return Submitted(self.submit(spec), True)
        if isinstance(request.blueprint, dict):
            blueprint_from_data(request.blueprint)  # refuse bad data before claiming the key
        run_id = new_run_id()
        existing = self._claim(request, actor, run_id)
        if existing is not None:
            return Submitted(existing, False)
        try:
            spec = self._spec(request, actor, run_id, trace)
        except Exception:
            self.state.idempotency.release(key)  # a refused request claims nothing
            raise
        return Submitted(self.submit(spec), True)

    def _spec(self, request: SubmitRequest, actor: str, run_id: str | None, trace: str | None) -> RunSpec:
        spec = spec_from_request(
            request,
            actor=actor,
            profiles=self.profiles,
            repo_roots=self.settings.api.repo_roots,
            run_id=run_id,
            workspaces=self.settings.workspace,
        )
        return spec.model_copy(update={"caller_trace": trace}) if trace else spec

    def _claim(self, request: SubmitRequest, actor: str, run_id: str) -> str | None:
        """Claim the key for ``run_id``; an earlier claim's run id if the key was used already."""
        key = request.idempotency_key or ""
        body = request.model_dump(mode="json", exclude={"idempotency_key"}) | {"actor": actor}
        fingerprint = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        claim = {"run_id": run_id, "fingerprint": fingerprint, "at": time.time()}
        earlier = self.state.idempotency.claim(key, claim)
        if earlier is None:
            return None
        if earlier.get("fingerprint") != fingerprint:
            raise ConflictError("idempotency_key was already used for a different request")
        if self.store.exists(earlier["run_id"]):
            return str(earlier["run_id"])
        if time.time() - float(earlier.get("at", 0)) < _CLAIM_STALE_S:
            raise ConflictError("a submission with this idempotency_key is in progress; retry shortly")
        self.state.idempotency.take_over(key, claim)  # the first submitter died: take over
        return None

    # reading ------------------------------------------------------------------------------------

    def exists(self, run_id: str) -> bool:
        """The run's state is here (not expired, not on another server)."""
        return self.store.exists(run_id)

    def spec(self, run_id: str) -> RunSpec:
        """The run's spec; RunNotFound for an unknown run."""
        return self.store.spec(run_id)

    def snapshot(self, run_id: str) -> RunSnapshot:
        return self.store.snapshot(run_id)

    def get_run(self, run_id: str) -> RunView:
        """The run's view, ``active_gates`` included (what runs and waits, since when), with the
        files its checks produced and the outputs stored so far (sizes and sha256 digests)."""
        view = run_view(self.snapshot(run_id), now=utc_now())
        return view.model_copy(update={"files": self.files(run_id), "documents": self.documents(run_id)})

    def files(self, run_id: str) -> list[FileView]:
        """The files the run's checks produced so far (what ``prp outputs`` writes under files/)."""
        return [
            FileView(
                gate=m.gate,
                check=m.check,
                name=m.name,
                size=m.size,
                sha256=m.sha256,
                url=f"/v1/runs/{run_id}/outputs/files/{m.gate}/{m.name}",
            )
            for _, m in sorted(self.state.artifacts.index(run_id).items())
        ]

    def documents(self, run_id: str) -> list[DocumentView]:
        """The outputs and gate reports stored so far."""
        return [
            DocumentView(
                name=name,
                size=len(data := text.encode()),
                sha256=hashlib.sha256(data).hexdigest(),
                url=f"/v1/runs/{run_id}/outputs/{name}",
            )
            for name, text in sorted(self.outputs(run_id).items())
        ]

    def produced_file(self, run_id: str, gate_id: str, name: str) -> tuple[ArtifactMeta, bytes]:
        """One produced file by gate and relative name (as listed in ``files``), verified by sha256."""
        try:
            check_artifact_name(name)
        except ValueError as exc:
            raise InputError(f"file name: {exc}") from None
        spec = self.store.spec(run_id)
        if gate_id not in spec.workflow.gate_ids:
            raise GateNotFound(f"run {run_id} has no gate {gate_id}")
        meta = self.state.artifacts.meta(run_id, gate_id, name)
        if meta is None:
            raise RunNotFound(f"gate {gate_id} of run {run_id} produced no file {name}")
        try:
            return meta, self.state.artifacts.read(run_id, meta)
        except ArtifactError as exc:  # expired, or failed verification: not served
            raise RunNotFound(exc.message) from None

    def list_runs(
        self,
        *,
        status: str | None = None,
        repository: str | None = None,
        since: str | None = None,
        cursor: int = 0,
        limit: int = 20,
        idempotency_key: str | None = None,
    ) -> tuple[list[dict[str, str]], int | None]:
        """Runs newest first, filtered; returns rows and the cursor of the next page (or None).

        ``status`` is the status a run's own view shows (``awaiting_approval`` included);
        ``idempotency_key`` finds the run a submission with that key created (at most one).
        """
        if status is not None and status not in RUN_STATUSES:
            raise InputError(f"status: must be one of {', '.join(RUN_STATUSES)}, not {status!r}")
        since_ms = None
        if since is not None:
            try:
                since_ms = int(parse_ts(since).timestamp() * 1000)
            except ValueError:
                raise InputError(f"since: not an ISO-8601 time: {since!r}") from None
        if idempotency_key is not None:
            return self._keyed_run(idempotency_key, status, repository, since_ms), None
        return find_runs(
            self.store,
            status=status,
            repository=repository,
            since_ms=since_ms,
            cursor=cursor,
            limit=limit,
            derive=_shown_status,
        )

    def run_for_key(self, idempotency_key: str) -> str | None:
        """The run a submission with ``idempotency_key`` created (None: none, or not created yet)."""
        claim = self.state.idempotency.lookup(idempotency_key)
        run_id = None if claim is None else str(claim.get("run_id") or "")
        return run_id if run_id and self.store.exists(run_id) else None

    def _keyed_run(
        self, key: str, status: str | None, repository: str | None, since_ms: int | None
    ) -> list[dict[str, str]]:
        run_id = self.run_for_key(key)
        if run_id is None:
            return []
        meta = self.store.meta(run_id)
        row = {
            "run_id": run_id,
            "status": _shown_status(
                meta.get("status", ""),
                list(self.store.gate_statuses(run_id).values()),
                meta.get("cancelled") == "1",
            ),
            "repo": meta.get("repo"),
            "created_at": meta.get("created_at"),
            "updated_at": meta.get("updated_at"),
        }
        created_ms = int(parse_ts(row["created_at"]).timestamp() * 1000) if row["created_at"] else 0
        if (status and row["status"] != status) or (repository and row["repo"] != repository):
            return []
        return [] if since_ms is not None and created_ms < since_ms else [row]  # type: ignore[list-item]

    def run_ids(self, offset: int = 0, limit: int = 50) -> list[str]:
        return self.store.list_runs(offset, limit)

    def is_final(self, run_id: str) -> bool:
        return self.store.finalized(run_id)

    def wait_final(self, run_id: str, timeout_s: float | None = None, poll_s: float = 1.0) -> bool:
        """Block until the run's outputs are committed (True) or ``timeout_s`` passes (False).

        Woken by the finalization itself (Redis Pub/Sub), so the wait ends within a round trip of
        the commit; ``poll_s`` is only how often it looks again without a notice."""
        return self.state.notices.wait(run_id, lambda: self.is_final(run_id), timeout_s, poll_s)

    def audit(self, run_id: str) -> list[AuditEvent]:
        self.store.spec(run_id)  # RunNotFound for an unknown run
        return self.store.audit(run_id)

    def output(self, run_id: str, name: str) -> str:
        """One output (prp.md, review.json, run-manifest.json) or gate artifact, by plain name."""
        if not OUTPUT_NAME.match(name) or name in (".", ".."):
            raise InputError(f"output name must be a plain file name, not {name!r}")
        self.store.spec(run_id)
        found = self.store.outputs(run_id, [name])
        if name not in found:
            waiting = name in OUTPUT_FILES and not self.is_final(run_id)
            raise RunNotFound(f"run {run_id} has {'not finished, so no' if waiting else 'no output'} {name}")
        return found[name]

    def outputs(self, run_id: str) -> dict[str, str]:
        """Every output and gate artifact stored so far (name -> text); RunNotFound for no run."""
        self.store.spec(run_id)
        return {n: t for n, t in self.store.outputs(run_id).items() if OUTPUT_NAME.match(n)}

    def write_outputs(self, run_id: str, out_dir: Path) -> dict[str, str]:
        """Write prp.md, review.json, run-manifest.json, gate artifacts and produced files."""
        outputs = self.store.outputs(run_id)
        out_dir.mkdir(parents=True, exist_ok=True)
        written = {}
        for name, content in sorted(outputs.items()):
            if not OUTPUT_NAME.match(name):
                continue
            target = out_dir / name if name in OUTPUT_FILES else out_dir / "artifacts" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
            written[name] = str(target)
        return written | self._write_files(run_id, out_dir / "files")

    def _write_files(self, run_id: str, files_dir: Path) -> dict[str, str]:
        """The files checks produced, as ``files/GATE/NAME``, each verified by sha256."""
        artifacts = self.state.artifacts
        written = {}
        for field, meta in sorted(artifacts.index(run_id).items()):
            target = files_dir / meta.gate / meta.name
            write_atomically(target, artifacts.read(run_id, meta))
            written[f"files/{field}"] = str(target)
        return written

    # acting -------------------------------------------------------------------------------------

    def cancel(self, run_id: str, actor: str = "system") -> bool:
        return self.engine.cancel(run_id, actor)

    def rerun(self, run_id: str, gate_id: str, *, force: bool, actor: str = "system") -> list[str]:
        """Re-execute a settled gate and its dependents (``run_prp_step``); needs ``force``."""
        return self.engine.rerun_gate(run_id, gate_id, force=force, actor=actor)

    def decide(
        self,
        run_id: str,
        gate_id: str,
        *,
        actor: str,
        approve: bool,
        rationale: str = "",
        channel: str = "cli",
        commit_sha: str | None = None,
        authorizer: Authorizer | None = None,
    ) -> DecisionResult:
        """Approve or reject one gate (a parked one, or in advance one that has not parked)."""
        return self.approvals.decide(
            run_id,
            gate_id,
            actor=actor,
            approve=approve,
            rationale=rationale,
            channel=channel,
            commit_sha=commit_sha,
            authorizer=authorizer,
        )

    def decide_all(
        self,
        run_ids: list[str],
        *,
        actor: str,
        approve: bool,
        rationale: str = "",
        channel: str = "cli",
        include_upcoming: bool = False,
        authorizer: Authorizer | None = None,
    ) -> list[DecisionResult]:
        """Decide every parked (and optionally upcoming) gate the actor's roles cover."""
        return decide_all(
            self.approvals,
            run_ids,
            actor=actor,
            approve=approve,
            rationale=rationale,
            channel=channel,
            include_upcoming=include_upcoming,
            authorizer=authorizer,
        )

    def pending_approvals(
        self, role: str | None = None, limit: int = 1000, offset: int = 0
    ) -> list[PendingApproval]:
        """Parked gates, oldest first (see :func:`prp_tasks.approvals.pending.pending_approvals`)."""
        return pending_approvals(self.approvals, role, limit, offset)

    # the deployment -----------------------------------------------------------------------------

    def ping(self) -> bool:
        """The state Redis answers (raises StoreError when it does not)."""
        return self.state.ping()

    def count_request(self, identity: str, window: int) -> int:
        """Count one API request of ``identity`` in a one-minute ``window``; the count so far."""
        return self.state.rate_windows.hit(identity, window)

    def last_repair_ms(self) -> int | None:
        """When a worker last made a housekeeping (repair) pass (None: not in the last day)."""
        return self.state.repairs.last_repair_ms()

    def recent_events(self, count: int) -> list[Entry]:
        """The last ``count`` lifecycle events (stream entries), oldest first."""
        return self.state.stream.recent(count)

    def events_after(self, cursor: str, block_ms: int = 5000) -> list[Entry]:
        """Lifecycle events after ``cursor``, waiting up to ``block_ms`` for one."""
        return self.state.stream.after(cursor, block_ms)

    def events_since(self, cursor: str, count: int) -> list[Entry]:
        """Up to ``count`` lifecycle events after ``cursor`` (a stream entry id), without waiting."""
        return self.state.stream.after(cursor, None, count)


def _shown_status(stored: str, gate_statuses: list[str], cancelled: bool) -> str:
    return derived_status(stored, gate_statuses, cancelled=cancelled).value
