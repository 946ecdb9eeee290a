"""One check execution on a worker: its workspace, the files it needs, the check, what it produces.

Every run gets a workspace on each worker that runs its checks, shared by the run's checks there
(:class:`prp_tasks.workspaces.Workspaces`): a git source a worktree of the run's commit; a local
source a worktree of the user's checkout at the run's commit with its uncommitted changes (or a
snapshot copy of a directory that is not a git checkout), so the user's files are never written.
A built-in check that reads only the run's spec and records runs without one
(:data:`prp_tasks.checks.CHECKOUT_FREE`).
The workspace is removed when the run finishes. Needed files are fetched and verified before the
check starts; produced files are stored when it ends. The lease is kept alive meanwhile
(:mod:`prp_tasks.engine.leases`); a cancelled run or a lost lease stops the check.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import random
import time
from collections.abc import Iterator
from pathlib import Path

from prp_tasks import checks
from prp_tasks.checks.base import CheckContext, Outcome
from prp_tasks.core import dag
from prp_tasks.core.artifacts import needed
from prp_tasks.core.evaluate import utc_now
from prp_tasks.core.models import CheckStatus, GateSpec
from prp_tasks.core.results import CheckResult
from prp_tasks.core.run import RunSpec
from prp_tasks.engine.breakers import Breakers, Permit
from prp_tasks.engine.leases import LeaseKeeper
from prp_tasks.engine.reuse import ResultReuse, inputs_digest
from prp_tasks.environments import Environments
from prp_tasks.errors import ArtifactError, StoreError, WorkspaceError
from prp_tasks.settings import Settings
from prp_tasks.state.artifacts import ArtifactMeta
from prp_tasks.state.manager import State
from prp_tasks.workspaces import Workspaces

log = logging.getLogger("prp_tasks.engine.execution")

#: how often a worker looks for worktrees of finished runs it missed the release broadcast of
GC_INTERVAL_S = 60.0


@dataclasses.dataclass(frozen=True)
class Executed:
    result: CheckResult
    retryable: bool
    produced: tuple[ArtifactMeta, ...] = ()
    #: a closed breaker the call went through without a transient failure: reset with the claim
    breaker_ok: str | None = None


class CheckExecutor:
    """Runs checks for the engine; one per process, safe to share between threads."""

    def __init__(self, settings: Settings, state: State) -> None:
        self.settings = settings
        self.store = state.runs
        self.artifacts = state.artifacts
        self.breakers = Breakers(settings, state.breakers, state.events)
        self.reuse = ResultReuse(state.reuse)
        self.leases = LeaseKeeper(state.checks, settings.check_lease_s)
        self._workspaces: Workspaces | None = None
        self.environments = Environments(settings.workspace)
        #: which deployment (Redis and key prefix) this worker's workspaces belong to
        self.owner = hashlib.sha256(f"{settings.redis_url}|{settings.key_prefix}".encode()).hexdigest()[:16]
        self._last_gc = time.monotonic()

    @property
    def workspaces(self) -> Workspaces:
        if self._workspaces is None:  # created on first use: API processes never need one
            self._workspaces = Workspaces(self.settings.workspace)
        return self._workspaces

    def execute(
        self,
        spec: RunSpec,
        gate: GateSpec,
        check: str,
        token: str,
        attempt: int,
        worker: str = "",
        breaker_state: str | None = None,
    ) -> Executed:
        """Run one check; ``breaker_state`` is its breaker's state if read with the lease."""
        ctx = CheckContext(
            spec=spec,
            gate=gate,
            check=gate.check(check),
            timeout_s=self.timeout(gate, check),
            env_allowlist=self.settings.env_allowlist,
            output_tail_bytes=self.settings.output_tail_bytes,
            attempt=attempt,
            load_records=lambda: self.store.records(spec.run_id),
            load_artifact_names=lambda: self.store.artifact_names(spec.run_id),
            worker=worker,
            environments=self.environments,
        )
        with self.leases.hold(spec.run_id, gate.id, check, token, ctx.stop):
            return self._run(ctx, breaker_state)

    def timeout(self, gate: GateSpec, check: str) -> float:
        return gate.time_limit(check, self.settings.check_timeout_s)

    def _run(self, ctx: CheckContext, breaker_state: str | None = None) -> Executed:
        started_at, t0 = utc_now(), time.monotonic()
        produced: list[ArtifactMeta] = []
        permit = self.breakers.admit(ctx.check, ctx.spec.run_id, breaker_state)
        try:
            if permit is not None and not permit.allowed:
                outcome = circuit_open(permit)
            else:
                outcome, produced = self._in_workspace(ctx)
        except (WorkspaceError, ArtifactError) as exc:
            outcome = Outcome(CheckStatus.FAIL, exc.message, details={"setup_error": exc.message})
        except StoreError:
            raise  # Redis is unreachable: the task retries once it is back
        except Exception as exc:  # a bug must fail the check, not strand the run
            log.exception("check %s/%s: internal error", ctx.gate.id, ctx.check.name)
            message = f"internal error preparing or recording the check: {type(exc).__name__}"
            outcome = Outcome(CheckStatus.FAIL, message)
        reset = self._report(ctx, permit, outcome)
        duration = int((time.monotonic() - t0) * 1000)
        result = checks.stamp(ctx, outcome, started_at, utc_now(), duration)
        self.collect_garbage()
        return Executed(result, outcome.retryable, tuple(produced), reset)

    def _report(self, ctx: CheckContext, permit: Permit | None, outcome: Outcome) -> str | None:
        """Tell the breaker how the call went; a success through a closed breaker is left to the
        result claim (returned: the breaker's key), which resets the count in the same round trip."""
        if permit is None or not permit.allowed:
            return None
        transient = outcome.status == CheckStatus.FAIL and outcome.retryable
        if permit.state == "closed" and not permit.token and not transient:
            return self.breakers.key(ctx.check)
        self.breakers.record(ctx.check, permit, ctx.spec.run_id, ok=not transient)
        return None

    def _in_workspace(self, ctx: CheckContext) -> tuple[Outcome, list[ArtifactMeta]]:
        """Needed files in, the check (or its reused result), produced files out; a check that
        reads nothing of the repository runs without the workspace (:func:`checks.needs_checkout`)."""
        if not checks.needs_checkout(ctx.check):
            return self._outcome(ctx, []), []
        with self._workdir(ctx.spec) as workdir:
            ctx = dataclasses.replace(ctx, workdir=workdir)
            wanted = needed(ctx.spec.workflow, ctx.gate.id, ctx.check, self._deps(ctx))
            placed = self.artifacts.materialize(ctx.spec.run_id, ctx.spec.workflow, wanted, workdir)
            outcome = self._outcome(ctx, placed)
            if outcome.status == CheckStatus.SKIP:
                return outcome, []
            produced, problems = self.artifacts.collect(
                ctx.spec.run_id, ctx.gate.id, ctx.check.name, ctx.check.produces, workdir
            )
            return with_files(outcome, placed, produced, problems), produced

    def _outcome(self, ctx: CheckContext, placed: list[ArtifactMeta]) -> Outcome:
        """The check's outcome: a reused passing result of the same inputs, or a fresh one."""
        digest = inputs_digest(ctx, placed)
        outcome = (self.reuse.lookup(digest) if digest else None) or checks.outcome_of(ctx)
        if digest:
            self.reuse.remember(digest, outcome, ctx.spec.run_id, utc_now())
        return outcome

    def _deps(self, ctx: CheckContext) -> frozenset[str]:
        if not (ctx.check.needs or ctx.check.needs_from):
            return frozenset()
        return dag.ancestors(ctx.spec.workflow)[ctx.gate.id]

    @contextlib.contextmanager
    def _workdir(self, spec: RunSpec) -> Iterator[Path]:
        repo = spec.repo
        if repo.url is None:
            with self.workspaces.local(spec.run_id, Path(repo.path), repo.commit_sha, self.owner) as path:
                yield path
            return
        with self.workspaces.checkout(spec.run_id, repo.url, repo.commit_sha, self.owner) as path:
            yield path

    def collect_garbage(self, *, force: bool = False) -> None:
        """Now and then: drop worktrees of runs that finished (or expired) meanwhile, and shared
        directory files of runs whose state expired."""
        if not force and time.monotonic() - self._last_gc < GC_INTERVAL_S:
            return
        self._last_gc = time.monotonic()
        try:
            if self._workspaces is not None:
                self._workspaces.release_finished(self.store.finished, self.owner)
            self.artifacts.collect_dir_garbage()
        except Exception:  # housekeeping never fails a check
            log.warning("workspace/artifact clean-up failed", exc_info=True)

    def release(self, run_id: str) -> bool:
        """Remove this worker's workspace of a finished run (if it has one)."""
        return self.workspaces.release(run_id)

    def release_quietly(self, run_id: str) -> None:
        """:meth:`release`, as housekeeping: a failure is logged, never raised."""
        try:
            self.release(run_id)
        except Exception:
            log.warning("could not remove the workspace of run %s", run_id, exc_info=True)

    def worker_lost(self, spec: RunSpec, gate: GateSpec, check: str, starts: int, lost: int) -> CheckResult:
        ctx = CheckContext(
            spec=spec,
            gate=gate,
            check=gate.check(check),
            timeout_s=0,
            env_allowlist=(),
            output_tail_bytes=0,
            attempt=starts,
        )
        message = (
            f"worker lost: {lost} execution(s) of this check died without reporting "
            f"(limit {self.settings.max_lost_attempts})"
        )
        now = utc_now()
        return checks.stamp(ctx, Outcome(CheckStatus.FAIL, message), now, now, 0)


def circuit_open(permit: Permit) -> Outcome:
    """Fail fast while the dependency's breaker is open (transient: ``retries`` back off)."""
    message = (
        f"circuit open for {permit.name}: failing fast after repeated transient failures "
        f"(next trial in {permit.wait_s:.0f}s)"
    )
    return Outcome(CheckStatus.FAIL, message, details={"breaker": permit.name}, retryable=True)


def with_files(
    outcome: Outcome, placed: list[ArtifactMeta], produced: list[ArtifactMeta], problems: list[str]
) -> Outcome:
    """Record the files in the evidence; a passing check that did not produce its files fails."""
    if not (placed or produced or problems):
        return outcome
    files = {
        "needed": [m.brief() for m in placed],
        "produced": [m.brief() for m in produced],
        "problems": problems,
    }
    details = {**outcome.details, "files": files}
    if problems and outcome.status == CheckStatus.PASS:
        output = "; ".join(problems) + "\n" + outcome.output
        return dataclasses.replace(outcome, status=CheckStatus.FAIL, output=output, details=details)
    return dataclasses.replace(outcome, details=details)


def retry_delay(gate: GateSpec, check: str, ended: int) -> float | None:
    """The delay before another attempt of a transient failure, or None when none are left."""
    spec = gate.check(check)
    retries = gate.retries if spec.retries is None else spec.retries
    return backoff(spec.retry_backoff_s, ended) if ended < retries else None


def backoff(base_s: float, attempt: int) -> float:
    """Exponential backoff with jitter: ``base · 2^attempt`` capped at 60 s, drawn from its upper half."""
    ceiling = min(60.0, base_s * 2**attempt)
    return random.uniform(ceiling / 2, ceiling)
